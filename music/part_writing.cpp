// part_writing.cpp: see part_writing.h. Chapter: docs/09-attention-and-seq2seq.md.
#include "music/part_writing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "music/metrics.h"

namespace music {

namespace {
double ratio(int64_t a, int64_t b) { return b ? (double)a / (double)b : 0; }

}  // namespace

// [doc:parallels]
bool parallel_perfect(int a0, int a1, int b0, int b1) {
  if (a0 == a1 || b0 == b1) return false;  // a held voice is not motion
  int i0 = ((a0 - b0) % 12 + 12) % 12, i1 = ((a1 - b1) % 12 + 12) % 12;
  bool perfect = i0 == i1 && (i0 == 0 || i0 == 7);  // a fifth into a fifth, an octave into an octave
  return perfect && (a1 > a0) == (b1 > b0);         // moving the same way
}
// [/doc]

double PartWriting::in_key_ratio() const { return ratio(in_key, notes); }
double PartWriting::parallels_per_100() const { return 100 * ratio(parallels, pair_moves); }
double PartWriting::crossing_rate() const { return ratio(crossings, full_steps); }
double PartWriting::top_shape_share() const {
  int64_t top = 0;
  for (const auto& s : shapes) top = std::max(top, s.second);
  return ratio(top, full_steps);
}
double PartWriting::distinct_shape_share() const { return ratio((int64_t)shapes.size(), full_steps); }

void PartWriting::add(const PartWriting& o) {
  notes += o.notes, in_key += o.in_key, pair_moves += o.pair_moves, parallels += o.parallels;
  full_steps += o.full_steps, crossings += o.crossings;
  for (const auto& s : o.shapes) shapes[s.first] += s.second;
}

PartWriting part_writing(const FourVoices& v) {
  const size_t T = v[0].size();
  for (const std::vector<int>& x : v)
    if (x.size() != T) throw std::invalid_argument("part_writing: the four voices must have the same number of steps");
  PartWriting p;
  PianoRoll roll;  // the four voices on all 128 keys, for chapter 5's in-scale ratio
  roll.lowest = 0, roll.highest = 127, roll.steps = (int64_t)T;
  roll.data.assign(T * 128, 0);
  for (size_t t = 0; t < T; ++t) {
    bool full = true;
    for (const std::vector<int>& x : v) {
      if (x[t] >= 0 && x[t] < 128) roll.data[t * 128 + (size_t)x[t]] = 1;
      full = full && x[t] >= 0;
    }
    if (full) {
      ++p.full_steps;
      p.crossings += v[1][t] > v[0][t] || v[2][t] > v[1][t] || v[3][t] > v[2][t];
      ++p.shapes[{v[0][t] - v[1][t], v[0][t] - v[2][t], v[0][t] - v[3][t]}];
    }
    if (t + 1 == T) continue;
    for (int hi = 0; hi < 4; ++hi)
      for (int lo = hi + 1; lo < 4; ++lo) {
        int a0 = v[(size_t)hi][t], a1 = v[(size_t)hi][t + 1], b0 = v[(size_t)lo][t], b1 = v[(size_t)lo][t + 1];
        if (a0 < 0 || a1 < 0 || b0 < 0 || b1 < 0 || a0 == a1 || b0 == b1) continue;  // both voices must move
        ++p.pair_moves;
        p.parallels += parallel_perfect(a0, a1, b0, b1);
      }
  }
  for (float cell : roll.data) p.notes += cell > 0;  // voices in unison sound one cell
  p.in_key = std::llround(in_scale_ratio(roll) * (double)p.notes);
  return p;
}

}  // namespace music
