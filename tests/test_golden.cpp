// Golden tests against PyTorch: Linear, the losses, LayerNorm, BatchNorm, SpectralNorm and optimiser
// steps, compared with fixtures that tests/fixtures/gen_fixtures.py wrote with
// torch in float64. Only the C++ toolchain is needed to run them.
// docs/04-modules-losses-optimisers.md.
#include <cmath>

#include "tests/helpers.h"

using namespace cadenza;
using namespace testing;

namespace {
std::map<std::string, Tensor> load(const std::string& name) { return io::load_safetensors(fixture(name)).tensors; }
Tensor leaf_of(const Tensor& t) { return t.detach().clone().requires_grad_(); }
const double kAtol = 2e-5, kRtol = 2e-4;
}  // namespace

TEST_SUITE("ch04-modules") {
  TEST_CASE("golden: Linear forward and backward match torch.nn.functional.linear") {
    auto f = load("linear.safetensors");
    nn::Linear lin(3, 5);
    lin.load_state_dict({{"weight", f["weight"]}, {"bias", f["bias"]}});
    Tensor x = leaf_of(f["x"]);
    Tensor y = lin.forward(x);
    CHECK_TENSOR_CLOSE(y, f["y"], kAtol, kRtol);
    y.backward(f["grad_out"]);
    CHECK_TENSOR_CLOSE(x.grad(), f["grad_x"], kAtol, kRtol);
    CHECK_TENSOR_CLOSE(lin.weight.grad(), f["grad_weight"], kAtol, kRtol);
    CHECK_TENSOR_CLOSE(lin.bias.grad(), f["grad_bias"], kAtol, kRtol);
  }

  TEST_CASE("golden: losses match torch (values and gradients)") {
    auto f = load("losses.safetensors");
    SUBCASE("mse_loss") {
      Tensor p = leaf_of(f["mse.pred"]);
      Tensor l = mse_loss(p, f["mse.target"]);
      CHECK_TENSOR_CLOSE(l, f["mse.loss"].reshape({}), kAtol, kRtol);
      l.backward();
      CHECK_TENSOR_CLOSE(p.grad(), f["mse.grad"], kAtol, kRtol);
    }
    SUBCASE("binary_cross_entropy_with_logits, with logits of +-30 (mean and sum)") {
      Tensor x = leaf_of(f["bce.logits"]);
      Tensor l = binary_cross_entropy_with_logits(x, f["bce.target"]);
      CHECK_TENSOR_CLOSE(l, f["bce.loss"].reshape({}), kAtol, kRtol);
      l.backward();
      CHECK_TENSOR_CLOSE(x.grad(), f["bce.grad"], kAtol, kRtol);
      Tensor x2 = leaf_of(f["bce.logits"]);
      Tensor l2 = binary_cross_entropy_with_logits(x2, f["bce.target"], Reduction::Sum);
      CHECK_TENSOR_CLOSE(l2, f["bce_sum.loss"].reshape({}), kAtol, kRtol);
      l2.backward();
      CHECK_TENSOR_CLOSE(x2.grad(), f["bce_sum.grad"], kAtol, kRtol);
    }
    SUBCASE("cross_entropy") {
      Tensor x = leaf_of(f["ce.logits"]);
      Tensor l = cross_entropy(x, f["ce.target"]);
      CHECK_TENSOR_CLOSE(l, f["ce.loss"].reshape({}), kAtol, kRtol);
      l.backward();
      CHECK_TENSOR_CLOSE(x.grad(), f["ce.grad"], kAtol, kRtol);
    }
    SUBCASE("nll_loss (sum)") {
      Tensor x = leaf_of(f["nll.logp"]);
      Tensor l = nll_loss(x, f["nll.target"], Reduction::Sum);
      CHECK_TENSOR_CLOSE(l, f["nll.loss"].reshape({}), kAtol, kRtol);
      l.backward();
      CHECK_TENSOR_CLOSE(x.grad(), f["nll.grad"], kAtol, kRtol);
    }
    SUBCASE("gaussian_kl") {
      Tensor mu = leaf_of(f["kl.mu"]), lv = leaf_of(f["kl.logvar"]);
      Tensor l = gaussian_kl(mu, lv);
      CHECK_TENSOR_CLOSE(l, f["kl.loss"].reshape({}), kAtol, kRtol);
      l.backward();
      CHECK_TENSOR_CLOSE(mu.grad(), f["kl.grad_mu"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(lv.grad(), f["kl.grad_logvar"], kAtol, kRtol);
    }
  }

  TEST_CASE("golden: LayerNorm forward and backward match torch.nn.LayerNorm") {
    auto f = load("layernorm.safetensors");
    nn::LayerNorm ln(8);
    ln.load_state_dict({{"weight", f["weight"]}, {"bias", f["bias"]}});
    Tensor x = leaf_of(f["x"]);
    Tensor y = ln.forward(x);
    CHECK_TENSOR_CLOSE(y, f["y"], kAtol, kRtol);
    y.backward(f["grad_out"]);
    CHECK_TENSOR_CLOSE(x.grad(), f["grad_x"], 1e-4, 1e-3);
    CHECK_TENSOR_CLOSE(ln.weight.grad(), f["grad_weight"], kAtol, kRtol);
    CHECK_TENSOR_CLOSE(ln.bias.grad(), f["grad_bias"], kAtol, kRtol);
  }

  TEST_CASE("golden: BatchNorm1d/2d match torch: a training step, the running statistics, eval") {
    auto f = load("batchnorm.safetensors");
    auto run = [&](const std::string& p, nn::BatchNorm& bn) {
      INFO(p);
      bn.load_state_dict({{"weight", f[p + "weight"]}, {"bias", f[p + "bias"]}}, false);
      Tensor x = leaf_of(f[p + "x1"]);
      Tensor y = bn.forward(x);
      CHECK_TENSOR_CLOSE(y, f[p + "y1"], kAtol, kRtol);
      y.backward(f[p + "grad_out"]);
      CHECK_TENSOR_CLOSE(x.grad(), f[p + "grad_x"], 1e-4, 1e-3);
      CHECK_TENSOR_CLOSE(bn.weight.grad(), f[p + "grad_weight"], 1e-4, kRtol);
      CHECK_TENSOR_CLOSE(bn.bias.grad(), f[p + "grad_bias"], 1e-4, kRtol);
      bn.forward(f[p + "x2"]);
      CHECK_TENSOR_CLOSE(bn.running_mean, f[p + "running_mean"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(bn.running_var, f[p + "running_var"], kAtol, kRtol);
      CHECK(bn.num_batches_tracked.item() == 2);
      bn.eval();
      CHECK_TENSOR_CLOSE(bn.forward(f[p + "x3"]), f[p + "y_eval"], kAtol, kRtol);
    };
    nn::BatchNorm1d bn1(3), flat(5);
    nn::BatchNorm2d bn2(2);
    run("bn1d.", bn1);
    run("bn1d_flat.", flat);
    run("bn2d.", bn2);
  }

  TEST_CASE("golden: SpectralNorm matches torch.nn.utils.spectral_norm (one power iteration, then W / sigma)") {
    auto f = load("spectral_norm.safetensors");
    for (const char* name : {"linear", "conv"}) {
      const std::string p = std::string(name) + ".";
      INFO(name);
      Tensor w = leaf_of(f[p + "weight_orig"]), b = f[p + "bias"], x = f[p + "x"];
      nn::SpectralNorm sn(w.shape());
      sn.u.copy_(f[p + "u0"]), sn.v.copy_(f[p + "v0"]);
      Tensor w_sn = sn.forward(w);
      Tensor y = w.dim() == 2 ? matmul(x, w_sn.t()) + b : conv2d(x, w_sn, b);
      CHECK_TENSOR_CLOSE(sn.u, f[p + "u1"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(sn.v, f[p + "v1"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(w_sn, f[p + "weight"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(y, f[p + "y"], kAtol, kRtol);
      y.backward(f[p + "grad_out"]);
      CHECK_TENSOR_CLOSE(w.grad(), f[p + "grad_weight_orig"], 1e-4, 1e-3);
    }
  }

  TEST_CASE("SpectralNorm: sigma converges to the largest singular value; eval keeps u and v") {
    // W = Q diag(3, 1, 0.5): singular values 3, 1 and 0.5 (Q a rotation in the first two axes)
    const double c = std::cos(0.7), s = std::sin(0.7);
    Tensor w = Tensor::from_vector({3 * (real)c, -(real)s, 0, 3 * (real)s, (real)c, 0, 0, 0, 0.5}, {3, 3});
    Generator g(4);
    nn::SpectralNorm sn({3, 3}, 1, 1e-12, g);
    for (int i = 0; i < 30; ++i) sn.forward(w);
    CHECK(sn.sigma(w).item() == doctest::Approx(3).epsilon(1e-4));
    sn.eval();
    Tensor u = sn.u.clone();
    Tensor w_sn = sn.forward(w * 2);
    CHECK_TENSOR_CLOSE(sn.u, u, 0, 0);   // no power iteration in eval
    CHECK(sn.state_dict().size() == 2);  // u and v are buffers
    CHECK(sn.parameters().empty());
    CHECK(std::sqrt(sum(w_sn * w_sn).item()) == doctest::Approx(std::sqrt(9 + 1 + 0.25) / 3).epsilon(1e-4));
    expect_error([&] { sn.forward(Tensor::zeros({3, 4})); }, {"[SpectralNorm]", "(3, 4)", "(3, 3)"});
    expect_error([] { nn::SpectralNorm({5}); }, {"[SpectralNorm]", "at least 2 dims"});
  }

  TEST_CASE("golden: three optimiser steps match torch.optim (Adam, AdamW, SGD+Nesterov, RMSprop)") {
    auto f = load("optim.safetensors");
    auto run = [&](const std::string& name, auto make) {
      Tensor p = leaf_of(f["p0"]);
      auto opt = make(std::vector<Tensor>{p});
      for (int i = 0; i < 3; ++i) {
        p.set_grad(f["grad" + std::to_string(i)].clone());
        opt.step();
        INFO(name << " step " << i);
        CHECK_TENSOR_CLOSE(p, f[name + ".step" + std::to_string(i)], 1e-5, 1e-4);
      }
    };
    run("adam", [](std::vector<Tensor> p) { return optim::Adam(p, 0.01, 0.9, 0.999, 1e-8, 0.1); });
    run("adamw", [](std::vector<Tensor> p) { return optim::AdamW(p, 0.01, 0.9, 0.999, 1e-8, 0.1); });
    run("sgd", [](std::vector<Tensor> p) { return optim::SGD(p, 0.1, 0.9, 0.01, true); });
    run("rmsprop", [](std::vector<Tensor> p) { return optim::RMSprop(p, 0.01, 0.99, 1e-8, 0.01, 0.5); });
  }

  TEST_CASE("the golden comparison fails on a wrong answer") {
    auto f = load("linear.safetensors");
    Tensor wrong = f["y"] + 1e-3;
    CHECK_FALSE(testing::tensor_mismatch(wrong, f["y"], kAtol, kRtol).empty());
    // And on a slightly wrong optimiser: a learning rate 10% off.
    f = load("optim.safetensors");
    Tensor p = leaf_of(f["p0"]);
    optim::Adam adam({p}, 0.011, 0.9, 0.999, 1e-8, 0.1);  // torch's run used lr=0.01
    p.set_grad(f["grad0"].clone());
    adam.step();
    CHECK_FALSE(testing::tensor_mismatch(p, f["adam.step0"], 1e-5, 1e-4).empty());
  }

}  // TEST_SUITE
