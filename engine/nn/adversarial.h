// adversarial.h: the losses of the adversarial game, from the discriminator's outputs on real
// examples (d_real) and on generated ones (d_fake), and WGAN-GP's gradient penalty.
//   minimax  (Goodfellow et al. 2014)  L_D = -E[log s(d_real)] - E[log(1 - s(d_fake))]
//                                      L_G =  E[log(1 - s(d_fake))]          (s = sigmoid; d are logits)
//   nonsat   the same L_D;             L_G = -E[log s(d_fake)]
//   lsgan    (Mao et al. 2017)         L_D = 1/2 E[(d_real - 1)^2] + 1/2 E[d_fake^2]
//                                      L_G = 1/2 E[(d_fake - 1)^2]
//   wgan-gp  (Gulrajani et al. 2017)   L_D =  E[d_fake] - E[d_real] + gradient_penalty(...)
//                                      L_G = -E[d_fake]                      (d are critic scores)
//   hinge    (Lim & Ye 2017)           L_D =  E[relu(1 - d_real)] + E[relu(1 + d_fake)]
//                                      L_G = -E[d_fake]
// Composed from ops, so autograd derives every gradient. Chapters: docs/04-modules-losses-optimisers.md
// (the losses), docs/02-autograd.md (gradients of gradients, which the penalty needs).
#pragma once
#include <functional>
#include <string>

#include "engine/ops/random.h"
#include "engine/ops/ops.h"

namespace cadenza::nn {

enum class GanLoss { Minimax, NonSaturating, LeastSquares, Wasserstein, Hinge };

// "minimax", "nonsat", "lsgan", "wgan-gp" or "hinge"; anything else stops with the list.
GanLoss parse_gan_loss(const std::string& name);
std::string gan_loss_name(GanLoss loss);

// The discriminator's (critic's) loss, to minimise. For Wasserstein it omits the penalty: add
// gradient_penalty, which needs the critic itself.
Tensor discriminator_loss(GanLoss loss, const Tensor& d_real, const Tensor& d_fake);
// The generator's loss, to minimise, from the discriminator's outputs on generated examples.
Tensor generator_loss(GanLoss loss, const Tensor& d_fake);

// WGAN-GP's penalty: lambda * E[(||dD/dx (x_hat)||_2 - 1)^2] at x_hat = eps * real + (1 - eps) * fake
// one eps ~ U[0, 1) per example (axis 0), the norm over all other axes (1e-12 inside the root, so
// a zero gradient does not give an infinite derivative). Differentiable with
// respect to the critic's parameters (through autograd::grad with create_graph), and detached
// from whatever made `fake`. The critic must be built from ops that have a graph backward
// (autograd::ops_with_graph_backward()).
Tensor gradient_penalty(const std::function<Tensor(const Tensor&)>& critic, const Tensor& real_batch,
                        const Tensor& fake_batch, Generator& gen, double lambda = 10);

}  // namespace cadenza::nn
