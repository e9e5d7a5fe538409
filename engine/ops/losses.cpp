// losses.cpp: MSE, BCE-with-logits, cross-entropy, NLL and the Gaussian KL.
//
// Losses take raw scores ("logits"), not probabilities, wherever that makes
// them stable: log(sigmoid(x)) and log(softmax(x)) underflow to log(0) = -inf
// for confident predictions, while the fused forms below never do.
// Chapter: docs/04-modules-losses-optimisers.md ("Losses and numerical stability").
#include <cmath>

#include "engine/autograd/node.h"
#include "engine/core/strided.h"
#include "engine/kernels/map.h"
#include "engine/ops/ops.h"

namespace cadenza {

static Tensor reduce(const Tensor& t, Reduction r) {
  switch (r) {
    case Reduction::Mean:
      return mean(t);
    case Reduction::Sum:
      return sum(t);
    case Reduction::None:
      return t;
  }
  return t;
}

static void same_shape(const char* op, const Tensor& a, const Tensor& b, const char* an, const char* bn) {
  if (!a.defined() || !b.defined()) fail(op, "an input tensor is undefined", "");
  if (a.shape() != b.shape())
    fail(op, str(an, " shape ", shape_str(a.shape()), " != ", bn, " shape ", shape_str(b.shape())),
         "losses do not broadcast silently; reshape one side to match");
}

Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction r) {
  same_shape("mse_loss", pred, target, "pred", "target");
  Tensor d = pred - target;
  return reduce(d * d, r);
}

// [doc:bce-with-logits]
// loss = -[y log s(x) + (1-y) log(1-s(x))], s = sigmoid
//      = max(x, 0) - x*y + log(1 + e^-|x|)        (no overflow, no log(0))
// dloss/dx = s(x) - y        dloss/dy = -x
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction r) {
  same_shape("binary_cross_entropy_with_logits", logits, target, "logits", "target");
  Op op("binary_cross_entropy_with_logits");
  Tensor loss = kernels::map_binary(logits.shape(), logits, target, [](real x, real y) {
    return std::max<real>(x, 0) - x * y + std::log1p(std::exp(-std::fabs(x)));
  });
  loss = op.finish(loss, {logits, target}, [x = logits.detach(), y = target.detach()](const Tensor& g) -> Grads {
    Tensor gx = g * (sigmoid(x) - y);
    return {gx, neg(g * x)};
  });
  return reduce(loss, r);
}
// [/doc]

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction r) {
  if (!log_probs.defined() || !target.defined()) fail("nll_loss", "an input tensor is undefined", "");
  if (log_probs.dim() != 2)
    fail("nll_loss", "log_probs must be (N, C), got " + shape_str(log_probs.shape()),
         "flatten extra axes into N, e.g. x.reshape({-1, C})");
  if (target.dim() != 1 || target.size(0) != log_probs.size(0))
    fail("nll_loss", "target must be (N,) = " + shape_str({log_probs.size(0)}) + ", got " + shape_str(target.shape()),
         "give one class index per row");
  Tensor picked = gather(log_probs, 1, target.reshape({-1, 1})).reshape({-1});
  return reduce(neg(picked), r);
}

// [doc:cross-entropy]
// cross_entropy(logits, y) = -log softmax(logits)[y], via log_softmax: stable.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction r) {
  if (!logits.defined()) fail("cross_entropy", "the logits tensor is undefined", "");
  if (logits.dim() != 2)
    fail("cross_entropy", "logits must be (N, C), got " + shape_str(logits.shape()),
         "flatten extra axes into N, e.g. logits.reshape({-1, C})");
  return nll_loss(log_softmax(logits, 1), target, r);
}
// [/doc]

// KL(N(mu, sigma^2) || N(0, 1)) = -1/2 * sum_j (1 + logvar_j - mu_j^2 - e^logvar_j)
Tensor gaussian_kl(const Tensor& mu, const Tensor& logvar, Reduction r) {
  same_shape("gaussian_kl", mu, logvar, "mu", "logvar");
  if (mu.dim() == 0) fail("gaussian_kl", "mu must have at least 1 dim", "the last axis holds the latent dims");
  Tensor per = sum(1 + logvar - mu * mu - exp(logvar), {-1}) * (real)-0.5;
  return reduce(per, r);
}

}  // namespace cadenza
