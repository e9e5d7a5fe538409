// seq2seq.h: an encoder-decoder with attention (Bahdanau et al. 2015; Luong et al. 2015).
//   encoder  Embedding -> LSTM over the source tokens              -> keys (B, S, H)
//            (optionally bidirectional: plus an LSTM over the reversed source)
//   decoder  Embedding of the previous target token, concatenated with the previous
//            context ("input feeding") -> LSTM step -> Luong "general" attention over
//            the keys (for aligned tasks, plus a learned score per offset from the step
//            being written) -> context -> Linear([h; context]) -> next-token logits
// Training uses teacher forcing: the decoder reads the true previous token.
// Decoding: greedy / temperature / top-k / top-p sampling, or beam search, after an
// optional primer (target tokens forced at the start). Chapter: docs/09-attention-and-seq2seq.md.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "engine/models/decoding.h"
#include "engine/nn/attention.h"
#include "engine/nn/layers.h"
#include "engine/nn/rnn.h"

namespace cadenza::models {

struct Seq2SeqConfig {
  int64_t src_vocab = 0, tgt_vocab = 0;
  int64_t embed = 64, hidden = 128;
  double dropout = 0.1;
  // A second encoder LSTM reads the source backwards; each key is the sum of the two, so a
  // source step also knows what follows it. Sources must then be unpadded (no src_lengths).
  bool bidirectional = false;
  // For tasks where target token t belongs to source step t / aligned (a harmoniser: three
  // voices per melody note). 0: off. Otherwise the decoder is told where it is: its input adds
  // an embedding of t % aligned (which voice), and attention adds a learned score for each
  // offset from step t / aligned, starting from a prior that favours that step.
  int64_t aligned = 0;
};

class Seq2Seq : public nn::Module {
 public:
  Seq2Seq(const Seq2SeqConfig& cfg, Generator& gen);
  std::string type_name() const override { return "Seq2Seq"; }

  struct Encoded {
    Tensor keys, mask;
    nn::RNNState state;
  };  // keys (B, S, H), mask (B, S)
  struct DecoderState {
    nn::RNNState rnn;
    Tensor context;  // (B, H)
    int64_t t = 0;   // target tokens read so far
  };
  struct Output {
    Tensor logits, attention;
  };  // (B, T, V), (B, T, S)

  // src: (B, S) token ids; src_lengths: real steps per item (empty: all S).
  Encoded encode(const Tensor& src, const std::vector<int64_t>& src_lengths = {});
  DecoderState start(const Encoded& enc);
  // One decoder step: tokens (B,) -> logits (B, V); updates `state`; weights (B, S) if asked.
  Tensor step(const Encoded& enc, DecoderState& state, const Tensor& tokens, Tensor* weights = nullptr);
  // Teacher forcing: tgt_in (B, T) = the target shifted right (starting with the start token).
  Output forward(const Tensor& src, const std::vector<int64_t>& src_lengths, const Tensor& tgt_in);

  // Decode one source sequence (batch of 1). `primer` tokens are forced first.
  // Returns the generated tokens (primer included) and the attention rows (T, S).
  struct Decoded {
    std::vector<int64_t> tokens;
    Tensor attention;
  };
  Decoded sample(const Tensor& src, int64_t start_token, int64_t length, const SamplingOptions& opt,
                 const std::vector<int64_t>& primer, Generator& gen);
  // A rule for beam search: given a hypothesis's tokens so far, adjust the log-probabilities
  // (vocab values) of its next token, e.g. -1e9 to forbid one, or a penalty to discourage it.
  using TokenRule = std::function<void(const std::vector<int64_t>& prefix, real* log_probs, int64_t vocab)>;
  Decoded beam(const Tensor& src, int64_t start_token, int64_t length, int64_t beam_width,
               const std::vector<int64_t>& primer, const TokenRule& rule = nullptr);

  Seq2SeqConfig cfg;
  std::shared_ptr<nn::Embedding> src_embed, tgt_embed, slot_embed, offset_bias;  // the last two: with `aligned`
  std::shared_ptr<nn::LSTM> encoder, encoder_bw, decoder;                        // encoder_bw: when bidirectional
  std::shared_ptr<nn::LuongAttention> attention;
  std::shared_ptr<nn::Linear> out;
  std::shared_ptr<nn::Dropout> drop;
};

}  // namespace cadenza::models
