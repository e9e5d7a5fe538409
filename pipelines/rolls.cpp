// rolls.cpp: see rolls.h. Chapters: docs/05-midi-and-piano-rolls.md, docs/08-recurrent-networks.md.
#include "pipelines/rolls.h"

#include <algorithm>

#include "engine/core/error.h"

namespace pipelines {

using cadenza::real;
using cadenza::Tensor;

// [doc:frame-batch]
FrameBatch frame_batch(const std::vector<const music::PianoRoll*>& rolls) {
  if (rolls.empty()) cadenza::fail("frame_batch", "no rolls", "pass at least one piano roll");
  const int64_t K = rolls[0]->keys(), B = (int64_t)rolls.size();
  FrameBatch b;
  int64_t T = 0;
  for (auto* r : rolls) {
    if (r->keys() != K)
      cadenza::fail("frame_batch", cadenza::str("rolls of ", K, " and ", r->keys(), " keys in one batch"),
                    "build every roll with the same RollOptions lowest/highest");
    T = std::max(T, r->steps), b.lengths.push_back(r->steps);
  }
  std::vector<real> x((size_t)(B * T * K), 0), y((size_t)(B * T * K), 0);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t t = 0; t < rolls[i]->steps; ++t)
      for (int64_t k = 0; k < K; ++k) {
        real v = rolls[i]->data[(size_t)(t * K + k)] > 0;
        y[(size_t)((i * T + t) * K + k)] = v;
        if (t + 1 < T) x[(size_t)((i * T + t + 1) * K + k)] = v;
      }
  b.x = Tensor::from_vector(x, {B, T, K});
  b.y = Tensor::from_vector(y, {B, T, K});
  return b;
}
// [/doc]

Tensor stacked_frames(const std::vector<music::PianoRoll>& rolls) {
  std::vector<real> v;
  int64_t n = 0, K = rolls.empty() ? 88 : rolls[0].keys();
  for (const music::PianoRoll& r : rolls) {
    if (r.keys() != K)
      cadenza::fail("stacked_frames", cadenza::str("rolls of ", K, " and ", r.keys(), " keys"), "use one key range");
    for (float x : r.data) v.push_back((real)x);
    n += r.steps;
  }
  return Tensor::from_vector(v, {n, K});
}

void append_frame(music::PianoRoll& roll, const Tensor& frame) {
  if (frame.numel() != roll.keys())
    cadenza::fail("append_frame",
                  cadenza::str("a frame of ", frame.numel(), " values for a roll of ", roll.keys(), " keys"),
                  "pass one value per key");
  for (real v : frame.contiguous().to_vector()) roll.data.push_back((float)v), roll.onset.push_back(0);
  ++roll.steps;
}

void mark_onsets(music::PianoRoll& r) {
  const int64_t K = r.keys();
  r.onset.assign(r.data.size(), 0);
  for (int64_t t = 0; t < r.steps; ++t)
    for (int64_t k = 0; k < K; ++k)
      r.onset[(size_t)(t * K + k)] =
          r.data[(size_t)(t * K + k)] > 0 && (t == 0 || r.data[(size_t)((t - 1) * K + k)] == 0);
}

SATB satb_voices(const music::PianoRoll& r) {
  SATB v;
  const int K = r.keys();
  for (int64_t t = 0; t < r.steps; ++t) {
    std::vector<int> p;  // sounding pitches, highest first
    for (int k = K - 1; k >= 0; --k)
      if (r.data[(size_t)(t * K + k)] > 0) p.push_back(r.lowest + k);
    const int n = (int)p.size();
    v.s.push_back(n ? p[0] : -1);
    v.a.push_back(n ? p[(size_t)std::min(1, n - 1)] : -1);
    v.t.push_back(n ? p[(size_t)std::max(0, n - 2)] : -1);
    v.b.push_back(n ? p[(size_t)(n - 1)] : -1);
  }
  return v;
}

music::PianoRoll roll_from_voices(const std::vector<std::vector<int>>& voices, int steps_per_quarter, int lowest,
                                  int highest) {
  music::PianoRoll r;
  r.lowest = lowest, r.highest = highest, r.steps_per_quarter = steps_per_quarter;
  r.steps = voices.empty() ? 0 : (int64_t)voices[0].size();
  const int K = r.keys();
  r.data.assign((size_t)(r.steps * K), 0);
  r.onset.assign(r.data.size(), 0);
  for (int64_t t = 0; t < r.steps; ++t)
    for (const std::vector<int>& v : voices) {
      const int p = v[(size_t)t];
      if (p < lowest || p > highest) continue;
      r.data[(size_t)(t * K + p - lowest)] = 1;
      if (t == 0 || p != v[(size_t)t - 1]) r.onset[(size_t)(t * K + p - lowest)] = 1;
    }
  return r;
}

}  // namespace pipelines
