// frame_models.cpp: see frame_models.h. Chapter: docs/08-recurrent-networks.md.
#include "engine/models/frame_models.h"

#include <cmath>

#include "engine/autograd/node.h"
#include "engine/kernels/scalar.h"
#include "engine/nn/init.h"
#include "engine/ops/ops.h"

namespace cadenza::models {

static void check_frames(const char* who, const Tensor& x, int64_t keys, const std::vector<int64_t>& lengths) {
  if (!x.defined() || x.dim() != 3 || x.size(2) != keys)
    fail(who, str("frames must be (batch, time, ", keys, "), got ", x.defined() ? shape_str(x.shape()) : "undefined"),
         "");
  if (!lengths.empty() && (int64_t)lengths.size() != x.size(0))
    fail(who, str(lengths.size(), " lengths for a batch of ", x.size(0)), "give one length per piece");
}

static void set_bias(Tensor& bias, const std::vector<float>& p) {
  if ((int64_t)p.size() != bias.numel())
    fail("init_output_bias", str("got ", p.size(), " probabilities for ", bias.numel(), " keys"), "");
  NoGradGuard ng;
  for (size_t k = 0; k < p.size(); ++k) {
    double q = std::min(std::max((double)p[k], 1e-6), 1 - 1e-6);
    bias.data()[k] = (real)std::log(q / (1 - q));
  }
}

Tensor FrameModel::predict(const Tensor& x, const std::vector<int64_t>& lengths, double threshold, Generator& gen) {
  NoGradGuard ng;
  Tensor p = sigmoid(logits(x, Tensor(), lengths));
  return threshold < 0 ? bernoulli(p, gen) : gt(p, Tensor::scalar((real)threshold));
}

// ---- FrameRNN ----
FrameRNN::FrameRNN(int64_t k, int64_t hidden, nn::RNNOptions o, bool gru, double dropout, Generator& gen) {
  keys = k;
  o.batch_first = true;
  if (gru) rnn = register_module("rnn", std::make_shared<nn::GRU>(k, hidden, o, gen));
  else rnn = register_module("rnn", std::make_shared<nn::LSTM>(k, hidden, o, gen));
  drop = register_module("drop", std::make_shared<nn::Dropout>(dropout, gen));
  out = register_module("out", std::make_shared<nn::Linear>(hidden, k, true, gen));
}

// [doc:frame-rnn]
Tensor FrameRNN::logits(const Tensor& x, const Tensor&, const std::vector<int64_t>& lengths) {
  check_frames("FrameRNN", x, keys, lengths);
  Tensor h = rnn->forward(x, {}, lengths).output;  // (B, T, hidden): h_t has read frames 0..t-1
  return out->forward(drop->forward(h));           // (B, T, K)
}
// [/doc]

void FrameRNN::init_output_bias(const std::vector<float>& p) { set_bias(out->bias, p); }

// ---- FrameTCN ----
FrameTCN::FrameTCN(int64_t k, const std::vector<int64_t>& channels, int64_t kernel, double dropout, Generator& gen) {
  keys = k;
  tcn = register_module("tcn", std::make_shared<nn::TCN>(k, channels, kernel, dropout, gen));
  out = register_module("out", std::make_shared<nn::Linear>(channels.back(), k, true, gen));
  NoGradGuard ng;
  nn::init::normal_(out->weight, 0, (real)0.01, gen);  // as locuslab/TCN
}

Tensor FrameTCN::logits(const Tensor& x, const Tensor&, const std::vector<int64_t>& lengths) {
  check_frames("FrameTCN", x, keys, lengths);
  // Causal: padding after a piece's end cannot reach its real steps, so no mask is needed here.
  Tensor h = tcn->forward(x.transpose(1, 2)).transpose(1, 2);  // (B, T, C)
  return out->forward(h);
}

void FrameTCN::init_output_bias(const std::vector<float>& p) { set_bias(out->bias, p); }

// ---- RNN-NADE ----
RNNNADE::RNNNADE(int64_t k, int64_t rh, int64_t nh, nn::RNNOptions o, double dropout, Generator& gen)
    : nade_hidden(nh) {
  keys = k;
  o.batch_first = true;
  rnn = register_module("rnn", std::make_shared<nn::LSTM>(k, rh, o, gen));
  drop = register_module("drop", std::make_shared<nn::Dropout>(dropout, gen));
  to_b = register_module("to_b", std::make_shared<nn::Linear>(rh, k, true, gen));
  to_c = register_module("to_c", std::make_shared<nn::Linear>(rh, nh, true, gen));
  real bw = (real)(1.0 / std::sqrt((double)k)), bv = (real)(1.0 / std::sqrt((double)nh));
  W = register_parameter("W", uniform({nh, k}, -bw, bw, gen));
  V = register_parameter("V", uniform({k, nh}, -bv, bv, gen));
}

// [doc:nade]
// For each frame v (K keys) with biases b (K,) and c (Hn,) computed from the RNN state:
//   a_i = c + Σ_{j<i} W[:, j] v_j        h_i = σ(a_i)        logit_i = b_i + V[i] · h_i
// nade_logits (engine/ops/nade.cpp) runs that loop over keys for every frame at once.
Tensor RNNNADE::logits(const Tensor& x, const Tensor& target, const std::vector<int64_t>& lengths) {
  check_frames("RNNNADE", x, keys, lengths);
  if (!target.defined() || target.shape() != x.shape())
    fail("RNNNADE", "logits needs the target frames: key i is conditioned on the true keys < i",
         "pass target (B, T, K)");
  const int64_t B = x.size(0), T = x.size(1), K = keys, Hn = nade_hidden;
  Tensor u = drop->forward(rnn->forward(x, {}, lengths).output);  // (B, T, Hr): u_t has read frames < t
  Tensor b = to_b->forward(u).reshape({B * T, K});                // (N, K)
  Tensor c = to_c->forward(u).reshape({B * T, Hn});               // (N, Hn)
  return nade_logits(b, c, W, V, target.reshape({B * T, K})).reshape({B, T, K});
}
// [/doc]

// The same logits composed from plain ops, (N, K, Hn) intermediates and all: the
// reference nade_logits is tested against. P[i] = v_i W[:, i]; A = L @ P with L
// strictly lower-triangular ones, so A[i] = Σ_{j<i} P[j].
Tensor nade_logits_composed(const Tensor& b, const Tensor& c, const Tensor& W, const Tensor& V, const Tensor& v) {
  // [exercise:8.3] RNN-NADE's logits composed from ops
  const int64_t K = W.size(1);
  Tensor lower = Tensor::zeros({K, K});
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < i; ++j) lower.data()[i * K + j] = 1;
  Tensor A = matmul(lower, v.unsqueeze(-1) * W.t()) + c.unsqueeze(1);  // (N, K, Hn)
  return b + sum(sigmoid(A) * V, {-1});
  // [/exercise]
}

