// seq2seq.cpp: see seq2seq.h. Chapter: docs/09-attention-and-seq2seq.md.
#include "engine/models/seq2seq.h"

#include <cmath>

#include "engine/autograd/node.h"
#include "engine/ops/ops.h"

namespace cadenza::models {

Seq2Seq::Seq2Seq(const Seq2SeqConfig& c, Generator& gen) : cfg(c) {
  if (c.src_vocab <= 0 || c.tgt_vocab <= 0) fail("Seq2Seq", "src_vocab and tgt_vocab must be set", "");
  src_embed = register_module("src_embed", std::make_shared<nn::Embedding>(c.src_vocab, c.embed, gen));
  tgt_embed = register_module("tgt_embed", std::make_shared<nn::Embedding>(c.tgt_vocab, c.embed, gen));
  encoder = register_module("encoder", std::make_shared<nn::LSTM>(c.embed, c.hidden, nn::RNNOptions{1, 0, true}, gen));
  decoder = register_module("decoder", std::make_shared<nn::LSTM>(c.embed + c.hidden, c.hidden, nn::RNNOptions{}, gen));
  attention = register_module("attention",
                              std::make_shared<nn::LuongAttention>(nn::LuongAttention::Score::General, c.hidden, gen));
  out = register_module("out", std::make_shared<nn::Linear>(2 * c.hidden, c.tgt_vocab, true, gen));
  drop = register_module("drop", std::make_shared<nn::Dropout>(c.dropout, gen));
}

Seq2Seq::Encoded Seq2Seq::encode(const Tensor& src, const std::vector<int64_t>& lengths) {
  if (!src.defined() || src.dim() != 2) fail("Seq2Seq", "src must be (batch, steps) of token ids", "");
  nn::RNNOutput o = encoder->forward(drop->forward(src_embed->forward(src)), {}, lengths);
  Encoded e;
  e.keys = o.output;  // (B, S, H)
  e.state = o.state;
  if (!lengths.empty()) e.mask = nn::lengths_to_mask(lengths, src.size(1)).t();
  return e;
}

Seq2Seq::DecoderState Seq2Seq::start(const Encoded& enc) {
  return {enc.state, Tensor::zeros({enc.keys.size(0), cfg.hidden})};
}

// [doc:seq2seq-step]
Tensor Seq2Seq::step(const Encoded& enc, DecoderState& s, const Tensor& tokens, Tensor* weights) {
  Tensor e = drop->forward(tgt_embed->forward(tokens));  // (B, E)
  Tensor x = concat({e, s.context}, 1).unsqueeze(0);     // (1, B, E + H): input feeding
  nn::RNNOutput o = decoder->forward(x, s.rnn);
  Tensor h = o.output.squeeze(0);                              // (B, H)
  nn::Attended a = attention->forward(h, enc.keys, enc.mask);  // which source steps matter now
  s.rnn = o.state;
  s.context = a.output;
  if (weights) *weights = a.weights;
  return out->forward(drop->forward(concat({h, a.output}, 1)));  // (B, V)
}
// [/doc]

Seq2Seq::Output Seq2Seq::forward(const Tensor& src, const std::vector<int64_t>& src_lengths, const Tensor& tgt_in) {
  if (!tgt_in.defined() || tgt_in.dim() != 2 || tgt_in.size(0) != src.size(0))
    fail("Seq2Seq", "tgt_in must be (batch, steps) with the same batch as src", "");
  Encoded enc = encode(src, src_lengths);
  DecoderState s = start(enc);
  std::vector<Tensor> logits, att;
  for (int64_t t = 0; t < tgt_in.size(1); ++t) {
    Tensor w;
    logits.push_back(step(enc, s, tgt_in.select(1, t), &w));
    att.push_back(w);
  }
  return {stack(logits, 1), stack(att, 1)};
}

Seq2Seq::Decoded Seq2Seq::sample(const Tensor& src, int64_t start_token, int64_t length, const SamplingOptions& opt,
                                 const std::vector<int64_t>& primer, Generator& gen) {
  NoGradGuard ng;
  bool was = training();
  eval();
  Encoded enc = encode(src.dim() == 1 ? src.unsqueeze(0) : src);
  DecoderState s = start(enc);
  Decoded d;
  std::vector<Tensor> rows;
  int64_t prev = start_token;
  for (int64_t t = 0; t < length; ++t) {
    Tensor w;
    std::vector<real> logits = step(enc, s, Tensor::from_vector({(real)prev}, {1}), &w).to_vector();
    prev = t < (int64_t)primer.size() ? primer[(size_t)t] : sample_token(logits, opt, gen);
    d.tokens.push_back(prev);
    rows.push_back(w.squeeze(0));
  }
  d.attention = stack(rows, 0);
  train(was);
  return d;
}

namespace {
// Beam search's view of the decoder: one batch row per live hypothesis.
class DecoderBeam : public BeamModel {
 public:
  DecoderBeam(Seq2Seq& m, Seq2Seq::Encoded enc) : m_(m), enc_(std::move(enc)), s_(m.start(enc_)) {}
  Tensor log_probs(const std::vector<int64_t>& last) override {
    std::vector<real> tok(last.begin(), last.end());
    if ((int64_t)last.size() != enc_.keys.size(0)) fail("beam_search", "hypothesis count changed without reorder", "");
    Tensor w;
    Tensor lp = log_softmax(m_.step(enc_, s_, Tensor::from_vector(tok, {(int64_t)tok.size()}), &w), 1);
    weights.push_back(w);
    return lp;
  }
  void reorder(const std::vector<int64_t>& parents) override {
    std::vector<real> p(parents.begin(), parents.end());
    Tensor idx = Tensor::from_vector(p, {(int64_t)p.size()});
    s_.rnn.h = index_select(s_.rnn.h, 1, idx);
    s_.rnn.c = index_select(s_.rnn.c, 1, idx);
    s_.context = index_select(s_.context, 0, idx);
    enc_.keys = index_select(enc_.keys, 0, idx);
    for (Tensor& w : weights) w = index_select(w, 0, idx);  // attention rows follow their hypothesis
  }
  std::vector<Tensor> weights;  // per step, (hypotheses, S)

