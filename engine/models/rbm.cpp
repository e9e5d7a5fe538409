// rbm.cpp: see rbm.h. Each function is the maths in its comment, in tensor ops.
// No autograd: everything runs under NoGradGuard and the CD gradient is set by hand.
// Chapter: docs/07-rbm.md.
#include "engine/models/rbm.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "engine/autograd/node.h"
#include "engine/nn/init.h"
#include "engine/ops/ops.h"
#include "engine/util/progress.h"

namespace cadenza::models {

RBM::RBM(int64_t nv, int64_t nh, const RBMOptions& opt, Generator& gen) : n_visible(nv), n_hidden(nh), options(opt) {
  if (nv <= 0 || nh <= 0) fail("RBM", str("sizes must be positive, got ", nv, " visible and ", nh, " hidden"), "");
  if (opt.cd_k < 1) fail("RBM", str("cd_k must be at least 1, got ", opt.cd_k), "");
  W = register_parameter("W", normal({nv, nh}, (real)opt.init_mean, (real)opt.init_std, gen));
  bv = register_parameter("bv", Tensor::zeros({nv}));
  bh = register_parameter("bh", Tensor::zeros({nh}));
}

static void check_visible(const char* op, const Tensor& v, int64_t nv) {
  if (v.dim() != 2 || v.size(1) != nv)
    fail(op, "visible batch has shape " + shape_str(v.shape()) + str(" but the RBM has ", nv, " visible units"),
         "pass a (batch, n_visible) tensor of 0/1 values");
}

// [doc:rbm-product]
// A batch the RBM multiplies by W: the data, or a sample of visible or hidden units.
// These are 0s and 1s, and data are sparse (a piano roll is about 5% ones); then
// a @ W adds up the rows of W that a picks: no multiplies, and a twentieth of the
// work (chapter 11). Probabilities, and samples more than 30% ones, where indexing
// the ones would cost more than it saves, take the dense matmul.
struct Batch {
  Tensor dense;
  std::optional<BinaryMatrix> ones;
  explicit Batch(const Tensor& a) : dense(a), ones(try_binary(a, 0.3)) {}
  Tensor times(const Tensor& w, real alpha = 1) const {  // alpha * (a @ w)
    if (ones) return matmul(*ones, w, alpha);
    return alpha == 1 ? matmul(dense, w) : matmul(dense, w) * alpha;
  }
  Tensor t_times(const Tensor& w, real alpha = 1) const {  // alpha * (a^T @ w)
    if (ones) return matmul(ones->t(), w, alpha);
    return matmul(dense.t(), alpha == 1 ? w : w * alpha);  // w (B, H) is smaller than the (V, H) product
  }
};
// [/doc]

// [doc:rbm-conditionals-ref]
// p(h = 1 | v) = sigmoid(v W + bh): one row per example, v (B, V), W (V, H) -> (B, H)
Tensor RBM::hidden_probs_ref(const Tensor& v) const {
  check_visible("RBM.hidden_probs_ref", v, n_visible);
  NoGradGuard no_grad;
  return sigmoid(matmul(v, W) + bh);
}

// p(v = 1 | h) = sigmoid(h W^T + bv): h (B, H), W^T (H, V) -> (B, V)
Tensor RBM::visible_probs_ref(const Tensor& h) const {
  NoGradGuard no_grad;
  return sigmoid(matmul(h, W.t()) + bv);
}
// [/doc]

// [doc:rbm-conditionals]
// p(h = 1 | v) = sigmoid(v W + bh)        v: (B, V) -> (B, H)
Tensor RBM::hidden_probs(const Tensor& v) const {
  check_visible("RBM.hidden_probs", v, n_visible);
  NoGradGuard no_grad;
  return sigmoid(Batch(v).times(W) + bh);
}

// p(v = 1 | h) = sigmoid(h W^T + bv)      h: (B, H) -> (B, V)
Tensor RBM::visible_probs(const Tensor& h) const {
  if (h.dim() != 2 || h.size(1) != n_hidden)
    fail("RBM.visible_probs",
         "hidden batch has shape " + shape_str(h.shape()) + str(" but the RBM has ", n_hidden, " hidden units"), "");
  NoGradGuard no_grad;
  return sigmoid(Batch(h).times(W.t()) + bv);
}
// [/doc]

// [doc:rbm-gibbs]
Tensor RBM::gibbs(const Tensor& v0, const GibbsOptions& opt, Generator& gen) const {
  check_visible("RBM.gibbs", v0, n_visible);
  NoGradGuard no_grad;
  // [exercise:7.2] block Gibbs sampling, with a temperature schedule and clamped units
  Tensor v = v0;
  for (int s = 0; s < opt.steps; ++s) {
    real inv_t = opt.temperature ? (real)(1.0 / opt.temperature(s)) : (real)1;  // annealing: divide energies by T
    Tensor h = bernoulli(sigmoid((Batch(v).times(W) + bh) * inv_t), gen);
    Tensor pv = sigmoid((Batch(h).times(W.t()) + bv) * inv_t);
    v = (opt.mean_field_last && s + 1 == opt.steps) ? pv : bernoulli(pv, gen);
    if (opt.clamp_mask) v = where(*opt.clamp_mask, v0, v);  // primed units keep their values
  }
  return v;
  // [/exercise]
}
// [/doc]

// [doc:rbm-free-energy]
// F(v) = -v·bv - sum_j softplus(v W + bh)_j       (B, V) -> (B,)
Tensor RBM::free_energy(const Tensor& v) const {
  check_visible("RBM.free_energy", v, n_visible);
  NoGradGuard no_grad;
  // [exercise:7.1] the free energy F(v) = -v·bv - sum softplus(vW + bh)
  return neg(matmul(v, bv)) - sum(softplus(matmul(v, W) + bh), {1});
  // [/exercise]
}
// [/doc]

double RBM::reconstruction_error(const Tensor& v) const {
  NoGradGuard no_grad;
  Tensor d = v - visible_probs(hidden_probs(v));
  return mean(d * d).item();
}

// [doc:rbm-pll]
double RBM::pseudo_log_likelihood(const Tensor& v, Generator& gen, int64_t units) const {
  check_visible("RBM.pseudo_log_likelihood", v, n_visible);
  if (units < 1) fail("RBM.pseudo_log_likelihood", str("units must be at least 1, got ", units), "64 is plenty");
  NoGradGuard no_grad;
  const int64_t B = v.size(0), V = n_visible, H = n_hidden, n = std::min(units, V);
  // Flipping bit i changes v W + bh by +-W[i, :] and v·bv by +-bv_i, so each term costs O(H):
  //   F(flipped) - F(v) = -s bv_i - sum_j [softplus(a_j + s W_ij) - softplus(a_j)],  s = +1 for 0 -> 1.
  std::vector<real> a = (matmul(v, W) + bh).contiguous().to_vector(), x = v.contiguous().to_vector();
  std::vector<real> w = W.contiguous().to_vector(), b = bv.contiguous().to_vector();
  auto softplus_d = [](double t) { return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); };
  double total = 0;
  for (int64_t e = 0; e < B; ++e) {
    const real* ae = &a[(size_t)(e * H)];
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      int64_t i = n == V ? k : gen.randint(V);  // every unit, or a random sample of them
      double s = x[(size_t)(e * V + i)] > 0.5 ? -1 : 1, gap = -s * b[(size_t)i];
      for (int64_t j = 0; j < H; ++j) {
        double aj = ae[j];
        gap -= softplus_d(aj + s * w[(size_t)(i * H + j)]) - softplus_d(aj);
      }
      sum += -softplus_d(-gap);  // log sigmoid(gap) = log p(v_i | v_-i)
    }
    total += sum * (double)V / (double)n;
  }
  return total / (double)B;
}
// [/doc]

