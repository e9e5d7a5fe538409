// rnn.h: LSTM and GRU layers (multi-layer, dropout between layers, initial
// states, padded batches with per-sequence lengths), with PyTorch's parameter
// names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...) so a Cadenza
// state_dict and a torch.nn.LSTM one line up key for key.
//   x: (T, B, input)  or (B, T, input) with batch_first
//   output: (T, B, hidden) [or (B, T, hidden)], zero at padded steps
//   state.h, state.c: (num_layers, B, hidden), the state after each sequence's last real step
// Each layer runs as one fused node (lstm_layer / gru_layer in engine/ops).
// Chapter: docs/08-recurrent-networks.md.
#pragma once
#include <vector>

#include "engine/ops/random.h"
#include "engine/nn/layers.h"
#include "engine/nn/module.h"

namespace cadenza::nn {

struct RNNOptions {
  int64_t num_layers = 1;
  double dropout = 0;        // on the outputs of every layer but the last, while training
  bool batch_first = false;  // x and output as (B, T, ...)
  bool bias = true;
};

struct RNNState {
  Tensor h, c;  // (num_layers, B, hidden); c is only used by the LSTM. Undefined = zeros.
};

struct RNNOutput {
  Tensor output;  // every step of the last layer
  RNNState state;
};

class RNNBase : public Module {
 public:
  enum class Kind { LSTM, GRU };
  RNNBase(Kind kind, int64_t input_size, int64_t hidden_size, RNNOptions opt, Generator& gen);
  // lengths: one per batch item, 1..T (empty means every sequence has T steps).
  RNNOutput forward(const Tensor& x, const RNNState& state = {}, const std::vector<int64_t>& lengths = {});
  RNNOutput operator()(const Tensor& x, const RNNState& state = {}, const std::vector<int64_t>& lengths = {}) {
    return forward(x, state, lengths);
  }
  std::string type_name() const override;
  Kind kind;
  int64_t input_size, hidden_size;
  RNNOptions options;
  struct Weights {
    Tensor w_ih, w_hh, b_ih, b_hh;
  };
  std::vector<Weights> layers;  // one per layer, registered as weight_ih_l{k} etc.

  std::shared_ptr<Dropout> dropout;  // between layers; a child module without parameters
};

// y = LSTM(x): PyTorch's gate order i, f, g, o; init U(-1/sqrt(hidden), 1/sqrt(hidden)) like PyTorch.
class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, RNNOptions opt = {}, Generator& gen = default_generator())
      : RNNBase(Kind::LSTM, input_size, hidden_size, opt, gen) {}
};

// PyTorch's GRU: gate order r, z, n, with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, RNNOptions opt = {}, Generator& gen = default_generator())
      : RNNBase(Kind::GRU, input_size, hidden_size, opt, gen) {}
};

// One LSTM step composed from tensor ops, the way chapter 8 first writes it (tinygrad's
// LSTMCell reads the same): every op records its own node and autograd differentiates it.
// x: (B, I)  h, c: (B, H)  w_ih: (4H, I)  w_hh: (4H, H)  b_ih, b_hh: (4H) or undefined.
// The layers run the fused lstm_cell / lstm_layer ops instead; tests check they agree.
struct LSTMCellState {
  Tensor h, c;
};
LSTMCellState lstm_cell_composed(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                                 const Tensor& w_hh, const Tensor& b_ih = {}, const Tensor& b_hh = {});

// One GRU step composed from tensor ops (PyTorch's equations, gate order r, z, n):
//   r = σ(x W_ir^T + b_ir + h W_hr^T + b_hr)      z = σ(x W_iz^T + b_iz + h W_hz^T + b_hz)
//   n = tanh(x W_in^T + b_in + r ⊙ (h W_hn^T + b_hn))      h' = (1 - z) ⊙ n + z ⊙ h
// w_ih: (3H, I)  w_hh: (3H, H)  b_ih, b_hh: (3H) or undefined. Returns h' (B, H).
Tensor gru_cell_composed(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& b_ih = {}, const Tensor& b_hh = {});

// A (T, B) tensor of 0/1: 1 while step t is inside sequence b. Checks every length is in 1..T.
Tensor lengths_to_mask(const std::vector<int64_t>& lengths, int64_t T);

}  // namespace cadenza::nn
