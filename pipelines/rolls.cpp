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

}  // namespace pipelines
