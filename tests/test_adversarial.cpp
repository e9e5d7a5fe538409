// Tests of the GAN training round (pipelines/train_loop.h: adversarial_round) with the losses
// of engine/nn/adversarial.h: a generator learns a 1-d Gaussian against a discriminator
// (non-saturating and least-squares games), WGAN-GP's critic steps, and a diverging loss stops
// before any update.
// docs/04-modules-losses-optimisers.md.
#include <cmath>

#include "tests/helpers.h"

#include "pipelines/train_loop.h"

using namespace cadenza;
using namespace testing;

namespace {
// G(z) = a z + b, so its samples are N(b, a^2); the data are N(3, 0.5^2).
struct Toy {
  Generator gen{21};
  Tensor a = Tensor::ones({1}).requires_grad_(), b = Tensor::zeros({1}).requires_grad_();
  std::shared_ptr<nn::Sequential> d = std::make_shared<nn::Sequential>();
  Toy() {
    d->add(std::make_shared<nn::Linear>(1, 16, true, gen));
    d->add(std::make_shared<nn::LeakyReLU>(0.2));
    d->add(std::make_shared<nn::Linear>(16, 1, true, gen));
  }
  Tensor real_batch() { return randn({64, 1}, gen) * 0.5 + 3; }
  Tensor fake_batch() { return randn({64, 1}, gen) * a + b; }
};
}  // namespace

TEST_SUITE("ch04-modules") {
  TEST_CASE("adversarial_round: a generator learns a Gaussian's mean and spread (nonsat and lsgan)") {
    for (nn::GanLoss loss : {nn::GanLoss::NonSaturating, nn::GanLoss::LeastSquares}) {
      INFO(nn::gan_loss_name(loss));
      Toy t;
      optim::Adam d_opt(t.d->parameters(), 5e-3, 0.5, 0.9);
      optim::Adam g_opt({t.a, t.b}, 1e-2, 0.5, 0.9);
      pipelines::AdversarialStep s;
      s.d_opt = &d_opt, s.g_opt = &g_opt;
      s.d_loss = [&](const std::vector<size_t>&) {
        return nn::discriminator_loss(loss, t.d->forward(t.real_batch()), t.d->forward(t.fake_batch().detach()));
      };
      s.g_loss = [&](const std::vector<size_t>&) { return nn::generator_loss(loss, t.d->forward(t.fake_batch())); };
      pipelines::AdversarialLosses last;
      for (int64_t round = 0; round < 1500; ++round) last = pipelines::adversarial_round(s, {}, round);
      CHECK(std::isfinite(last.d));
      CHECK(std::isfinite(last.g));
      NoGradGuard no_grad;
      Tensor samples = randn({4000, 1}, t.gen) * t.a + t.b;
      const double m = mean(samples).item(), sd = std::sqrt(var(samples).item());
      MESSAGE(nn::gan_loss_name(loss) << ": generated mean " << m << ", std " << sd << " (data: 3, 0.5)");
      CHECK(std::fabs(m - 3) < 0.3);
      // The spread: least squares recovers it; the non-saturating game seeks the mode and comes out
      // narrower (0.1 here), the under-dispersion its critics describe, but not collapsed to a point.
      if (loss == nn::GanLoss::LeastSquares) CHECK(std::fabs(sd - 0.5) < 0.25);
      else CHECK(sd > 0.05);
      CHECK_FALSE(t.a.grad().defined());  // every step leaves both networks' gradients cleared
    }
  }

  TEST_CASE("adversarial_round with WGAN-GP: five critic steps a round, and the fakes move towards the data") {
    // Only the start of training: with a critic this small the game overshoots later. Once the
    // fakes pass the data, the critic's slope between the two batches must change sign, and the
    // penalty, which wants |slope| = 1 there, stands in its way.
    Toy t;
    optim::Adam d_opt(t.d->parameters(), 5e-3, 0.5, 0.9), g_opt({t.a, t.b}, 1e-2, 0.5, 0.9);
    pipelines::AdversarialStep s;
    s.d_opt = &d_opt, s.g_opt = &g_opt, s.n_critic = 5;
    int critic_steps = 0;
    s.d_loss = [&](const std::vector<size_t>&) {
      ++critic_steps;
      Tensor real_x = t.real_batch(), fake_x = t.fake_batch().detach();
      return nn::discriminator_loss(nn::GanLoss::Wasserstein, t.d->forward(real_x), t.d->forward(fake_x)) +
             nn::gradient_penalty([&](const Tensor& x) { return t.d->forward(x); }, real_x, fake_x, t.gen);
    };
    s.g_loss = [&](const std::vector<size_t>&) {
      return nn::generator_loss(nn::GanLoss::Wasserstein, t.d->forward(t.fake_batch()));
    };
    pipelines::AdversarialLosses first = pipelines::adversarial_round(s, {}, 0), last;
    for (int64_t round = 1; round < 150; ++round) last = pipelines::adversarial_round(s, {}, round);
    CHECK(critic_steps == 5 * 150);
    CHECK(t.b.item() > 1);  // from 0 towards 3
    CHECK(t.b.item() < 3);
    CHECK(last.d < 0);  // the critic tells the batches apart: E[D(real)] > E[D(fake)]
    MESSAGE("wgan-gp: critic loss " << first.d << " -> " << last.d << ", generated mean " << t.b.item());
  }

  TEST_CASE("adversarial_round: a NaN loss stops it before the update, naming the round and the network") {
    Toy t;
    optim::SGD d_opt(t.d->parameters(), 0.1), g_opt({t.a, t.b}, 0.1);
    pipelines::AdversarialStep s;
    s.d_opt = &d_opt, s.g_opt = &g_opt;
    s.d_loss = [&](const std::vector<size_t>&) { return mean(t.d->forward(t.real_batch())); };
    s.g_loss = [&](const std::vector<size_t>&) { return mean(t.d->forward(t.fake_batch())) / 0.0; };
    Tensor before = t.d->state_dict()["0.weight"].clone();
    expect_error([&] { pipelines::adversarial_round(s, {}, 7); },
                 {"[adversarial_round]", "the generator's loss is", "round 7", "not updated"});
    CHECK(t.a.item() == 1);  // G untouched; D took its one step before G's loss was computed
    CHECK_FALSE(allclose(t.d->state_dict()["0.weight"], before));
    s.n_critic = 0;
    expect_error([&] { pipelines::adversarial_round(s, {}, 0); }, {"[adversarial_round]", "n_critic >= 1"});
  }
}  // TEST_SUITE
