// random.cpp: see random.h. Chapter: docs/01-tensors.md.
#include "engine/core/random.h"

#include <algorithm>
#include <cmath>

#include "engine/kernels/cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza {

#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
// Eight at a time: the top 24 bits of each draw (bits >> 40, in the low half of
// each 64-bit lane) gathered into eight 32-bit lanes, converted exactly to float,
// scaled by 2^-24 and compared. Returns how many it did (a multiple of 8).
CADENZA_AVX2 static int64_t below_avx2(const uint64_t* bits, const float* p, float* out, int64_t n) {
  const __m256i low_halves = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256 scale = _mm256_set1_ps(0x1.0p-24f), ones = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i lo = _mm256_srli_epi64(_mm256_loadu_si256((const __m256i*)(bits + i)), 40);
    __m256i hi = _mm256_srli_epi64(_mm256_loadu_si256((const __m256i*)(bits + i + 4)), 40);
    lo = _mm256_permutevar8x32_epi32(lo, low_halves);  // lanes 0-3 hold draws i..i+3
    hi = _mm256_permutevar8x32_epi32(hi, low_halves);
    const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_permute2x128_si256(lo, hi, 0x20)), scale);
    _mm256_storeu_ps(out + i, _mm256_and_ps(_mm256_cmp_ps(u, _mm256_loadu_ps(p + i), _CMP_LT_OQ), ones));
  }
  return i;
}
#endif

double Generator::uniform() { return (double)(next_u64() >> 11) * 0x1.0p-53; }

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
// out[i] = 1 if the uniform number made from bits[i] is below p[i], else 0.
static void below(const uint64_t* bits, const real* p, real* out, int64_t n) {
  int64_t i = 0;
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (kernels::cpu_has_avx2_fma()) i = below_avx2(bits, p, out, n);
#endif
  for (; i < n; ++i) out[i] = Generator::to_real(bits[i]) < p[i] ? real(1) : real(0);
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
    gen.fill_u64(bits, m);
    below(bits, p + i0, o + i0, m);
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
