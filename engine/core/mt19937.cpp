// mt19937.cpp: see mt19937.h. Chapter: docs/01-tensors.md.
#include "engine/core/mt19937.h"

#include "engine/kernels/cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza {

// One word of the twist: word k mixes its own top bit with the low 63 bits of word
// `next`, shifts, and XORs in word `far` and the matrix A when the low bit is set:
// -(y & 1) is all ones or all zeros, so there is no branch to mispredict.
static inline void twist_word(uint64_t* s, int k, int next, int far) {
  const uint64_t y = (s[k] & MT19937_64::kUpper) | (s[next] & MT19937_64::kLower);
  s[k] = s[far] ^ (y >> 1) ^ (-(y & 1) & MT19937_64::kA);
}

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
  for (; k < N; ++k) twist_word(s, k, (k + 1) % N, (k + M) % N);  // the last few, the final one wrapping to word 0
}

CADENZA_AVX2 static void temper_avx2(const uint64_t* s, uint64_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256i z = _mm256_loadu_si256((const __m256i*)(s + i));
    z = _mm256_xor_si256(z, _mm256_and_si256(_mm256_srli_epi64(z, 29), _mm256_set1_epi64x(0x5555555555555555LL)));
    z = _mm256_xor_si256(z, _mm256_and_si256(_mm256_slli_epi64(z, 17), _mm256_set1_epi64x(0x71D67FFFEDA60000LL)));
    z = _mm256_xor_si256(z, _mm256_and_si256(_mm256_slli_epi64(z, 37), _mm256_set1_epi64x((long long)0xFFF7EEE000000000ULL)));
    _mm256_storeu_si256((__m256i*)(out + i), _mm256_xor_si256(z, _mm256_srli_epi64(z, 43)));
  }
  for (; i < n; ++i) out[i] = MT19937_64::temper(s[i]);
}
#endif

// Make the next 312 words of state, in order: words 0..155 mix in the old words
// 156..311, the rest mix in the words just made.
void MT19937_64::twist() {
#if defined(__x86_64__)
  if (kernels::cpu_has_avx2_fma()) twist_avx2(state_);
  else
#endif
    for (int k = 0; k < kN; ++k) twist_word(state_, k, (k + 1) % kN, (k + kM) % kN);
  index_ = 0;
}

void MT19937_64::fill(uint64_t* out, int64_t n) {
  while (n > 0) {
    if (index_ == kN) twist();
    const int64_t m = n < kN - index_ ? n : kN - index_;
    const uint64_t* s = state_ + index_;
#if defined(__x86_64__)
    if (kernels::cpu_has_avx2_fma()) temper_avx2(s, out, m);
    else
#endif
      for (int64_t i = 0; i < m; ++i) out[i] = temper(s[i]);
    index_ += (int)m, out += m, n -= m;
  }
}

}  // namespace cadenza
