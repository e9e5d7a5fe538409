// random.cpp: see random.h: the scalar draws. Random tensors are engine/ops/random.cpp.
// Chapter: docs/01-tensors.md.
#include "engine/core/random.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cadenza {

double Generator::uniform() { return (double)(next_u64() >> 11) * 0x1.0p-53; }

// [doc:box-muller]
double Generator::normal() {
  double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}
// [/doc]

std::string Generator::get_state() const {
  MT19937_64 e = engine_;  // a copy: state() is not const
  std::string out = "mt19937_64:" + std::to_string(e.index()) + ":" + std::to_string(seed_) + ":";
  char b[20];
  for (int i = 0; i < MT19937_64::kN; ++i) {
    std::snprintf(b, sizeof b, "%016llx", (unsigned long long)e.state()[i]);
    out += b;
  }
  return out;
}

void Generator::set_state(const std::string& s) {
  auto bad = [&] {
    fail("Generator.set_state", "not a generator state written by get_state",
         "the checkpoint's generator state was changed; train again");
  };
  const std::string tag = "mt19937_64:";
  if (s.compare(0, tag.size(), tag) != 0) bad();
  size_t a = s.find(':', tag.size()), b = a == std::string::npos ? a : s.find(':', a + 1);
  if (b == std::string::npos || s.size() != b + 1 + 16 * (size_t)MT19937_64::kN) bad();
  char* end = nullptr;
  long index = std::strtol(s.c_str() + tag.size(), &end, 10);
  if (end != s.c_str() + a || index < 0 || index > MT19937_64::kN) bad();
  unsigned long long seed = std::strtoull(s.c_str() + a + 1, &end, 10);
  if (end != s.c_str() + b) bad();
  MT19937_64 e;
  for (int i = 0; i < MT19937_64::kN; ++i) {
    std::string word = s.substr(b + 1 + 16 * (size_t)i, 16);
    if (word.find_first_not_of("0123456789abcdef") != std::string::npos) bad();
    e.state()[i] = std::strtoull(word.c_str(), nullptr, 16);
  }
  e.set_index((int)index);
  engine_ = e, seed_ = seed;
}

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