// [doc:rbm-log-z]
// log Z = log sum_h exp(h·bh) prod_i (1 + exp(bv_i + (h W^T)_i)), summed over all 2^H
// hidden states in Gray-code order, so each step flips one unit and updates h W^T in O(V).
double RBM::log_partition_exact() const {
  if (n_hidden > 24)
    fail("RBM.log_partition_exact", str("2^", n_hidden, " hidden states are too many to enumerate"),
         "use log_partition_ais");
  // [exercise:7.4] exact log Z by enumerating the hidden states in Gray-code order
  std::vector<real> w = W.contiguous().to_vector(), b = bv.to_vector(), c = bh.to_vector();
  std::vector<double> act(b.begin(), b.end());  // bv + h W^T, for the current h
  std::vector<int> h((size_t)n_hidden, 0);
  double hb = 0, max_term = -INFINITY;
  std::vector<double> terms;
  terms.reserve((size_t)1 << n_hidden);
  for (uint64_t g = 0;; ++g) {
    double t = hb;
    for (double a : act) t += a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a));  // softplus
    terms.push_back(t);
    max_term = std::max(max_term, t);
    if (g + 1 == (uint64_t)1 << n_hidden) break;
    int j = __builtin_ctzll(g + 1);  // the bit that changes in the Gray code
    int s = h[(size_t)j] ? -1 : 1;
    h[(size_t)j] ^= 1;
    hb += s * c[(size_t)j];
    for (int64_t i = 0; i < n_visible; ++i) act[(size_t)i] += s * w[(size_t)(i * n_hidden + j)];
  }
  double sum = 0;
  for (double t : terms) sum += std::exp(t - max_term);
  return max_term + std::log(sum);
  // [/exercise]
}
// [/doc]

