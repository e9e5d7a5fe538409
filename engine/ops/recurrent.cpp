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
// Each is checked against finite differences (tests/test_gradcheck.cpp) and
// against torch.nn.LSTM / GRU (tests/test_rnn.cpp). Chapter: docs/08-recurrent-networks.md.
#include <cmath>

#include "engine/autograd/node.h"
#include "engine/kernels/parallel.h"
#include "engine/ops/ops.h"

namespace cadenza {

static inline real sigm(real x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

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
    fail("lstm_cell", "gates must be (batch, 4*hidden), got " + (gates.defined() ? shape_str(gates.shape()) : "undefined"),
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
    for (int64_t b = b0; b < b1; ++b) {
      const real* ab = pa + b * 4 * H;
      real* actb = pact + b * 4 * H;
      for (int64_t j = 0; j < H; ++j) {
        real i = sigm(ab[j]), f = sigm(ab[H + j]), g = std::tanh(ab[2 * H + j]), o = sigm(ab[3 * H + j]);
        real c = f * pc[b * H + j] + i * g;
        real t = std::tanh(c);
        actb[j] = i, actb[H + j] = f, actb[2 * H + j] = g, actb[3 * H + j] = o;
        ptc[b * H + j] = t;
        po[b * 2 * H + j] = o * t;      // h
        po[b * 2 * H + H + j] = c;      // c
      }
    }
  });
  return op.finish(out, {gates, c_prev}, [act, tc, cp = cp.detach(), B, H](const Tensor& grad) -> Grads {
    Tensor g = grad.contiguous();
    Tensor da = make_tensor({B, 4 * H}), dcp = make_tensor({B, H});
    const real *pg = g.data(), *pact = act.data(), *ptc = tc.data(), *pc = cp.data();
    real *pda = da.data(), *pdc = dcp.data();
    parallel_for(B, std::max<int64_t>(1, 4096 / (H + 1)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const real* actb = pact + b * 4 * H;
        real* dab = pda + b * 4 * H;
        for (int64_t j = 0; j < H; ++j) {
          real i = actb[j], f = actb[H + j], gg = actb[2 * H + j], o = actb[3 * H + j];
          real t = ptc[b * H + j], gh = pg[b * 2 * H + j], gc = pg[b * 2 * H + H + j];
          real dc = gc + gh * o * (1 - t * t);
          dab[j] = dc * gg * i * (1 - i);
          dab[H + j] = dc * pc[b * H + j] * f * (1 - f);
          dab[2 * H + j] = dc * i * (1 - gg * gg);
          dab[3 * H + j] = gh * t * o * (1 - o);
          pdc[b * H + j] = dc * f;
        }
      }
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
    for (int64_t b = b0; b < b1; ++b) {
      const real *ib = pi + b * 3 * H, *hb = ph + b * 3 * H;
      real* ab = pact + b * 3 * H;
      for (int64_t j = 0; j < H; ++j) {
        real r = sigm(ib[j] + hb[j]), z = sigm(ib[H + j] + hb[H + j]);
        real n = std::tanh(ib[2 * H + j] + r * hb[2 * H + j]);
        ab[j] = r, ab[H + j] = z, ab[2 * H + j] = n;
        po[b * H + j] = (1 - z) * n + z * php[b * H + j];
      }
    }
  });
  return op.finish(out, {gi, gh, h_prev}, [act, xh = xh.detach(), hp = hp.detach(), B, H](const Tensor& grad) -> Grads {
    Tensor g = grad.contiguous();
    Tensor dgi = make_tensor({B, 3 * H}), dgh = make_tensor({B, 3 * H}), dhp = make_tensor({B, H});
    const real *pg = g.data(), *pact = act.data(), *ph = xh.data(), *php = hp.data();
    real *pdi = dgi.data(), *pdh = dgh.data(), *pdp = dhp.data();
    parallel_for(B, std::max<int64_t>(1, 4096 / (H + 1)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const real* ab = pact + b * 3 * H;
        for (int64_t j = 0; j < H; ++j) {
          real r = ab[j], z = ab[H + j], n = ab[2 * H + j], gb = pg[b * H + j];
          real dn = gb * (1 - z) * (1 - n * n);      // through tanh
          real dz = gb * (php[b * H + j] - n) * z * (1 - z);
          real dr = dn * ph[b * 3 * H + 2 * H + j] * r * (1 - r);
          pdi[b * 3 * H + j] = dr, pdi[b * 3 * H + H + j] = dz, pdi[b * 3 * H + 2 * H + j] = dn;
          pdh[b * 3 * H + j] = dr, pdh[b * 3 * H + H + j] = dz, pdh[b * 3 * H + 2 * H + j] = dn * r;
          pdp[b * H + j] = gb * z;
        }
      }
    });
    return {dgi, dgh, dhp};
  });
}

}  // namespace cadenza
