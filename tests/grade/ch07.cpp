// Graded exercises of chapter 7 (docs/07-rbm.md). A 3-visible, 2-hidden RBM is small
// enough to enumerate: every probability the sampler and CD-k should reach is computed
// exactly here, and the samplers are checked on 20,000 chains at once (a mean's standard
// error is then about 0.004; the tolerances are four times that).
#include <memory>

#include "engine/models/rbm.h"
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;
using cadenza::models::RBM;

namespace {
constexpr int V = 3, H = 2;
const std::vector<real> kW = {1.5f, -2, -1, 0.5f, 2, 1}, kBv = {-0.5f, 0.25f, 0}, kBh = {0.5f, -1};

std::unique_ptr<RBM> tiny(models::RBMOptions o = {}) {
  Generator g(7);
  auto r = std::make_unique<RBM>(V, H, o, g);
  NoGradGuard no_grad;
  r->W.copy_(T(kW, {V, H}));
  r->bv.copy_(T(kBv, {V}));
  r->bh.copy_(T(kBh, {H}));
  return r;
}
double sig(double x) { return 1 / (1 + std::exp(-x)); }
int bit(int s, int i) { return (s >> i) & 1; }
double w(int i, int j) { return kW[(size_t)(i * H + j)]; }
double p_h(int v, int j) {  // p(h_j = 1 | v), v a bit mask
  double a = kBh[(size_t)j];
  for (int i = 0; i < V; ++i) a += bit(v, i) * w(i, j);
  return sig(a);
}
double p_v(int h, int i) {
  double a = kBv[(size_t)i];
  for (int j = 0; j < H; ++j) a += bit(h, j) * w(i, j);
  return sig(a);
}
// One Gibbs step's transition: P(v' | v), by summing over the 2^H hidden states.
std::vector<double> step(const std::vector<double>& from) {
  std::vector<double> to(1 << V, 0);
  for (int v = 0; v < (1 << V); ++v)
    for (int h = 0; h < (1 << H); ++h) {
      double ph = 1;
      for (int j = 0; j < H; ++j) ph *= bit(h, j) ? p_h(v, j) : 1 - p_h(v, j);
      for (int u = 0; u < (1 << V); ++u) {
        double pv = 1;
        for (int i = 0; i < V; ++i) pv *= bit(u, i) ? p_v(h, i) : 1 - p_v(h, i);
        to[(size_t)u] += from[(size_t)v] * ph * pv;
      }
    }
  return to;
}
std::vector<double> after(int v0, int steps) {
  std::vector<double> p(1 << V, 0);
  p[(size_t)v0] = 1;
  for (int s = 0; s < steps; ++s) p = step(p);
  return p;
}
Tensor rows_of(int v0, int n) {  // n copies of the visible state v0
  std::vector<real> x;
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < V; ++i) x.push_back((real)bit(v0, i));
  return T(x, {n, V});
}
std::vector<double> column_means(const Tensor& t) {
  Tensor m = mean(t, {0});
  std::vector<real> v = m.to_vector();
  return {v.begin(), v.end()};
}
const int kN = 20000, kV0 = 0b101;  // v0 = (1, 0, 1)
}  // namespace

GRADE("7.1", 2, 15, "the free energy F(v)") {
  auto rp = tiny();
  RBM& r = *rp;
  std::vector<real> want;
  std::vector<real> vs;
  for (int v = 0; v < (1 << V); ++v) {
    double z = 0;  // F(v) = -log sum_h exp(-E(v, h))
    for (int h = 0; h < (1 << H); ++h) {
      double e = 0;
      for (int i = 0; i < V; ++i) e += bit(v, i) * kBv[(size_t)i];
      for (int j = 0; j < H; ++j) e += bit(h, j) * kBh[(size_t)j];
      for (int i = 0; i < V; ++i)
        for (int j = 0; j < H; ++j) e += bit(v, i) * bit(h, j) * w(i, j);
      z += std::exp(e);
    }
    want.push_back((real)-std::log(z));
    for (int i = 0; i < V; ++i) vs.push_back((real)bit(v, i));
  }
  CHECK_TENSOR_CLOSE(r.free_energy(T(vs, {1 << V, V})), T(want, {1 << V}), 1e-5, 1e-5);
}

