// mt19937.h: the 64-bit Mersenne Twister, written out so that it can make many
// numbers at once. Its output is exactly std::mt19937_64's (the C++ standard fixes
// that stream; tests/test_tensor.cpp checks both against the standard's check
// value and against each other), so seeded results do not change.
//
// Why not just std::mt19937_64? Gibbs sampling draws a random number per unit per
// step (234,000 for one RBM update), and the standard library's twist has a branch
// that the CPU guesses wrong half the time. Here the twist is branch-free and
// fill() tempers whole blocks; engine/kernels/rng.cpp does both four words at a time.
// Chapter: docs/01-tensors.md ("Randomness you can reproduce"), docs/11-making-it-fast.md.
#pragma once
#include <cstdint>

namespace cadenza {

class MT19937_64 {
 public:
  static constexpr int kN = 312, kM = 156;  // words of state; the distance of the word mixed in
  static constexpr uint64_t kUpper = ~0ULL << 31, kLower = ~kUpper, kA = 0xB5026F5AA96619E9ULL;

  explicit MT19937_64(uint64_t seed = 5489) { this->seed(seed); }

  void seed(uint64_t s) {
    state_[0] = s;
    for (int i = 1; i < kN; ++i) state_[i] = 6364136223846793005ULL * (state_[i - 1] ^ (state_[i - 1] >> 62)) + i;
    index_ = kN;
  }

  uint64_t operator()() {
    if (index_ == kN) twist();
    return temper(state_[index_++]);
  }

  // The next n outputs, in order: the same numbers as n calls of operator().
  // (kernels::mt19937_fill, engine/kernels/rng.h, makes them with AVX2 where it can.)
  void fill(uint64_t* out, int64_t n);
  // Makes the next 312 words of state (one word at a time; see mt19937.cpp).
  void twist();

  // The state, for kernels that make the same stream faster: 312 words, and the index
  // of the next word to temper (312: twist first).
  uint64_t* state() { return state_; }
  int index() const { return index_; }
  void set_index(int i) { index_ = i; }

  // The output function: scrambles a word of state into a number.
  static uint64_t temper(uint64_t z) {
    z ^= (z >> 29) & 0x5555555555555555ULL;
    z ^= (z << 17) & 0x71D67FFFEDA60000ULL;
    z ^= (z << 37) & 0xFFF7EEE000000000ULL;
    return z ^ (z >> 43);
  }

 private:
  uint64_t state_[kN];
  int index_ = kN;
};

// One word of the twist (shared by the scalar twist and the SIMD kernel's last words).
void mt19937_twist_word(uint64_t* s, int k, int next, int far);

}  // namespace cadenza
