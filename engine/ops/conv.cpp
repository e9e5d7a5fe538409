// conv.cpp: 1-d convolution (stride, padding on either side, dilation) and
// max / average pooling, each with its hand-written backward.
//
// conv1d as one matrix product ("im2col"): every output position t of every
// batch item reads a window of Cin x K input values; laying those windows out
// as the columns of a (Cin*K, B*Lout) matrix turns the convolution into
//     out (Cout, B*Lout) = W (Cout, Cin*K) @ cols (Cin*K, B*Lout)
// which the packed gemm kernel runs at full speed. Backward is two more products
// and the reverse scatter ("col2im"):
//     dW = g @ cols^T          dcols = W^T @ g          dx = col2im(dcols)
// Causal convolution (WaveNet/TCN) is padding on the left only: pad_left =
// dilation*(K-1), pad_right = 0, so output t sees inputs t, t-d, ..., t-(K-1)d.
// Chapter: docs/10-convolutions-and-dilation.md.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/autograd/node.h"
#include "engine/kernels/gemm.h"
#include "engine/core/parallel.h"
#include "engine/kernels/scalar.h"
#include "engine/core/strided.h"
#include "engine/ops/ops.h"

namespace cadenza {

namespace {
struct Geometry {
  int64_t B, Cin, L, Cout, K, Lout, stride, pad_left, dilation;
};

// cols[(c*K + k), b*Lout + t] = x[b, c, t*stride + k*dilation - pad_left]  (0 outside)
void im2col(const Geometry& g, const real* x, real* cols) {
  const int64_t N = g.B * g.Lout;
  parallel_for(g.Cin * g.K, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t c = r / g.K, k = r % g.K;
      for (int64_t b = 0; b < g.B; ++b) {
        const real* xb = x + (b * g.Cin + c) * g.L;
        real* dst = cols + r * N + b * g.Lout;
        for (int64_t t = 0; t < g.Lout; ++t) {
          int64_t src = t * g.stride + k * g.dilation - g.pad_left;
          dst[t] = (src >= 0 && src < g.L) ? xb[src] : 0;
        }
      }
    }
  });
}

// The reverse: dx[b, c, src] += dcols[(c*K + k), b*Lout + t]. Each (b, c) row of
// dx is owned by one thread, so no two threads write the same element.
void col2im(const Geometry& g, const real* dcols, real* dx) {
  const int64_t N = g.B * g.Lout;
  parallel_for(g.B * g.Cin, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t bc = r0; bc < r1; ++bc) {
      int64_t b = bc / g.Cin, c = bc % g.Cin;
      real* dxb = dx + bc * g.L;
      for (int64_t i = 0; i < g.L; ++i) dxb[i] = 0;
      for (int64_t k = 0; k < g.K; ++k) {
        const real* src = dcols + (c * g.K + k) * N + b * g.Lout;
        for (int64_t t = 0; t < g.Lout; ++t) {
          int64_t p = t * g.stride + k * g.dilation - g.pad_left;
          if (p >= 0 && p < g.L) dxb[p] += src[t];
        }
      }
    }
  });
}

// [doc:conv1d-graph-backward]
// conv1d's backward written with ops, for create_graph (a convolutional critic's gradient
// penalty differentiates it again). In the padded input's coordinates:
//   dx     = conv_transpose1d(g, W), the transposed convolution is conv1d's adjoint; cropped to x
//   dW[k]  = sum over batch and time of g[:, :, t] x_pad[:, :, t*stride + k*dilation]^T
//   db     = sum of g over batch and time
Grads conv1d_graph_grads(const Tensor& g, const std::vector<Tensor>& in, int64_t stride, int64_t pad_left,
                         int64_t dilation) {
  const Tensor &x = in[0], &w = in[1];
  const int64_t B = x.size(0), C = x.size(1), L = x.size(2), O = w.size(0), K = w.size(2), T = g.size(2);
  const int64_t reach = (T - 1) * stride + dilation * (K - 1) + 1;  // padded positions the outputs read
  auto crop_or_pad = [](const Tensor& t, int64_t start,
                        int64_t len) {  // t[:, :, start : start + len], zeros past its end
    const int64_t have = std::max<int64_t>(0, std::min(t.size(2), start + len) - start);
    Tensor part = t.slice(2, start, start + have);
    if (have == len) return part;
    Tensor zeros = Tensor::zeros({t.size(0), t.size(1), len - have});
    return have == 0 ? zeros : concat({part, zeros}, 2);
  };
  Grads out(in.size());
  if (x.requires_grad()) {
    ConvTranspose1dArgs t;
    t.stride = stride, t.dilation = dilation;
    out[0] = crop_or_pad(conv_transpose1d(g, w, Tensor(), t), pad_left, L);
  }
  if (w.requires_grad()) {
    Tensor left = Tensor::zeros({B, C, pad_left});
    Tensor x_pad = crop_or_pad(pad_left > 0 ? concat({left, x}, 2) : x, 0, reach);
    Tensor gm = g.permute({1, 0, 2}).reshape({O, B * T});  // (O, B*T)
    std::vector<Tensor> taps;
    for (int64_t k = 0; k < K; ++k) {
      Tensor xk = x_pad.slice(2, k * dilation, k * dilation + (T - 1) * stride + 1, stride);  // (B, C, T)
      taps.push_back(matmul(gm, xk.permute({1, 0, 2}).reshape({C, B * T}).t()));              // (O, C)
    }
    out[1] = stack(taps, 2);
  }
  if (in.size() > 2 && in[2].requires_grad()) out[2] = sum(g, {0, 2});
  return out;
}
// [/doc]

