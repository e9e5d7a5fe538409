// rng.h: the Mersenne Twister's stream and Bernoulli draws, eight or four at a time.
//
// The same numbers as the scalar code in engine/core/ (MT19937_64::fill, one
// Generator::uniform_real per element), made with AVX2 where the CPU has it: Gibbs
// sampling draws one number per unit per step. Chapters: docs/01-tensors.md
// ("Randomness you can reproduce"), docs/11-making-it-fast.md.
#pragma once
#include <cstdint>

#include "engine/core/mt19937.h"
#include "engine/core/random.h"
#include "engine/core/tensor.h"

namespace cadenza::kernels {

// The next n outputs of mt, in order: the same numbers as mt.fill(out, n).
void mt19937_fill(MT19937_64& mt, uint64_t* out, int64_t n);
// out[i] = 1 if the uniform number made from bits[i] (Generator::to_real) is below p[i], else 0.
void bernoulli_below(const uint64_t* bits, const real* p, real* out, int64_t n);

}  // namespace cadenza::kernels
