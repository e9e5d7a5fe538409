// adversarial.cpp: see adversarial.h. Chapters: docs/04-modules-losses-optimisers.md, docs/02-autograd.md.
#include "engine/nn/adversarial.h"

#include "engine/autograd/node.h"

namespace cadenza::nn {

GanLoss parse_gan_loss(const std::string& name) {
  if (name == "minimax") return GanLoss::Minimax;
  if (name == "nonsat") return GanLoss::NonSaturating;
  if (name == "lsgan") return GanLoss::LeastSquares;
  if (name == "wgan-gp") return GanLoss::Wasserstein;
  if (name == "hinge") return GanLoss::Hinge;
  fail("gan loss", str("unknown loss '", name, "'"), "use one of minimax, nonsat, lsgan, wgan-gp, hinge");
}

std::string gan_loss_name(GanLoss loss) {
  switch (loss) {
    case GanLoss::Minimax:
      return "minimax";
    case GanLoss::NonSaturating:
      return "nonsat";
    case GanLoss::LeastSquares:
      return "lsgan";
    case GanLoss::Wasserstein:
      return "wgan-gp";
    case GanLoss::Hinge:
      return "hinge";
  }
  return "?";
}

static void check_scores(const char* what, const Tensor& d) {
  if (!d.defined() || d.numel() == 0)
    fail(what, "the discriminator's output is undefined or empty", "pass D's outputs on a non-empty batch");
}

// [doc:gan-losses]
Tensor discriminator_loss(GanLoss loss, const Tensor& d_real, const Tensor& d_fake) {
  check_scores("discriminator_loss", d_real);
  check_scores("discriminator_loss", d_fake);
  switch (loss) {
    case GanLoss::Minimax:
    case GanLoss::NonSaturating:  // -log s(d_real) - log(1 - s(d_fake)), as cross-entropies on logits
      return binary_cross_entropy_with_logits(d_real, Tensor::ones(d_real.shape())) +
             binary_cross_entropy_with_logits(d_fake, Tensor::zeros(d_fake.shape()));
    case GanLoss::LeastSquares:
      // [exercise:12.1] LSGAN's losses: D pulls real scores to 1 and fakes to 0, G pulls fakes to 1
      return 0.5 * mean((d_real - 1) * (d_real - 1)) + 0.5 * mean(d_fake * d_fake);
      // [/exercise]
    case GanLoss::Wasserstein:
      return mean(d_fake) - mean(d_real);
    case GanLoss::Hinge:
      return mean(relu(1 - d_real)) + mean(relu(1 + d_fake));
  }
  return Tensor();
}

Tensor generator_loss(GanLoss loss, const Tensor& d_fake) {
  check_scores("generator_loss", d_fake);
  switch (loss) {
    case GanLoss::Minimax:  // log(1 - s(d_fake)): saturates when D rejects the fakes confidently
      return -binary_cross_entropy_with_logits(d_fake, Tensor::zeros(d_fake.shape()));
    case GanLoss::NonSaturating:  // -log s(d_fake): strong gradients exactly then
      return binary_cross_entropy_with_logits(d_fake, Tensor::ones(d_fake.shape()));
    case GanLoss::LeastSquares:
      // [exercise:12.1] LSGAN's losses: D pulls real scores to 1 and fakes to 0, G pulls fakes to 1
      return 0.5 * mean((d_fake - 1) * (d_fake - 1));
      // [/exercise]
    case GanLoss::Wasserstein:
    case GanLoss::Hinge:
      return -mean(d_fake);
  }
  return Tensor();
}
// [/doc]

// [doc:gradient-penalty]
Tensor gradient_penalty(const std::function<Tensor(const Tensor&)>& critic, const Tensor& real_batch,
                        const Tensor& fake_batch, Generator& gen, double lambda) {
  if (!real_batch.defined() || !fake_batch.defined() || real_batch.shape() != fake_batch.shape() ||
      real_batch.dim() < 1 || real_batch.size(0) == 0)
    fail("gradient_penalty",
         str("real and fake examples must be non-empty batches of one shape, got ",
             real_batch.defined() ? shape_str(real_batch.shape()) : "undefined", " and ",
             fake_batch.defined() ? shape_str(fake_batch.shape()) : "undefined"),
         "pass a batch of real examples and as many generated ones");
  // [exercise:12.2] WGAN-GP's penalty at points between real and fake, differentiable for the critic
  Shape per_example(real_batch.dim(), 1);
  per_example[0] = real_batch.size(0);
  Tensor eps = rand(per_example, gen);
  Tensor x_hat = (eps * real_batch.detach() + (1 - eps) * fake_batch.detach()).detach().requires_grad_();
  EnableGradGuard with_grad;  // the penalty is a loss: its graph is needed even inside a NoGradGuard
  Tensor d = critic(x_hat);
  Tensor g = autograd::grad(d, {x_hat}, Tensor::ones(d.shape()), /*create_graph=*/true)[0];
  Tensor norm = sqrt(sum(g.reshape({g.size(0), -1}) * g.reshape({g.size(0), -1}), {1}) + (real)1e-12);
  return (real)lambda * mean((norm - 1) * (norm - 1));
  // [/exercise]
}
// [/doc]

}  // namespace cadenza::nn