// [doc:rbm-ais]
RBM::AISResult RBM::log_partition_ais(int runs, int betas, Generator& gen, const Tensor* base_bias,
                                      bool progress) const {
  if (runs < 2 || betas < 2) fail("RBM.log_partition_ais", "needs at least 2 runs and 2 temperatures", "");
  NoGradGuard no_grad;
  Tensor ba = base_bias ? base_bias->contiguous() : Tensor::zeros({n_visible});  // the base model: W = 0, bh = 0
  // log Z of the base: independent visible units, and H free hidden units.
  double log_za = (double)n_hidden * std::log(2.0) + sum(softplus(ba)).item();
  // -F_beta(v): the unnormalised log-probability of the intermediate model at inverse temperature beta.
  auto neg_f = [&](const Tensor& v, double beta) {
    Tensor lin = matmul(v, ba) * (real)(1 - beta) + matmul(v, bv) * (real)beta;
    return lin + sum(softplus((matmul(v, W) + bh) * (real)beta), {1});
  };
  Tensor v = bernoulli(sigmoid(ba).unsqueeze(0).expand({runs, n_visible}).contiguous(), gen);
  std::vector<double> log_w((size_t)runs, 0.0);
  double prev = 0;
  std::unique_ptr<ProgressBar> bar;
  if (progress) bar = std::make_unique<ProgressBar>("AIS", betas - 1);
  for (int k = 1; k < betas; ++k) {
    if (bar && (k % std::max(1, betas / 100) == 0 || k == betas - 1)) bar->update(k);
    double beta = (double)k / (betas - 1);
    std::vector<real> a = neg_f(v, beta).to_vector(), b = neg_f(v, prev).to_vector();
    for (int r = 0; r < runs; ++r) log_w[(size_t)r] += (double)a[(size_t)r] - b[(size_t)r];
    // A Gibbs step that leaves the beta-model invariant.
    Tensor h = bernoulli(sigmoid((matmul(v, W) + bh) * (real)beta), gen);
    v = bernoulli(sigmoid(ba * (real)(1 - beta) + (matmul(h, W.t()) + bv) * (real)beta), gen);
    prev = beta;
  }
  if (bar) bar->finish();
  double m = *std::max_element(log_w.begin(), log_w.end()), s = 0, s2 = 0;
  for (double lw : log_w) s += std::exp(lw - m), s2 += std::exp(2 * (lw - m));
  double mean_w = s / runs, var_w = std::max(0.0, s2 / runs - mean_w * mean_w);
  return {log_za + m + std::log(mean_w), std::sqrt(var_w / runs) / mean_w};
}
// [/doc]

void RBM::init_visible_bias(const Tensor& data) {
  check_visible("RBM.init_visible_bias", data, n_visible);
  NoGradGuard no_grad;
  Tensor p = clamp(mean(data, {0}), (real)1e-3, (real)(1 - 1e-3));
  bv.copy_(log(p / (1 - p)));
}

// [doc:rbm-cd]
double RBM::contrastive_divergence(const Tensor& x, Generator& gen, bool monitor) {
  check_visible("RBM.contrastive_divergence", x, n_visible);
  NoGradGuard no_grad;
  const real B = (real)x.size(0);
  // Positive phase: the hidden units given the data (also CD's first Gibbs step).
  const Batch data(x);                      // the data's ones, found once for both products with x
  Tensor ph = sigmoid(data.times(W) + bh);  // hidden_probs(x)
  // [exercise:7.3] the CD-k / PCD gradient: <v h>_model - <v h>_data
  // Negative phase: k Gibbs steps from the data (CD-k) or from the persistent chains (PCD).
  const bool from_data = !(options.persistent && persistent_chain_.defined());
  Tensor v = from_data ? x : persistent_chain_;
  for (int s = 0; s < options.cd_k; ++s)
    v = bernoulli(visible_probs(bernoulli(s == 0 && from_data ? ph : hidden_probs(v), gen)), gen);
  if (options.persistent) persistent_chain_ = v;
  // Statistics: probabilities (less variance) or fresh binary samples (the seed demo).
  const Batch model(v);
  Tensor nh = sigmoid(model.times(W) + bh);  // hidden_probs(v)
  Tensor h_pos = options.positive_probabilities ? ph : bernoulli(ph, gen);
  Tensor h_neg = options.negative_probabilities ? nh : bernoulli(nh, gen);
  const real Bn = (real)v.size(0);
  // d log p / dW = <v h>_data - <v h>_model; optimisers minimise, so .grad holds the negative.
  W.set_grad(model.t_times(h_neg, 1 / Bn) - data.t_times(h_pos, 1 / B));
  bv.set_grad(sum(v, {0}) / Bn - sum(x, {0}) / B);
  bh.set_grad(sum(h_neg, {0}) / Bn - sum(h_pos, {0}) / B);
  // [/exercise]
  if (!monitor) return 0;
  Tensor d = x - visible_probs(ph);
  return mean(d * d).item();
}
// [/doc]

}  // namespace cadenza::models
