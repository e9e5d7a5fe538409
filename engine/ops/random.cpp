// random.cpp: see random.h. Chapter: docs/01-tensors.md ("Randomness you can reproduce").
#include "engine/ops/random.h"

#include <algorithm>

#include "engine/kernels/rng.h"

namespace cadenza {

template <class F>
static Tensor fill_with(const Shape& shape, F f) {
  Tensor t = Tensor::empty(shape);
  real* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = f();
  return t;
}

Tensor rand(const Shape& shape, Generator& gen) {
  return fill_with(shape, [&] { return gen.uniform_real(); });
}
Tensor randn(const Shape& shape, Generator& gen) {
  return fill_with(shape, [&] { return (real)gen.normal(); });
}
Tensor uniform(const Shape& shape, real lo, real hi, Generator& gen) {
  if (!(lo <= hi)) fail("uniform", str("lo ", lo, " > hi ", hi), "pass lo <= hi");
  return fill_with(shape, [&] { return lo + (hi - lo) * gen.uniform_real(); });
}
Tensor normal(const Shape& shape, real mean, real std, Generator& gen) {
  if (!(std >= 0)) fail("normal", str("std must be >= 0, got ", std), "");
  return fill_with(shape, [&] { return mean + std * (real)gen.normal(); });
}
Tensor bernoulli(const Tensor& probs, Generator& gen) {
  Tensor pc = probs.contiguous();  // no copy when already compact
  const real* p = pc.data();
  const int64_t n = pc.numel();
  Tensor out = Tensor::empty(probs.shape());
  real* o = out.data();
  // A block of draws at a time: the same numbers, in the same order, as one
  // gen.uniform_real() per element, compared 8 at a time where the CPU can.
  // Each block's probabilities are checked just before they are used (they are
  // then in L1 for the comparison); a bad one puts the generator back as it was.
  const Generator before = gen;
  constexpr int64_t kBlock = 512;
  uint64_t bits[kBlock];
  int64_t good = 0;  // counted with & rather than &&, so the compiler vectorises the check
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t m = std::min(kBlock, n - i0);
    for (int64_t i = i0; i < i0 + m; ++i) good += (p[i] >= 0) & (p[i] <= 1);
    kernels::mt19937_fill(gen.engine(), bits, m);
    kernels::bernoulli_below(bits, p + i0, o + i0, m);
  }
  if (good != n) {
    gen = before;
    for (int64_t i = 0; i < n; ++i)
      if (!(p[i] >= 0 && p[i] <= 1))
        fail("bernoulli", str("probability ", (double)p[i], " at flat index ", i, " is outside [0, 1]"),
             "pass probabilities, e.g. sigmoid(logits)");
  }
  return out;
}
Tensor randint(int64_t high, const Shape& shape, Generator& gen) {
  return fill_with(shape, [&] { return (real)gen.randint(high); });
}
std::vector<int64_t> randperm(int64_t n, Generator& gen) {
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[gen.randint(i + 1)]);
  return p;
}

}  // namespace cadenza
