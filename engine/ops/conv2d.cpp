// conv2d.cpp: 2-d convolution and its transpose over (B, C, H, W), three ways: composed from
// conv1d and view ops (the readable form), direct with one matrix product each (the fast form),
// and both definitions loop by loop (the oracles).
//
// Composed. A 2-d kernel is KH rows of 1-d kernels. Row kh of the kernel reads input rows
// t*stride_h + kh*dilation_h (after padding), so
//     conv2d(x, W) = sum over kh of  conv1d along W of those rows, with W[:, :, kh, :]
// where the rows of every (batch, output row) pair are stacked into one conv1d batch.
// The transposed convolution is an ordinary one on a spread-out input, as in 1-d
// (engine/ops/conv_transpose.cpp): zeros between the steps along both axes, full padding
// less `padding`, and the kernel flipped along both axes with its channel axes swapped.
// Every step is an op with its own backward, so autograd derives these.
//
// Direct. The composed forms move more data than they multiply: the spread input's zeros, the
// copies of each reshape. conv2d is one product on an im2col matrix, as conv1d (conv.cpp), and
// conv_transpose2d is that product run backwards, ending in col2im; each one's input gradient is
// the other's forward, and each has a backward written with ops for create_graph (a critic's
// gradient penalty). Both are tested against the composed forms and the loop definitions, and
// gradchecked once and twice. Chapter: docs/10-convolutions-and-dilation.md.
#include <algorithm>
#include <memory>

#include "engine/autograd/node.h"
#include "engine/core/parallel.h"
#include "engine/kernels/gemm.h"
#include "engine/ops/ops.h"

namespace cadenza {

namespace {
// Output size of a convolution along one axis, or a clear error.
int64_t conv_out(const char* op, const char* axis, int64_t n, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
  const int64_t span = dil * (k - 1) + 1, padded = n + 2 * pad;
  if (padded < span)
    fail(op,
         str("input ", axis, " ", n, " (+ padding ", 2 * pad, ") is shorter than the kernel's span ", span, " (kernel ",
             k, ", dilation ", dil, ")"),
         "pad the input or use a smaller kernel or dilation");
  return (padded - span) / stride + 1;
}

void check_args(const char* op, const std::array<int64_t, 2>& stride, const std::array<int64_t, 2>& padding,
                const std::array<int64_t, 2>& dilation) {
  for (int i = 0; i < 2; ++i)
    if (stride[i] < 1 || dilation[i] < 1 || padding[i] < 0)
      fail(op,
           str("stride and dilation must be >= 1 and padding >= 0 on both axes, got stride (", stride[0], ", ",
               stride[1], "), dilation (", dilation[0], ", ", dilation[1], "), padding (", padding[0], ", ", padding[1],
               ")"),
           "");
}

void check_input(const char* op, const Tensor& x, const Tensor& weight, int64_t in_axis, const char* layout) {
  if (!x.defined() || x.dim() != 4)
    fail(op,
         "input must be (batch, channels, height, width), got " + (x.defined() ? shape_str(x.shape()) : "undefined"),
         "add a batch axis with unsqueeze(0)");
  if (!weight.defined() || weight.dim() != 4 || weight.size(in_axis) != x.size(1))
    fail(op,
         "weight " + (weight.defined() ? shape_str(weight.shape()) : "undefined") + " does not fit input " +
             shape_str(x.shape()),
         str("the weight is ", layout, ", and in_channels must equal the input's axis 1"));
}

// conv2d's and conv_transpose2d's arguments, each a clear error; returns the output's (height, width).
std::array<int64_t, 2> check_conv2d(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                    const Conv2dArgs& a) {
  check_input(op, x, weight, 1, "(out_channels, in_channels, kernel_h, kernel_w)");
  check_args(op, a.stride, a.padding, a.dilation);
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    fail(op, "bias " + shape_str(bias.shape()) + " does not match " + str(weight.size(0)) + " output channels", "");
  return {conv_out(op, "height", x.size(2), weight.size(2), a.stride[0], a.padding[0], a.dilation[0]),
          conv_out(op, "width", x.size(3), weight.size(3), a.stride[1], a.padding[1], a.dilation[1])};
}
std::array<int64_t, 2> check_conv_transpose2d(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                              const ConvTranspose2dArgs& a) {
  check_input(op, x, weight, 0, "(in_channels, out_channels, kernel_h, kernel_w)");
  check_args(op, a.stride, a.padding, a.dilation);
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(1)))
    fail(op, "bias " + shape_str(bias.shape()) + " does not match " + str(weight.size(1)) + " output channels", "");
  std::array<int64_t, 2> out{};
  for (int i = 0; i < 2; ++i) {
    const int64_t d = 2 + i, n = x.size(d), k = weight.size(d);
    if (a.output_padding[i] < 0 || a.output_padding[i] >= std::max(a.stride[i], a.dilation[i]))
      fail(op,
           str("output_padding ", a.output_padding[i], " on axis ", d, " must be in [0, max(stride, dilation)) = [0, ",
               std::max(a.stride[i], a.dilation[i]), ")"),
           "output_padding only picks among the sizes a strided convolution maps to the same output");
    out[i] = (n - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (k - 1) + a.output_padding[i] + 1;
    if (out[i] < 1)
      fail(op, str("input size ", n, " on axis ", d, " gives an output of size ", out[i]),
           "use less padding or a larger input");
  }
  return out;
}

// x with `before` zeros ahead of axis d and `after` behind it; a negative amount crops instead.
Tensor pad_axis(const Tensor& x, int64_t d, int64_t before, int64_t after) {
  Tensor y = x;
  if (before < 0 || after < 0) y = y.slice(d, std::max<int64_t>(-before, 0), y.size(d) - std::max<int64_t>(-after, 0));
  auto zeros = [&](int64_t n) {
    Shape s = y.shape();
    s[d] = n;
    return Tensor::zeros(s);
  };
  std::vector<Tensor> parts;
  if (before > 0) parts.push_back(zeros(before));
  parts.push_back(y);
  if (after > 0) parts.push_back(zeros(after));
  return parts.size() == 1 ? y : concat(parts, d);
}

// stride - 1 zeros after every step of axis d but the last.
Tensor spread_axis(const Tensor& x, int64_t d, int64_t stride) {
  if (stride == 1) return x;
  const int64_t n = x.size(d);
  Shape gaps = x.shape(), merged = x.shape();
  gaps.insert(gaps.begin() + d + 1, stride - 1);
  merged[d] = n * stride;
  return concat({unsqueeze(x, d + 1), Tensor::zeros(gaps)}, d + 1).reshape(merged).slice(d, 0, (n - 1) * stride + 1);
}
}  // namespace

