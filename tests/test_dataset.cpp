// Chapter 5 tests: datasets and metrics, including the JSB Chorales Note 1-Gram
// baseline of the polyphonic benchmark (11.06 nats per step).
// docs/05-midi-and-piano-rolls.md ("Datasets", "Measuring music").
#include <doctest/doctest.h>

#include <cmath>

#include "music/dataset.h"
#include "music/metrics.h"
#include "tests/helpers.h"
#include "tests/midi_helpers.h"

using namespace music;

namespace {
// A roll over the 88 piano keys from a list of steps of pitches.
PianoRoll roll(const std::vector<std::vector<int>>& steps) {
  std::string text;
  for (auto& s : steps) {
    if (s.empty()) text += "-\n";
    else {
      for (size_t i = 0; i < s.size(); ++i) text += (i ? " " : "") + std::to_string(s[i]);
      text += "\n";
    }
  }
  return parse_polyphonic(text, "test")[0];
}
}  // namespace

TEST_SUITE("ch05-midi") {
  TEST_CASE("the polyphonic text format: pieces, silent steps, and errors with line numbers") {
    auto pieces = parse_polyphonic("60 64 67\n-\n===\n72\n", "t");
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0].steps == 2);
    CHECK(pieces[0].at(0, 64) == 1);
    CHECK(pieces[0].at(1, 64) == 0);
    CHECK(pieces[1].at(0, 72) == 1);
    auto err = [](const std::string& text) {
      try {
        parse_polyphonic(text, "t");
      } catch (const MidiError& e) { return std::string(e.what()); }
      return std::string();
    };
    CHECK(err("60 20\n").find("line 1") != std::string::npos);
    CHECK(err("64 60\n").find("ascending") != std::string::npos);
    CHECK(err("60\n===\n===\n").find("line 3: an empty piece") != std::string::npos);
    CHECK(err("60\n\n").find("line 2: empty line") != std::string::npos);
  }

  TEST_CASE("JSB Chorales: split sizes, and the published Note 1-Gram baseline of 11.06 nats per step") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      testing::skip_or_fail("../shared/data (the polyphonic benchmark)");
      return;
    }
    auto train = read_polyphonic(root + "/jsb_chorales/train.txt");
    auto test = read_polyphonic(root + "/jsb_chorales/test.txt");
    CHECK(train.size() == 229);
    CHECK(test.size() == 77);
    int64_t steps = 0;
    for (auto& r : test) steps += r.steps;
    CHECK(steps == 4725);
    // Note 1-Gram: independent per-key Bernoulli from train counts, add-0.5 smoothing, every test step.
    std::vector<float> p = note_unigram(train, 0.5);
    FrameScorer unigram, uniform, copy_previous;
    for (const PianoRoll& r : test) {
      std::vector<float> probs, half((size_t)r.steps * 88, 0.5f), prev((size_t)r.steps * 88, 0.0f);
      for (int64_t t = 0; t < r.steps; ++t) probs.insert(probs.end(), p.begin(), p.end());
      for (int64_t t = 1; t < r.steps; ++t)
        for (int k = 0; k < 88; ++k) prev[(size_t)(t * 88 + k)] = r.data[(size_t)((t - 1) * 88 + k)];
      unigram.add(probs, r);
      uniform.add(half, r);
      copy_previous.add(prev, r, /*first_step=*/1);  // the first step has no previous frame
    }
    CHECK(unigram.result().steps == 4725);
    CHECK(unigram.result().nll == doctest::Approx(11.06).epsilon(0.0005));
    CHECK(uniform.result().nll == doctest::Approx(88 * std::log(2.0)).epsilon(1e-6));
    CHECK(copy_previous.result().accuracy == doctest::Approx(0.2220).epsilon(0.001));
    MESSAGE("JSB test: Note 1-Gram " << unigram.result().nll << " nats/step (published 11.06)");
  }

  TEST_CASE("a folder of MIDI files: read recursively, unreadable files skipped with reasons") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      testing::skip_or_fail("../shared/data (the MIDI corpus)");
      return;
    }
    MidiFolder f = load_midi_folder(root + "/midi/jazzsoft_test_midi_files");
    CHECK(f.items.size() >= 60);
    CHECK(f.skipped.size() == 2);
    CHECK(f.summary().find("test-empty-file.mid: byte 0: the file is empty [empty]") != std::string::npos);
    CHECK_THROWS_AS(load_midi_folder(root + "/no-such-folder"), MidiError);
    CHECK(load_midi_folder(root + "/midi").items.size() > 1500);  // subfolders too
  }

  TEST_CASE("splits, transposition, windows and batches are deterministic") {
    Split s = split_indices(10, 0.6, 0.2, 7);
    CHECK(s.train.size() == 6);
    CHECK(s.valid.size() == 2);
    CHECK(s.test.size() == 2);
    CHECK(split_indices(10, 0.6, 0.2, 7).train == s.train);
    CHECK(split_indices(10, 0.6, 0.2, 8).train != s.train);
    PianoRoll r = roll({{60, 64}, {}, {108}});
    int64_t dropped = 0;
    PianoRoll up = transpose(r, 2, &dropped);
    CHECK(up.at(0, 62) == 1);
    CHECK(up.at(0, 66) == 1);
    CHECK(dropped == 1);  // 108 + 2 is off the keyboard
    // The room to move: 60..108 on a 21..108 keyboard can go 39 down and nowhere up.
    CHECK(transpose_room(r, 5) == std::pair<int, int>{5, 0});
    CHECK(transpose_room(r, 50) == std::pair<int, int>{39, 0});
    CHECK(transpose_room(roll({{22}, {100}}), 6) == std::pair<int, int>{1, 6});
    CHECK(transpose_room(roll({{}, {}}), 6) == std::pair<int, int>{0, 0});  // silence goes nowhere
    for (int s2 : {-1, 6}) {
      int64_t lost = -1;
      transpose(roll({{22}, {100}}), s2, &lost);
      CHECK(lost == 0);  // every shift inside the room keeps every note
    }
    CHECK(windows(roll({{60}, {61}, {62}, {63}, {64}}), 2, 2).size() == 2);
    CHECK(windows(roll({{60}, {61}, {62}, {63}, {64}}), 2, 1)[3].at(1, 64) == 1);
    auto b = batches(10, 4, true, 3);
    CHECK(b.size() == 3);
    CHECK(b[2].size() == 2);
    CHECK(batches(10, 4, true, 3) == b);
    CHECK(batches(10, 4, false, 3)[0] == std::vector<size_t>{0, 1, 2, 3});
  }

  TEST_CASE("metrics on hand-made rolls") {
    PianoRoll c_major = roll({{60}, {62}, {64}, {65}, {67}, {69}, {71}, {72}});
    std::string key;
    CHECK(in_scale_ratio(c_major, &key) == doctest::Approx(1.0));
    CHECK((key == "C major" || key == "A minor"));
    PianoRoll chromatic = roll({{60}, {61}, {62}, {63}, {64}, {65}, {66}, {67}, {68}, {69}, {70}, {71}});
    CHECK(in_scale_ratio(chromatic) == doctest::Approx(7.0 / 12));
    PianoRoll chords = roll({{60, 64, 67}, {}, {62, 65}, {}});
    CHECK(polyphony(chords) == doctest::Approx(2.5));
    CHECK(pitch_range(chords) == 7);
    CHECK(pitch_class_histogram(chords)[0] == doctest::Approx(0.2));
    CHECK(empty_bar_rate(roll({{60}, {60}, {}, {}, {62}, {}}), 2) == doctest::Approx(1.0 / 3));
    PianoRoll cmaj = roll({{60, 64, 67}, {60, 64, 67}}), fsharp = roll({{66, 70, 73}, {66, 70, 73}});
    CHECK(tonal_distance(cmaj, cmaj) == doctest::Approx(0));
    CHECK(tonal_distance(cmaj, fsharp) > 1.0);
    CHECK(longest_copied_run(roll({{60}, {62}, {64}, {65}, {1 + 60}}), {roll({{50}, {60}, {62}, {64}, {70}})}) == 3);
    MidiFile m = read_midi(testing::smf(0, 96, {"00 90 3c 40  06 80 3c 00  00 90 3e 40  60 80 3e 00  00 ff 2f 00"}));
    CHECK(qualified_note_rate(m) == doctest::Approx(0.5));  // a 64th note and a quarter
  }

  TEST_CASE("the shared report's metrics: QN on a grid, UPC per bar, and a blip-strewn roll caught") {
    // Notes are runs of sounding steps: 60 for 2 steps, 62 for 1, 64 for 3.
    PianoRoll r = roll({{60}, {60}, {62}, {}, {64}, {64}, {64}});
    int64_t notes = 0;
    CHECK(qualified_note_rate(r, 2, &notes) == doctest::Approx(2.0 / 3));
    CHECK(notes == 3);
    // An onset splits a run: 60 struck again at step 1 is two one-step notes.
    r.onset.assign(r.data.size(), 0);
    r.onset[(size_t)0 * r.keys() + (60 - r.lowest)] = 1;
    r.onset[(size_t)1 * r.keys() + (60 - r.lowest)] = 1;
    CHECK(qualified_note_rate(r, 2, &notes) == doctest::Approx(1.0 / 4));
    CHECK(notes == 4);
    // Bars of 2: {C, E, G} then {C#} then an empty bar; the fourth, partial bar is not counted.
    PianoRoll bars = roll({{60, 64}, {67}, {61}, {}, {}, {}, {62, 65, 69}});
    CHECK(used_pitch_classes_per_bar(bars, 2) == doctest::Approx(2.0));
    CHECK_THROWS_AS(used_pitch_classes_per_bar(bars, 0), MidiError);
    // The checker must tell music from noise: held chords against the same chords strewn
    // with one-step blips (what an unconverged Gibbs chain plays).
    std::vector<std::vector<int>> held, blips;
    for (int t = 0; t < 32; ++t) {
      held.push_back({60, 64, 67});
      blips.push_back({60, 64, 67});
      if (t % 2) blips.back().push_back(70 + (t * 5) % 11);
    }
    PianoRoll h = roll(held), b = roll(blips);
    CHECK(qualified_note_rate(h, 2) == doctest::Approx(1.0));
    CHECK(qualified_note_rate(b, 2) < 0.2);
    CHECK(used_pitch_classes_per_bar(h, 16) == doctest::Approx(3.0));
    CHECK(used_pitch_classes_per_bar(b, 16) > 8.0);
    // From a MIDI file, on a grid of sixteenths: a quarter C (4 steps) and a sixteenth D (1 step).
    MidiFile m = read_midi(testing::smf(0, 96, {"00 90 3c 40  60 80 3c 00  00 90 3e 40  18 80 3e 00  00 ff 2f 00"}));
    PieceStats s = piece_stats(m);
    CHECK(s.upc == doctest::Approx(2.0));
    CHECK(s.qualified == doctest::Approx(0.5));
    CHECK(s.pitch_range == 2);
    CHECK(s.empty_bars == doctest::Approx(0));
    CHECK(s.polyphony == doctest::Approx(1.0));
    PieceStats twice = mean_stats({m, m});
    CHECK(twice.upc == doctest::Approx(s.upc));
    CHECK(twice.notes_per_bar == doctest::Approx(s.notes_per_bar));
    CHECK(mean_stats({}).upc == 0);
  }

}  // TEST_SUITE
