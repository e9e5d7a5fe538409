// rnn.cpp: see rnn.h. The per-step maths lives in engine/ops/recurrent*.cpp;
// this file stacks layers, handles initial states, lengths and dropout.
// Chapter: docs/08-recurrent-networks.md.
#include "engine/nn/rnn.h"

#include <cmath>

#include "engine/ops/ops.h"

namespace cadenza::nn {

RNNBase::RNNBase(Kind k, int64_t in, int64_t hid, RNNOptions opt, Generator& gen)
    : kind(k), input_size(in), hidden_size(hid), options(opt) {
  const char* name = k == Kind::LSTM ? "LSTM" : "GRU";
  if (in <= 0 || hid <= 0 || opt.num_layers <= 0)
    fail(name, str("sizes must be positive, got input_size=", in, " hidden_size=", hid, " num_layers=", opt.num_layers),
         "");
  if (!(opt.dropout >= 0 && opt.dropout < 1)) fail(name, str("dropout must be in [0, 1), got ", opt.dropout), "");
  dropout = register_module("dropout", std::make_shared<Dropout>(opt.dropout, gen));
  int64_t gates = (k == Kind::LSTM ? 4 : 3) * hid;
  real bound = (real)(1.0 / std::sqrt((double)hid));
  for (int64_t l = 0; l < opt.num_layers; ++l) {
    Weights w;
    std::string s = "_l" + std::to_string(l);
    w.w_ih = register_parameter("weight_ih" + s, uniform({gates, l == 0 ? in : hid}, -bound, bound, gen));
    w.w_hh = register_parameter("weight_hh" + s, uniform({gates, hid}, -bound, bound, gen));
    if (opt.bias) {
      w.b_ih = register_parameter("bias_ih" + s, uniform({gates}, -bound, bound, gen));
      w.b_hh = register_parameter("bias_hh" + s, uniform({gates}, -bound, bound, gen));
    }
    layers.push_back(w);
  }
}

std::string RNNBase::type_name() const {
  return str(kind == Kind::LSTM ? "LSTM(" : "GRU(", input_size, " -> ", hidden_size, ", layers=", options.num_layers,
             options.dropout > 0 ? str(", dropout=", options.dropout) : "", ")");
}

// [doc:lstm-composed]
LSTMCellState lstm_cell_composed(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                                 const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  // [exercise:8.1] the LSTM cell composed from tensor ops (gate order i, f, g, o)
  const int64_t H = h.size(1);
  Tensor a = matmul(x, w_ih.t()) + matmul(h, w_hh.t());  // (B, 4H): the gates before σ and tanh
  if (b_ih.defined()) a = a + b_ih + b_hh;
  Tensor i = sigmoid(a.slice(1, 0, H)), f = sigmoid(a.slice(1, H, 2 * H));
  Tensor g = tanh(a.slice(1, 2 * H, 3 * H)), o = sigmoid(a.slice(1, 3 * H, 4 * H));
  Tensor c_next = f * c + i * g;
  return {o * tanh(c_next), c_next};
  // [/exercise]
}
// [/doc]

Tensor gru_cell_composed(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                         const Tensor& b_hh) {
  // [exercise:8.4] the GRU cell composed from tensor ops (gate order r, z, n)
  const int64_t H = h.size(1);
  Tensor gi = matmul(x, w_ih.t()), gh = matmul(h, w_hh.t());  // (B, 3H) each: n needs them apart
  if (b_ih.defined()) gi = gi + b_ih, gh = gh + b_hh;
  Tensor r = sigmoid(gi.slice(1, 0, H) + gh.slice(1, 0, H));
  Tensor z = sigmoid(gi.slice(1, H, 2 * H) + gh.slice(1, H, 2 * H));
  Tensor n = tanh(gi.slice(1, 2 * H, 3 * H) + r * gh.slice(1, 2 * H, 3 * H));
  return (1 - z) * n + z * h;
  // [/exercise]
}

Tensor lengths_to_mask(const std::vector<int64_t>& lengths, int64_t T) {
  // [exercise:8.2] the (T, B) mask of real steps; refuse a length outside 1..T
  std::vector<real> m((size_t)(T * (int64_t)lengths.size()), 0);
  for (size_t b = 0; b < lengths.size(); ++b) {
    if (lengths[b] < 1 || lengths[b] > T)
      fail("RNN", str("lengths[", b, "] = ", lengths[b], " is outside 1..", T),
           "each length counts the real steps of one sequence");
    for (int64_t t = 0; t < lengths[b]; ++t) m[(size_t)t * lengths.size() + b] = 1;
  }
  return Tensor::from_vector(m, {T, (int64_t)lengths.size()});
  // [/exercise]
}

// [doc:rnn-forward]
RNNOutput RNNBase::forward(const Tensor& input, const RNNState& state, const std::vector<int64_t>& lengths) {
  const char* name = kind == Kind::LSTM ? "LSTM" : "GRU";
  if (!input.defined() || input.dim() != 3 || input.size(2) != input_size)
    fail(name,
         str("input has shape ", input.defined() ? shape_str(input.shape()) : "undefined", ", expected (",
             options.batch_first ? "batch, time, " : "time, batch, ", input_size, ")"),
         options.batch_first ? "batch_first is on" : "the default layout is time-major; set batch_first for (B, T, F)");
  Tensor x = options.batch_first ? input.transpose(0, 1) : input;  // (T, B, F)
  const int64_t T = x.size(0), B = x.size(1), H = hidden_size, L = options.num_layers;
  if (!lengths.empty() && (int64_t)lengths.size() != B)
    fail(name, str("got ", lengths.size(), " lengths for a batch of ", B), "give one length per sequence");
  Tensor mask = lengths.empty() ? Tensor() : lengths_to_mask(lengths, T);
  auto initial = [&](const Tensor& s, const char* what) {
    if (!s.defined()) return Tensor::zeros({L, B, H});
    if (s.shape() != Shape{L, B, H})
      fail(name, str("initial ", what, " has shape ", shape_str(s.shape()), ", expected (", L, ", ", B, ", ", H, ")"),
           "states are (num_layers, batch, hidden)");
    return s;
  };
  Tensor h0 = initial(state.h, "h"), c0 = kind == Kind::LSTM ? initial(state.c, "c") : Tensor();
  std::vector<Tensor> hn, cn;
  for (int64_t l = 0; l < L; ++l) {
    const Weights& w = layers[(size_t)l];
    // The input projection of every step in one matrix product: (T*B, F) @ (F, gates).
    Tensor xp = matmul(x.reshape({T * B, x.size(2)}), w.w_ih.t());
    if (kind == Kind::LSTM) {
      if (w.b_ih.defined()) xp = xp + (w.b_ih + w.b_hh);
      Tensor hc = lstm_layer(xp.reshape({T, B, 4 * H}), w.w_hh, h0.select(0, l), c0.select(0, l), mask);
      Tensor last = hc.select(0, T - 1);
      hn.push_back(last.slice(1, 0, H));
      cn.push_back(last.slice(1, H, 2 * H));
      x = hc.slice(2, 0, H);
    } else {
      if (w.b_ih.defined()) xp = xp + w.b_ih;
      Tensor bhh = w.b_hh.defined() ? w.b_hh : Tensor::zeros({3 * H});
      x = gru_layer(xp.reshape({T, B, 3 * H}), w.w_hh, bhh, h0.select(0, l), mask);
      hn.push_back(x.select(0, T - 1));
    }
    if (mask.defined()) x = x * mask.unsqueeze(-1);  // padded steps output zeros, like PyTorch
    if (l + 1 < L) x = dropout->forward(x);          // does nothing in eval mode or at p = 0
  }
  RNNOutput out;
  out.output = options.batch_first ? x.transpose(0, 1) : x;
  out.state.h = stack(hn, 0);
  if (kind == Kind::LSTM) out.state.c = stack(cn, 0);
  return out;
}
// [/doc]

}  // namespace cadenza::nn
