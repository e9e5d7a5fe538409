// midi_read.cpp: the Standard MIDI File reader (see midi.h for the contract).
//
// Structure: container (SMF, or RIFF "RMID" wrapping one) -> MThd header ->
// chunks (MTrk parsed, others skipped) -> events with delta times and running
// status. Every read goes through Cursor, which checks bounds first; lengths
// from the file are compared with the bytes that remain before anything is
// allocated. Chapter: docs/05-midi-and-piano-rolls.md.
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "music/midi.h"

namespace music {

bool MidiFile::has_diagnostic(const std::string& code) const {
  for (auto& d : diagnostics)
    if (d.code == code) return true;
  return false;
}

namespace {

class Reader {
 public:
  Reader(const std::vector<uint8_t>& b, const ReadOptions& o, MidiFile& m) : b_(b), opt_(o), m_(m) {}

  [[noreturn]] void error(const std::string& code, size_t off, const std::string& msg) {
    throw MidiError(code, off, "byte " + std::to_string(off) + ": " + msg);
  }
  void diag(const std::string& code, size_t off, int track, const std::string& detail) {
    if (opt_.strict)
      error(code, off, detail + (track >= 0 ? " (track " + std::to_string(track) + ")" : "") + " [strict mode]");
    m_.diagnostics.push_back({code, off, track, detail});
  }

  uint32_t be32(size_t p) const {
    return (uint32_t)b_[p] << 24 | (uint32_t)b_[p + 1] << 16 | (uint32_t)b_[p + 2] << 8 | b_[p + 3];
  }
  uint32_t le32(size_t p) const {
    return (uint32_t)b_[p + 3] << 24 | (uint32_t)b_[p + 2] << 16 | (uint32_t)b_[p + 1] << 8 | b_[p];
  }
  uint16_t be16(size_t p) const { return (uint16_t)(b_[p] << 8 | b_[p + 1]); }
  bool tag(size_t p, const char* t) const { return p + 4 <= b_.size() && std::memcmp(&b_[p], t, 4) == 0; }

  void read() {
    if (b_.empty()) error("empty", 0, "the file is empty");
    size_t begin = 0, end = b_.size();
    // [doc:midi-container]
    if (tag(0, "RIFF") && tag(8, "RMID")) {  // RIFF MIDI: find the "data" sub-chunk
      size_t p = 12;
      bool found = false;
      while (p + 8 <= b_.size()) {
        uint32_t len = le32(p + 4);
        if (tag(p, "data")) {
          begin = p + 8;
          end = begin + std::min<size_t>(len, b_.size() - begin);
          if (len > b_.size() - begin) diag("truncated_chunk", p, -1, "RIFF data chunk is longer than the file");
          found = true;
          break;
        }
        if (len > b_.size() - p - 8) break;
        p += 8 + len + (len & 1);  // RIFF chunks are word-aligned
      }
      if (!found) error("not_midi", 12, "RIFF RMID file without a 'data' chunk");
      diag("riff_container", 0, -1, "RIFF RMID wrapper around the MIDI data");
    } else if (!tag(0, "MThd")) {
      size_t limit = std::min<size_t>(b_.size(), 128);
      size_t p = 1;
      while (p + 4 <= limit && !tag(p, "MThd")) ++p;
      if (p + 4 > limit) error("not_midi", 0, "no 'MThd' header: this is not a MIDI file");
      diag("junk_prefix", 0, -1, std::to_string(p) + " bytes before the MThd header were skipped");
      begin = p;
    }
    // [/doc]
    read_smf(begin, end);
  }

