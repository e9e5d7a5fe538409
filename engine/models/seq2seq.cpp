// seq2seq.cpp: see seq2seq.h. Chapter: docs/09-attention-and-seq2seq.md.
#include "engine/models/seq2seq.h"

#include <algorithm>
#include <cmath>

#include "engine/autograd/node.h"
#include "engine/ops/ops.h"

namespace cadenza::models {

namespace {
const int64_t kMaxOffset = 8;  // aligned tasks: offsets beyond +-8 source steps share one learned score
}

Seq2Seq::Seq2Seq(const Seq2SeqConfig& c, Generator& gen) : cfg(c) {
  if (c.src_vocab <= 0 || c.tgt_vocab <= 0) fail("Seq2Seq", "src_vocab and tgt_vocab must be set", "");
  src_embed = register_module("src_embed", std::make_shared<nn::Embedding>(c.src_vocab, c.embed, gen));
  tgt_embed = register_module("tgt_embed", std::make_shared<nn::Embedding>(c.tgt_vocab, c.embed, gen));
  if (c.aligned < 0) fail("Seq2Seq", "aligned must be 0 (off) or the target tokens per source step", "");
  encoder = register_module("encoder", std::make_shared<nn::LSTM>(c.embed, c.hidden, nn::RNNOptions{1, 0, true}, gen));
  if (c.bidirectional)
    encoder_bw =
        register_module("encoder_bw", std::make_shared<nn::LSTM>(c.embed, c.hidden, nn::RNNOptions{1, 0, true}, gen));
  if (c.aligned) {
    slot_embed = register_module("slot_embed", std::make_shared<nn::Embedding>(c.aligned, c.embed, gen));
    offset_bias = register_module("offset_bias", std::make_shared<nn::Embedding>(2 * kMaxOffset + 1, 1, gen));
    NoGradGuard no_grad;  // a location prior to start from: each step away from the aligned one costs 1
    for (int64_t k = 0; k <= 2 * kMaxOffset; ++k) offset_bias->weight.data()[k] = -(real)std::abs(k - kMaxOffset);
  }
  decoder = register_module("decoder", std::make_shared<nn::LSTM>(c.embed + c.hidden, c.hidden, nn::RNNOptions{}, gen));
  attention = register_module("attention",
                              std::make_shared<nn::LuongAttention>(nn::LuongAttention::Score::General, c.hidden, gen));
  out = register_module("out", std::make_shared<nn::Linear>(2 * c.hidden, c.tgt_vocab, true, gen));
  drop = register_module("drop", std::make_shared<nn::Dropout>(c.dropout, gen));
}

Seq2Seq::Encoded Seq2Seq::encode(const Tensor& src, const std::vector<int64_t>& lengths) {
  if (!src.defined() || src.dim() != 2) fail("Seq2Seq", "src must be (batch, steps) of token ids", "");
  Tensor x = drop->forward(src_embed->forward(src));
  nn::RNNOutput o = encoder->forward(x, {}, lengths);
  Encoded e;
  e.keys = o.output;  // (B, S, H)
  e.state = o.state;
  if (encoder_bw) {  // read backwards, then flip back: step s's key sums both directions
    if (!lengths.empty()) fail("Seq2Seq", "a bidirectional encoder needs unpadded sources", "pass no src_lengths");
    nn::RNNOutput b = encoder_bw->forward(flip(x, 1).contiguous(), {});
    e.keys = e.keys + flip(b.output, 1);
    e.state.h = e.state.h + b.state.h, e.state.c = e.state.c + b.state.c;
  }
  if (!lengths.empty()) e.mask = nn::lengths_to_mask(lengths, src.size(1)).t();
  return e;
}

Seq2Seq::DecoderState Seq2Seq::start(const Encoded& enc) {
  return {enc.state, Tensor::zeros({enc.keys.size(0), cfg.hidden})};
}

// [doc:seq2seq-step]
Tensor Seq2Seq::step(const Encoded& enc, DecoderState& s, const Tensor& tokens, Tensor* weights) {
  Tensor e = tgt_embed->forward(tokens);  // (B, E)
  Tensor bias;
  const int64_t S = enc.keys.size(1), at = cfg.aligned ? std::min(S - 1, s.t / cfg.aligned) : 0;
  if (cfg.aligned) {  // where it is: which voice (slot), and a learned score for each offset from step `at`
    e = e + slot_embed->forward(Tensor::full({tokens.size(0)}, (real)(s.t % cfg.aligned)));
    std::vector<real> offset((size_t)S);
    for (int64_t j = 0; j < S; ++j)
      offset[(size_t)j] = (real)(std::clamp(j - at, -kMaxOffset, kMaxOffset) + kMaxOffset);
    bias = offset_bias->forward(Tensor::from_vector(offset, {S})).reshape({S});
  }
  Tensor x = concat({drop->forward(e), s.context}, 1);  // (B, E + H): input feeding
  ++s.t;
  nn::RNNOutput o = decoder->forward(x.unsqueeze(0), s.rnn);
  Tensor h = o.output.squeeze(0);                                    // (B, H)
  nn::Attended a = attention->forward(h, enc.keys, enc.mask, bias);  // which source steps matter now
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
// [doc:ruled-beam]
// Applies a rule to every hypothesis's next-token scores; keeps each hypothesis's tokens to show it.
class RuledBeam : public BeamModel {
 public:
  RuledBeam(BeamModel& inner, const Seq2Seq::TokenRule& rule) : inner_(inner), rule_(rule) {}
  Tensor log_probs(const std::vector<int64_t>& last) override {
    if (started_)
      for (size_t i = 0; i < last.size(); ++i) prefixes_[i].push_back(last[i]);
    else prefixes_.assign(last.size(), {}), started_ = true;  // the first call reads the start token
    Tensor lp = inner_.log_probs(last).contiguous();
    for (int64_t i = 0; i < lp.size(0); ++i) rule_(prefixes_[(size_t)i], lp.data() + i * lp.size(1), lp.size(1));
    return lp;
  }
  void reorder(const std::vector<int64_t>& parents) override {
    std::vector<std::vector<int64_t>> next;
    for (int64_t p : parents) next.push_back(prefixes_[(size_t)p]);
    prefixes_ = std::move(next);
    inner_.reorder(parents);
  }

 private:
  BeamModel& inner_;
  const Seq2Seq::TokenRule& rule_;
  std::vector<std::vector<int64_t>> prefixes_;
  bool started_ = false;
};
// [/doc]
}  // namespace

Seq2Seq::Decoded Seq2Seq::beam(const Tensor& src, int64_t start_token, int64_t length, int64_t width,
                               const std::vector<int64_t>& primer, const TokenRule& rule) {
  NoGradGuard ng;
  bool was = training();
  eval();
  DecoderBeam inner(*this, encode(src.dim() == 1 ? src.unsqueeze(0) : src));
  PrimedBeam primed(inner, primer);
  RuledBeam ruled(primed, rule);
  BeamModel& model = rule ? static_cast<BeamModel&>(ruled) : static_cast<BeamModel&>(primed);
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
