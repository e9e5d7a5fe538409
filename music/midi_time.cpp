// midi_time.cpp: the tempo map (exact tick -> seconds) and note pairing.
//
// Seconds are computed from integer sums: each tempo segment keeps
// sum(delta_ticks * tempo_us) exactly, and only the final conversion divides
// by ticks-per-quarter and 1e6, so no rounding error builds up over a long file.
// Chapter: docs/05-midi-and-piano-rolls.md.
#include <algorithm>
#include <deque>
#include <map>

#include "music/midi.h"

namespace music {

TempoMap::TempoMap(const MidiFile& m) : tpq_(m.ticks_per_quarter), smpte_(m.smpte) {
  ticks_per_second_ = m.smpte ? (m.smpte_fps == 29 ? 29.97 : m.smpte_fps) * m.ticks_per_frame : 0;
  std::vector<std::pair<int64_t, int64_t>> changes;  // (tick, tempo)
  for (const Track& t : m.tracks)
    for (const Event& e : t.events)
      if (e.is_meta() && e.meta_type == kSetTempo && e.data.size() == 3) {
        int64_t tempo = (int64_t)e.data[0] << 16 | e.data[1] << 8 | e.data[2];
        if (tempo > 0) changes.push_back({e.tick, tempo});
      }
  std::stable_sort(changes.begin(), changes.end(), [](auto& a, auto& b) { return a.first < b.first; });
  segs_.push_back({0, 500000, 0});  // 120 quarter notes per minute until the first tempo event
  for (auto& [tick, tempo] : changes) {
    Segment& last = segs_.back();
    if (tick == last.tick) {
      last.tempo = tempo;
      continue;
    }  // the later event at a tick wins
    segs_.push_back({tick, tempo, last.us_times_tpq + (tick - last.tick) * last.tempo});
  }
}

// [doc:tick-to-seconds]
double TempoMap::seconds(int64_t tick) const {
  if (smpte_) return (double)tick / ticks_per_second_;  // SMPTE time ignores tempo events
  // [exercise:5.3] tick to seconds through the tempo map, in exact integers
  auto it = std::upper_bound(segs_.begin(), segs_.end(), tick, [](int64_t t, const Segment& s) { return t < s.tick; });
  const Segment& s = *(it - 1);
  int64_t us_times_tpq = s.us_times_tpq + (tick - s.tick) * s.tempo;  // exact integer
  return (double)us_times_tpq / ((double)tpq_ * 1e6);
  // [/exercise]
}
// [/doc]

int64_t TempoMap::tempo_at(int64_t tick) const {
  auto it = std::upper_bound(segs_.begin(), segs_.end(), tick, [](int64_t t, const Segment& s) { return t < s.tick; });
  return (it - 1)->tempo;
}

// [doc:note-pairing]
std::vector<Note> extract_notes(const MidiFile& m, NotePairing pairing, NoteStats* stats) {
  TempoMap tempo(m);
  std::vector<Note> notes;
  NoteStats st;
  for (size_t ti = 0; ti < m.tracks.size(); ++ti) {
    const Track& t = m.tracks[ti];
    std::map<int, std::deque<Note>> open;  // key: channel * 128 + pitch
    int program[16] = {0};
    int64_t track_end = 0;
    for (const Event& e : t.events) {
      track_end = std::max(track_end, e.tick);
      if (!e.is_channel()) continue;
      if (e.type() == 0xC0) {
        program[e.channel()] = e.data[0];
        continue;
      }
      if (e.type() != 0x80 && e.type() != 0x90) continue;
      int key = e.channel() * 128 + e.data[0];
      if (e.is_note_on()) {
        Note n;
        n.track = (int)ti, n.channel = e.channel(), n.pitch = e.data[0], n.velocity = e.data[1];
        n.start_tick = e.tick, n.program = program[e.channel()];
        open[key].push_back(n);
        continue;
      }
      auto it = open.find(key);
      if (it == open.end() || it->second.empty()) {
        st.unmatched_note_offs++;
        continue;
      }
      auto close = [&](Note n) {
        n.end_tick = e.tick;
        notes.push_back(n);
      };
      if (pairing == NotePairing::Fifo) {
        close(it->second.front());
        it->second.pop_front();
      } else if (pairing == NotePairing::Lifo) {
        close(it->second.back());
        it->second.pop_back();
      } else {
        for (Note& n : it->second) close(n);
        it->second.clear();
      }
    }
    for (auto& [key, q] : open)  // still sounding at the end of the track: end them there
      for (Note n : q) {
        n.end_tick = track_end;
        notes.push_back(n);
        st.closed_at_track_end++;
      }
  }
  for (Note& n : notes) n.start_s = tempo.seconds(n.start_tick), n.end_s = tempo.seconds(n.end_tick);
  std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    if (a.start_tick != b.start_tick) return a.start_tick < b.start_tick;
    if (a.track != b.track) return a.track < b.track;
    if (a.channel != b.channel) return a.channel < b.channel;
    return a.pitch < b.pitch;
  });
  if (stats) *stats = st;
  return notes;
}
// [/doc]