// [doc:conv1d-shifted]
// Stride 1 without im2col: a kernel tap k reads the input shifted by s = k*d - pad_left,
// so the convolution is K matrix products on the input itself, one per tap and batch item:
//     out_b[:, t] += W[:, :, k] (Cout, Cin) @ x_b[:, t + s] (Cin, Lout)   for t where 0 <= t + s < L
// and the backward is the same products transposed:
//     dW[:, :, k] += g_b[:, t] @ x_b[:, t + s]^T        dx_b[:, t + s] += W[:, :, k]^T @ g_b[:, t]
// No (Cin*K, B*Lout) column matrix is built or scattered back: the gemm reads x through strides.
Tensor conv1d_shifted(Op& op, const Geometry& g, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t Cin = g.Cin, Cout = g.Cout, K = g.K, L = g.L, Lout = g.Lout;
  auto span = [g](int64_t k, int64_t& t0, int64_t& t1) {  // the outputs tap k reaches, and its shift
    int64_t s = k * g.dilation - g.pad_left;
    t0 = std::max<int64_t>(0, -s), t1 = std::min(g.Lout, g.L - s);
    return s;
  };
  Tensor xc = x.contiguous(), wc = weight.contiguous();
  Tensor out = Tensor::empty({g.B, Cout, Lout});  // every element is written below
  const real *px = xc.data(), *pw = wc.data();
  real* po = out.data();
  if (bias.defined()) {
    Tensor bc = bias.contiguous();
    parallel_for(g.B * Cout, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(Lout, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) std::fill(po + r * Lout, po + (r + 1) * Lout, bc.data()[r % Cout]);
    });
  }
  for (int64_t b = 0; b < g.B; ++b) {
    bool first = !bias.defined();  // the first tap writes its outputs (0 elsewhere); later taps add
    for (int64_t k = 0; k < K; ++k) {
      int64_t t0, t1, s = span(k, t0, t1);
      if (t1 <= t0) continue;
      if (first) zero_outside(po + b * Cout * Lout, Cout, Lout, t0, t1);
      // out_b[:, t0:t1] (Cout, n) += W_k (Cout, Cin; strides Cin*K, K) @ x_b[:, t0+s : t1+s] (Cin, n)
      kernels::gemm(Cout, t1 - t0, Cin, pw + k, Cin * K, K, px + b * Cin * L + t0 + s, L, 1, po + b * Cout * Lout + t0,
                    Lout, !first);
      first = false;
    }
    if (first) zero_outside(po + b * Cout * Lout, Cout, Lout, 0, 0);  // no tap reaches an output
  }
  std::vector<Tensor> inputs = {x, weight};
  if (bias.defined()) inputs.push_back(bias);
  bool has_bias = bias.defined(), rx = x.requires_grad(), rw = weight.requires_grad();
  return op.finish(
      out, inputs,
      [g, span, xc = xc.detach(), wc = wc.detach(), has_bias, rx, rw](const Tensor& grad) -> Grads {
        const int64_t Cin = g.Cin, Cout = g.Cout, K = g.K, L = g.L, Lout = g.Lout;
        Tensor gc = grad.contiguous();
        const real *pg = gc.data(), *px = xc.data(), *pw = wc.data();
        Grads out(has_bias ? 3 : 2);
        if (rw) {
          Tensor dw = make_tensor({Cout, Cin, K});
          std::vector<real> dwk((size_t)(Cout * Cin));
          for (int64_t k = 0; k < K; ++k) {
            bool first = true;
            for (int64_t b = 0; b < g.B; ++b) {
              int64_t t0, t1, s = span(k, t0, t1);
              if (t1 <= t0) continue;
              // dW_k (Cout, Cin) += g_b[:, t0:t1] (Cout, n) @ x_b[:, t0+s : t1+s]^T (n, Cin)
              kernels::gemm(Cout, Cin, t1 - t0, pg + b * Cout * Lout + t0, Lout, 1, px + b * Cin * L + t0 + s, 1, L,
                            dwk.data(), Cin, !first);
              first = false;
            }
            if (first) std::fill(dwk.begin(), dwk.end(), real(0));
            for (int64_t i = 0; i < Cout * Cin; ++i) dw.data()[i * K + k] = dwk[(size_t)i];
          }
          out[1] = dw;
        }
        if (rx) {
          Tensor dx = Tensor::empty({g.B, Cin, L});  // every element is written below
          for (int64_t b = 0; b < g.B; ++b) {
            bool first = true;  // as forward: the first tap writes, later taps add
            for (int64_t k = 0; k < K; ++k) {
              int64_t t0, t1, s = span(k, t0, t1);
              if (t1 <= t0) continue;
              if (first) zero_outside(dx.data() + b * Cin * L, Cin, L, t0 + s, t1 + s);
              // dx_b[:, t0+s : t1+s] (Cin, n) += W_k^T (Cin, Cout) @ g_b[:, t0:t1] (Cout, n)
              kernels::gemm(Cin, t1 - t0, Cout, pw + k, K, Cin * K, pg + b * Cout * Lout + t0, Lout, 1,
                            dx.data() + b * Cin * L + t0 + s, L, !first);
              first = false;
            }
            if (first) zero_outside(dx.data() + b * Cin * L, Cin, L, 0, 0);
          }
          out[0] = dx;
        }
        if (has_bias) {
          Tensor db = make_tensor({Cout});
          parallel_for(Cout, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(g.B * Lout, 1)),
                       [&](int64_t lo, int64_t hi) {
                         for (int64_t o = lo; o < hi; ++o) {
                           double acc = 0;  // db[o] = sum of g[b, o, :] over b and time, each row in 8 lanes
                           for (int64_t b = 0; b < g.B; ++b)
                             acc += kernels::sum_lanes(pg + (b * Cout + o) * Lout, Lout);
                           db.data()[o] = (real)acc;
                         }
                       });
          out[2] = db;
        }
        return out;
      },
      [g](const Tensor& grad, const std::vector<Tensor>& in) {
        return conv1d_graph_grads(grad, in, g.stride, g.pad_left, g.dilation);
      });
}
// [/doc]
}  // namespace

