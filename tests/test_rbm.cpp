// Chapter 7 tests: the RBM: exact and AIS partition functions, the CD update
// against a hand calculation, Gibbs sampling with clamping and annealing, and
// training on bars-and-stripes. docs/07-rbm.md.
#include "tests/helpers.h"

using namespace cadenza;
using namespace cadenza::models;
using namespace testing;

namespace {
// Every binary vector of length n, as rows of a (2^n, n) tensor.
Tensor all_binary(int n) {
  std::vector<real> v;
  for (int i = 0; i < (1 << n); ++i)
    for (int b = 0; b < n; ++b) v.push_back((real)((i >> b) & 1));
  return Tensor::from_vector(v, {1 << n, n});
}
double logsumexp_rows(const Tensor& x) {
  std::vector<real> v = x.to_vector();
  double m = *std::max_element(v.begin(), v.end()), s = 0;
  for (real a : v) s += std::exp((double)a - m);
  return m + std::log(s);
}
// The 4x4 bars-and-stripes patterns (MacKay): every row pattern as rows, or as columns.
Tensor bars_and_stripes() {
  std::vector<real> v;
  for (int pattern = 0; pattern < 16; ++pattern)
    for (int dir = 0; dir < 2; ++dir)
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) v.push_back((real)((pattern >> (dir ? c : r)) & 1));
  return Tensor::from_vector(v, {32, 16});
}
}  // namespace