double duration_seconds(const MidiFile& m) {
  int64_t last = 0;
  for (const Track& t : m.tracks)
    for (const Event& e : t.events) last = std::max(last, e.tick);
  return TempoMap(m).seconds(last);
}

std::string pitch_name(int pitch) {
  static const char* names[] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  if (pitch < 0 || pitch > 127) return "?";
  return std::string(names[pitch % 12]) + std::to_string(pitch / 12 - 1);
}

std::string event_name(const Event& e) {
  if (e.is_meta()) {
    switch (e.meta_type) {
      case kSequenceNumber:
        return "sequence_number";
      case kText:
        return "text";
      case kCopyright:
        return "copyright";
      case kTrackName:
        return "track_name";
      case kInstrumentName:
        return "instrument_name";
      case kLyric:
        return "lyrics";
      case kMarker:
        return "marker";
      case kCuePoint:
        return "cue_marker";
      case kProgramName:
        return "program_name";
      case kDeviceName:
        return "device_name";
      case kChannelPrefix:
        return "channel_prefix";
      case kMidiPort:
        return "midi_port";
      case kEndOfTrack:
        return "end_of_track";
      case kSetTempo:
        return "set_tempo";
      case kSmpteOffset:
        return "smpte_offset";
      case kTimeSignature:
        return "time_signature";
      case kKeySignature:
        return "key_signature";
      case kSequencerSpecific:
        return "sequencer_specific";
      default:
        return "meta_" + std::to_string(e.meta_type);
    }
  }
  if (e.is_sysex()) return e.status == 0xF0 ? "sysex" : "sysex_escape";
  switch (e.type()) {
    case 0x80:
      return "note_off";
    case 0x90:
      return e.is_note_off() ? "note_on(vel 0)" : "note_on";
    case 0xA0:
      return "polytouch";
    case 0xB0:
      return "control_change";
    case 0xC0:
      return "program_change";
    case 0xD0:
      return "aftertouch";
    case 0xE0:
      return "pitchwheel";
  }
  return "unknown";
}

std::vector<BarLine> bar_lines(const MidiFile& m, int64_t end_tick) {
  std::map<int64_t, std::pair<int, int>> sigs;  // tick -> (numerator, denominator)
  for (const Track& tr : m.tracks)
    for (const Event& e : tr.events)
      if (e.is_meta() && e.meta_type == kTimeSignature && e.data.size() >= 2 && e.data[0] > 0 && e.data[1] < 7)
        sigs[e.tick] = {e.data[0], 1 << e.data[1]};
  std::vector<BarLine> bars;
  if (m.smpte || m.ticks_per_quarter <= 0) return bars;
  std::pair<int, int> sig{4, 4};
  for (int64_t t = 0; t < end_tick;) {
    auto at = sigs.upper_bound(t);  // the first change after t
    if (at != sigs.begin()) sig = std::prev(at)->second;
    int64_t len = (int64_t)sig.first * 4 * m.ticks_per_quarter / sig.second;
    if (at != sigs.end() && at->first < t + len) len = at->first - t;
    bars.push_back({t, len});
    t += len;
  }
  return bars;
}

}  // namespace music
