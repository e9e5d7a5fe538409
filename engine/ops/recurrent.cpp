// recurrent.cpp: the fused LSTM and GRU cells, forward and hand-written backward.
//
// An LSTM step written with separate ops (4 sigmoids, 2 tanhs, 3 muls, 1 add,
// 4 slices) records a dozen graph nodes and walks memory a dozen times. The
// fused cell does the whole step in one pass per batch row and records one node.
// The maths (PyTorch's gate order i, f, g, o):
//   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
//   c = f ⊙ c_prev + i ⊙ g          h = o ⊙ tanh(c)
// Backward, given dL/dh = gh and dL/dc = gc (c also feeds the next step):
//   dc  = gc + gh ⊙ o ⊙ (1 - tanh²c)
//   da_i = dc ⊙ g ⊙ i(1-i)   da_f = dc ⊙ c_prev ⊙ f(1-f)
//   da_g = dc ⊙ i ⊙ (1-g²)   da_o = gh ⊙ tanh c ⊙ o(1-o)
//   dc_prev = dc ⊙ f
// GRU (PyTorch's order r, z, n; gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh):
//   r = σ(gi_r + gh_r)  z = σ(gi_z + gh_z)  n = tanh(gi_n + r ⊙ gh_n)
//   h = (1 - z) ⊙ n + z ⊙ h_prev
// The per-row maths is in engine/kernels/rnn_cells.h, shared with the whole-layer
// ops of recurrent_seq.cpp. Each is checked against finite differences
// (tests/test_gradcheck.cpp) and against torch.nn.LSTM / GRU (tests/test_seq_layers.cpp).
// Chapter: docs/08-recurrent-networks.md.

#include "engine/autograd/node.h"
#include "engine/core/parallel.h"
#include "engine/kernels/rnn_cells.h"
#include "engine/ops/ops.h"

namespace cadenza {

static void check_2d(const char* op, const Tensor& t, const char* what, int64_t rows, int64_t cols) {
  if (!t.defined()) fail(op, str(what, " is undefined"), "pass a tensor");
  if (t.dim() != 2 || t.size(0) != rows || t.size(1) != cols)
    fail(op, str(what, " has shape ", shape_str(t.shape()), ", expected (", rows, ", ", cols, ")"),
         "gates are (batch, 4*hidden) for LSTM and (batch, 3*hidden) for GRU; states are (batch, hidden)");
}

// [doc:lstm-cell]
// gates: (B, 4H) pre-activations, c_prev: (B, H)  ->  (B, 2H) = [h | c]
Tensor lstm_cell(const Tensor& gates, const Tensor& c_prev) {
  Op op("lstm_cell");
  if (!gates.defined() || gates.dim() != 2 || gates.size(1) % 4 != 0)
    fail("lstm_cell",
         "gates must be (batch, 4*hidden), got " + (gates.defined() ? shape_str(gates.shape()) : "undefined"),
         "gates = x W_ih^T + b_ih + h W_hh^T + b_hh");
  const int64_t B = gates.size(0), H = gates.size(1) / 4;
  check_2d("lstm_cell", c_prev, "c_prev", B, H);
  Tensor a = gates.contiguous(), cp = c_prev.contiguous();
  Tensor out = make_tensor({B, 2 * H});
  Tensor act = make_tensor({B, 4 * H});  // σ/tanh of the gates, saved for backward
  Tensor tc = make_tensor({B, H});       // tanh(c), saved for backward
  const real *pa = a.data(), *pc = cp.data();
  real *po = out.data(), *pact = act.data(), *ptc = tc.data();
  parallel_for(B, std::max<int64_t>(1, 4096 / (H + 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      kernels::lstm_row_forward(pa + b * 4 * H, pc + b * H, H, pact + b * 4 * H, ptc + b * H, po + b * 2 * H,
                                po + b * 2 * H + H);
  });
  return op.finish(out, {gates, c_prev}, [act, tc, cp = cp.detach(), B, H](const Tensor& grad) -> Grads {
    Tensor g = grad.contiguous();
    Tensor da = make_tensor({B, 4 * H}), dcp = make_tensor({B, H});
    const real *pg = g.data(), *pact = act.data(), *ptc = tc.data(), *pc = cp.data();
    real *pda = da.data(), *pdc = dcp.data();
    parallel_for(B, std::max<int64_t>(1, 4096 / (H + 1)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        kernels::lstm_row_backward(pact + b * 4 * H, ptc + b * H, pc + b * H, pg + b * 2 * H, pg + b * 2 * H + H, H,
                                   pda + b * 4 * H, pdc + b * H);
    });
    return {da, dcp};
  });
}
// [/doc]

// gi, gh: (B, 3H), h_prev: (B, H)  ->  h: (B, H)
Tensor gru_cell(const Tensor& gi, const Tensor& gh, const Tensor& h_prev) {
  Op op("gru_cell");
  if (!gi.defined() || gi.dim() != 2 || gi.size(1) % 3 != 0)
    fail("gru_cell", "gi must be (batch, 3*hidden), got " + (gi.defined() ? shape_str(gi.shape()) : "undefined"),
         "gi = x W_ih^T + b_ih");
  const int64_t B = gi.size(0), H = gi.size(1) / 3;
  check_2d("gru_cell", gh, "gh", B, 3 * H);
  check_2d("gru_cell", h_prev, "h_prev", B, H);
  Tensor xi = gi.contiguous(), xh = gh.contiguous(), hp = h_prev.contiguous();
  Tensor out = make_tensor({B, H});
  Tensor act = make_tensor({B, 3 * H});  // r, z, n saved for backward
  const real *pi = xi.data(), *ph = xh.data(), *php = hp.data();
  real *po = out.data(), *pact = act.data();
  parallel_for(B, std::max<int64_t>(1, 4096 / (H + 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      kernels::gru_row_forward(pi + b * 3 * H, ph + b * 3 * H, php + b * H, H, pact + b * 3 * H, po + b * H);
  });
  return op.finish(out, {gi, gh, h_prev}, [act, xh = xh.detach(), hp = hp.detach(), B, H](const Tensor& grad) -> Grads {
    Tensor g = grad.contiguous();
    Tensor dgi = make_tensor({B, 3 * H}), dgh = make_tensor({B, 3 * H}), dhp = make_tensor({B, H});
    const real *pg = g.data(), *pact = act.data(), *ph = xh.data(), *php = hp.data();
    real *pdi = dgi.data(), *pdh = dgh.data(), *pdp = dhp.data();
    parallel_for(B, std::max<int64_t>(1, 4096 / (H + 1)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        kernels::gru_row_backward(pact + b * 3 * H, ph + b * 3 * H + 2 * H, php + b * H, pg + b * H, H, pdi + b * 3 * H,
                                  pdh + b * 3 * H, pdp + b * H);
    });
    return {dgi, dgh, dhp};
  });
}

}  // namespace cadenza
