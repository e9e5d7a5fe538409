// rnn_cells.h: the per-row maths of the LSTM and GRU cells, forward and backward,
// on raw pointers. One batch row of width H at a time; the fused ops in
// engine/ops/recurrent.cpp (one step) and engine/ops/recurrent_seq.cpp (a whole
// layer over time) both call these, so the two can never disagree.
// Gate orders are PyTorch's: LSTM i, f, g, o; GRU r, z, n. Chapter: docs/08-recurrent-networks.md.
#pragma once
#include <cmath>
#include <cstdint>

#include "engine/core/tensor.h"
#include "engine/kernels/vmath.h"

namespace cadenza::kernels {

// [doc:lstm-row]
// LSTM forward, one row.  a: (4H) pre-activations  c_prev: (H)
//   -> act: (4H) = i, f, g, o after σ/tanh   tc: (H) = tanh(c)   h: (H)   c: (H)
//   c = f ⊙ c_prev + i ⊙ g        h = o ⊙ tanh(c)
// The nonlinearities run over whole gate blocks with the SIMD kernels of vmath.h.
inline void lstm_row_forward(const real* a, const real* c_prev, int64_t H, real* act, real* tc, real* h, real* c) {
  const real *i = act, *f = act + H, *g = act + 2 * H, *o = act + 3 * H;
  vsigmoid(a, act, 2 * H);              // i, f
  vtanh(a + 2 * H, act + 2 * H, H);     // g
  vsigmoid(a + 3 * H, act + 3 * H, H);  // o
  for (int64_t j = 0; j < H; ++j) c[j] = f[j] * c_prev[j] + i[j] * g[j];
  vtanh(c, tc, H);
  for (int64_t j = 0; j < H; ++j) h[j] = o[j] * tc[j];
}

// LSTM backward, one row.  gh, gc: (H) dL/dh and dL/dc  ->  da: (4H) dL/d(pre-activations), dc_prev: (H)
//   dc = gc + gh ⊙ o ⊙ (1 - tanh²c)
//   da_i = dc ⊙ g ⊙ i(1-i)   da_f = dc ⊙ c_prev ⊙ f(1-f)   da_g = dc ⊙ i ⊙ (1-g²)   da_o = gh ⊙ tanh c ⊙ o(1-o)
//   dc_prev = dc ⊙ f
// dc_prev may be the same array as gc (each element is read before it is written).
inline void lstm_row_backward(const real* act, const real* tc, const real* c_prev, const real* gh, const real* gc,
                              int64_t H, real* da, real* dc_prev) {
  for (int64_t j = 0; j < H; ++j) {
    real i = act[j], f = act[H + j], g = act[2 * H + j], o = act[3 * H + j], t = tc[j];
    real dc = gc[j] + gh[j] * o * (1 - t * t);
    da[j] = dc * g * i * (1 - i);
    da[H + j] = dc * c_prev[j] * f * (1 - f);
    da[2 * H + j] = dc * i * (1 - g * g);
    da[3 * H + j] = gh[j] * t * o * (1 - o);
    dc_prev[j] = dc * f;
  }
}
// [/doc]

// GRU forward, one row.  gi: (3H) = x W_ih^T + b_ih   gh: (3H) = h_prev W_hh^T + b_hh   h_prev: (H)
//   -> act: (3H) = r, z, n   h: (H)
//   r = σ(gi_r + gh_r)   z = σ(gi_z + gh_z)   n = tanh(gi_n + r ⊙ gh_n)   h = (1 - z) ⊙ n + z ⊙ h_prev
inline void gru_row_forward(const real* gi, const real* gh, const real* h_prev, int64_t H, real* act, real* h) {
  const real *r = act, *z = act + H, *n = act + 2 * H;
  for (int64_t j = 0; j < 2 * H; ++j) act[j] = gi[j] + gh[j];
  vsigmoid(act, act, 2 * H);  // r, z
  for (int64_t j = 0; j < H; ++j) act[2 * H + j] = gi[2 * H + j] + r[j] * gh[2 * H + j];
  vtanh(act + 2 * H, act + 2 * H, H);  // n
  for (int64_t j = 0; j < H; ++j) h[j] = (1 - z[j]) * n[j] + z[j] * h_prev[j];
}

// GRU backward, one row.  act: (3H) r, z, n   gh_n: (H) the saved h_prev W_hn^T + b_hn   g: (H) dL/dh
//   -> dgi: (3H), dgh: (3H), dh_prev: (H) = g ⊙ z, the direct path only (the caller adds dgh @ W_hh).
// dh_prev may be the same array as g.
inline void gru_row_backward(const real* act, const real* gh_n, const real* h_prev, const real* g, int64_t H, real* dgi,
                             real* dgh, real* dh_prev) {
  for (int64_t j = 0; j < H; ++j) {
    real r = act[j], z = act[H + j], n = act[2 * H + j], d = g[j];
    real dn = d * (1 - z) * (1 - n * n);  // through tanh
    real dz = d * (h_prev[j] - n) * z * (1 - z);
    real dr = dn * gh_n[j] * r * (1 - r);
    dgi[j] = dr, dgi[H + j] = dz, dgi[2 * H + j] = dn;
    dgh[j] = dr, dgh[H + j] = dz, dgh[2 * H + j] = dn * r;
    dh_prev[j] = d * z;
  }
}

}  // namespace cadenza::kernels
