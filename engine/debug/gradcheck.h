// gradcheck.h: compare an op's backward with finite differences.
//
// For inputs x and a random upstream gradient r (not all ones, so a backward
// that mixes up elements cannot pass by symmetry), the scalar L = sum(f(x) * r)
// has dL/dx_i ≈ (L(x_i + eps) - L(x_i - eps)) / (2 eps). The check passes when
// every analytic gradient matches within atol + rtol * max(|analytic|, |numeric|)
// AND the gradients are not all zero (a check that compares 0 with 0 proves nothing).
// Run it in the float64 build (-DCADENZA_DOUBLE), as `make test` does: in
// float32 the differences drown in rounding. Chapter: docs/03-gradcheck-and-debugging.md.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/core/tensor.h"

namespace cadenza {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-4;
  uint64_t seed = 1234;  // for the upstream gradient
  bool require_nonzero = true;
};

struct GradcheckResult {
  bool ok = false;
  double max_abs_error = 0;
  double max_rel_error = 0;
  std::string report;  // what failed, where, and the two values
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks the gradient of fn with respect to every input that requires grad.
GradcheckResult gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions opts = {});

// One random direction v instead of every element: compares
// (L(x + eps v) - L(x - eps v)) / (2 eps) with sum(grad · v), over all inputs at once.
// Two forward passes however large the model, so it suits a whole network; it can miss
// an error that happens to be orthogonal to v (run it with a few seeds).
GradcheckResult directional_check(const TensorFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions opts = {});

}  // namespace cadenza
