// Graded exercise 12.4 of chapter 12 (docs/12-adversarial-networks.md): the overlap area of two
// kernel densities, checked against Gaussians whose overlap has a closed form. Music code only, so
// it has a file of its own (only pipelines/ joins engine/ and music/).
#include <cmath>

#include "music/features.h"
#include "tests/grade/grade.h"

GRADE("12.4", 2, 25, "the overlap area of two kernel densities") {
  // One sample each, bandwidth 1: N(0, 1) and N(d, 1) overlap by 2 Phi(-d / 2).
  auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  for (double d : {0.0, 0.5, 1.0, 3.0, 8.0}) {
    CAPTURE(d);
    music::KernelDensity p{{0.0}, 1.0}, q{{d}, 1.0};
    CHECK(music::overlap_area(p, q) == doctest::Approx(2 * phi(-d / 2)).epsilon(2e-3).scale(1));
  }
  // Different widths: N(0, 1) against N(0, 4) meet where the densities cross, at x = +-sqrt(8 ln 2 / 3).
  const double c = std::sqrt(8 * std::log(2.0) / 3);
  const double want = 1 - (2 * phi(c) - 1) + (2 * phi(c / 2) - 1);  // the wide one outside, the narrow inside
  music::KernelDensity narrow{{0.0}, 1.0}, wide{{0.0}, 2.0};
  CHECK(music::overlap_area(narrow, wide) == doctest::Approx(want).epsilon(2e-3));
  CHECK(music::overlap_area(wide, narrow) == doctest::Approx(want).epsilon(2e-3));
}
