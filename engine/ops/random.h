// random.h: random tensors (torch.rand, torch.randn, torch.bernoulli, ...), drawn from
// an explicit Generator (engine/core/random.h). They carry no gradient.
// Chapter: docs/01-tensors.md ("Randomness you can reproduce").
#pragma once
#include <vector>

#include "engine/core/random.h"
#include "engine/core/tensor.h"

namespace cadenza {

Tensor rand(const Shape& shape, Generator& gen = default_generator());   // U[0, 1)
Tensor randn(const Shape& shape, Generator& gen = default_generator());  // N(0, 1)
Tensor uniform(const Shape& shape, real lo, real hi, Generator& gen = default_generator());
Tensor normal(const Shape& shape, real mean, real std, Generator& gen = default_generator());
// Each element is 1 with the probability given by the same element of `probs`.
Tensor bernoulli(const Tensor& probs, Generator& gen = default_generator());
Tensor randint(int64_t high, const Shape& shape, Generator& gen = default_generator());
// A random permutation of 0..n-1 (Fisher–Yates), as integers in a std::vector.
std::vector<int64_t> randperm(int64_t n, Generator& gen = default_generator());

}  // namespace cadenza
