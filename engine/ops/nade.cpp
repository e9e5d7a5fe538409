// nade.cpp: the NADE's conditional logits for a batch of frames as one fused op.
//
// NADE (Larochelle & Murray 2011) models the K keys of a frame one after another:
//   a_0 = c        h_i = σ(a_i)        logit_i = b_i + V[i] · h_i        a_{i+1} = a_i + W[:, i] v_i
// so p(v_i = 1 | v_<i) = σ(logit_i) and log p(v) is exact (no partition function).
// Composed from ops this needs (N, K, Hn) intermediates; fused it is O(K Hn) per
// frame with no temporaries. Backward walks the keys in reverse, undoing
// a_{i+1} = a_i + W[:, i] v_i to recover each a_i instead of storing it:
//   da_i = g_i V[i] ⊙ h_i (1 - h_i)      dV[i] += g_i h_i       db_i = g_i
//   dW[:, j] += v_j Σ_{i>j} da_i          dc = Σ_i da_i
// Frames are split into fixed blocks of 32 with their own partial dW, dV, summed in
// block order, so the result does not depend on the thread count.
// Chapter: docs/08-recurrent-networks.md ("RNN-NADE").
#include <cmath>
#include <vector>

#include "engine/autograd/node.h"
#include "engine/core/parallel.h"
#include "engine/kernels/scalar.h"
#include "engine/ops/ops.h"

namespace cadenza {

using kernels::sigmoid;

// [doc:nade-doc]
// b: (N, K), c: (N, Hn), W: (Hn, K), V: (K, Hn), v: (N, K) of 0/1 (not differentiated) -> (N, K)
Tensor nade_logits(const Tensor& b, const Tensor& c, const Tensor& W, const Tensor& V, const Tensor& v) {
  Op op("nade_logits");
  for (const Tensor* t : {&b, &c, &W, &V, &v})
    if (!t->defined() || t->dim() != 2)
      fail("nade_logits", "every input must be a defined 2-d tensor",
           "b (N, K), c (N, Hn), W (Hn, K), V (K, Hn), v (N, K)");
  const int64_t N = b.size(0), K = b.size(1), Hn = c.size(1);
  if (c.size(0) != N || W.shape() != Shape{Hn, K} || V.shape() != Shape{K, Hn} || v.shape() != Shape{N, K})
    fail("nade_logits",
         "shapes b " + shape_str(b.shape()) + ", c " + shape_str(c.shape()) + ", W " + shape_str(W.shape()) + ", V " +
             shape_str(V.shape()) + ", v " + shape_str(v.shape()) + " do not fit",
         "b (N, K), c (N, Hn), W (Hn, K), V (K, Hn), v (N, K)");
  Tensor bc = b.contiguous(), cc = c.contiguous(), Wt = W.t().contiguous(), Vc = V.contiguous(), vc = v.contiguous();
  Tensor out = make_tensor({N, K});
  const real *pb = bc.data(), *pc = cc.data(), *pwt = Wt.data(), *pv = Vc.data(), *px = vc.data();
  real* po = out.data();
  parallel_for(N, 8, [&](int64_t n0, int64_t n1) {
    std::vector<real> a((size_t)Hn);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t h = 0; h < Hn; ++h) a[h] = pc[n * Hn + h];
      for (int64_t i = 0; i < K; ++i) {
        const real* Vi = pv + i * Hn;
        real s = pb[n * K + i];
        for (int64_t h = 0; h < Hn; ++h) s += Vi[h] * sigmoid(a[h]);
        po[n * K + i] = s;
        if (px[n * K + i] != 0) {
          const real* wi = pwt + i * Hn;  // W[:, i]
          for (int64_t h = 0; h < Hn; ++h) a[h] += wi[h] * px[n * K + i];
        }
      }
    }
  });
  // [/doc]
  return op.finish(out, {b, c, W, V}, [cc, Wt, Vc, vc, N, K, Hn](const Tensor& grad) -> Grads {
    Tensor g = grad.contiguous();
    Tensor dc = make_tensor({N, Hn});
    const int64_t kBlock = 32, blocks = (N + kBlock - 1) / kBlock;
    std::vector<real> dWt((size_t)(blocks * K * Hn), 0), dV((size_t)(blocks * K * Hn), 0);
    const real *pg = g.data(), *pc = cc.data(), *pwt = Wt.data(), *pv = Vc.data(), *px = vc.data();
    real* pdc = dc.data();
    parallel_for(blocks, 1, [&](int64_t k0, int64_t k1) {
      std::vector<real> a((size_t)Hn), acc((size_t)Hn);
      for (int64_t blk = k0; blk < k1; ++blk) {
        real *dWtb = dWt.data() + blk * K * Hn, *dVb = dV.data() + blk * K * Hn;
        for (int64_t n = blk * kBlock; n < std::min(N, (blk + 1) * kBlock); ++n) {
          for (int64_t h = 0; h < Hn; ++h) a[h] = pc[n * Hn + h], acc[h] = 0;
          for (int64_t i = 0; i < K; ++i)  // a_K
            if (px[n * K + i] != 0)
              for (int64_t h = 0; h < Hn; ++h) a[h] += pwt[i * Hn + h] * px[n * K + i];
          for (int64_t i = K - 1; i >= 0; --i) {
            real vi = px[n * K + i], gi = pg[n * K + i];
            const real* wi = pwt + i * Hn;
            if (vi != 0) {
              for (int64_t h = 0; h < Hn; ++h) {
                dWtb[i * Hn + h] += vi * acc[h];  // Σ_{i' > i} da_{i'}
                a[h] -= wi[h] * vi;               // back to a_i
              }
            }
            const real* Vi = pv + i * Hn;
            for (int64_t h = 0; h < Hn; ++h) {
              real hh = sigmoid(a[h]);
              dVb[i * Hn + h] += gi * hh;
              acc[h] += gi * Vi[h] * hh * (1 - hh);
            }
          }
          for (int64_t h = 0; h < Hn; ++h) pdc[n * Hn + h] = acc[h];
        }
      }
    });
    Tensor dW = Tensor::zeros({Hn, K}), dVt = Tensor::zeros({K, Hn});
    real *pdw = dW.data(), *pdv = dVt.data();
    for (int64_t blk = 0; blk < blocks; ++blk)
      for (int64_t i = 0; i < K; ++i)
        for (int64_t h = 0; h < Hn; ++h) {
          pdw[h * K + i] += dWt[(size_t)((blk * K + i) * Hn + h)];
          pdv[i * Hn + h] += dV[(size_t)((blk * K + i) * Hn + h)];
        }
    return {g.clone(), dc, dW, dVt};
  });
}

}  // namespace cadenza
