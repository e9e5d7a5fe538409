// attention.h: attention in its classic forms, all composed from autograd ops.
//   scaled_dot_product_attention  q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) -> (..., Tq, dv)
//   MultiheadAttention            (B, T, E) -> (B, T, E), PyTorch's parameter names, batch_first
//   BahdanauAttention (additive)  score(q, k) = v^T tanh(W_q q + W_k k)
//   LuongAttention                dot: score = q . k     general: score = q^T W k
//   positional_encoding           the sinusoids of "Attention is all you need"
// Every form returns the attention weights too, so they can be drawn
// (music/roll_svg.h: attention_svg). Chapter: docs/09-attention-and-seq2seq.md.
#pragma once
#include <memory>

#include "engine/ops/random.h"
#include "engine/nn/layers.h"

namespace cadenza::nn {

struct Attended {
  Tensor output;   // the weighted sum of values (the "context")
  Tensor weights;  // softmax over the keys: rows sum to 1
};

// mask: broadcastable to (..., Tq, Tk), 1 = may attend, 0 = may not. Undefined = no mask.
Attended scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask = Tensor());
// (T, T) lower-triangular ones: step t may attend to steps 0..t only.
Tensor causal_mask(int64_t T);
// (T, d): PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)).
Tensor positional_encoding(int64_t T, int64_t d);

class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen = default_generator());
  // query (B, Tq, E), key and value (B, Tk, E). weights: (B, Tq, Tk), averaged over heads like PyTorch.
  Attended forward(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& mask = Tensor());
  std::string type_name() const override { return str("MultiheadAttention(", embed_dim, ", heads=", num_heads, ")"); }
  int64_t embed_dim, num_heads;
  Tensor in_proj_weight, in_proj_bias;  // (3E, E), (3E,): q, k, v projections stacked
  std::shared_ptr<Linear> out_proj;
};

class BahdanauAttention : public Module {
 public:
  BahdanauAttention(int64_t query_dim, int64_t key_dim, int64_t attn_dim, Generator& gen = default_generator());
  // query (B, dq), keys (B, Tk, dk), mask (B, Tk) or undefined -> output (B, dk), weights (B, Tk)
  Attended forward(const Tensor& query, const Tensor& keys, const Tensor& mask = Tensor());
  std::string type_name() const override { return "BahdanauAttention"; }
  std::shared_ptr<Linear> W_q, W_k, v;
};

class LuongAttention : public Module {
 public:
  enum class Score { Dot, General };
  LuongAttention(Score score, int64_t dim, Generator& gen = default_generator());
  // query (B, d), keys (B, Tk, d), mask (B, Tk) or undefined -> output (B, d), weights (B, Tk).
  // bias (Tk) or (B, Tk), if given, is added to the scores before the softmax (a location prior).
  Attended forward(const Tensor& query, const Tensor& keys, const Tensor& mask = Tensor(),
                   const Tensor& bias = Tensor());
  std::string type_name() const override {
    return score == Score::Dot ? "LuongAttention(dot)" : "LuongAttention(general)";
  }
  Score score;
  std::shared_ptr<Linear> W;  // only for General
};

}  // namespace cadenza::nn