// [doc:conv1d]
// x: (B, Cin, L)  weight: (Cout, Cin, K)  bias: (Cout,) or undefined  ->  (B, Cout, Lout)
// Lout = (L + pad_left + pad_right - dilation*(K-1) - 1) / stride + 1
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dArgs& a) {
  Op op("conv1d");
  if (!x.defined() || x.dim() != 3)
    fail("conv1d", "input must be (batch, channels, length), got " + (x.defined() ? shape_str(x.shape()) : "undefined"),
         "add a batch axis with unsqueeze(0)");
  if (!weight.defined() || weight.dim() != 3 || weight.size(1) != x.size(1))
    fail("conv1d",
         "weight " + (weight.defined() ? shape_str(weight.shape()) : "undefined") + " does not fit input " +
             shape_str(x.shape()),
         "weight is (out_channels, in_channels, kernel_size) and in_channels must equal the input's axis 1");
  if (a.stride < 1 || a.dilation < 1 || a.pad_left < 0 || a.pad_right < 0)
    fail("conv1d",
         str("stride and dilation must be >= 1 and padding >= 0, got stride=", a.stride, " dilation=", a.dilation,
             " padding=(", a.pad_left, ", ", a.pad_right, ")"),
         "");
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    fail("conv1d", "bias " + shape_str(bias.shape()) + " does not match " + str(weight.size(0)) + " output channels",
         "");
  Geometry g{x.size(0), x.size(1), x.size(2), weight.size(0), weight.size(2), 0, a.stride, a.pad_left, a.dilation};
  int64_t span = a.dilation * (g.K - 1) + 1, padded = g.L + a.pad_left + a.pad_right;
  if (padded < span)
    fail("conv1d",
         str("input length ", g.L, " (+ padding ", a.pad_left + a.pad_right, ") is shorter than the kernel's span ",
             span, " (kernel ", g.K, ", dilation ", a.dilation, ")"),
         "pad the input or use a smaller kernel / dilation");
  g.Lout = (padded - span) / a.stride + 1;
  if (a.stride == 1) return conv1d_shifted(op, g, x, weight, bias);  // the fast path, below for any stride
  const int64_t CK = g.Cin * g.K, N = g.B * g.Lout;

  Tensor xc = x.contiguous(), wc = weight.contiguous();
  std::vector<real> cols((size_t)(CK * N));
  im2col(g, xc.data(), cols.data());
  std::vector<real> om((size_t)(g.Cout * N));  // (Cout, B*Lout)
  kernels::gemm(g.Cout, N, CK, wc.data(), CK, 1, cols.data(), N, 1, om.data(), N, false);
  Tensor out = make_tensor({g.B, g.Cout, g.Lout});
  real* po = out.data();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  const real* pb = bc.defined() ? bc.data() : nullptr;
  parallel_for(g.B * g.Cout, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t b = r / g.Cout, o = r % g.Cout;
      const real* src = om.data() + o * N + b * g.Lout;
      real add = pb ? pb[o] : 0;
      for (int64_t t = 0; t < g.Lout; ++t) po[r * g.Lout + t] = src[t] + add;
    }
  });

  std::vector<Tensor> inputs = {x, weight};
  if (bias.defined()) inputs.push_back(bias);
  bool has_bias = bias.defined(), rx = x.requires_grad(), rw = weight.requires_grad();
  return op.finish(
      out, inputs,
      [g, xc = xc.detach(), wc = wc.detach(), has_bias, rx, rw](const Tensor& grad) -> Grads {
        const int64_t CK = g.Cin * g.K, N = g.B * g.Lout;
        Tensor gc = grad.contiguous();
        const real* pg = gc.data();
        std::vector<real> gm((size_t)(g.Cout * N));  // grad as (Cout, B*Lout)
        parallel_for(g.B * g.Cout, 16, [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) {
            int64_t b = r / g.Cout, o = r % g.Cout;
            for (int64_t t = 0; t < g.Lout; ++t) gm[o * N + b * g.Lout + t] = pg[r * g.Lout + t];
          }
        });
        Grads out(has_bias ? 3 : 2);
        if (rw) {
          std::vector<real> cols((size_t)(CK * N));
          im2col(g, xc.data(), cols.data());
          Tensor dw = make_tensor({g.Cout, g.Cin, g.K});
          // dW (Cout, CK) = gm (Cout, N) @ cols^T (N, CK)
          kernels::gemm(g.Cout, CK, N, gm.data(), N, 1, cols.data(), 1, N, dw.data(), CK, false);
          out[1] = dw;
        }
        if (rx) {
          std::vector<real> dcols((size_t)(CK * N));
          // dcols (CK, N) = W^T (CK, Cout) @ gm (Cout, N)
          kernels::gemm(CK, N, g.Cout, wc.data(), 1, CK, gm.data(), N, 1, dcols.data(), N, false);
          Tensor dx = make_tensor({g.B, g.Cin, g.L});
          col2im(g, dcols.data(), dx.data());
          out[0] = dx;
        }
        if (has_bias) {
          Tensor db = make_tensor({g.Cout});
          real* pdb = db.data();
          for (int64_t o = 0; o < g.Cout; ++o) {
            double s = 0;
            for (int64_t n = 0; n < N; ++n) s += gm[o * N + n];
            pdb[o] = (real)s;
          }
          out[2] = db;
        }
        return out;
      },
      [g](const Tensor& grad, const std::vector<Tensor>& in) {
        return conv1d_graph_grads(grad, in, g.stride, g.pad_left, g.dilation);
      });
}
// [/doc]