Tensor RNNNADE::predict(const Tensor& x, const std::vector<int64_t>& lengths, double threshold, Generator& gen) {
  NoGradGuard ng;
  check_frames("RNNNADE", x, keys, lengths);
  const int64_t B = x.size(0), T = x.size(1), K = keys, Hn = nade_hidden, N = B * T;
  Tensor u = rnn->forward(x, {}, lengths).output;
  Tensor b = to_b->forward(u).reshape({N, K}).contiguous(), c = to_c->forward(u).reshape({N, Hn}).contiguous();
  Tensor Wc = W.contiguous(), Vc = V.contiguous(), out = Tensor::zeros({B, T, K});
  const real *pb = b.data(), *pc = c.data(), *pw = Wc.data(), *pv = Vc.data();
  real* po = out.data();
  std::vector<double> a((size_t)Hn);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t h = 0; h < Hn; ++h) a[h] = pc[n * Hn + h];
    for (int64_t i = 0; i < K; ++i) {
      double logit = pb[n * K + i];
      for (int64_t h = 0; h < Hn; ++h) logit += pv[i * Hn + h] * kernels::sigmoid((real)a[h]);
      double p = kernels::sigmoid((real)logit);
      bool on = threshold < 0 ? gen.uniform() < p : p > threshold;
      po[n * K + i] = on;
      if (on)
        for (int64_t h = 0; h < Hn; ++h) a[h] += pw[h * K + i];
    }
  }
  return out;
}

void RNNNADE::init_output_bias(const std::vector<float>& p) { set_bias(to_b->bias, p); }

// [doc:frame-nll]
FrameLoss frame_nll(const Tensor& logits, const Tensor& target, const std::vector<int64_t>& lengths) {
  const int64_t B = logits.size(0), T = logits.size(1);
  Tensor per_key = binary_cross_entropy_with_logits(logits, target, Reduction::None);  // (B, T, K)
  if (lengths.empty()) return {sum(per_key), B * T};
  Tensor mask = nn::lengths_to_mask(lengths, T).t().unsqueeze(-1);  // (B, T, 1)
  int64_t steps = 0;
  for (int64_t n : lengths) steps += n;
  return {sum(per_key * mask), steps};
}
// [/doc]

}  // namespace cadenza::models
