// recurrent_seq.cpp: a whole LSTM or GRU layer over time as ONE graph node, with
// backpropagation through time written by hand.
//
// Why: running lstm_cell step by step records ~6 nodes per step, and slicing the
// precomputed input projection per step would make the backward O(T^2) (each
// slice's gradient is a full-size tensor). Here the forward loops over t inside
// one op and the backward loops over t in reverse:
//   forward   for t = 0..T-1:  G_t = XP_t + h_{t-1} W_hh^T ;  (h_t, c_t) = cell(G_t, c_{t-1})
//   backward  for t = T-1..0:  dh_t += dOut_t ;  dG_t = cell'(dh_t, dc_t)
//                              dh_{t-1} = dG_t W_hh ;  dc_{t-1} = dc_t ⊙ f_t
//             and once at the end: dW_hh = Σ_t dG_t^T h_{t-1}  (one big gemm)
// Masks (padded batches): where mask[t, b] = 0 the state is carried unchanged,
// so h_n is the state after each sequence's last real step, like PyTorch's
// packed sequences; the gradient passes through such steps untouched.
// The per-row maths is engine/kernels/rnn_cells.h, the same as lstm_cell / gru_cell use.
// W_hh is packed for the gemm once per layer, not at every step (kernels::pack_b;
// docs/11-making-it-fast.md).
// Chapter: docs/08-recurrent-networks.md.
#include <vector>

#include "engine/autograd/node.h"
#include "engine/kernels/gemm.h"
#include "engine/core/parallel.h"
#include "engine/kernels/rnn_cells.h"
#include "engine/ops/ops.h"

