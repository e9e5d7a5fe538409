// Graded exercises of chapter 4 (docs/04-modules-losses-optimisers.md): optimisers,
// a schedule, gradient clipping and a normalisation layer, against their formulas
// written out in double precision.
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;
using namespace cadenza::optim;

namespace {
// Parameters with fixed gradients, set again before every step.
std::vector<Tensor> params_with(std::vector<Tensor> ps, const std::vector<Tensor>& gs) {
  for (size_t i = 0; i < ps.size(); ++i) ps[i].set_grad(gs[i]);
  return ps;
}
}  // namespace

GRADE("4.1", 3, 30, "SGD with momentum, dampening, Nesterov and weight decay") {
  for (bool nesterov : {false, true}) {
    CAPTURE(nesterov);
    const double lr = 0.1, mu = 0.9, wd = 0.01, damp = nesterov ? 0 : 0.25;
    Tensor p = T({1, -2, 3}, {3}).requires_grad_();
    SGD opt({p}, lr, mu, wd, nesterov, damp);
    std::vector<double> x = {1, -2, 3}, buf(3, 0);
    for (int step = 0; step < 4; ++step) {
      std::vector<real> g = {0.5f * (step + 1), -1, 0.25f};
      p.set_grad(T(g, {3}));
      opt.step();
      for (size_t k = 0; k < 3; ++k) {
        double d = g[k] + wd * x[k];
        buf[k] = step == 0 ? d : mu * buf[k] + (1 - damp) * d;
        x[k] -= lr * (nesterov ? d + mu * buf[k] : buf[k]);
      }
    }
    CHECK_TENSOR_CLOSE(p, Tensor::from_vector({(real)x[0], (real)x[1], (real)x[2]}, {3}), 1e-5, 1e-5);
  }
}

GRADE("4.2", 3, 30, "Adam: moment estimates with bias correction (and AdamW's decay)") {
  for (bool decoupled : {false, true}) {
    CAPTURE(decoupled);
    const double lr = 0.01, b1 = 0.9, b2 = 0.99, eps = 1e-8, wd = 0.1;
    Tensor p =
        Tensor::from_vector(std::vector<real>(37, 0.5f), {37}).requires_grad_();  // 37: a tail after any SIMD width
    std::unique_ptr<Optimizer> opt;
    if (decoupled) opt = std::make_unique<AdamW>(std::vector<Tensor>{p}, lr, b1, b2, eps, wd);
    else opt = std::make_unique<Adam>(std::vector<Tensor>{p}, lr, b1, b2, eps, wd);
    std::vector<double> x(37, 0.5), m(37, 0), v(37, 0);
    for (int t = 1; t <= 5; ++t) {
      std::vector<real> g(37);
      for (size_t k = 0; k < 37; ++k) g[k] = (real)std::sin(0.3 * (double)k * t) + 0.1f;
      p.set_grad(T(g, {37}));
      opt->step();
      for (size_t k = 0; k < 37; ++k) {
        double gk = g[k] + (decoupled ? 0 : wd * x[k]);
        if (decoupled) x[k] *= 1 - lr * wd;
        m[k] = b1 * m[k] + (1 - b1) * gk;
        v[k] = b2 * v[k] + (1 - b2) * gk * gk;
        double mhat = m[k] / (1 - std::pow(b1, t)), vhat = v[k] / (1 - std::pow(b2, t));
        x[k] -= lr * mhat / (std::sqrt(vhat) + eps);
      }
    }
    std::vector<real> want(x.begin(), x.end());
    CHECK_TENSOR_CLOSE(p, T(want, {37}), 1e-5, 1e-4);
  }
}

GRADE("4.3", 2, 15, "clip_grad_norm_: one norm over every gradient") {
  Tensor a = T({0, 0}, {2}), b = T({0}, {1}), none = T({0}, {1});
  std::vector<Tensor> ps = params_with({a, b}, {T({3, 0}, {2}), T({4}, {1})});
  ps.push_back(none);  // a parameter without a gradient is skipped
  CHECK(clip_grad_norm_(ps, 1.0) == doctest::Approx(5.0));
  CHECK_TENSOR_CLOSE(a.grad(), T({0.6f, 0}, {2}), 1e-5, 1e-5);
  CHECK_TENSOR_CLOSE(b.grad(), T({0.8f}, {1}), 1e-5, 1e-5);
  params_with({a, b}, {T({0.3f, 0}, {2}), T({0.4f}, {1})});
  CHECK(clip_grad_norm_({a, b}, 1.0) == doctest::Approx(0.5));
  CHECK_TENSOR_CLOSE(a.grad(), T({0.3f, 0}, {2}), 1e-6, 1e-6);  // under the limit: unchanged
}

GRADE("4.4", 2, 20, "LayerNorm composed from ops") {
  nn::LayerNorm ln(4);
  {
    NoGradGuard no_grad;
    ln.weight.copy_(T({1, 2, 0.5f, -1}, {4}));
    ln.bias.copy_(T({0, 0.5f, 0, 1}, {4}));
  }
  Tensor x = T({1, 2, 3, 4, -1, 0, 0, 5}, {2, 4});
  std::vector<real> xv = x.to_vector(), want;
  std::vector<double> w = {1, 2, 0.5, -1}, bias = {0, 0.5, 0, 1};
  for (int r = 0; r < 2; ++r) {
    double mu = 0, var = 0;
    for (int i = 0; i < 4; ++i) mu += xv[(size_t)(r * 4 + i)] / 4.0;
    for (int i = 0; i < 4; ++i) var += std::pow(xv[(size_t)(r * 4 + i)] - mu, 2) / 4.0;  // biased, as PyTorch
    for (int i = 0; i < 4; ++i)
      want.push_back((real)((xv[(size_t)(r * 4 + i)] - mu) / std::sqrt(var + 1e-5) * w[(size_t)i] + bias[(size_t)i]));
  }
  CHECK_TENSOR_CLOSE(ln.forward(x), T(want, {2, 4}), 1e-5, 1e-5);
  CHECK_TENSOR_CLOSE(ln.forward(x.reshape({2, 1, 4})).reshape({2, 4}), T(want, {2, 4}), 1e-5, 1e-5);
}

GRADE("4.5", 1, 15, "warm-up, then a cosine decay of the learning rate") {
  Tensor p = T({0}, {1}).requires_grad_();
  SGD opt({p}, 1.0);
  CosineWithWarmup sched(opt, 4, 14, 0.1);
  CHECK(opt.lr == doctest::Approx(0.25));  // step 0 of 4 warm-up steps
  CHECK(sched.lr_at(3) == doctest::Approx(1.0));
  CHECK(sched.lr_at(4) == doctest::Approx(1.0));
  CHECK(sched.lr_at(9) == doctest::Approx(0.55));  // halfway down: (1 + 0.1) / 2
  CHECK(sched.lr_at(14) == doctest::Approx(0.1));
  CHECK(sched.lr_at(100) == doctest::Approx(0.1));
  sched.step();
  CHECK(opt.lr == doctest::Approx(0.5));
}
