// Chapter 5 tests: the score notation and the bundled corpus.
// docs/05-midi-and-piano-rolls.md ("The bundled corpus").
#include <doctest/doctest.h>

#include "music/corpus.h"
#include "music/pianoroll.h"
#include "tests/helpers.h"

#include <cstdlib>

#include <unistd.h>

using namespace music;

namespace {
std::string score_error(const std::string& text) {
  try {
    parse_score(text, "t");
  } catch (const ScoreError& e) { return e.what(); }
  return "";
}
}  // namespace

TEST_SUITE("ch05-midi") {
  TEST_CASE("score notation: notes, durations, rests, pickups, chords") {
    Score s = parse_score(
        "title: T\nmeter: 3/4\npickup: 1\nmelody: G4 | C5h. | D5e Eb5e F#5 rq | C5h |\nchords: G7 | C | Dm7/C | C |\n",
        "t");
    REQUIRE(s.melody.size() == 7);
    CHECK(s.melody[0].pitch == 67);
    CHECK(s.melody[1].sixteenths == 12);
    CHECK(s.melody[3].pitch == 75);  // Eb5
    CHECK(s.melody[4].pitch == 78);  // F#5
    CHECK(s.melody[5].pitch == -1);  // rest
    CHECK(s.bars == 4);
    REQUIRE(s.chords.size() == 4);
    CHECK(s.chords[0].pitch_classes == std::vector<int>{7, 11, 2, 5});
    CHECK(s.chords[2].bass == 0);   // Dm7/C: C in the bass
    CHECK(s.chords[1].start == 4);  // after the one-beat pickup
    MidiFile m = score_to_midi(s);
    CHECK(m.tracks.size() == 3);
    auto notes = extract_notes(m);
    CHECK(notes.size() > 7);
    CHECK(TempoMap(m).qpm_at(0) == doctest::Approx(100));
  }

  TEST_CASE("score notation: mistakes are reported with the line and bar") {
    CHECK(score_error("title: T\nmelody: C4w | C4 D4 E4 |\n").empty());  // a short last bar is allowed
    std::string e = score_error("title: T\nmelody: C4 D4 E4 | F4 |\n");
    CHECK(e.find("line 2: bar 1 holds 12 sixteenths but the meter 4/4 needs 16") != std::string::npos);
    CHECK(score_error("title: T\nmelody: C4w | X4 |\n").find("cannot read 'X4'") != std::string::npos);
    CHECK(score_error("title: T\nmelody: C4w\nchords: Cxyz\n").find("unknown chord quality") != std::string::npos);
    CHECK(score_error("title: T\nmelody: C4w | C4w\nchords: C\n").find("1 chord bars for 2 melody bars") !=
          std::string::npos);
    CHECK(score_error("title: T\nmelody: C4z\n").find("bad duration") != std::string::npos);
    CHECK(score_error("title: T\nmelody: C\n").find("has no octave") != std::string::npos);
    CHECK(score_error("melody: C4w\n").find("missing 'title:'") != std::string::npos);
    CHECK(score_error("title: T\nmeter: 5/5\nmelody: C4w\n").find("bad meter") != std::string::npos);
    CHECK(score_error("title: T\nstyle: polka\nmelody: C4w\n").find("unknown style") != std::string::npos);
    CHECK_THROWS_AS(read_score_file("no/such/file.tune"), ScoreError);
    // Found by make fuzz: a NUL byte where a chord's letter goes threw std::out_of_range (map::at).
    CHECK(score_error(std::string("title: T\nmelody: C4w\nchords: \0m\n", 32)).find("bad chord") != std::string::npos);
    CHECK(score_error("title: T\nmelody: C4w\nchords: C/Ex\n").find("bad bass note") != std::string::npos);
    // Found by make fuzz: a huge pickup overflowed int arithmetic (UBSan); a pickup is shorter than a bar.
    CHECK(score_error("title: T\npickup: 888888888888880\nmelody: C4w\n").find("whole number") != std::string::npos);
    CHECK(score_error("title: T\npickup: 4\nmelody: C4w\n").find("not shorter than a bar") != std::string::npos);
    CHECK(score_error("title: T\ntempo: fast\nmelody: C4w\n").find("tempo must be a whole number") !=
          std::string::npos);
  }

  TEST_CASE("the bundled corpus: at least 40 tunes, each with melody and accompaniment, each a playable roll") {
    std::vector<Score> tunes = load_corpus("music/corpus");
    CHECK(tunes.size() >= 40);
    for (const Score& s : tunes) {
      INFO(s.name);
      CHECK(!s.title.empty());
      CHECK(!s.composer.empty());
      CHECK(s.source == "public domain");
      CHECK(!s.chords.empty());
      MidiFile m = score_to_midi(s);
      std::vector<uint8_t> bytes = write_midi(m);
      MidiFile back = read_midi(bytes);
      CHECK(back.diagnostics.empty());
      int melody = 0, accompaniment = 0;
      for (const Note& n : extract_notes(back)) (n.track == 1 ? melody : accompaniment) += n.track == 1 || n.track == 2;
      CHECK(melody > 8);
      CHECK(accompaniment > 4);
      PianoRoll r = to_piano_roll(back);
      CHECK(r.steps >= 16);
    }
  }

  TEST_CASE("the corpus is found from any working folder, beside the program") {
    char here[4096];
    REQUIRE(::getcwd(here, sizeof here));
    REQUIRE(::chdir("/") == 0);  // far from the repository
    std::string dir;
    try {
      dir = corpus_dir();
    } catch (const ScoreError&) {}
    REQUIRE(::chdir(here) == 0);
    if (std::getenv("CADENZA_CORPUS")) return;  // the variable wins, as documented
    CHECK(dir.size() > 13);
    CHECK(dir.substr(dir.size() - 13) == "/music/corpus");
  }

}  // TEST_SUITE
