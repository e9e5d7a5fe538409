// midi_write.cpp: the canonical Standard MIDI File writer (see midi.h).
//
// Canonical means: one way to write any content, so write(read(write(x))) is
// byte-identical to write(x). Events are sorted by tick, note-offs before
// note-ons on the same tick (so a re-struck note is released before it sounds
// again), otherwise in their original order; a note-on with velocity 0 is
// written as a note-off; notes still sounding at the end of a track are closed
// there; each track ends with exactly one End-of-Track.
// Chapter: docs/05-midi-and-piano-rolls.md.
#include <algorithm>
#include <map>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include "music/midi.h"

namespace music {

static void put_vlq(std::vector<uint8_t>& out, uint64_t v) {
  if (v > 0x0FFFFFFF) throw MidiError("delta_too_large", 0, "a delta time above 0x0FFFFFFF ticks cannot be written");
  // [exercise:5.1] write a variable-length quantity (7 bits a byte, high bit = more)
  uint8_t buf[4];
  int n = 0;
  do {
    buf[n++] = v & 0x7F;
    v >>= 7;
  } while (v);
  while (n--) out.push_back(buf[n] | (n ? 0x80 : 0));
  // [/exercise]
}
static void put_be(std::vector<uint8_t>& out, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back((v >> (8 * i)) & 0xFF);
}

// [doc:midi-write-order]
// Same-tick order: note-offs first, then everything else in its original order.
static std::vector<Event> canonical_order(const Track& t, int64_t& end_tick) {
  std::vector<Event> ev;
  end_tick = 0;
  for (const Event& e : t.events) {
    end_tick = std::max(end_tick, e.tick);
    if (e.is_meta() && e.meta_type == kEndOfTrack) continue;  // rewritten once, at the end
    ev.push_back(e);
    if (ev.back().is_note_off()) ev.back().status = 0x80 | e.channel();  // velocity-0 note-on -> note-off
  }
  auto order = [](const Event& a, const Event& b) {
    if (a.tick != b.tick) return a.tick < b.tick;
    return a.is_note_off() && !b.is_note_off();
  };
  std::stable_sort(ev.begin(), ev.end(), order);
  // Every note closed: notes still sounding at the end get a note-off at the
  // track's end (one tick later for a note struck on that very tick, so the
  // note-off cannot sort before its own note-on).
  std::map<int, std::vector<int64_t>> open;  // channel * 128 + pitch -> start ticks of sounding notes
  for (const Event& e : ev) {
    int key = e.is_channel() && e.data.size() == 2 ? e.channel() * 128 + e.data[0] : -1;
    if (e.is_note_on()) open[key].push_back(e.tick);
    else if (e.is_note_off() && !open[key].empty()) open[key].erase(open[key].begin());
  }
  for (auto& [key, starts] : open)
    for (int64_t start : starts) {
      int64_t at = start < end_tick ? end_tick : end_tick + 1;
      ev.push_back({at, (uint8_t)(0x80 | (key / 128)), 0, {(uint8_t)(key % 128), 0}});
      end_tick = std::max(end_tick, at);
    }
  std::stable_sort(ev.begin(), ev.end(), order);  // the added note-offs take their canonical place
  return ev;
}
// [/doc]

std::vector<uint8_t> write_midi(const MidiFile& m, const WriteOptions& opt) {
  if (m.format < 0 || m.format > 2) throw MidiError("bad_format", 0, "format must be 0, 1 or 2");
  if (m.format == 0 && m.tracks.size() != 1) throw MidiError("bad_format", 0, "format 0 needs exactly one track");
  if (m.tracks.size() > 65535) throw MidiError("too_many_tracks", 0, "an SMF holds at most 65535 tracks");
  std::vector<uint8_t> out = {'M', 'T', 'h', 'd', 0, 0, 0, 6};
  put_be(out, (uint32_t)m.format, 2);
  put_be(out, (uint32_t)m.tracks.size(), 2);
  if (m.smpte) {
    out.push_back((uint8_t)(int8_t)(-m.smpte_fps));
    out.push_back((uint8_t)m.ticks_per_frame);
  } else {
    if (m.ticks_per_quarter <= 0 || m.ticks_per_quarter > 0x7FFF)
      throw MidiError("bad_division", 0, "ticks_per_quarter must be in 1..32767");
    put_be(out, (uint32_t)m.ticks_per_quarter, 2);
  }
  for (const Track& t : m.tracks) {
    int64_t end_tick;
    std::vector<Event> ev = canonical_order(t, end_tick);
    std::vector<uint8_t> body;
    int64_t last = 0;
    uint8_t running = 0;
    for (const Event& e : ev) {
      if (e.tick < 0) throw MidiError("negative_tick", 0, "an event has a negative tick");
      put_vlq(body, (uint64_t)(e.tick - last));
      last = e.tick;
      if (e.is_channel()) {
        size_t need = e.type() == 0xC0 || e.type() == 0xD0 ? 1 : 2;
        if (e.data.size() != need)
          throw MidiError("bad_event", 0, "a channel message has the wrong number of data bytes");
        if (!(opt.running_status && e.status == running)) body.push_back(e.status);
        running = e.status;
        for (uint8_t d : e.data) body.push_back(d & 0x7F);
      } else if (e.is_meta()) {
        body.push_back(0xFF);
        body.push_back(e.meta_type);
        put_vlq(body, e.data.size());
        body.insert(body.end(), e.data.begin(), e.data.end());
        running = 0;
      } else if (e.is_sysex()) {
        body.push_back(e.status);
        put_vlq(body, e.data.size());
        body.insert(body.end(), e.data.begin(), e.data.end());
        running = 0;
      } else {
        throw MidiError("bad_event", 0, "an event with status " + std::to_string(e.status) + " cannot be written");
      }
    }
    put_vlq(body, (uint64_t)(end_tick - last));
    body.insert(body.end(), {0xFF, kEndOfTrack, 0x00});
    out.insert(out.end(), {'M', 'T', 'r', 'k'});
    put_be(out, (uint32_t)body.size(), 4);
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

void write_midi_file(const std::string& path, const MidiFile& m, const WriteOptions& opt) {
  std::vector<uint8_t> bytes = write_midi(m, opt);
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw MidiError("cannot_write", 0, "cannot create '" + tmp + "': " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw MidiError("cannot_write", 0, "could not write '" + path + "'");
  }
}

}  // namespace music