  void read_smf(size_t begin, size_t end) {
    if (end - begin < 14) error("truncated_header", begin, "the MThd header is cut short");
    uint32_t hlen = be32(begin + 4);
    if (hlen < 6) error("bad_header", begin + 4, "MThd length " + std::to_string(hlen) + " is below 6");
    if (hlen > 6) diag("header_length", begin + 4, -1, "MThd length " + std::to_string(hlen) + ", extra bytes skipped");
    int format = be16(begin + 8), ntracks = be16(begin + 10), division = be16(begin + 12);
    if (format > 2) {
      diag("unknown_format", begin + 8, -1, "format " + std::to_string(format) + " read as format 1");
      format = 1;
    }
    m_.format = format;
    if (division & 0x8000) {
      int fps = -(int)(int8_t)(division >> 8), tpf = division & 0xFF;
      if (fps != 24 && fps != 25 && fps != 29 && fps != 30)
        error("bad_division", begin + 12, "SMPTE rate " + std::to_string(fps) + " fps is not 24, 25, 29 or 30");
      if (tpf == 0) error("bad_division", begin + 12, "SMPTE division with 0 ticks per frame");
      m_.smpte = true;
      m_.smpte_fps = fps;
      m_.ticks_per_frame = tpf;
      m_.ticks_per_quarter = 0;
    } else {
      if (division == 0) error("bad_division", begin + 12, "division is 0 ticks per quarter note");
      m_.ticks_per_quarter = division;
    }
    size_t p = begin + 8 + std::min<size_t>(hlen, end - begin - 8);
    if (hlen > end - begin - 8) diag("truncated_chunk", begin + 4, -1, "MThd length runs past the end of the file");
    while (p + 8 <= end) {
      bool printable = true;
      for (int i = 0; i < 4; ++i) printable = printable && b_[p + i] >= 0x20 && b_[p + i] < 0x7F;
      if (!printable) break;  // not a chunk: trailing bytes
      uint32_t len = be32(p + 4);
      size_t body = p + 8, avail = end - body;
      size_t n = std::min<size_t>(len, avail);
      if (len > avail)
        diag("truncated_chunk", p + 4, (int)m_.tracks.size(),
             "chunk length " + std::to_string(len) + " runs past the end of the file");
      if (tag(p, "MTrk")) {
        if (m_.tracks.size() >= 1u << 20) error("too_many_tracks", p, "more than 1,048,576 tracks");
        read_track(body, body + n, (int)m_.tracks.size());
      } else {
        diag("unknown_chunk", p, -1, "skipped a '" + std::string((const char*)&b_[p], 4) + "' chunk");
      }
      p = body + n;
    }
    if (p < end) diag("trailing_bytes", p, -1, std::to_string(end - p) + " bytes after the last chunk were ignored");
    if ((int)m_.tracks.size() != ntracks)
      diag("track_count_mismatch", begin + 10, -1,
           "the header declares " + std::to_string(ntracks) + " tracks, the file holds " +
               std::to_string(m_.tracks.size()));
    if (m_.format == 0 && m_.tracks.size() > 1)
      diag("format0_multiple_tracks", begin + 8, -1, "format 0 with more than one track");
    if (m_.tracks.empty()) diag("no_tracks", begin, -1, "the file has no MTrk chunk");
  }

  // Reads a variable-length quantity (at most 4 bytes). Returns false at the end of the chunk.
  bool vlq(size_t& p, size_t end, uint32_t& out, int track) {
    // [exercise:5.2] read a variable-length quantity, refusing one over 4 bytes
    out = 0;
    for (int i = 0; i < 4; ++i) {
      if (p >= end) return false;
      uint8_t c = b_[p++];
      out = (out << 7) | (c & 0x7F);
      if (!(c & 0x80)) return true;
    }
    error("vlq_too_long", p - 4, "a variable-length number runs over 4 bytes (track " + std::to_string(track) + ")");
    // [/exercise]
  }

