// mt19937.cpp: see mt19937.h: the scalar twist and block fill. The same numbers four at a
// time (AVX2) are in engine/kernels/rng.cpp. Chapter: docs/01-tensors.md.
#include "engine/core/mt19937.h"

namespace cadenza {

// One word of the twist: word k mixes its own top bit with the low 63 bits of word
// `next`, shifts, and XORs in word `far` and the matrix A when the low bit is set:
// -(y & 1) is all ones or all zeros, so there is no branch to mispredict.
void mt19937_twist_word(uint64_t* s, int k, int next, int far) {
  const uint64_t y = (s[k] & MT19937_64::kUpper) | (s[next] & MT19937_64::kLower);
  s[k] = s[far] ^ (y >> 1) ^ (-(y & 1) & MT19937_64::kA);
}

// Make the next 312 words of state, in order: words 0..155 mix in the old words
// 156..311, the rest mix in the words just made.
void MT19937_64::twist() {
  for (int k = 0; k < kN; ++k) mt19937_twist_word(state_, k, (k + 1) % kN, (k + kM) % kN);
  index_ = 0;
}

void MT19937_64::fill(uint64_t* out, int64_t n) {
  while (n > 0) {
    if (index_ == kN) twist();
    const int64_t m = n < kN - index_ ? n : kN - index_;
    const uint64_t* s = state_ + index_;
    for (int64_t i = 0; i < m; ++i) out[i] = temper(s[i]);
    index_ += (int)m, out += m, n -= m;
  }
}

}  // namespace cadenza
