// scalar.h: one-number maths that several kernels share, written once (and one row sum).
// Chapter: docs/01-tensors.md ("Under the hood").
#pragma once
#include <cmath>

#include "engine/core/tensor.h"

namespace cadenza::kernels {

// 1 / (1 + e^-x) without overflow for large |x| (e^-x for x >= 0, e^x / (1 + e^x) otherwise).
inline real sigmoid(real x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  real e = std::exp(x);
  return e / (1 + e);
}

// The sum of n values in double, as 8 interleaved partial sums (x[0], x[8], ... in the
// first) added in a fixed order at the end. One running sum is a chain of dependent adds,
// 4 cycles each; 8 independent ones keep the adder busy and vectorise on any CPU. The
// order is fixed, so the result is the same on every machine and thread count.
inline double sum_lanes(const real* x, int64_t n) {
  double acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += x[i + l];
  for (int l = 0; i < n; ++i, ++l) acc[l] += x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace cadenza::kernels