  void read_track(size_t p, size_t end, int ti) {
    m_.tracks.emplace_back();
    Track& tr = m_.tracks.back();
    int64_t tick = 0;
    uint8_t running = 0;
    bool after_sysex = false, eot = false, resync = false;
    while (p < end) {
      size_t at = p;
      uint32_t delta = 0;
      // After a dropped message we stand on a status byte with no delta before it.
      if (!resync && (!vlq(p, end, delta, ti) || p >= end)) {
        diag("truncated_event", at, ti, "the track ends inside an event");
        break;
      }
      resync = false;
      tick += delta;
      if (tick > opt_.max_ticks)
        error("tick_overflow", at, "absolute time passes " + std::to_string(opt_.max_ticks) + " ticks");
      if (total_events_++ > opt_.max_events) error("too_many_events", at, "more than the event limit");
      uint8_t st = b_[p];
      // [doc:running-status]
      if (st & 0x80) {
        ++p;
      } else {  // a data byte where a status byte should be: running status
        if (!running) {
          diag("no_running_status", p, ti, "a data byte with no previous channel status; rest of track skipped");
          break;
        }
        if (after_sysex) diag("running_status_after_sysex", p, ti, "running status continued across a SysEx (kept)");
        after_sysex = false;
        st = running;
      }
      // [/doc]
      Event e;
      e.tick = tick;
      e.status = st;
      if (st < 0xF0) {  // channel message: 1 or 2 data bytes
        int n = (st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 ? 1 : 2;
        if (end - p < (size_t)n) {
          diag("truncated_event", at, ti, "the track ends inside a channel message");
          break;
        }
        bool bad = false;
        for (int i = 0; i < n; ++i) {
          uint8_t d = b_[p + i];
          if (d > 0x7F) {
            if (opt_.clip_data_bytes) {
              diag("data_byte_clipped", p + i, ti, "data byte > 127 clamped");
              d = 0x7F;
            } else {
              bad = true;
              diag("bad_data_byte", p + i, ti, "status byte inside a channel message; message dropped");
              p += i;
              break;
            }
          }
          e.data.push_back(d);
        }
        if (bad) {
          running = 0;
          resync = true;
          continue;
        }  // resynchronise on the status byte we stopped at
        p += n;
        running = st;
        tr.events.push_back(std::move(e));
      } else if (st == 0xFF) {  // meta: type, length, data. Does NOT cancel running status.
        uint32_t len;
        if (p >= end) {
          diag("truncated_event", at, ti, "the track ends inside a meta event");
          break;
        }
        e.meta_type = b_[p++];
        if (!vlq(p, end, len, ti) || len > end - p) {
          diag("truncated_event", at, ti, "a meta event's length runs past its track");
          break;
        }
        e.data.assign(b_.begin() + p, b_.begin() + p + len);
        p += len;
        check_meta(e, at, ti);
        if (e.meta_type == kEndOfTrack) {
          eot = true;
          tr.events.push_back(std::move(e));
          if (p < end)
            diag("events_after_end_of_track", p, ti, std::to_string(end - p) + " bytes after End-of-Track ignored");
          break;
        }
        tr.events.push_back(std::move(e));
      } else if (st == 0xF0 || st == 0xF7) {  // SysEx packet: length, data (kept raw)
        uint32_t len;
        if (!vlq(p, end, len, ti) || len > end - p) {
          diag("truncated_event", at, ti, "a SysEx length runs past its track");
          break;
        }
        e.data.assign(b_.begin() + p, b_.begin() + p + len);
        p += len;
        after_sysex = running != 0;
        tr.events.push_back(std::move(e));
      } else if (st >= 0xF8) {  // real-time bytes are not legal in a file: skip one byte
        diag("illegal_realtime", at, ti, "system real-time status inside a track, skipped");
      } else {  // F1..F6 system common: skip the data bytes it implies
        int n = (st == 0xF1 || st == 0xF3) ? 1 : st == 0xF2 ? 2 : 0;
        diag("illegal_system_common", at, ti, "system common status inside a track, skipped");
        p = std::min(end, p + n);
      }
    }
    if (!eot) diag("missing_end_of_track", end, ti, "the track has no End-of-Track event");
  }

  // Typed checks of the meta events whose payload has a fixed shape.
  void check_meta(const Event& e, size_t at, int ti) {
    size_t n = e.data.size();
    auto bad = [&](const std::string& what) { diag("bad_meta", at, ti, what + " (kept raw)"); };
    switch (e.meta_type) {
      case kSetTempo:
        if (n != 3) bad("tempo with " + std::to_string(n) + " bytes instead of 3");
        else if (ti > 0 && m_.format == 1)
          diag("tempo_outside_track0", at, ti, "tempo event outside the first track (merged into the tempo map)");
        break;
      case kTimeSignature:
        if (n != 4 && n != 2) bad("time signature with " + std::to_string(n) + " bytes");
        break;
      case kKeySignature:
        if (n != 2 || (int8_t)e.data[0] < -7 || (int8_t)e.data[0] > 7 || e.data[1] > 1)
          bad("key signature out of range");
        break;
      case kSmpteOffset:
        if (n != 5) bad("SMPTE offset with " + std::to_string(n) + " bytes");
        break;
      case kEndOfTrack:
        if (n != 0) bad("End-of-Track with data");
        break;
      case kChannelPrefix:
        if (n != 1) bad("channel prefix with " + std::to_string(n) + " bytes");
        break;
      case kSequenceNumber:
        if (n != 0 && n != 2) bad("sequence number with " + std::to_string(n) + " bytes");
        break;
      case kMidiPort:
        if (n > 1) bad("MIDI port with " + std::to_string(n) + " bytes");
        break;
      default:
        break;
    }
  }

 private:
  const std::vector<uint8_t>& b_;
  const ReadOptions& opt_;
  MidiFile& m_;
  size_t total_events_ = 0;
};

}  // namespace

MidiFile read_midi(const std::vector<uint8_t>& bytes, const ReadOptions& opt) {
  MidiFile m;
  m.tracks.clear();
  Reader(bytes, opt, m).read();
  return m;
}

MidiFile read_midi_file(const std::string& path, const ReadOptions& opt) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw MidiError("cannot_open", 0, "'" + path + "' is a folder, not a MIDI file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MidiError("cannot_open", 0, "cannot open '" + path + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_midi(bytes, opt);
}

}  // namespace music
