// scalar.h: one-number maths that several kernels share, written once.
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

}  // namespace cadenza::kernels
