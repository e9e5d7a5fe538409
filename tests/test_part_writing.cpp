// Chapter 9 tests: the harmoniser's four-part measures (music/part_writing.h) on
// hand-written progressions: parallels, crossings, chord shapes and the in-key ratio.
// docs/09-attention-and-seq2seq.md ("Is it Bach?").
#include <doctest/doctest.h>

#include <stdexcept>

#include "music/part_writing.h"

using namespace music;

TEST_SUITE("ch09-attention") {
  TEST_CASE("part writing: parallel fifths and octaves are caught, contrary and oblique motion is not") {
    // A C major chord (S C5, A G4, T C4, B C3) shifted up a tone: every voice moves up 2, so the
    // octaves S-T, S-B, T-B and the fifths A-T, A-B (a twelfth) all move in parallel -- the
    // textbook fault; S-A, a fourth, does not count.
    FourVoices up = {{{72, 74}, {67, 69}, {60, 62}, {48, 50}}};
    PartWriting p = part_writing(up);
    CHECK(p.pair_moves == 6);
    CHECK(p.parallels == 5);
    // The bass leaps down instead (contrary motion): its three pairs pass; S-T and A-T remain.
    FourVoices contrary = {{{72, 74}, {67, 69}, {60, 62}, {48, 38}}};
    CHECK(part_writing(contrary).parallels == 2);
    // A held voice is not motion: nothing counts for its pairs.
    FourVoices held = {{{72, 72}, {67, 69}, {60, 62}, {48, 50}}};
    PartWriting h = part_writing(held);
    CHECK(h.pair_moves == 3);
    CHECK(h.parallels == 3);  // A-T and A-B fifths, the T-B octave
    CHECK(h.parallels_per_100() == doctest::Approx(100.0));
  }

  TEST_CASE("part writing: crossings, chord shapes, the in-key ratio, and pooling") {
    FourVoices v = {{{72, 72, 72, -1}, {67, 67, 74, 67}, {64, 64, 60, 64}, {48, 48, 48, 48}}};
    PartWriting p = part_writing(v);
    CHECK(p.full_steps == 3);
    CHECK(p.crossings == 1);  // step 2: the alto above the soprano
    CHECK(p.shapes.size() == 2);
    CHECK(p.top_shape_share() == doctest::Approx(2.0 / 3));
    CHECK(p.distinct_shape_share() == doctest::Approx(2.0 / 3));
    CHECK(p.notes == 15);
    CHECK(p.in_key_ratio() == doctest::Approx(1.0));                    // all in C major
    FourVoices chromatic = {{{61, 63}, {66, 68}, {54, 56}, {49, 51}}};  // C#, D#, F#, G# only
    PartWriting q = part_writing(chromatic);
    CHECK(q.in_key_ratio() == doctest::Approx(1.0));  // they fit B major / G# minor
    FourVoices off = {{{60, 61, 62, 63}, {59, 58, 57, 56}, {55, 54, 53, 52}, {48, 49, 50, 51}}};
    CHECK(part_writing(off).in_key_ratio() < 0.8);  // a chromatic cluster fits no key
    PartWriting sum = p;
    sum.add(p);
    CHECK(sum.full_steps == 6);
    CHECK(sum.shapes.begin()->second == 2 * p.shapes.begin()->second);
    CHECK(sum.top_shape_share() == doctest::Approx(p.top_shape_share()));
    CHECK(PartWriting().parallels_per_100() == 0);
    CHECK_THROWS_AS(part_writing({{{60}, {55}, {52}, {}}}), std::invalid_argument);
  }
}  // TEST_SUITE