// [doc:conv2d]
Tensor conv2d_composed(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& a) {
  const int64_t Hout = check_conv2d("conv2d", x, weight, bias, a)[0];
  const int64_t B = x.size(0), C = x.size(1), W = x.size(3), O = weight.size(0), KH = weight.size(2);
  Tensor xp = pad_axis(x, 2, a.padding[0], a.padding[0]);
  Conv1dArgs along_w{a.stride[1], a.padding[1], a.padding[1], a.dilation[1]};
  Tensor out;
  for (int64_t kh = 0; kh < KH; ++kh) {
    // the input rows kernel row kh reads, one per output row: (B, C, Hout, W)
    const int64_t first = kh * a.dilation[0];
    Tensor rows = xp.slice(2, first, first + (Hout - 1) * a.stride[0] + 1, a.stride[0]);
    // each (batch, output row) is one conv1d example: (B * Hout, C, W) -> (B * Hout, O, Wout)
    Tensor y = conv1d(rows.permute({0, 2, 1, 3}).reshape({B * Hout, C, W}), weight.select(2, kh), Tensor(), along_w);
    out = out.defined() ? out + y : y;
  }
  out = out.reshape({B, Hout, O, out.size(2)}).permute({0, 2, 1, 3});
  return bias.defined() ? out + bias.reshape({1, O, 1, 1}) : out.contiguous();
}

Tensor conv_transpose2d_composed(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                 const ConvTranspose2dArgs& a) {
  check_conv_transpose2d("conv_transpose2d", x, weight, bias, a);
  Tensor y = x;
  for (int i = 0; i < 2; ++i) {
    const int64_t d = 2 + i, k = weight.size(d);
    const int64_t full = a.dilation[i] * (k - 1);  // spread, then full padding less `padding`
    y = pad_axis(spread_axis(y, d, a.stride[i]), d, full - a.padding[i], full - a.padding[i] + a.output_padding[i]);
  }
  Conv2dArgs c;
  c.dilation = a.dilation;
  return conv2d_composed(y, transpose(flip(flip(weight, 2), 3), 0, 1), bias, c);
}
// [/doc]