// [doc:conv1d-ref]
// The plain definition, seven nested loops: the oracle conv1d is tested against.
//   y[b, o, t] = bias[o] + sum_c sum_k weight[o, c, k] * x[b, c, t*stride + k*dilation - pad_left]
Tensor conv1d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dArgs& a) {
  int64_t B = x.size(0), Cin = x.size(1), L = x.size(2), Cout = weight.size(0), K = weight.size(2);
  int64_t Lout = (L + a.pad_left + a.pad_right - a.dilation * (K - 1) - 1) / a.stride + 1;
  Tensor out = Tensor::zeros({B, Cout, Lout});
  // [exercise:10.1] conv1d as its definition: stride, padding, dilation
  for (int64_t b = 0; b < B; ++b)
    for (int64_t o = 0; o < Cout; ++o)
      for (int64_t t = 0; t < Lout; ++t) {
        double s = bias.defined() ? bias.at({o}) : 0.0;
        for (int64_t c = 0; c < Cin; ++c)
          for (int64_t k = 0; k < K; ++k) {
            int64_t p = t * a.stride + k * a.dilation - a.pad_left;
            if (p >= 0 && p < L) s += (double)weight.at({o, c, k}) * x.at({b, c, p});
          }
        out.data()[(b * Cout + o) * Lout + t] = (real)s;
      }
  // [/exercise]
  return out;
}
// [/doc]