namespace cadenza {

namespace {
void need_shape(const char* op, const Tensor& t, const char* what, const Shape& s, const char* hint) {
  if (!t.defined() || t.shape() != s)
    fail(op, str(what, " has shape ", t.defined() ? shape_str(t.shape()) : "undefined", ", expected ", shape_str(s)),
         hint);
}
// mask (T, B) of 0/1 -> bytes; all ones when undefined
std::vector<uint8_t> mask_bytes(const char* op, const Tensor& mask, int64_t T, int64_t B) {
  std::vector<uint8_t> m((size_t)(T * B), 1);
  if (!mask.defined()) return m;
  need_shape(op, mask, "mask", {T, B}, "mask[t, b] is 1 while step t is inside sequence b, else 0");
  std::vector<real> v = mask.to_vector();
  for (size_t i = 0; i < v.size(); ++i) m[i] = v[i] != 0;
  return m;
}
const int64_t kGrain = 4096;  // elements per thread before a parallel region pays off
}  // namespace

// xproj: (T, B, 4H) = x W_ih^T + b_ih + b_hh; w_hh: (4H, H); h0, c0: (B, H); mask: (T, B) or undefined.
// Returns (T, B, 2H): [h_t | c_t] for every step.
Tensor lstm_layer(const Tensor& xproj, const Tensor& w_hh, const Tensor& h0, const Tensor& c0, const Tensor& mask) {
  Op op("lstm_layer");
  if (!xproj.defined() || xproj.dim() != 3 || xproj.size(2) % 4 != 0)
    fail("lstm_layer",
         "xproj must be (T, batch, 4*hidden), got " + (xproj.defined() ? shape_str(xproj.shape()) : "undefined"), "");
  const int64_t T = xproj.size(0), B = xproj.size(1), H = xproj.size(2) / 4;
  need_shape("lstm_layer", w_hh, "w_hh", {4 * H, H}, "weight_hh is (4*hidden, hidden)");
  need_shape("lstm_layer", h0, "h0", {B, H}, "initial states are (batch, hidden) per layer");
  need_shape("lstm_layer", c0, "c0", {B, H}, "initial states are (batch, hidden) per layer");
  std::vector<uint8_t> m = mask_bytes("lstm_layer", mask, T, B);
  Tensor xp = xproj.contiguous(), w = w_hh.contiguous(), hc0 = h0.contiguous(), cc0 = c0.contiguous();
  Tensor out = make_tensor({T, B, 2 * H});
  Tensor act = make_tensor({T, B, 4 * H});  // i, f, g, o after their nonlinearities
  Tensor tcs = make_tensor({T, B, H});      // tanh(c_t)
  real *po = out.data(), *pact = act.data(), *ptc = tcs.data();
  std::vector<real> G((size_t)(B * 4 * H));
  const kernels::PackedB w_t = kernels::pack_b(H, 4 * H, w.data(), 1, H);  // W_hh^T (H, 4H), packed once for all steps
  for (int64_t t = 0; t < T; ++t) {
    const real* hp = t == 0 ? hc0.data() : po + (t - 1) * B * 2 * H;  // h_{t-1}, row stride rs
    const real* cp = t == 0 ? cc0.data() : po + (t - 1) * B * 2 * H + H;
    int64_t rs = t == 0 ? H : 2 * H;
    std::copy(xp.data() + t * B * 4 * H, xp.data() + (t + 1) * B * 4 * H, G.begin());
    // G (B, 4H) += h_{t-1} (B, H) @ W_hh^T (H, 4H)
    kernels::gemm_packed(B, hp, rs, 1, w_t, G.data(), 4 * H, true);
    parallel_for(B, std::max<int64_t>(1, kGrain / (4 * H)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        real* ob = po + (t * B + b) * 2 * H;
        real* ab = pact + (t * B + b) * 4 * H;
        real* tb = ptc + (t * B + b) * H;
        const real *hpb = hp + b * rs, *cpb = cp + b * rs, *gb = G.data() + b * 4 * H;
        if (!m[t * B + b]) {  // padding: carry the state
          for (int64_t j = 0; j < H; ++j) ob[j] = hpb[j], ob[H + j] = cpb[j];
          continue;
        }
        kernels::lstm_row_forward(gb, cpb, H, ab, tb, ob, ob + H);
      }
    });
  }
  return op.finish(
      out, {xproj, w_hh, h0, c0},
      [=, out = out.detach(), w = w.detach(), hc0 = hc0.detach(), cc0 = cc0.detach()](const Tensor& grad) -> Grads {
        Tensor g = grad.contiguous();
        Tensor dxp = make_tensor({T, B, 4 * H});
        std::vector<real> dh((size_t)(B * H), 0), dc((size_t)(B * H), 0), dh_new((size_t)(B * H));
        const kernels::PackedB w_p = kernels::pack_b(4 * H, H, w.data(), H, 1);  // W_hh (4H, H)
        const real *pg = g.data(), *po = out.data(), *pact = act.data(), *ptc = tcs.data();
        real* pdx = dxp.data();
        for (int64_t t = T - 1; t >= 0; --t) {
          const real* cp = t == 0 ? cc0.data() : po + (t - 1) * B * 2 * H + H;
          int64_t rs = t == 0 ? H : 2 * H;
          real* dG = pdx + t * B * 4 * H;
          parallel_for(B, std::max<int64_t>(1, kGrain / (4 * H)), [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
              const real* gb = pg + (t * B + b) * 2 * H;
              real *dhb = dh.data() + b * H, *dcb = dc.data() + b * H, *dGb = dG + b * 4 * H;
              for (int64_t j = 0; j < H; ++j) dhb[j] += gb[j], dcb[j] += gb[H + j];
              if (!m[t * B + b]) {
                for (int64_t j = 0; j < 4 * H; ++j) dGb[j] = 0;
                continue;
              }
              // dc_{t-1} is written over dc_t in place
              kernels::lstm_row_backward(pact + (t * B + b) * 4 * H, ptc + (t * B + b) * H, cp + b * rs, dhb, dcb, H,
                                         dGb, dcb);
            }
          });
          // dh_{t-1} (B, H) = dG_t (B, 4H) @ W_hh (4H, H); padded rows keep their dh.
          kernels::gemm_packed(B, dG, 4 * H, 1, w_p, dh_new.data(), H, false);
          for (int64_t b = 0; b < B; ++b)
            if (m[t * B + b]) std::copy(dh_new.begin() + b * H, dh_new.begin() + (b + 1) * H, dh.begin() + b * H);
        }
        // dW_hh (4H, H) = dG^T (4H, T*B) @ Hprev (T*B, H), Hprev = [h0; h_0; ...; h_{T-2}]
        std::vector<real> hprev((size_t)(T * B * H));
        for (int64_t t = 0; t < T; ++t)
          for (int64_t b = 0; b < B; ++b) {
            const real* src = t == 0 ? hc0.data() + b * H : po + ((t - 1) * B + b) * 2 * H;
            std::copy(src, src + H, hprev.begin() + (t * B + b) * H);
          }
        Tensor dw = make_tensor({4 * H, H});
        kernels::gemm(4 * H, H, T * B, pdx, 1, 4 * H, hprev.data(), H, 1, dw.data(), H, false);
        return {dxp, dw, Tensor::from_vector(dh, {B, H}), Tensor::from_vector(dc, {B, H})};
      });
}