// ---- the direct forms: one matrix product each, with hand-written backwards ----
namespace {
// The two sides of a 2-d convolution. The big side is conv2d's input and conv_transpose2d's
// output; the small side is conv2d's output and conv_transpose2d's input. The weight is
// (Cs, Cb, KH, KW) in both, PyTorch's layout for each op.
struct Geometry2d {
  int64_t B, Cb, Hb, Wb, Cs, Hs, Ws, KH, KW;
  std::array<int64_t, 2> stride, padding, dilation;
  int64_t rows() const { return Cb * KH * KW; }  // of the column matrix: one per (channel, tap)
  int64_t cols() const { return B * Hs * Ws; }   // one per small-side position
};

// im2col: cols[(c, p, q), (b, i, j)] = big[b, c, i*sh + p*dh - ph, j*sw + q*dw - pw], 0 outside.
void im2col(const Geometry2d& g, const real* big, real* cols) {
  const int64_t N = g.cols();
  parallel_for(g.rows(), std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(N, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r / (g.KH * g.KW), p = r / g.KW % g.KH, q = r % g.KW;
      const int64_t off = q * g.dilation[1] - g.padding[1];
      // the j whose column j*sw + off falls inside the row: [j0, j1)
      int64_t j0 = 0, j1 = g.Ws;
      while (j0 < j1 && j0 * g.stride[1] + off < 0) ++j0;
      while (j1 > j0 && (j1 - 1) * g.stride[1] + off >= g.Wb) --j1;
      for (int64_t b = 0; b < g.B; ++b)
        for (int64_t i = 0; i < g.Hs; ++i) {
          real* dst = cols + r * N + (b * g.Hs + i) * g.Ws;
          const int64_t row = i * g.stride[0] + p * g.dilation[0] - g.padding[0];
          if (row < 0 || row >= g.Hb) {
            std::fill(dst, dst + g.Ws, real(0));
            continue;
          }
          const real* src = big + ((b * g.Cb + c) * g.Hb + row) * g.Wb + off;
          std::fill(dst, dst + j0, real(0));
          for (int64_t j = j0; j < j1; ++j) dst[j] = src[j * g.stride[1]];
          std::fill(dst + j1, dst + g.Ws, real(0));
        }
    }
  });
}

// col2im, im2col's adjoint: big[b, c, ...] = the sum of the cols entries im2col would copy it to.
// Each (b, c) plane of big belongs to one thread.
void col2im(const Geometry2d& g, const real* cols, real* big) {
  const int64_t N = g.cols(), plane = g.Hb * g.Wb;
  parallel_for(g.B * g.Cb, 4, [&](int64_t r0, int64_t r1) {
    for (int64_t bc = r0; bc < r1; ++bc) {
      const int64_t b = bc / g.Cb, c = bc % g.Cb;
      real* dst = big + bc * plane;
      std::fill(dst, dst + plane, real(0));
      for (int64_t p = 0; p < g.KH; ++p)
        for (int64_t q = 0; q < g.KW; ++q) {
          const int64_t off = q * g.dilation[1] - g.padding[1];
          int64_t j0 = 0, j1 = g.Ws;
          while (j0 < j1 && j0 * g.stride[1] + off < 0) ++j0;
          while (j1 > j0 && (j1 - 1) * g.stride[1] + off >= g.Wb) --j1;
          const real* src_row = cols + ((c * g.KH + p) * g.KW + q) * N + b * g.Hs * g.Ws;
          for (int64_t i = 0; i < g.Hs; ++i) {
            const int64_t row = i * g.stride[0] + p * g.dilation[0] - g.padding[0];
            if (row < 0 || row >= g.Hb) continue;
            real* d = dst + row * g.Wb + off;
            const real* s = src_row + i * g.Ws;
            for (int64_t j = j0; j < j1; ++j) d[j * g.stride[1]] += s[j];
          }
        }
    }
  });
}

// Scratch space for the column matrices, left uninitialised: every element is written before it is
// read. Shared, because a backward may keep its forward's matrix.
using Matrix = std::shared_ptr<real[]>;
Matrix matrix(int64_t n) { return Matrix(new real[(size_t)n]); }

