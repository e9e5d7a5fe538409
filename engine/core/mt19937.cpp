// mt19937.cpp: see mt19937.h. Chapter: docs/01-tensors.md.
#include "engine/core/mt19937.h"

#include "engine/kernels/cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define CADENZA_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace cadenza {

// Make the next 312 words of state. Word k mixes the top bit of word k with the
// low 63 bits of word k+1, shifts, and XORs in the matrix A when the low bit is
// set: -(y & 1) is all ones or all zeros, so there is no branch to mispredict.
#if defined(__x86_64__)
// The same twist and tempering, four words at a time (AVX2). Word k reads words
// k+1 (not yet rewritten) and k+156 or k-156 (already rewritten), never a word of
// its own group of four that an earlier lane just changed, so lanes agree with the loop.
CADENZA_AVX2 static inline void twist4(uint64_t* s, int k, int far) {  // words k..k+3
  const __m256i upper = _mm256_set1_epi64x((long long)(~0ULL << 31)), lower = _mm256_set1_epi64x((long long)~(~0ULL << 31));
  const __m256i a = _mm256_set1_epi64x((long long)0xB5026F5AA96619E9ULL), one = _mm256_set1_epi64x(1);
  const __m256i y = _mm256_or_si256(_mm256_and_si256(_mm256_loadu_si256((const __m256i*)(s + k)), upper),
                                    _mm256_and_si256(_mm256_loadu_si256((const __m256i*)(s + k + 1)), lower));
  const __m256i mag = _mm256_and_si256(_mm256_sub_epi64(_mm256_setzero_si256(), _mm256_and_si256(y, one)), a);
  const __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(s + far)), _mm256_srli_epi64(y, 1));
  _mm256_storeu_si256((__m256i*)(s + k), _mm256_xor_si256(x, mag));
}

CADENZA_AVX2 static void twist_avx2(uint64_t* s) {
  int k = 0;
  for (; k < MT19937_64::kN - MT19937_64::kM; k += 4) twist4(s, k, k + MT19937_64::kM);  // 156 = 39 x 4
  for (; k + 4 <= MT19937_64::kN - 1; k += 4) twist4(s, k, k + MT19937_64::kM - MT19937_64::kN);
  for (; k < MT19937_64::kN; ++k) {  // the last few, the final one wrapping to word 0
    const uint64_t y = (s[k] & (~0ULL << 31)) | (s[(k + 1) % MT19937_64::kN] & ~(~0ULL << 31));
    s[k] = s[(k + MT19937_64::kM) % MT19937_64::kN] ^ (y >> 1) ^ (-(y & 1) & 0xB5026F5AA96619E9ULL);
  }
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
  for (; i < n; ++i) {
    uint64_t z = s[i];
    z ^= (z >> 29) & 0x5555555555555555ULL;
    z ^= (z << 17) & 0x71D67FFFEDA60000ULL;
    z ^= (z << 37) & 0xFFF7EEE000000000ULL;
    out[i] = z ^ (z >> 43);
  }
}
#endif

void MT19937_64::twist() {
#if defined(__x86_64__)
  if (kernels::cpu_has_avx2_fma()) {
    twist_avx2(state_);
    index_ = 0;
    return;
  }
#endif
  constexpr uint64_t kUpper = ~0ULL << 31, kLower = ~kUpper, kA = 0xB5026F5AA96619E9ULL;
  for (int k = 0; k < kN - kM; ++k) {
    const uint64_t y = (state_[k] & kUpper) | (state_[k + 1] & kLower);
    state_[k] = state_[k + kM] ^ (y >> 1) ^ (-(y & 1) & kA);
  }
  for (int k = kN - kM; k < kN - 1; ++k) {
    const uint64_t y = (state_[k] & kUpper) | (state_[k + 1] & kLower);
    state_[k] = state_[k + kM - kN] ^ (y >> 1) ^ (-(y & 1) & kA);
  }
  const uint64_t y = (state_[kN - 1] & kUpper) | (state_[0] & kLower);
  state_[kN - 1] = state_[kM - 1] ^ (y >> 1) ^ (-(y & 1) & kA);
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
