// Graded exercises of chapter 12 (docs/12-adversarial-networks.md): LSGAN's losses, WGAN-GP's
// gradient penalty and batch norm's running statistics (the overlap area, music code, is in
// ch12_music.cpp). Every expected value is worked out here by hand.
#include <cmath>

#include "engine/nn/adversarial.h"
#include "engine/nn/batchnorm.h"
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;

GRADE("12.1", 1, 10, "LSGAN's losses for the discriminator and the generator") {
  Tensor d_real = T({1, 0, 3}, {3, 1}), d_fake = T({0, 2}, {2, 1});
  // L_D = 1/2 mean((d_real - 1)^2) + 1/2 mean(d_fake^2) = 1/2 (0 + 1 + 4) / 3 + 1/2 (0 + 4) / 2
  CHECK(nn::discriminator_loss(nn::GanLoss::LeastSquares, d_real, d_fake).item() == doctest::Approx(5.0 / 6 + 1));
  // L_G = 1/2 mean((d_fake - 1)^2) = 1/2 (1 + 1) / 2
  CHECK(nn::generator_loss(nn::GanLoss::LeastSquares, d_fake).item() == doctest::Approx(0.5));
  Tensor f = T({0.5}, {1}).requires_grad_();
  nn::generator_loss(nn::GanLoss::LeastSquares, f).backward();
  CHECK(f.grad().item() == doctest::Approx(-0.5));  // d/df 1/2 (f - 1)^2 = f - 1
}

GRADE("12.2", 3, 30, "WGAN-GP's gradient penalty, and its gradient for the critic") {
  // A linear critic D(x) = x w has gradient w at every x: the penalty is lambda (|w| - 1)^2
  // whatever the interpolation, and its gradient for w is 2 lambda (|w| - 1) w / |w|.
  Generator gen(12);
  const std::vector<real> wv = {0.6f, -1.2f, 0.8f};
  const double norm = std::sqrt(0.36 + 1.44 + 0.64), lambda = 10;
  Tensor w = T(wv, {3, 1}).requires_grad_();
  auto critic = [&](const Tensor& x) { return matmul(x, w); };
  Tensor gp = nn::gradient_penalty(critic, randn({5, 3}, gen), randn({5, 3}, gen), gen, lambda);
  CHECK(gp.item() == doctest::Approx(lambda * (norm - 1) * (norm - 1)).epsilon(1e-5));
  gp.backward();
  REQUIRE(w.grad().defined());
  for (int i = 0; i < 3; ++i)
    CHECK(w.grad().to_vector()[(size_t)i] ==
          doctest::Approx(2 * lambda * (norm - 1) * wv[(size_t)i] / norm).epsilon(1e-4));
  // A critic with a gradient of norm 1 everywhere pays nothing.
  Tensor u = T({0.6f, 0.8f}, {2, 1});
  auto unit = [&](const Tensor& x) { return matmul(x, u); };
  CHECK(nn::gradient_penalty(unit, randn({4, 2}, gen), randn({4, 2}, gen), gen).item() ==
        doctest::Approx(0).epsilon(1e-5).scale(1));
  // x (B, C, H, W): the norm is over every axis but the batch. D(x) = 2 sum(x) has a gradient of
  // norm 2 sqrt(C H W) = 2 sqrt(12) for each example.
  auto sum_critic = [](const Tensor& x) { return 2 * sum(x.reshape({x.size(0), -1}), {1}, true); };
  const double n4 = 2 * std::sqrt(12.0);
  CHECK(nn::gradient_penalty(sum_critic, randn({3, 1, 3, 4}, gen), randn({3, 1, 3, 4}, gen), gen, 1).item() ==
        doctest::Approx((n4 - 1) * (n4 - 1)).epsilon(1e-5));
}

GRADE("12.3", 2, 20, "batch norm's running statistics: a moving average, the variance unbiased") {
  nn::BatchNorm1d bn(2);
  bn.train();
  // Channel 0 sees 1, 3 (mean 2, unbiased variance 2); channel 1 sees 0, 4 (mean 2, variance 8).
  bn.forward(T({1, 0, 3, 4}, {2, 2}));
  CHECK_TENSOR_CLOSE(bn.running_mean, T({0.2f, 0.2f}, {2}), 1e-6, 1e-6);  // 0.9 * 0 + 0.1 * 2
  CHECK_TENSOR_CLOSE(bn.running_var, T({1.1f, 1.7f}, {2}), 1e-6, 1e-6);   // 0.9 * 1 + 0.1 * var
  bn.forward(T({1, 0, 3, 4}, {2, 2}));
  CHECK_TENSOR_CLOSE(bn.running_mean, T({0.38f, 0.38f}, {2}), 1e-6, 1e-6);
  CHECK_TENSOR_CLOSE(bn.running_var, T({1.19f, 2.33f}, {2}), 1e-6, 1e-6);
  // Evaluation uses them, and leaves them alone.
  bn.eval();
  Tensor y = bn.forward(T({0.38f, 0.38f}, {1, 2}));
  CHECK_TENSOR_CLOSE(y, T({0, 0}, {1, 2}), 1e-6, 1e-6);
  CHECK_TENSOR_CLOSE(bn.running_mean, T({0.38f, 0.38f}, {2}), 1e-6, 1e-6);
}
