// attention.cpp: see attention.h. Chapter: docs/09-attention-and-seq2seq.md.
#include "engine/nn/attention.h"

#include <cmath>

#include "engine/autograd/node.h"

#include "engine/ops/ops.h"

namespace cadenza::nn {

// [doc:sdpa]
// weights = softmax(q k^T / sqrt(d)) over the keys;  output = weights v
Attended scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask) {
  if (!q.defined() || !k.defined() || !v.defined() || q.dim() < 2 || k.dim() < 2 || v.dim() < 2)
    fail("scaled_dot_product_attention", "q, k and v must be defined and at least 2-d", "shapes are (..., T, d)");
  if (q.size(-1) != k.size(-1) || k.size(-2) != v.size(-2))
    fail("scaled_dot_product_attention",
         "q " + shape_str(q.shape()) + ", k " + shape_str(k.shape()) + ", v " + shape_str(v.shape()) + " do not fit",
         "q and k share their last size d; k and v share their number of steps");
  // [exercise:9.1] scaled dot-product attention, with a mask
  Tensor scores = matmul(q, k.transpose(-1, -2));  // (..., Tq, Tk)
  // softmax(where(mask, scores / sqrt(d), -1e9), -1) in one pass: a masked score's weight is exactly 0
  Tensor w = scaled_masked_softmax(scores, (real)(1 / std::sqrt((double)q.size(-1))), mask);
  return {matmul(w, v), w};
  // [/exercise]
}
// [/doc]

Tensor causal_mask(int64_t T) {
  // [exercise:9.2] the causal mask: step i sees steps 0..i
  Tensor m = Tensor::zeros({T, T});
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = 0; j <= i; ++j) m.data()[i * T + j] = 1;
  return m;
  // [/exercise]
}

Tensor positional_encoding(int64_t T, int64_t d) {
  // [exercise:9.3] sinusoidal positional encoding
  Tensor pe = Tensor::zeros({T, d});
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < d; ++i) {
      double angle = (double)t / std::pow(10000.0, (double)(i - i % 2) / (double)d);
      pe.data()[t * d + i] = (real)(i % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return pe;
  // [/exercise]
}

MultiheadAttention::MultiheadAttention(int64_t E, int64_t heads, Generator& gen) : embed_dim(E), num_heads(heads) {
  if (E <= 0 || heads <= 0 || E % heads != 0)
    fail("MultiheadAttention", str("embed_dim ", E, " must be a positive multiple of num_heads ", heads), "");
  real bound = (real)std::sqrt(6.0 / (double)(E + 3 * E));  // xavier_uniform on (3E, E), as PyTorch
  in_proj_weight = register_parameter("in_proj_weight", uniform({3 * E, E}, -bound, bound, gen));
  in_proj_bias = register_parameter("in_proj_bias", Tensor::zeros({3 * E}));
  out_proj = register_module("out_proj", std::make_shared<Linear>(E, E, true, gen));
  NoGradGuard ng;
  out_proj->bias.zero_();
}

// [doc:mha]
Attended MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& mask) {
  for (const Tensor* t : {&query, &key, &value})
    if (!t->defined() || t->dim() != 3 || t->size(2) != embed_dim)
      fail("MultiheadAttention",
           str("inputs must be (batch, time, ", embed_dim, "), got ",
               t->defined() ? shape_str(t->shape()) : "undefined"),
           "");
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key.size(1), E = embed_dim, nh = num_heads, d = E / nh;
  auto project = [&](const Tensor& x, int64_t which, int64_t T) {  // (B, T, E) -> (B, heads, T, d)
    Tensor w = in_proj_weight.slice(0, which * E, (which + 1) * E),
           b = in_proj_bias.slice(0, which * E, (which + 1) * E);
    return (matmul(x, w.t()) + b).reshape({B, T, nh, d}).permute({0, 2, 1, 3});
  };
  Tensor q = project(query, 0, Tq), k = project(key, 1, Tk), v = project(value, 2, Tk);
  Attended a = scaled_dot_product_attention(q, k, v, mask);            // (B, heads, Tq, d)
  Tensor merged = a.output.permute({0, 2, 1, 3}).reshape({B, Tq, E});  // heads side by side
  return {out_proj->forward(merged), mean(a.weights, {1})};
}
// [/doc]

BahdanauAttention::BahdanauAttention(int64_t dq, int64_t dk, int64_t da, Generator& gen) {
  W_q = register_module("W_q", std::make_shared<Linear>(dq, da, false, gen));
  W_k = register_module("W_k", std::make_shared<Linear>(dk, da, true, gen));
  v = register_module("v", std::make_shared<Linear>(da, 1, false, gen));
}

static void check_qk(const char* op, const Tensor& q, const Tensor& keys) {
  if (!q.defined() || !keys.defined() || q.dim() != 2 || keys.dim() != 3 || q.size(0) != keys.size(0))
    fail(op,
         str("query ", q.defined() ? shape_str(q.shape()) : "undefined", " and keys ",
             keys.defined() ? shape_str(keys.shape()) : "undefined", " do not fit"),
         "query is (batch, dq), keys are (batch, steps, dk)");
}

// [doc:bahdanau]
// score[b, t] = v^T tanh(W_q q[b] + W_k k[b, t]);  weights = softmax over t;  output = Σ_t weights k[b, t]
Attended BahdanauAttention::forward(const Tensor& query, const Tensor& keys, const Tensor& mask) {
  check_qk("BahdanauAttention", query, keys);
  Tensor e = tanh(W_q->forward(query).unsqueeze(1) + W_k->forward(keys));  // (B, Tk, da)
  Tensor scores = v->forward(e).squeeze(-1);                               // (B, Tk)
  Tensor w = scaled_masked_softmax(scores, 1, mask);                       // softmax(where(mask, scores, -1e9), -1)
  return {matmul(w.unsqueeze(1), keys).squeeze(1), w};
}
// [/doc]

LuongAttention::LuongAttention(Score s, int64_t dim, Generator& gen) : score(s) {
  if (s == Score::General) W = register_module("W", std::make_shared<Linear>(dim, dim, false, gen));
}

Attended LuongAttention::forward(const Tensor& query, const Tensor& keys, const Tensor& mask, const Tensor& bias) {
  check_qk("LuongAttention", query, keys);
  Tensor q = score == Score::General ? W->forward(query) : query;
  if (q.size(-1) != keys.size(-1))
    fail("LuongAttention", str("query size ", q.size(-1), " != key size ", keys.size(-1)),
         "dot scores need equal sizes");
  Tensor scores = matmul(keys, q.unsqueeze(-1)).squeeze(-1);  // (B, Tk)
  if (bias.defined()) scores = scores + bias;                 // where to look, before what is there
  Tensor w = scaled_masked_softmax(scores, 1, mask);          // softmax(where(mask, scores, -1e9), -1)
  return {matmul(w.unsqueeze(1), keys).squeeze(1), w};
}

}  // namespace cadenza::nn
