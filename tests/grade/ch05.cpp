// Graded exercises of chapter 5 (docs/05-midi-and-piano-rolls.md): the bytes of a MIDI
// file, time through the tempo map, and a metric on piano rolls. The writer's test
// decodes with its own few lines, so it does not lean on the reader (exercise 5.2).
#include <algorithm>

#include "music/metrics.h"
#include "music/midi.h"
#include "tests/grade/grade.h"
#include "tests/midi_helpers.h"

using namespace music;
using testing::smf;

namespace {
Event ev(int64_t tick, uint8_t status, std::vector<uint8_t> data, uint8_t meta = 0) {
  Event e;
  e.tick = tick, e.status = status, e.data = std::move(data), e.meta_type = meta;
  return e;
}
// The delta times of a format-0 file's one track, read with a VLQ decoder of its own.
std::vector<uint32_t> deltas_of(const std::vector<uint8_t>& b) {
  std::vector<uint32_t> out;
  size_t p = 22;  // MThd (14 bytes), then "MTrk" and its length
  uint8_t running = 0;
  while (p < b.size()) {
    uint32_t d = 0;
    do d = d << 7 | (b[p] & 0x7F);
    while (b[p++] & 0x80);
    out.push_back(d);
    uint8_t s = b[p] & 0x80 ? b[p++] : running;
    if (s == 0xFF) {
      p += 1;
      uint32_t len = b[p++];  // meta lengths here are < 128
      p += len;
    } else {
      running = s;
      p += 2;  // note-on / note-off: two data bytes
    }
  }
  return out;
}
}  // namespace

GRADE("5.1", 2, 20, "write variable-length quantities") {
  MidiFile m;
  m.format = 0, m.ticks_per_quarter = 96;
  Track t;
  std::vector<int64_t> ticks = {0,
                                0x7F,
                                0x7F + 0x80,
                                0x7F + 0x80 + 0x3FFF,
                                0x7F + 0x80 + 0x3FFF + 0x4000,
                                0x7F + 0x80 + 0x3FFF + 0x4000 + 0x0FFFFFFF};
  for (size_t i = 0; i < ticks.size(); ++i) t.events.push_back(ev(ticks[i], i % 2 ? 0x80 : 0x90, {60, 64}));
  t.events.push_back(ev(ticks.back(), 0xFF, {}, kEndOfTrack));
  m.tracks.push_back(t);
  std::vector<uint8_t> bytes = write_midi(m);
  std::vector<uint32_t> d = deltas_of(bytes);
  REQUIRE(d.size() >= 6);
  CHECK(d[0] == 0);
  CHECK(d[1] == 0x7F);
  CHECK(d[2] == 0x80);
  CHECK(d[3] == 0x3FFF);
  CHECK(d[4] == 0x4000);
  CHECK(d[5] == 0x0FFFFFFF);
  std::vector<uint8_t> two = {0x81, 0x00}, four = {0xFF, 0xFF, 0xFF, 0x7F};
  CHECK(std::search(bytes.begin(), bytes.end(), two.begin(), two.end()) != bytes.end());    // 0x80 is 81 00
  CHECK(std::search(bytes.begin(), bytes.end(), four.begin(), four.end()) != bytes.end());  // the largest, 4 bytes
}

GRADE("5.2", 2, 20, "read variable-length quantities, refusing one of 5 bytes") {
  MidiFile m = read_midi(smf(0, 96, {"00 90 3c 40  7f 80 3c 00  81 00 90 3e 40  ff ff ff 7f 80 3e 00  00 ff 2f 00"}));
  REQUIRE(m.tracks.size() == 1);
  std::vector<int64_t> ticks;
  for (const Event& e : m.tracks[0].events) ticks.push_back(e.tick);
  CHECK(ticks == std::vector<int64_t>{0, 0x7F, 0xFF, 0xFF + 0x0FFFFFFF, 0xFF + 0x0FFFFFFF});
  try {
    read_midi(smf(0, 96, {"ff ff ff ff 7f 90 3c 40"}));
    FAIL("a 5-byte delta was accepted");
  } catch (const MidiError& e) { CHECK(e.code == "vlq_too_long"); }
}

GRADE("5.3", 2, 25, "ticks to seconds through a tempo map, tempo on any track") {
  MidiFile m;
  m.format = 1, m.ticks_per_quarter = 480;
  Track t0, t1;
  t0.events.push_back(ev(0, 0xFF, {0x07, 0xA1, 0x20}, kSetTempo));     // 500000 us a quarter: 120 bpm
  t1.events.push_back(ev(960, 0xFF, {0x0F, 0x42, 0x40}, kSetTempo));   // 1000000: 60 bpm, on track 1
  t0.events.push_back(ev(1920, 0xFF, {0x03, 0xD0, 0x90}, kSetTempo));  // 250000: 240 bpm
  m.tracks = {t0, t1};
  TempoMap map(m);
  CHECK(map.seconds(0) == 0);
  CHECK(map.seconds(480) == doctest::Approx(0.5));
  CHECK(map.seconds(960) == doctest::Approx(1.0));
  CHECK(map.seconds(1440) == doctest::Approx(2.0));
  CHECK(map.seconds(1920) == doctest::Approx(3.0));
  CHECK(map.seconds(2400) == doctest::Approx(3.25));
  CHECK(map.seconds(1920 + 480 * 1000000LL) == doctest::Approx(3.0 + 0.25 * 1000000));  // exact over long files
}

GRADE("5.4", 2, 20, "the in-scale ratio and the key it found") {
  auto roll_of = [](std::vector<int> pitches) {
    PianoRoll r;
    r.steps = (int64_t)pitches.size();
    r.data.assign((size_t)r.steps * r.keys(), 0);
    for (size_t t = 0; t < pitches.size(); ++t) r.data[t * r.keys() + (pitches[t] - r.lowest)] = 1;
    return r;
  };
  std::string key;
  CHECK(in_scale_ratio(roll_of({62, 64, 66, 67, 69, 71, 73, 74}), &key) == doctest::Approx(1.0));
  CHECK(key == "D major");
  CHECK(in_scale_ratio(roll_of({60, 62, 64, 65, 67, 69, 71, 61}), &key) == doctest::Approx(7.0 / 8));
  CHECK(key == "C major");
  CHECK(in_scale_ratio(roll_of({62, 64, 65, 67, 69, 70, 72, 74}), &key) == doctest::Approx(1.0));
  CHECK(key == "D minor");  // the B flat rules out C major (7 of 8), which comes first
  std::vector<int> chromatic;
  for (int p = 60; p < 72; ++p) chromatic.push_back(p);
  CHECK(in_scale_ratio(roll_of(chromatic), nullptr) == doctest::Approx(7.0 / 12));
}
