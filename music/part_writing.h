// part_writing.h: measuring four-part writing (soprano, alto, tenor, bass) for the
// harmoniser: the in-key ratio, parallel fifths and octaves, voice crossings, and how
// varied the chord shapes under the melody are. Each counts, so that chorales add up.
// Chapter: docs/09-attention-and-seq2seq.md ("Is it Bach?").
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace music {

// S, A, T, B: one MIDI pitch per step, -1 for a rest; all four the same length.
using FourVoices = std::array<std::vector<int>, 4>;

// [doc:part-writing]
struct PartWriting {
  int64_t notes = 0, in_key = 0;  // sounding (step, pitch) cells; those in the best key (in_scale_ratio)
  int64_t pair_moves = 0;         // voice pairs (6 a step) where both voices move to a new pitch
  int64_t parallels = 0;          // of those, fifths or octaves (unisons too) moving the same way into the same
  int64_t full_steps = 0;         // steps where all four voices sound
  int64_t crossings = 0;          // full steps where a voice sounds below the voice under it
  std::map<std::array<int, 3>, int64_t> shapes;  // (S-A, S-T, S-B) in semitones, per full step

  double in_key_ratio() const;          // in_key / notes
  double parallels_per_100() const;     // 100 * parallels / pair_moves
  double crossing_rate() const;         // crossings / full_steps
  double top_shape_share() const;       // the commonest shape's share of the full steps
  double distinct_shape_share() const;  // distinct shapes / full steps
  void add(const PartWriting& other);   // pool another piece's counts
};
// [/doc]
// Two voices move from (upper a0, lower b0) to (a1, b1), MIDI pitches, all sounding: true when
// both move, the same way, from a fifth into a fifth or an octave (or unison) into an octave.
bool parallel_perfect(int a0, int a1, int b0, int b1);
// One piece. Throws std::invalid_argument when the voices differ in length.
PartWriting part_writing(const FourVoices& v);

}  // namespace music
