// random.h: an explicit, seeded random number Generator (random tensors: engine/ops/random.h).
//
// Every random choice in Cadenza (initialisation, dropout, shuffling, Gibbs
// sampling) draws from a Generator passed in by the caller, or from the default
// one that manual_seed() resets. The bits come from the 64-bit Mersenne Twister
// (mt19937.h, the same stream as std::mt19937_64, whose output the C++ standard
// fixes exactly); uniform, normal and Bernoulli draws are
// computed here rather than with std::*_distribution, whose streams differ
// between standard libraries. Same seed, same numbers, on every platform.
// Chapter: docs/01-tensors.md ("Randomness you can reproduce").
#pragma once
#include <cstdint>
#include <string>

#include "engine/core/mt19937.h"
#include "engine/core/tensor.h"  // real

namespace cadenza {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : engine_(seed), seed_(seed) {}
  void manual_seed(uint64_t seed) {
    engine_.seed(seed);
    seed_ = seed;
  }
  uint64_t initial_seed() const { return seed_; }
  // The whole state as text (hex words of the Mersenne Twister, its position, the seed), as
  // torch.Generator.get_state/set_state: a checkpoint stores it, so a resumed run draws the
  // numbers the uninterrupted run would have drawn. set_state refuses text get_state did not write.
  std::string get_state() const;
  void set_state(const std::string& state);

  uint64_t next_u64() { return engine_(); }
  void fill_u64(uint64_t* out, int64_t n) { engine_.fill(out, n); }  // n calls of next_u64, at once
  MT19937_64& engine() { return engine_; }                           // for kernels::mt19937_fill (engine/kernels/rng.h)
  double uniform();                                                  // [0, 1) with 53 random bits
  real uniform_real() { return to_real(next_u64()); }                // [0, 1) in the tensor type, never rounds up to 1
  // The top bits of a draw as a uniform number in [0, 1): 24 bits for float (exactly
  // representable, so never rounded up to 1), 53 for double.
  static real to_real(uint64_t bits) {
#ifdef CADENZA_DOUBLE
    return (double)(bits >> 11) * 0x1.0p-53;
#else
    return (float)(uint32_t)(bits >> 40) * 0x1.0p-24f;
#endif
  }
  double normal();             // N(0, 1) by Box–Muller
  int64_t randint(int64_t n);  // uniform in [0, n), without modulo bias
  bool bernoulli(double p) { return uniform() < p; }

 private:
  MT19937_64 engine_;
  uint64_t seed_;
};

// The generator used when none is passed. manual_seed resets it.
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace cadenza