TEST_SUITE("ch07-rbm") {
  TEST_CASE("exact log Z equals the brute-force sum over every visible vector, and p(v) sums to 1") {
    Generator g(1);
    RBMOptions o;
    o.init_std = 0.8;
    RBM rbm(6, 5, o, g);
    {
      NoGradGuard ng;
      rbm.bv.copy_(normal({6}, 0, 1, g));
      rbm.bh.copy_(normal({5}, 0, 1, g));
    }
    Tensor v = all_binary(6);
    double brute = logsumexp_rows(neg(rbm.free_energy(v)));
    double exact = rbm.log_partition_exact();
    CHECK(exact == doctest::Approx(brute).epsilon(1e-5));
    CHECK(std::exp(logsumexp_rows(rbm.log_prob(v, exact))) == doctest::Approx(1.0).epsilon(1e-4));
    // The check can fail: a wrong Z (off by 0.1) no longer normalises.
    CHECK(std::fabs(std::exp(logsumexp_rows(rbm.log_prob(v, exact + 0.1))) - 1.0) > 0.05);
  }

  TEST_CASE("annealed importance sampling agrees with the exact log Z") {
    Generator g(2);
    RBMOptions o;
    o.init_std = 0.3;
    RBM rbm(24, 12, o, g);
    {
      NoGradGuard ng;
      rbm.bv.copy_(normal({24}, -0.5, 0.5, g));
      rbm.bh.copy_(normal({12}, 0, 0.5, g));
    }
    double exact = rbm.log_partition_exact();
    RBM::AISResult ais = rbm.log_partition_ais(200, 2000, g);
    MESSAGE("log Z exact " << exact << ", AIS " << ais.log_z << " +- " << ais.stderr_log_z);
    CHECK(std::fabs(ais.log_z - exact) < 0.1);
    CHECK(ais.stderr_log_z < 0.1);
  }

  TEST_CASE("the CD-1 update matches a hand calculation (saturated units make sampling deterministic)") {
    // W of +-20: every unit's probability is ~0 or ~1, so the samples are known in advance.
    RBM rbm(3, 2, RBMOptions::faithful());
    {
      NoGradGuard ng;
      rbm.W.copy_(Tensor::from_vector({20, -20, -20, 20, 20, -20}, {3, 2}));
    }
    Tensor x = Tensor::from_vector({1, 0, 0, 0, 1, 0}, {2, 3});
    // Hand: h = 1[x W > 0]: row 1 -> (1, 0); row 2 -> (0, 1).  x_s = 1[h W^T > 0]: row 1 -> (1, 0, 1); row 2 -> (0, 1, 0).
    // h_s = 1[x_s W > 0]: row 1: (40, -40) -> (1, 0); row 2 -> (0, 1).
    // grad W = -(x^T h - x_s^T h_s) / 2:  x^T h = [[1,0],[0,1],[0,0]], x_s^T h_s = [[1,0],[0,1],[1,0]]
    Generator g(3);
    rbm.contrastive_divergence(x, g);
    CHECK_TENSOR_CLOSE(rbm.W.grad(), Tensor::from_vector({0, 0, 0, 0, 0.5, 0}, {3, 2}), 1e-6, 0);
    CHECK_TENSOR_CLOSE(rbm.bv.grad(), Tensor::from_vector({0, 0, 0.5}, {3}), 1e-6, 0);  // -(sum x - sum x_s)/2
    CHECK_TENSOR_CLOSE(rbm.bh.grad(), Tensor::zeros({2}), 1e-6, 0);
    // Plain SGD with lr 0.005 then applies W += lr * (data - model) statistics.
    optim::SGD sgd(rbm.parameters(), 0.005);
    sgd.step();
    CHECK(rbm.W.at({2, 0}) == doctest::Approx(20 - 0.0025));
  }

  TEST_CASE("Gibbs sampling keeps clamped units and accepts an annealing schedule") {
    Generator g(4);
    RBM rbm(8, 4, {}, g);
    Tensor v0 = bernoulli(Tensor::full({5, 8}, 0.5), g);
    Tensor mask = Tensor::from_vector({1, 1, 1, 1, 0, 0, 0, 0}, {8});
    RBM::GibbsOptions opt;
    opt.steps = 20;
    opt.clamp_mask = &mask;
    opt.temperature = [](int s) { return 1.0 + 4.0 * std::exp(-s / 5.0); };
    Tensor v = rbm.gibbs(v0, opt, g);
    CHECK(v.slice(1, 0, 4).to_vector() == v0.slice(1, 0, 4).to_vector());
    opt.mean_field_last = true;
    Tensor p = rbm.gibbs(v0, opt, g);
    for (real x : p.slice(1, 4, 8).to_vector()) CHECK((x > 0 && x < 1));
    expect_error([&] { rbm.gibbs(Tensor::zeros({2, 7}), opt, g); }, {"[RBM.gibbs]", "(2, 7)", "8 visible units"});
  }

  TEST_CASE("training on bars and stripes: CD-1 and PCD both raise the exact log-likelihood") {
    Tensor data = bars_and_stripes();
    for (bool pcd : {false, true}) {
      Generator g(5);
      RBMOptions o;
      o.persistent = pcd;
      RBM rbm(16, 12, o, g);
      double before = mean(rbm.log_prob(data, rbm.log_partition_exact())).item();
      double recon0 = rbm.reconstruction_error(data), pll0 = rbm.pseudo_log_likelihood(data, g);
      optim::SGD sgd(rbm.parameters(), pcd ? 0.05 : 0.2, pcd ? 0.5 : 0.9);  // PCD's chains need slower learning
      for (int epoch = 0; epoch < 1500; ++epoch) {
        rbm.contrastive_divergence(data, g);
        sgd.step();
      }
      double after = mean(rbm.log_prob(data, rbm.log_partition_exact())).item();
      INFO(std::string(pcd ? "PCD" : "CD-1") << ": mean log p(v) " << before << " -> " << after);
      MESSAGE(std::string(pcd ? "PCD" : "CD-1")
              << ": mean log p(v) on bars and stripes " << before << " -> " << after << " (log 1/30 = -3.40)");
      CHECK(after > before + 3);
      CHECK(rbm.reconstruction_error(data) < recon0);
      CHECK(rbm.pseudo_log_likelihood(data, g) > pll0);
    }
  }

  TEST_CASE("pseudo-log-likelihood: every unit exactly, and the sampled estimate around it") {
    Generator g(11);
    RBM rbm(40, 6, RBMOptions{}, g);
    {
      NoGradGuard ng;  // weights large enough that the terms differ a lot
      rbm.W.copy_(randn({40, 6}, g) * 1.5);
      rbm.bv.copy_(randn({40}, g));
    }
    Tensor v = bernoulli(Tensor::full({8, 40}, 0.3), g);
    // The definition, with free energies: sum_i log sigmoid(F(v with bit i flipped) - F(v)).
    double want = 0;
    std::vector<real> fv = rbm.free_energy(v).to_vector();
    for (int64_t i = 0; i < 40; ++i) {
      Tensor f = v.clone();
      {
        NoGradGuard ng;
        real* p = f.data();
        for (int64_t b = 0; b < 8; ++b) p[b * 40 + i] = 1 - p[b * 40 + i];
      }
      std::vector<real> ff = rbm.free_energy(f).to_vector();
      for (int64_t b = 0; b < 8; ++b) want += -std::log1p(std::exp(-(double)(ff[(size_t)b] - fv[(size_t)b]))) / 8;
    }
    CHECK(rbm.pseudo_log_likelihood(v, g, 40) == doctest::Approx(want).epsilon(1e-4));
    CHECK(rbm.pseudo_log_likelihood(v, g, 1000) == doctest::Approx(want).epsilon(1e-4));  // units > V: all of them
    // Sampled: unbiased, and far less noisy with 16 units than with one.
    auto spread = [&](int64_t units, double* mean_out) {
      double s = 0, s2 = 0;
      for (int r = 0; r < 200; ++r) {
        double x = rbm.pseudo_log_likelihood(v, g, units);
        s += x, s2 += x * x;
      }
      *mean_out = s / 200;
      return std::sqrt(std::max(0.0, s2 / 200 - (s / 200) * (s / 200)));
    };
    double m1, m16;
    double sd1 = spread(1, &m1), sd16 = spread(16, &m16);
    INFO("exact " << want << "; 1 unit " << m1 << " +- " << sd1 << "; 16 units " << m16 << " +- " << sd16);
    CHECK(std::fabs(m16 - want) < 3 * sd16 / std::sqrt(200.0) + 1e-6);
    CHECK(sd16 < sd1 / 2.5);
    expect_error([&] { rbm.pseudo_log_likelihood(v, g, 0); }, {"[RBM.pseudo_log_likelihood]", "at least 1"});
  }

  TEST_CASE("the conditionals: the fast products equal their dense definitions") {
    Generator g(3);
    RBM rbm(300, 20, RBMOptions{}, g);
    Tensor sparse = bernoulli(Tensor::full({16, 300}, 0.05), g);  // piano-roll-like: the sparse product
    Tensor probs = Tensor::full({16, 300}, 0.4);                  // not binary: the dense product
    for (const Tensor& v : {sparse, probs}) {
      std::vector<real> fast = rbm.hidden_probs(v).to_vector(), ref = rbm.hidden_probs_ref(v).to_vector();
      for (size_t k = 0; k < ref.size(); ++k) CHECK(fast[k] == doctest::Approx(ref[k]).epsilon(1e-5));
    }
    Tensor h = bernoulli(Tensor::full({16, 20}, 0.5), g);
    std::vector<real> fast = rbm.visible_probs(h).to_vector(), ref = rbm.visible_probs_ref(h).to_vector();
    for (size_t k = 0; k < ref.size(); ++k) CHECK(fast[k] == doctest::Approx(ref[k]).epsilon(1e-5));
  }

}  // TEST_SUITE
