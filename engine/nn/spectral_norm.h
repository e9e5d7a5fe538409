// spectral_norm.h: spectral normalisation (Miyato et al. 2018), an option for a GAN's
// discriminator: the weight divided by its largest singular value sigma, so each layer is
// 1-Lipschitz. sigma is estimated by power iteration on vectors u and v kept between steps, as
// torch.nn.utils.spectral_norm does:
//   training: v = normalize(W^T u), u = normalize(W v)   (n_power_iterations times, no gradient)
//   always:   sigma = u . (W v),   forward(W) = W / sigma   (the gradient flows through sigma too)
// W is the weight as a matrix: (out, everything else), so a conv kernel (O, C, KH, KW) is (O, C*KH*KW).
// A model that owns its weights applies it where it reads one: matmul(x, sn.forward(w).t()).
// Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include "engine/nn/module.h"
#include "engine/ops/random.h"

namespace cadenza::nn {

class SpectralNorm : public Layer {
 public:
  // u and v start as normalised N(0, 1) draws from gen, like PyTorch's.
  explicit SpectralNorm(const Shape& weight_shape, int n_power_iterations = 1, double eps = 1e-12,
                        Generator& gen = default_generator());
  Tensor forward(const Tensor& weight) override;  // weight / sigma(weight), same shape
  std::string type_name() const override { return "SpectralNorm"; }
  Tensor sigma(const Tensor& weight) const;  // u . (W v) with the current u, v (differentiable in W)
  Shape weight_shape;
  int n_power_iterations;
  double eps;
  Tensor u, v;  // buffers: (out,) and (in,), updated in training only
};

}  // namespace cadenza::nn