// (B, C, S) <-> (C, B*S): the layout of a gemm's result and the layout of a tensor.
void to_batch_major(const real* m, int64_t B, int64_t C, int64_t S, real* t, const real* bias) {
  parallel_for(B * C, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(S, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / C, c = r % C;
      const real* src = m + c * B * S + b * S;
      const real add = bias ? bias[c] : real(0);
      for (int64_t s = 0; s < S; ++s) t[r * S + s] = src[s] + add;
    }
  });
}
void to_channel_major(const real* t, int64_t B, int64_t C, int64_t S, real* m) {
  parallel_for(B * C, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(S, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) std::copy(t + r * S, t + (r + 1) * S, m + (r % C) * B * S + (r / C) * S);
  });
}

// [doc:conv2d-gemm]
// Two matrices, and three products between them and the weight W (Cs, Cb*KH*KW):
//   cols   im2col(big), (Cb*KH*KW, B*Hs*Ws)       m   the small side as (Cs, B*Hs*Ws)
//   gather   m = W @ cols                          conv2d's forward, conv_transpose2d's dx
//   scatter  big = col2im(W^T @ m)                 conv_transpose2d's forward, conv2d's dx
//   dW       dW = m @ cols^T                       the weight's gradient in both
// Each op's backward for its input is the other op's forward: they are each other's adjoints.
// A backward reuses the forward's cols (conv2d) or m (conv_transpose2d) rather than rebuild it.
Matrix cols_of(const Geometry2d& g, const Tensor& big) {
  Tensor bc = big.contiguous();
  Matrix cols = matrix(g.rows() * g.cols());
  im2col(g, bc.data(), cols.get());
  return cols;
}
Matrix channel_major(const Geometry2d& g, const Tensor& small) {
  Tensor sc = small.contiguous();
  Matrix m = matrix(g.Cs * g.cols());
  to_channel_major(sc.data(), g.B, g.Cs, g.Hs * g.Ws, m.get());
  return m;
}
Tensor gather(const Geometry2d& g, const real* cols, const Tensor& w, const Tensor& bias) {
  Tensor wc = w.contiguous();
  Matrix m = matrix(g.Cs * g.cols());
  kernels::gemm(g.Cs, g.cols(), g.rows(), wc.data(), g.rows(), 1, cols, g.cols(), 1, m.get(), g.cols(), false);
  Tensor out = Tensor::empty({g.B, g.Cs, g.Hs, g.Ws});  // every element is written below
  Tensor bb = bias.defined() ? bias.contiguous() : Tensor();
  to_batch_major(m.get(), g.B, g.Cs, g.Hs * g.Ws, out.data(), bb.defined() ? bb.data() : nullptr);
  return out;
}
Tensor scatter(const Geometry2d& g, const real* m, const Tensor& w, const Tensor& bias) {
  Tensor wc = w.contiguous();
  Matrix cols = matrix(g.rows() * g.cols());
  kernels::gemm(g.rows(), g.cols(), g.Cs, wc.data(), 1, g.rows(), m, g.cols(), 1, cols.get(), g.cols(), false);
  Tensor out = Tensor::empty({g.B, g.Cb, g.Hb, g.Wb});  // every element is written below
  col2im(g, cols.get(), out.data());
  if (bias.defined()) {
    Tensor bb = bias.contiguous();
    const int64_t plane = g.Hb * g.Wb;
    real* po = out.data();
    const real* pb = bb.data();
    parallel_for(g.B * g.Cb, 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t s = 0; s < plane; ++s) po[r * plane + s] += pb[r % g.Cb];
    });
  }
  return out;
}
Tensor weight_grad(const Geometry2d& g, const real* cols, const real* m) {
  Tensor dw = Tensor::empty({g.Cs, g.Cb, g.KH, g.KW});  // every element is written below
  kernels::gemm(g.Cs, g.rows(), g.cols(), m, g.cols(), 1, cols, 1, g.cols(), dw.data(), g.rows(), false);
  return dw;
}
// [/doc]

