// Chapter 5 tests: piano rolls, the seed demo's note-state format (golden
// values from ../shared/notes/seed-rbm-demo.md), melody and event encodings.
// docs/05-midi-and-piano-rolls.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <dirent.h>

#include "music/pianoroll.h"
#include "music/seed_compat.h"
#include "tests/helpers.h"
#include "tests/midi_helpers.h"
#include "tests/sha256.h"

using namespace music;
using testing::hex;
using testing::smf;

namespace {
std::vector<std::string> pop_files(const std::string& root) {
  std::vector<std::string> names;
  if (DIR* d = opendir((root + "/midi/music_generator_demo_pop").c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.substr(n.size() - 5) == ".midi") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());  // byte-wise order, as the golden checksum specifies
  return names;
}
int64_t bits(const std::vector<seed::Row>& rows, int from, int to) {
  int64_t n = 0;
  for (auto& r : rows)
    for (int i = from; i < to; ++i) n += r[i];
  return n;
}
}  // namespace

TEST_SUITE("ch05-midi") {
  TEST_CASE("seed reader: the golden numbers of the 126 pop files, and the SHA-256 of every row") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      testing::skip_or_fail("../shared/data (the seed demo's pop MIDI files)");
      return;
    }
    std::vector<std::string> names = pop_files(root);
    REQUIRE(names.size() == 126);
    testing::Sha256 sha;
    int64_t rows = 0, play = 0, artic = 0, kept = 0, kept_rows = 0, examples = 0;
    int bails = 0;
    for (const std::string& n : names) {
      auto m = seed::note_state_matrix(read_midi_file(root + "/midi/music_generator_demo_pop/" + n));
      for (auto& r : m) sha.update(r);
      rows += (int64_t)m.size();
      play += bits(m, 0, 78);
      artic += bits(m, 78, 156);
      bails += m.size() == 1;
      if (m.size() > 50) ++kept, kept_rows += (int64_t)m.size(), examples += (int64_t)m.size() / 15;
      if (n == "All The Small Things - Chorus.midi")
        CHECK((m.size() == 257 && bits(m, 0, 78) == 1024 && bits(m, 78, 156) == 256));
      if (n == "All The Small Things - Verse.midi")
        CHECK((m.size() == 385 && bits(m, 0, 78) == 1584 && bits(m, 78, 156) == 414));
      if (n == "Around The World - Chorus.midi")
        CHECK((m.size() == 129 && bits(m, 0, 78) == 632 && bits(m, 78, 156) == 176));
      if (n == "Hot N Cold - Chorus.midi")
        CHECK((m.size() == 257 && bits(m, 0, 78) == 1106 && bits(m, 78, 156) == 313));
      if (n == "Piano Man - Verse.midi") CHECK((m.size() == 1 && bits(m, 0, 156) == 0));
    }
    CHECK(rows == 20264);
    CHECK(play == 85875);
    CHECK(artic == 20272);
    CHECK(bails == 4);
    CHECK(kept == 122);
    CHECK(kept_rows == 20260);
    CHECK(examples == 1291);
    CHECK(sha.hex() == "3be5cb682183473efbc21d420111d31571ef358ef95d2170fbe8b874b819cc40");
  }

  TEST_CASE("seed reader edge cases: lost and re-struck notes, the 220 grid, 3/4 bail, range, velocity 0") {
    // division 128: q = 32, half = 16. Row 0 collects ticks [0, 16), row k: [16 + 32(k-1), 16 + 32k).
    auto rows = seed::note_state_matrix(read_midi(
        smf(1, 128,
            {"00 90 3c 40  04 80 3c 00"                 // C4 on and off inside row 0: lost
             "  10 90 3e 40  20 90 3e 00  04 90 3e 40"  // D4 on (row 1), off then on again in row 2: a re-strike
             "  00 90 17 40  00 90 66 40"               // pitches 23 and 102: outside [24, 102), ignored
             "  40 ff 2f 00"})));
    CHECK(rows[0][60 - 24] == 0);
    CHECK(rows[1][62 - 24] == 1);
    CHECK(rows[1][78 + 62 - 24] == 1);
    CHECK(rows[2][62 - 24] == 1);
    CHECK(rows[2][78 + 62 - 24] == 1);  // re-struck inside the window
    CHECK(rows[3][78 + 62 - 24] == 0);  // held: articulation cleared
    // A 3/4 time signature stops the whole file, even mid-way.
    auto bail = seed::note_state_matrix(
        read_midi(smf(1, 128, {"00 90 3c 40  60 ff 58 04 03 02 18 08  60 80 3c 00  00 ff 2f 00"})));
    CHECK(bail.size() == 4);  // rows at ticks 0, 16, 48, 80; the bail happens at tick 96
    // 2/2 does not bail.
    CHECK(seed::note_state_matrix(read_midi(smf(1, 128, {"00 ff 58 04 02 01 18 08  83 00 ff 2f 00"}))).size() > 4);
    // Division 220 (the writer's): q = 55, half = 27.
    auto r220 = seed::note_state_matrix(read_midi(smf(1, 220, {"00 90 3c 40  37 80 3c 00  00 ff 2f 00"})));
    CHECK(r220.size() == 2);
    CHECK(r220[0][60 - 24] == 1);
    CHECK(r220[1][60 - 24] == 0);
    CHECK_THROWS_AS(seed::note_state_matrix(read_midi(smf(1, 4, {"00 ff 2f 00"}))), MidiError);
  }

  TEST_CASE("seed writer: exact bytes, and read -> write is byte-identical") {
    std::vector<seed::Row> rows(3, seed::Row(156, 0));
    rows[0][60 - 24] = rows[0][78 + 60 - 24] = 1;  // C4 struck
    rows[1][60 - 24] = 1;                          // held
    rows[2][60 - 24] = rows[2][78 + 60 - 24] = 1;  // re-struck
    rows[2][64 - 24] = rows[2][78 + 64 - 24] = 1;  // E4 struck
    std::vector<uint8_t> want =
        hex("4d 54 68 64 00 00 00 06 00 01 00 01 00 dc  4d 54 72 6b 00 00 00 13"
            "  00 90 3c 28"            // row 0: note-on C4 vel 40
            "  6e 80 3c 00"            // row 2 (110 ticks later): release C4 for the re-strike
            "  00 90 3c 28  00 40 28"  // re-strike C4, strike E4 (running status)
            "  01 ff 2f 00");          // End-of-Track after 1 tick; nothing is released
    CHECK(seed::note_state_to_midi_bytes(rows) == want);
    std::string root = testing::shared_data();
    if (root.empty()) return;
    auto song =
        seed::note_state_matrix(read_midi_file(root + "/midi/music_generator_demo_pop/Hot N Cold - Chorus.midi"));
    std::vector<uint8_t> once = seed::note_state_to_midi_bytes(song);
    std::vector<uint8_t> twice = seed::note_state_to_midi_bytes(seed::note_state_matrix(read_midi(once)));
    CHECK(once == twice);
  }

  TEST_CASE("piano roll: grid, onsets, drums, range; decoding gives the notes back") {
    // 96 tpq, 4 steps per quarter = 24 ticks a step. C4 for a quarter, E4 twice (re-struck), a drum hit.
    MidiFile m = read_midi(smf(0, 96,
                               {"00 90 3c 64  00 90 40 50  30 80 40 00  00 90 40 50  30 80 3c 00  00 80 40 00"
                                "  00 99 24 64  18 89 24 00  00 ff 2f 00"}));
    PianoRoll r = to_piano_roll(m);
    CHECK(r.steps == 4);  // the drum hit (steps 4..5) is left out by default
    CHECK(r.keys() == 88);
    CHECK(r.at(0, 60) == 1);
    CHECK(r.at(3, 60) == 1);
    CHECK(r.onset[2 * 88 + (64 - 21)] == 1);  // E4 struck again at step 2
    RollOptions with_drums;
    with_drums.include_drums = true;
    PianoRoll drums = to_piano_roll(m, with_drums);
    CHECK(drums.steps == 5);
    CHECK(drums.at(4, 36) == 1);
    RollOptions vel;
    vel.velocity = true;
    CHECK(to_piano_roll(m, vel).at(0, 60) == doctest::Approx(100 / 127.0));
    MidiFile back = from_piano_roll(r);
    auto notes = extract_notes(back);
    REQUIRE(notes.size() == 3);
    CHECK(notes[0].pitch == 60);
    CHECK(notes[0].end_s == doctest::Approx(0.5));
    PianoRoll again = to_piano_roll(back);
    CHECK(again.data == r.data);
    CHECK(again.onset == r.onset);
    MidiFile vback = from_piano_roll(to_piano_roll(m, vel));
    CHECK(extract_notes(vback)[0].velocity == 100);
  }

  TEST_CASE("improved note-state matrix decodes to a file that closes every note") {
    MidiFile m = read_midi(
        smf(0, 96,
            {"00 90 3c 64  30 80 3c 00  00 90 3c 64  30 80 3c 00  00 ff 58 04 03 02 18 08  00 90 43 40  60 ff 2f 00"}));
    auto rows = note_state_matrix(m);
    CHECK(rows.size() == 8);  // no bail on 3/4; the open G4 is closed at the track end
    CHECK(rows[2][60 - 24] == 1);
    CHECK(rows[2][78 + 60 - 24] == 1);
    MidiFile back = note_state_to_midi(rows);
    NoteStats st;
    auto notes = extract_notes(back, NotePairing::Fifo, &st);
    CHECK(notes.size() == 3);
    CHECK(st.closed_at_track_end == 0);
    CHECK(note_state_matrix(back) == rows);
  }

  TEST_CASE("melody tokens and performance events round-trip") {
    MidiFile m = read_midi(
        smf(0, 96, {"00 90 3c 64  30 80 3c 00  18 90 3e 64  18 80 3e 00  00 90 3e 64  18 80 3e 00  00 ff 2f 00"}));
    std::vector<int> mel = melody_tokens(m);
    CHECK(mel == std::vector<int>{60, kMelodyHold, kMelodyRest, 62, 62});
    CHECK(melody_tokens(melody_to_midi(mel)) == mel);
    std::vector<int> ev = performance_events(m);
    CHECK(event_token_name(ev[0]).rfind("VELOCITY", 0) == 0);
    CHECK(event_token_name(ev[1]) == "NOTE_ON(C4)");
    auto a = extract_notes(m), b = extract_notes(events_to_midi(ev));
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].pitch == b[i].pitch);
      CHECK(std::fabs(a[i].start_s - b[i].start_s) < 0.011);
      CHECK(std::fabs(a[i].end_s - b[i].end_s) < 0.011);
    }
    CHECK_THROWS_AS(melody_to_midi({500}), MidiError);
    CHECK_THROWS_AS(events_to_midi({-1}), MidiError);
  }

}  // TEST_SUITE
