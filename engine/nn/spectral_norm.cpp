// spectral_norm.cpp: see spectral_norm.h. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/nn/spectral_norm.h"

#include <algorithm>
#include <cmath>

#include "engine/core/graph.h"
#include "engine/ops/ops.h"

namespace cadenza::nn {

// x / max(||x||, eps), as torch.nn.functional.normalize
static Tensor normalized(const Tensor& x, double eps) {
  const real n = std::sqrt(sum(x * x).item());
  return x / std::max<real>(n, (real)eps);
}

SpectralNorm::SpectralNorm(const Shape& shape, int n_iter, double eps_, Generator& gen)
    : weight_shape(shape), n_power_iterations(n_iter), eps(eps_) {
  if (shape.size() < 2 || shape[0] <= 0)
    fail("SpectralNorm", "the weight must have at least 2 dims with a positive first, got " + shape_str(shape),
         "pass the shape of a Linear or convolution weight");
  if (n_iter < 0) fail("SpectralNorm", str("n_power_iterations must be >= 0, got ", n_iter), "the default is 1");
  int64_t in = 1;
  for (size_t i = 1; i < shape.size(); ++i) in *= shape[i];
  NoGradGuard no_grad;
  u = register_buffer("u", normalized(randn({shape[0]}, gen), eps));
  v = register_buffer("v", normalized(randn({in}, gen), eps));
}

// [doc:spectral-norm]
Tensor SpectralNorm::sigma(const Tensor& weight) const {
  Tensor w = weight.reshape({weight_shape[0], -1});
  return sum(u * matmul(w, v));  // u and v are constants here: buffers, not on any graph
}

Tensor SpectralNorm::forward(const Tensor& weight) {
  if (!weight.defined() || weight.shape() != weight_shape)
    fail("SpectralNorm",
         "weight " + (weight.defined() ? shape_str(weight.shape()) : "undefined") + " is not the " +
             shape_str(weight_shape) + " this was built for",
         "build one SpectralNorm per weight, with that weight's shape");
  if (training()) {  // power iteration: u and v move towards W's top singular vectors
    NoGradGuard no_grad;
    Tensor w = weight.detach().reshape({weight_shape[0], -1});
    for (int i = 0; i < n_power_iterations; ++i) {
      v.copy_(normalized(matmul(w.t(), u), eps));
      u.copy_(normalized(matmul(w, v), eps));
    }
  }
  return weight / sigma(weight);
}
// [/doc]

}  // namespace cadenza::nn