// ---- pooling over the last axis: (B, C, L) -> (B, C, Lout), Lout = (L - kernel) / stride + 1 ----
static void pool_check(const char* op, const Tensor& x, int64_t kernel, int64_t stride) {
  if (!x.defined() || x.dim() != 3)
    fail(op, "input must be (batch, channels, length), got " + (x.defined() ? shape_str(x.shape()) : "undefined"), "");
  if (kernel < 1 || stride < 1) fail(op, str("kernel and stride must be >= 1, got ", kernel, " and ", stride), "");
  if (x.size(2) < kernel)
    fail(op, str("input length ", x.size(2), " is shorter than the kernel ", kernel), "use a smaller kernel");
}

Tensor max_pool1d(const Tensor& x, int64_t kernel, int64_t stride) {
  Op op("max_pool1d");
  if (stride == 0) stride = kernel;
  pool_check("max_pool1d", x, kernel, stride);
  int64_t B = x.size(0), C = x.size(1), L = x.size(2), Lout = (L - kernel) / stride + 1;
  Tensor xc = x.contiguous(), out = make_tensor({B, C, Lout});
  auto arg = std::make_shared<std::vector<int64_t>>((size_t)(B * C * Lout));  // where each max came from
  const real* px = xc.data();
  real* po = out.data();
  // [exercise:10.2] max_pool1d's forward: each window's maximum and where it was
  for (int64_t r = 0; r < B * C; ++r)
    for (int64_t t = 0; t < Lout; ++t) {
      int64_t best = t * stride;
      for (int64_t k = 1; k < kernel; ++k)
        if (px[r * L + t * stride + k] > px[r * L + best]) best = t * stride + k;
      po[r * Lout + t] = px[r * L + best];
      (*arg)[r * Lout + t] = best;
    }
  // [/exercise]
  return op.finish(out, {x}, [arg, B, C, L, Lout](const Tensor& grad) -> Grads {
    Tensor g = grad.contiguous(), dx = Tensor::zeros({B, C, L});
    for (int64_t r = 0; r < B * C; ++r)
      for (int64_t t = 0; t < Lout; ++t) dx.data()[r * L + (*arg)[r * Lout + t]] += g.data()[r * Lout + t];
    return {dx};
  });
}

Tensor avg_pool1d(const Tensor& x, int64_t kernel, int64_t stride) {
  Op op("avg_pool1d");
  if (stride == 0) stride = kernel;
  pool_check("avg_pool1d", x, kernel, stride);
  int64_t B = x.size(0), C = x.size(1), L = x.size(2), Lout = (L - kernel) / stride + 1;
  Tensor xc = x.contiguous(), out = make_tensor({B, C, Lout});
  const real* px = xc.data();
  real* po = out.data();
  for (int64_t r = 0; r < B * C; ++r)
    for (int64_t t = 0; t < Lout; ++t) {
      real s = 0;
      for (int64_t k = 0; k < kernel; ++k) s += px[r * L + t * stride + k];
      po[r * Lout + t] = s / (real)kernel;
    }
  return op.finish(out, {x}, [B, C, L, Lout, kernel, stride](const Tensor& grad) -> Grads {
    Tensor g = grad.contiguous(), dx = Tensor::zeros({B, C, L});
    for (int64_t r = 0; r < B * C; ++r)
      for (int64_t t = 0; t < Lout; ++t)
        for (int64_t k = 0; k < kernel; ++k) dx.data()[r * L + t * stride + k] += g.data()[r * Lout + t] / (real)kernel;
    return {dx};
  });
}

}  // namespace cadenza
