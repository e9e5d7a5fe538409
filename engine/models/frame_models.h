// frame_models.h: models of polyphonic music as a sequence of 88-key frames,
// p(frame_t | frames before t), the task of the polyphonic benchmark
// (JSB Chorales, Nottingham, ...). Three models, one interface:
//   FrameRNN  an LSTM or GRU reads the past frames; a Linear layer gives 88 independent
//             key probabilities (Bai et al. 2018's LSTM baseline)
//   FrameTCN  a causal dilated TCN instead of the recurrent net (Bai et al. 2018)
//   RNNNADE   an LSTM reads the past; a NADE models the keys of each frame JOINTLY,
//             key i conditioned on keys < i (Boulanger-Lewandowski et al. 2012)
// Shapes: x (B, T, K) holds the frames the model conditions on, shifted by one:
// x[:, t] = frame t-1, zeros at t = 0. target (B, T, K) = frame t. lengths: real
// steps per item (padding after them is ignored). logits() returns (B, T, K): for
// FrameRNN/FrameTCN the logit of each key; for RNNNADE the logit of key i given
// the true keys < i. Either way NLL = BCE-with-logits summed over keys.
// Chapter: docs/08-recurrent-networks.md ("The polyphonic benchmark").
#pragma once
#include <memory>
#include <vector>

#include "engine/nn/conv.h"
#include "engine/nn/layers.h"
#include "engine/nn/rnn.h"

namespace cadenza::models {

class FrameModel : public nn::Module {
 public:
  virtual Tensor logits(const Tensor& x, const Tensor& target, const std::vector<int64_t>& lengths) = 0;
  // One frame per step from p(frame_t | x): sampled (threshold < 0) or p > threshold. (B, T, K) of 0/1.
  virtual Tensor predict(const Tensor& x, const std::vector<int64_t>& lengths, double threshold, Generator& gen);
  // Sets the output biases to logit(p_k): the model starts as the Note 1-Gram.
  virtual void init_output_bias(const std::vector<float>& p) = 0;
  int64_t keys = 88;
};

class FrameRNN : public FrameModel {
 public:
  FrameRNN(int64_t keys, int64_t hidden, nn::RNNOptions rnn, bool gru, double dropout, Generator& gen);
  Tensor logits(const Tensor& x, const Tensor& target, const std::vector<int64_t>& lengths) override;
  void init_output_bias(const std::vector<float>& p) override;
  std::string type_name() const override { return "FrameRNN"; }
  std::shared_ptr<nn::RNNBase> rnn;
  std::shared_ptr<nn::Dropout> drop;
  std::shared_ptr<nn::Linear> out;
};

class FrameTCN : public FrameModel {
 public:
  FrameTCN(int64_t keys, const std::vector<int64_t>& channels, int64_t kernel, double dropout, Generator& gen);
  Tensor logits(const Tensor& x, const Tensor& target, const std::vector<int64_t>& lengths) override;
  void init_output_bias(const std::vector<float>& p) override;
  std::string type_name() const override { return "FrameTCN"; }
  std::shared_ptr<nn::TCN> tcn;
  std::shared_ptr<nn::Linear> out;
};

class RNNNADE : public FrameModel {
 public:
  RNNNADE(int64_t keys, int64_t rnn_hidden, int64_t nade_hidden, nn::RNNOptions rnn, double dropout, Generator& gen);
  Tensor logits(const Tensor& x, const Tensor& target, const std::vector<int64_t>& lengths) override;
  // Keys are drawn one at a time, each given the ones before it.
  Tensor predict(const Tensor& x, const std::vector<int64_t>& lengths, double threshold, Generator& gen) override;
  void init_output_bias(const std::vector<float>& p) override;
  std::string type_name() const override { return "RNNNADE"; }
  std::shared_ptr<nn::RNNBase> rnn;
  std::shared_ptr<nn::Dropout> drop;
  std::shared_ptr<nn::Linear> to_b, to_c;  // u_{t-1} -> the NADE's visible (K) and hidden (Hn) biases
  Tensor W, V;                             // (Hn, K) input weights, (K, Hn) output weights
  int64_t nade_hidden;
};
// nade_logits (engine/ops/nade.cpp) composed from plain ops: the readable reference it is tested against.
Tensor nade_logits_composed(const Tensor& b, const Tensor& c, const Tensor& W, const Tensor& V, const Tensor& v);

// The masked, summed BCE of a batch: (total NLL in nats, number of real steps).
// Divide the first by the second for nats per step.
struct FrameLoss {
  Tensor total;
  int64_t steps;
};
FrameLoss frame_nll(const Tensor& logits, const Tensor& target, const std::vector<int64_t>& lengths);

}  // namespace cadenza::models