GRADE("7.2", 3, 30, "block Gibbs sampling: k steps, temperature, clamped units") {
  auto rp = tiny();
  RBM& r = *rp;
  Generator g(11);
  RBM::GibbsOptions o;
  for (int steps : {1, 2}) {
    CAPTURE(steps);
    o.steps = steps;
    std::vector<double> exact = after(kV0, steps), got = column_means(r.gibbs(rows_of(kV0, kN), o, g));
    for (int i = 0; i < V; ++i) {
      double m = 0;
      for (int u = 0; u < (1 << V); ++u) m += exact[(size_t)u] * bit(u, i);
      CHECK_MESSAGE(std::fabs(got[(size_t)i] - m) < 0.015, "unit " << i << ": " << got[(size_t)i] << " vs exact " << m);
    }
  }
  o.steps = 1;
  o.mean_field_last = true;  // probabilities on the last step: the mean is exact, and not 0/1
  Tensor pv = r.gibbs(rows_of(kV0, kN), o, g);
  CHECK(pv.at({0, 1}) > 0);
  CHECK(pv.at({0, 1}) < 1);
  o.mean_field_last = false;
  o.temperature = [](int) { return 1e6; };  // so hot that every unit is a fair coin
  for (double m : column_means(r.gibbs(rows_of(kV0, kN), o, g))) CHECK(m == doctest::Approx(0.5).epsilon(0.04));
  o.temperature = nullptr;
  Tensor mask = T({1, 0, 0}, {V});
  o.clamp_mask = &mask;
  o.steps = 3;
  Tensor v = r.gibbs(rows_of(0b000, 1000), o, g);
  CHECK(column_means(v)[0] == 0);  // unit 0 is held at its start value
  CHECK(column_means(v)[1] > 0);
}

GRADE("7.3", 4, 45, "CD-k and PCD: the negative log-likelihood gradient") {
  // With probabilities in both phases: dW = E[v_k σ(v_k W + bh)^T] - x σ(xW + bh)^T, v_k after k steps.
  auto expected = [](int steps) {
    std::vector<double> p = after(kV0, steps), dW(V * H, 0), dbv(V, 0), dbh(H, 0);
    for (int u = 0; u < (1 << V); ++u)
      for (int j = 0; j < H; ++j) {
        for (int i = 0; i < V; ++i) dW[(size_t)(i * H + j)] += p[(size_t)u] * bit(u, i) * p_h(u, j);
        dbh[(size_t)j] += p[(size_t)u] * p_h(u, j);
      }
    for (int u = 0; u < (1 << V); ++u)
      for (int i = 0; i < V; ++i) dbv[(size_t)i] += p[(size_t)u] * bit(u, i);
    for (int i = 0; i < V; ++i) {
      dbv[(size_t)i] -= bit(kV0, i);
      for (int j = 0; j < H; ++j) dW[(size_t)(i * H + j)] -= bit(kV0, i) * p_h(kV0, j);
    }
    for (int j = 0; j < H; ++j) dbh[(size_t)j] -= p_h(kV0, j);
    return std::vector<std::vector<double>>{dW, dbv, dbh};
  };
  auto check = [](RBM& r, const std::vector<std::vector<double>>& want) {
    std::vector<Tensor> got = {r.W.grad(), r.bv.grad(), r.bh.grad()};
    for (size_t k = 0; k < 3; ++k) {
      REQUIRE(got[k].defined());
      std::vector<real> g = got[k].contiguous().to_vector();
      REQUIRE(g.size() == want[k].size());
      for (size_t i = 0; i < g.size(); ++i)
        CHECK_MESSAGE(std::fabs(g[i] - want[k][i]) < 0.015,
                      "parameter " << k << "[" << i << "]: " << g[i] << " vs exact " << want[k][i]);
    }
  };
  Generator g(12);
  for (int k : {1, 3}) {
    CAPTURE(k);
    models::RBMOptions o;
    o.cd_k = k;
    auto rp = tiny(o);
    RBM& r = *rp;
    r.contrastive_divergence(rows_of(kV0, kN), g);
    check(r, expected(k));
  }
  models::RBMOptions o;
  o.persistent = true;  // the second update continues the first one's chains: two steps from x in all
  auto rp = tiny(o);
  RBM& r = *rp;
  r.contrastive_divergence(rows_of(kV0, kN), g);
  r.contrastive_divergence(rows_of(kV0, kN), g);
  check(r, expected(2));
}

GRADE("7.4", 3, 40, "log Z exactly, one hidden unit flipped at a time (Gray code)") {
  Generator g(13);
  const int nv = 4, nh = 5;
  RBM r(nv, nh, {}, g);
  {
    NoGradGuard no_grad;
    r.W.copy_(randn({nv, nh}, g));
    r.bv.copy_(randn({nv}, g));
    r.bh.copy_(randn({nh}, g));
  }
  std::vector<real> W = r.W.to_vector(), bv = r.bv.to_vector(), bh = r.bh.to_vector();
  double z = 0;
  for (int v = 0; v < (1 << nv); ++v)
    for (int h = 0; h < (1 << nh); ++h) {
      double e = 0;
      for (int i = 0; i < nv; ++i) e += bit(v, i) * bv[(size_t)i];
      for (int j = 0; j < nh; ++j) e += bit(h, j) * bh[(size_t)j];
      for (int i = 0; i < nv; ++i)
        for (int j = 0; j < nh; ++j) e += bit(v, i) * bit(h, j) * W[(size_t)(i * nh + j)];
      z += std::exp(e);
    }
  CHECK(r.log_partition_exact() == doctest::Approx(std::log(z)).epsilon(1e-5));
}