// xproj: (T, B, 3H) = x W_ih^T + b_ih; w_hh: (3H, H); b_hh: (3H,); h0: (B, H); mask: (T, B) or undefined.
// Returns (T, B, H): h_t for every step.
Tensor gru_layer(const Tensor& xproj, const Tensor& w_hh, const Tensor& b_hh, const Tensor& h0, const Tensor& mask) {
  Op op("gru_layer");
  if (!xproj.defined() || xproj.dim() != 3 || xproj.size(2) % 3 != 0)
    fail("gru_layer",
         "xproj must be (T, batch, 3*hidden), got " + (xproj.defined() ? shape_str(xproj.shape()) : "undefined"), "");
  const int64_t T = xproj.size(0), B = xproj.size(1), H = xproj.size(2) / 3;
  need_shape("gru_layer", w_hh, "w_hh", {3 * H, H}, "weight_hh is (3*hidden, hidden)");
  need_shape("gru_layer", b_hh, "b_hh", {3 * H}, "bias_hh is (3*hidden,)");
  need_shape("gru_layer", h0, "h0", {B, H}, "initial states are (batch, hidden) per layer");
  std::vector<uint8_t> m = mask_bytes("gru_layer", mask, T, B);
  Tensor xp = xproj.contiguous(), w = w_hh.contiguous(), bh = b_hh.contiguous(), hc0 = h0.contiguous();
  Tensor out = make_tensor({T, B, H});
  Tensor act = make_tensor({T, B, 4 * H});  // r, z, n and gh_n = (h W_hn^T + b_hn) saved for backward
  real *po = out.data(), *pact = act.data();
  std::vector<real> GH((size_t)(B * 3 * H));
  const kernels::PackedB w_t = kernels::pack_b(H, 3 * H, w.data(), 1, H);  // W_hh^T (H, 3H), packed once for all steps
  for (int64_t t = 0; t < T; ++t) {
    const real* hp = t == 0 ? hc0.data() : po + (t - 1) * B * H;
    for (int64_t b = 0; b < B; ++b) std::copy(bh.data(), bh.data() + 3 * H, GH.begin() + b * 3 * H);
    kernels::gemm_packed(B, hp, H, 1, w_t, GH.data(), 3 * H, true);
    parallel_for(B, std::max<int64_t>(1, kGrain / (3 * H)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        real* ob = po + (t * B + b) * H;
        const real *hpb = hp + b * H, *ib = xp.data() + (t * B + b) * 3 * H, *hb = GH.data() + b * 3 * H;
        if (!m[t * B + b]) {
          std::copy(hpb, hpb + H, ob);
          continue;
        }
        real* ab = pact + (t * B + b) * 4 * H;
        kernels::gru_row_forward(ib, hb, hpb, H, ab, ob);
        std::copy(hb + 2 * H, hb + 3 * H, ab + 3 * H);  // gh_n, needed by the backward
      }
    });
  }
  return op.finish(out, {xproj, w_hh, b_hh, h0},
                   [=, out = out.detach(), w = w.detach(), hc0 = hc0.detach()](const Tensor& grad) -> Grads {
                     Tensor g = grad.contiguous();
                     Tensor dxp = make_tensor({T, B, 3 * H});
                     std::vector<real> dgh((size_t)(T * B * 3 * H)), dh((size_t)(B * H), 0), dh_new((size_t)(B * H));
                     const kernels::PackedB w_p = kernels::pack_b(3 * H, H, w.data(), H, 1);  // W_hh (3H, H)
                     const real *pg = g.data(), *po = out.data(), *pact = act.data();
                     real* pdx = dxp.data();
                     for (int64_t t = T - 1; t >= 0; --t) {
                       const real* hp = t == 0 ? hc0.data() : po + (t - 1) * B * H;
                       real *dGi = pdx + t * B * 3 * H, *dGh = dgh.data() + t * B * 3 * H;
                       parallel_for(B, std::max<int64_t>(1, kGrain / (3 * H)), [&](int64_t b0, int64_t b1) {
                         for (int64_t b = b0; b < b1; ++b) {
                           real *dhb = dh.data() + b * H, *di = dGi + b * 3 * H, *dg = dGh + b * 3 * H;
                           const real* gb = pg + (t * B + b) * H;
                           for (int64_t j = 0; j < H; ++j) dhb[j] += gb[j];
                           if (!m[t * B + b]) {
                             for (int64_t j = 0; j < 3 * H; ++j) di[j] = dg[j] = 0;
                             continue;
                           }
                           const real* ab = pact + (t * B + b) * 4 * H;
                           // the direct path z ⊙ dh is written over dh in place; the W_hh path is added below
                           kernels::gru_row_backward(ab, ab + 3 * H, hp + b * H, dhb, H, di, dg, dhb);
                         }
                       });
                       // dh_{t-1} += dGh_t (B, 3H) @ W_hh (3H, H) for real (unpadded) rows
                       kernels::gemm_packed(B, dGh, 3 * H, 1, w_p, dh_new.data(), H, false);
                       for (int64_t b = 0; b < B; ++b)
                         if (m[t * B + b])
                           for (int64_t j = 0; j < H; ++j) dh[b * H + j] += dh_new[b * H + j];
                     }
                     std::vector<real> hprev((size_t)(T * B * H));
                     std::copy(hc0.data(), hc0.data() + B * H, hprev.begin());
                     if (T > 1) std::copy(po, po + (T - 1) * B * H, hprev.begin() + B * H);
                     Tensor dw = make_tensor({3 * H, H}), db = Tensor::zeros({3 * H});
                     kernels::gemm(3 * H, H, T * B, dgh.data(), 1, 3 * H, hprev.data(), H, 1, dw.data(), H, false);
                     real* pdb = db.data();
                     for (int64_t r = 0; r < T * B; ++r)
                       for (int64_t j = 0; j < 3 * H; ++j) pdb[j] += dgh[r * 3 * H + j];
                     return {dxp, dw, db, Tensor::from_vector(dh, {B, H})};
                   });
}

}  // namespace cadenza