// dW written with ops, for create_graph: tap (p, q) of the weight's gradient is
//   dW[:, :, p, q] = small (Cs, B*Hs*Ws) @ big_pad[:, :, p*dh + i*sh, q*dw + j*sw] (B*Hs*Ws, Cb)
Tensor weight_grad_graph(const Geometry2d& g, const Tensor& big, const Tensor& small) {
  Tensor bp = pad_axis(pad_axis(big, 2, g.padding[0], g.padding[0]), 3, g.padding[1], g.padding[1]);
  Tensor sm = small.permute({1, 0, 2, 3}).reshape({g.Cs, g.cols()});
  std::vector<Tensor> taps;
  for (int64_t p = 0; p < g.KH; ++p)
    for (int64_t q = 0; q < g.KW; ++q) {
      const int64_t r = p * g.dilation[0], c = q * g.dilation[1];
      Tensor t = bp.slice(2, r, r + (g.Hs - 1) * g.stride[0] + 1, g.stride[0])
                     .slice(3, c, c + (g.Ws - 1) * g.stride[1] + 1, g.stride[1]);  // (B, Cb, Hs, Ws)
      taps.push_back(matmul(sm, t.permute({1, 0, 2, 3}).reshape({g.Cb, g.cols()}).t()));
    }
  return stack(taps, 2).reshape({g.Cs, g.Cb, g.KH, g.KW});
}
}  // namespace

// [doc:conv2d-direct]
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& a) {
  Op op("conv2d");
  const std::array<int64_t, 2> size = check_conv2d("conv2d", x, weight, bias, a);
  const Geometry2d g{x.size(0), x.size(1),      x.size(2),      x.size(3), weight.size(0), size[0],
                     size[1],   weight.size(2), weight.size(3), a.stride,  a.padding,      a.dilation};
  std::vector<Tensor> inputs = {x, weight};
  if (bias.defined()) inputs.push_back(bias);
  const bool rx = x.requires_grad(), rw = weight.requires_grad(), rb = bias.defined() && bias.requires_grad();
  Tensor wd = weight.detach();
  Matrix cols = cols_of(g, x.detach());
  Tensor out = gather(g, cols.get(), wd, bias.defined() ? bias.detach() : Tensor());
  if (!rw) cols.reset();  // only dW reads it again
  return op.finish(
      out, inputs,
      [g, cols, wd, rx, rw, rb, n = inputs.size()](const Tensor& grad) -> Grads {
        Grads d(n);
        Matrix m = rx || rw ? channel_major(g, grad) : nullptr;  // not for the bias alone
        if (rx) d[0] = scatter(g, m.get(), wd, Tensor());        // dx: the transposed convolution of the gradient
        if (rw) d[1] = weight_grad(g, cols.get(), m.get());
        if (rb) d[2] = sum(grad, {0, 2, 3});
        return d;
      },
      [g](const Tensor& grad, const std::vector<Tensor>& in) -> Grads {
        Grads d(in.size());
        if (in[0].requires_grad()) {
          ConvTranspose2dArgs t;  // output_padding: the input rows and columns no output reads
          t.stride = g.stride, t.padding = g.padding, t.dilation = g.dilation;
          for (int i = 0; i < 2; ++i)
            t.output_padding[i] = (i ? g.Wb : g.Hb) + 2 * g.padding[i] - g.dilation[i] * ((i ? g.KW : g.KH) - 1) - 1 -
                                  ((i ? g.Ws : g.Hs) - 1) * g.stride[i];
          d[0] = conv_transpose2d(grad, in[1], Tensor(), t);
        }
        if (in[1].requires_grad()) d[1] = weight_grad_graph(g, in[0], grad);
        if (in.size() > 2 && in[2].requires_grad()) d[2] = sum(grad, {0, 2, 3});
        return d;
      });
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvTranspose2dArgs& a) {
  Op op("conv_transpose2d");
  const std::array<int64_t, 2> size = check_conv_transpose2d("conv_transpose2d", x, weight, bias, a);
  const Geometry2d g{x.size(0), weight.size(1), size[0],        size[1],  x.size(1), x.size(2),
                     x.size(3), weight.size(2), weight.size(3), a.stride, a.padding, a.dilation};
  std::vector<Tensor> inputs = {x, weight};
  if (bias.defined()) inputs.push_back(bias);
  const bool rx = x.requires_grad(), rw = weight.requires_grad(), rb = bias.defined() && bias.requires_grad();
  Tensor wd = weight.detach();
  Matrix m = channel_major(g, x.detach());
  Tensor out = scatter(g, m.get(), wd, bias.defined() ? bias.detach() : Tensor());
  if (!rw) m.reset();  // only dW reads it again
  return op.finish(
      out, inputs,
      [g, m, wd, rx, rw, rb, n = inputs.size()](const Tensor& grad) -> Grads {
        Grads d(n);
        Matrix cols = rx || rw ? cols_of(g, grad) : nullptr;  // not for the bias alone
        if (rx) d[0] = gather(g, cols.get(), wd, Tensor());   // dx: the convolution of the gradient
        if (rw) d[1] = weight_grad(g, cols.get(), m.get());
        if (rb) d[2] = sum(grad, {0, 2, 3});
        return d;
      },
      [g](const Tensor& grad, const std::vector<Tensor>& in) -> Grads {
        Grads d(in.size());
        if (in[0].requires_grad()) {
          Conv2dArgs c;
          c.stride = g.stride, c.padding = g.padding, c.dilation = g.dilation;
          Tensor dx = conv2d(grad, in[1], Tensor(), c);  // output_padding >= stride gives extra rows: crop them
          d[0] = dx.size(2) == g.Hs && dx.size(3) == g.Ws ? dx : dx.slice(2, 0, g.Hs).slice(3, 0, g.Ws);
        }
        if (in[1].requires_grad()) d[1] = weight_grad_graph(g, grad, in[0]);
        if (in.size() > 2 && in[2].requires_grad()) d[2] = sum(grad, {0, 2, 3});
        return d;
      });
}
// [/doc]

