// rng.cpp: see rng.h. Chapters: docs/01-tensors.md ("Randomness you can reproduce"),
// docs/11-making-it-fast.md.
#include "engine/kernels/rng.h"

#include "engine/core/cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza::kernels {

#if defined(__x86_64__)
// The same twist and tempering, four words at a time (AVX2). Word k reads words
// k+1 (not yet rewritten) and k+156 or k-156 (already rewritten), never a word of
// its own group of four that an earlier lane just changed, so lanes agree with the loop.
CADENZA_AVX2 static inline void twist4(uint64_t* s, int k, int far) {  // words k..k+3
  const __m256i upper = _mm256_set1_epi64x((long long)MT19937_64::kUpper),
                lower = _mm256_set1_epi64x((long long)MT19937_64::kLower);
  const __m256i a = _mm256_set1_epi64x((long long)MT19937_64::kA), one = _mm256_set1_epi64x(1);
  const __m256i y = _mm256_or_si256(_mm256_and_si256(_mm256_loadu_si256((const __m256i*)(s + k)), upper),
                                    _mm256_and_si256(_mm256_loadu_si256((const __m256i*)(s + k + 1)), lower));
  const __m256i mag = _mm256_and_si256(_mm256_sub_epi64(_mm256_setzero_si256(), _mm256_and_si256(y, one)), a);
  const __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(s + far)), _mm256_srli_epi64(y, 1));
  _mm256_storeu_si256((__m256i*)(s + k), _mm256_xor_si256(x, mag));
}

CADENZA_AVX2 static void twist_avx2(uint64_t* s) {
  constexpr int N = MT19937_64::kN, M = MT19937_64::kM;
  int k = 0;
  for (; k < N - M; k += 4) twist4(s, k, k + M);  // 156 = 39 x 4
  for (; k + 4 <= N - 1; k += 4) twist4(s, k, k + M - N);
  for (; k < N; ++k)
    mt19937_twist_word(s, k, (k + 1) % N, (k + M) % N);  // the last few, the final one wrapping to word 0
}

CADENZA_AVX2 static void temper_avx2(const uint64_t* s, uint64_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256i z = _mm256_loadu_si256((const __m256i*)(s + i));
    z = _mm256_xor_si256(z, _mm256_and_si256(_mm256_srli_epi64(z, 29), _mm256_set1_epi64x(0x5555555555555555LL)));
    z = _mm256_xor_si256(z, _mm256_and_si256(_mm256_slli_epi64(z, 17), _mm256_set1_epi64x(0x71D67FFFEDA60000LL)));
    z = _mm256_xor_si256(
        z, _mm256_and_si256(_mm256_slli_epi64(z, 37), _mm256_set1_epi64x((long long)0xFFF7EEE000000000ULL)));
    _mm256_storeu_si256((__m256i*)(out + i), _mm256_xor_si256(z, _mm256_srli_epi64(z, 43)));
  }
  for (; i < n; ++i) out[i] = MT19937_64::temper(s[i]);
}
#endif

void mt19937_fill(MT19937_64& mt, uint64_t* out, int64_t n) {
  while (n > 0) {
    if (mt.index() == MT19937_64::kN) {
#if defined(__x86_64__)
      if (cpu_has_avx2_fma()) twist_avx2(mt.state()), mt.set_index(0);
      else
#endif
        mt.twist();
    }
    const int64_t m = n < MT19937_64::kN - mt.index() ? n : MT19937_64::kN - mt.index();
    const uint64_t* s = mt.state() + mt.index();
#if defined(__x86_64__)
    if (cpu_has_avx2_fma()) temper_avx2(s, out, m);
    else
#endif
      for (int64_t i = 0; i < m; ++i) out[i] = MT19937_64::temper(s[i]);
    mt.set_index(mt.index() + (int)m), out += m, n -= m;
  }
}

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

void bernoulli_below(const uint64_t* bits, const real* p, real* out, int64_t n) {
  int64_t i = 0;
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (cpu_has_avx2_fma()) i = below_avx2(bits, p, out, n);
#endif
  for (; i < n; ++i) out[i] = Generator::to_real(bits[i]) < p[i] ? real(1) : real(0);
}

}  // namespace cadenza::kernels
