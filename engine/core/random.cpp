// random.cpp: see random.h: the scalar draws. Random tensors are engine/ops/random.cpp.
// Chapter: docs/01-tensors.md.
#include "engine/core/random.h"

#include <cmath>

namespace cadenza {

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
  do x = next_u64();
  while (x >= limit);
  return (int64_t)(x % un);
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}
void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace cadenza