 private:
  Seq2Seq& m_;
  Seq2Seq::Encoded enc_;
  Seq2Seq::DecoderState s_;
};

// Forces the primer, then searches.
class PrimedBeam : public BeamModel {
 public:
  PrimedBeam(DecoderBeam& inner, const std::vector<int64_t>& primer) : inner_(inner), primer_(primer) {}
  Tensor log_probs(const std::vector<int64_t>& last) override {
    Tensor lp = inner_.log_probs(last);
    if (t_ < primer_.size()) {  // only the primer token is allowed
      Tensor forced = Tensor::full(lp.shape(), (real)-1e9);
      for (int64_t i = 0; i < lp.size(0); ++i) forced.data()[i * lp.size(1) + primer_[t_]] = 0;
      lp = forced;
    }
    ++t_;
    return lp;
  }
  void reorder(const std::vector<int64_t>& parents) override { inner_.reorder(parents); }

 private:
  DecoderBeam& inner_;
  const std::vector<int64_t>& primer_;
  size_t t_ = 0;
};
}  // namespace

Seq2Seq::Decoded Seq2Seq::beam(const Tensor& src, int64_t start_token, int64_t length, int64_t width,
                               const std::vector<int64_t>& primer) {
  NoGradGuard ng;
  bool was = training();
  eval();
  DecoderBeam inner(*this, encode(src.dim() == 1 ? src.unsqueeze(0) : src));
  PrimedBeam model(inner, primer);
  std::vector<Hypothesis> hyps = beam_search(model, start_token, -1, length, width);
  Decoded d;
  d.tokens = hyps[0].tokens;
  std::vector<Tensor> rows;
  for (Tensor& w : inner.weights) rows.push_back(w.select(0, 0));
  d.attention = stack(rows, 0);
  train(was);
  return d;
}

}  // namespace cadenza::models