// [doc:conv2d-ref]
//   conv2d:            y[b, o, i, j] = bias[o] + sum_c,p,q W[o, c, p, q] x[b, c, i*sh + p*dh - ph, j*sw + q*dw - pw]
//   conv_transpose2d:  y[b, o, i*sh + p*dh - ph, j*sw + q*dw - pw] += x[b, c, i, j] W[c, o, p, q]
Tensor conv2d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& a) {
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), O = weight.size(0);
  const int64_t KH = weight.size(2), KW = weight.size(3);
  const int64_t Ho = (H + 2 * a.padding[0] - a.dilation[0] * (KH - 1) - 1) / a.stride[0] + 1;
  const int64_t Wo = (W + 2 * a.padding[1] - a.dilation[1] * (KW - 1) - 1) / a.stride[1] + 1;
  Tensor out = Tensor::empty({B, O, Ho, Wo});
  real* po = out.data();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < Ho; ++i)
        for (int64_t j = 0; j < Wo; ++j) {
          double s = bias.defined() ? bias.at({o}) : 0.0;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t p = 0; p < KH; ++p)
              for (int64_t q = 0; q < KW; ++q) {
                const int64_t r = i * a.stride[0] + p * a.dilation[0] - a.padding[0];
                const int64_t t = j * a.stride[1] + q * a.dilation[1] - a.padding[1];
                if (r >= 0 && r < H && t >= 0 && t < W) s += (double)weight.at({o, c, p, q}) * x.at({b, c, r, t});
              }
          *po++ = (real)s;
        }
  return out;
}

Tensor conv_transpose2d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvTranspose2dArgs& a) {
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), O = weight.size(1);
  const int64_t KH = weight.size(2), KW = weight.size(3);
  const int64_t Ho = (H - 1) * a.stride[0] - 2 * a.padding[0] + a.dilation[0] * (KH - 1) + a.output_padding[0] + 1;
  const int64_t Wo = (W - 1) * a.stride[1] - 2 * a.padding[1] + a.dilation[1] * (KW - 1) + a.output_padding[1] + 1;
  std::vector<double> acc((size_t)(B * O * Ho * Wo), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j)
          for (int64_t o = 0; o < O; ++o)
            for (int64_t p = 0; p < KH; ++p)
              for (int64_t q = 0; q < KW; ++q) {
                const int64_t r = i * a.stride[0] + p * a.dilation[0] - a.padding[0];
                const int64_t t = j * a.stride[1] + q * a.dilation[1] - a.padding[1];
                if (r >= 0 && r < Ho && t >= 0 && t < Wo)
                  acc[(size_t)(((b * O + o) * Ho + r) * Wo + t)] +=
                      (double)x.at({b, c, i, j}) * weight.at({c, o, p, q});
              }
  Tensor out = Tensor::empty({B, O, Ho, Wo});
  for (int64_t n = 0; n < out.numel(); ++n)
    out.data()[n] = (real)(acc[(size_t)n] + (bias.defined() ? (double)bias.at({(n / (Ho * Wo)) % O}) : 0.0));
  return out;
}
// [/doc]

}  // namespace cadenza
