// midi.h: Standard MIDI Files in and out: the data model, the reader, the writer,
// the tempo map and note pairing. Standard library only (music/ does not use the engine).
//
// The reader is lenient by default: it reads what a musician would want from a
// damaged or odd file and records a Diagnostic (code, byte offset, track) for
// each oddity. ReadOptions::strict turns diagnostics into errors. It never
// reads outside the buffer and never allocates according to a length field it
// has not checked against the bytes that remain.
// Chapter: docs/05-midi-and-piano-rolls.md.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace music {

// Thrown for files that cannot be read at all (or any diagnostic, in strict mode).
class MidiError : public std::runtime_error {
 public:
  MidiError(const std::string& code, size_t offset, const std::string& msg)
      : std::runtime_error(msg), code(code), offset(offset) {}
  std::string code;  // stable, for tests: "not_midi", "empty", "bad_header", ...
  size_t offset;     // byte offset in the file
};

struct Diagnostic {
  std::string code;    // e.g. "running_status_after_sysex", "missing_end_of_track"
  size_t offset = 0;   // byte offset in the file
  int track = -1;      // track index, or -1 for the file
  std::string detail;  // human-readable
};

// Meta event types we decode (others are kept raw).
enum MetaType : uint8_t {
  kSequenceNumber = 0x00,
  kText = 0x01,
  kCopyright = 0x02,
  kTrackName = 0x03,
  kInstrumentName = 0x04,
  kLyric = 0x05,
  kMarker = 0x06,
  kCuePoint = 0x07,
  kProgramName = 0x08,
  kDeviceName = 0x09,
  kChannelPrefix = 0x20,
  kMidiPort = 0x21,
  kEndOfTrack = 0x2F,
  kSetTempo = 0x51,
  kSmpteOffset = 0x54,
  kTimeSignature = 0x58,
  kKeySignature = 0x59,
  kSequencerSpecific = 0x7F,
};

// One event at an absolute tick. status: 0x80..0xEF channel messages (data holds
// 1 or 2 bytes), 0xF0 / 0xF7 sysex packets (data holds the packet), 0xFF meta
// (meta_type + data).
struct Event {
  int64_t tick = 0;
  uint8_t status = 0;
  uint8_t meta_type = 0;
  std::vector<uint8_t> data;

  bool is_channel() const { return status >= 0x80 && status < 0xF0; }
  bool is_meta() const { return status == 0xFF; }
  bool is_sysex() const { return status == 0xF0 || status == 0xF7; }
  int type() const { return status & 0xF0; }     // 0x80 note-off, 0x90 note-on, ...
  int channel() const { return status & 0x0F; }  // 0..15 (9 is drums in General MIDI)
  bool is_note_on() const { return type() == 0x90 && data.size() == 2 && data[1] > 0; }
  bool is_note_off() const { return type() == 0x80 || (type() == 0x90 && data.size() == 2 && data[1] == 0); }
};

struct Track {
  std::vector<Event> events;  // in file order; ticks never decrease
};

struct MidiFile {
  int format = 1;               // 0, 1 or 2
  int ticks_per_quarter = 480;  // PPQ division (when !smpte)
  bool smpte = false;           // SMPTE division: seconds = ticks / (fps * ticks_per_frame)
  int smpte_fps = 0;            // 24, 25, 29 (29.97 drop-frame) or 30
  int ticks_per_frame = 0;
  std::vector<Track> tracks;
  std::vector<Diagnostic> diagnostics;

  bool has_diagnostic(const std::string& code) const;
};

// How to pair note-ons with note-offs when the same (track, channel, pitch) is
// struck again before it was released.
enum class NotePairing {
  Fifo,      // the earliest open note ends first (default; craigsapp, miditoolkit)
  Lifo,      // the latest open note ends first
  CloseAll,  // a note-off ends every open note on that pitch (pretty_midi)
};

struct ReadOptions {
  bool strict = false;                   // any diagnostic becomes a MidiError
  bool clip_data_bytes = false;          // data bytes > 127: clamp (with a diagnostic) instead of failing
  int64_t max_ticks = int64_t(1) << 31;  // absolute tick cap (bounds piano-roll memory later)
  size_t max_events = 20'000'000;
};

MidiFile read_midi(const std::vector<uint8_t>& bytes, const ReadOptions& opt = {});
MidiFile read_midi_file(const std::string& path, const ReadOptions& opt = {});

struct WriteOptions {
  bool running_status = false;  // omit repeated channel status bytes (reset after meta/sysex)
};
// Canonical output: events sorted by tick (note-offs before note-ons on the same
// tick, otherwise stable), note-on velocity 0 written as note-off, every note
// closed (at the end of its track if nothing closed it), exactly one End-of-Track
// per track. Idempotent: write(read(write(x))) == write(x).
std::vector<uint8_t> write_midi(const MidiFile& midi, const WriteOptions& opt = {});
// Writes atomically (temporary file, then rename).
void write_midi_file(const std::string& path, const MidiFile& midi, const WriteOptions& opt = {});

// ---- time ----
// Exact tick -> seconds, merging tempo events from every track (format 0/1).
class TempoMap {
 public:
  explicit TempoMap(const MidiFile& midi);
  double seconds(int64_t tick) const;
  int64_t tempo_at(int64_t tick) const;  // microseconds per quarter note
  double qpm_at(int64_t tick) const { return 60e6 / (double)tempo_at(tick); }

 private:
  struct Segment {
    int64_t tick;
    int64_t tempo;
    int64_t us_times_tpq;
  };  // running sum of dticks*tempo
  std::vector<Segment> segs_;
  int64_t tpq_;
  bool smpte_;
  double ticks_per_second_;
};

struct Note {
  int track = 0, channel = 0, pitch = 0, velocity = 0;
  int64_t start_tick = 0, end_tick = 0;
  double start_s = 0, end_s = 0;
  int program = 0;  // the program (General MIDI instrument) active on that channel at the start
};

struct NoteStats {
  int64_t unmatched_note_offs = 0;  // note-offs with no open note
  int64_t closed_at_track_end = 0;  // notes still open when their track ended
};

// Pairs note-ons with note-offs; notes still open at the end of their track are
// closed at that track's last tick. Sorted by (start_tick, track, channel, pitch).
std::vector<Note> extract_notes(const MidiFile& midi, NotePairing pairing = NotePairing::Fifo,
                                NoteStats* stats = nullptr);

// Bar lines from the time signatures of every track (4/4 until the first one), up to end_tick.
// A time signature that arrives inside a bar ends that bar there, making a short bar, as a
// pickup written with its own time signature is.
struct BarLine {
  int64_t start_tick, length_ticks;
};
std::vector<BarLine> bar_lines(const MidiFile& midi, int64_t end_tick);

// Length of the file in seconds (the last event's time).
double duration_seconds(const MidiFile& midi);

// Human-readable names.
std::string event_name(const Event& e);
std::string pitch_name(int pitch);  // 60 -> "C4"

}  // namespace music
