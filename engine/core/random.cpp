// random.cpp: see random.h. Chapter: docs/01-tensors.md.
#include "engine/core/random.h"

#include <cmath>

namespace cadenza {

double Generator::uniform() { return (double)(next_u64() >> 11) * 0x1.0p-53; }

real Generator::uniform_real() {
#ifdef CADENZA_DOUBLE
  return uniform();
#else
  return (float)(next_u64() >> 40) * 0x1.0p-24f;  // 24 bits: exactly representable, < 1
#endif
}

// [doc:box-muller]
double Generator::normal() {
  double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}
// [/doc]

int64_t Generator::randint(int64_t n) {
  if (n <= 0) fail("randint", str("upper bound must be positive, got ", n), "");
  uint64_t un = (uint64_t)n, limit = UINT64_MAX - UINT64_MAX % un;  // reject the biased tail
  uint64_t x;
  do x = next_u64(); while (x >= limit);
  return (int64_t)(x % un);
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}
void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

template <class F>
static Tensor fill_with(const Shape& shape, F f) {
  Tensor t = Tensor::empty(shape);
  real* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = f();
  return t;
}

Tensor rand(const Shape& shape, Generator& gen) { return fill_with(shape, [&] { return gen.uniform_real(); }); }
Tensor randn(const Shape& shape, Generator& gen) { return fill_with(shape, [&] { return (real)gen.normal(); }); }
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
  for (int64_t i = 0; i < n; ++i)
    if (!(p[i] >= 0 && p[i] <= 1))
      fail("bernoulli", str("probability ", (double)p[i], " is outside [0, 1]"), "pass probabilities, e.g. sigmoid(logits)");
  Tensor out = Tensor::empty(probs.shape());
  real* o = out.data();
  for (int64_t i = 0; i < n; ++i) o[i] = gen.uniform_real() < p[i] ? real(1) : real(0);
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
