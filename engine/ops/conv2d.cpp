// conv2d.cpp: 2-d convolution and its transpose over (B, C, H, W), composed from conv1d and
// view ops, and both definitions loop by loop (the oracles).
//
// A 2-d kernel is KH rows of 1-d kernels. Row kh of the kernel reads input rows
// t*stride_h + kh*dilation_h (after padding), so
//     conv2d(x, W) = sum over kh of  conv1d along W of those rows, with W[:, :, kh, :]
// where the rows of every (batch, output row) pair are stacked into one conv1d batch.
// The transposed convolution is an ordinary one on a spread-out input, as in 1-d
// (engine/ops/conv_transpose.cpp): zeros between the steps along both axes, full padding
// less `padding`, and the kernel flipped along both axes with its channel axes swapped.
// Every step is an op with its own backward, so autograd derives these (gradchecked, and
// matched to torch on fixtures). Chapter: docs/10-convolutions-and-dilation.md.
#include <algorithm>

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
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& a) {
  check_input("conv2d", x, weight, 1, "(out_channels, in_channels, kernel_h, kernel_w)");
  check_args("conv2d", a.stride, a.padding, a.dilation);
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    fail("conv2d", "bias " + shape_str(bias.shape()) + " does not match " + str(weight.size(0)) + " output channels",
         "");
  const int64_t B = x.size(0), C = x.size(1), W = x.size(3), O = weight.size(0), KH = weight.size(2);
  const int64_t Hout = conv_out("conv2d", "height", x.size(2), KH, a.stride[0], a.padding[0], a.dilation[0]);
  conv_out("conv2d", "width", W, weight.size(3), a.stride[1], a.padding[1], a.dilation[1]);
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

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvTranspose2dArgs& a) {
  check_input("conv_transpose2d", x, weight, 0, "(in_channels, out_channels, kernel_h, kernel_w)");
  check_args("conv_transpose2d", a.stride, a.padding, a.dilation);
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(1)))
    fail("conv_transpose2d",
         "bias " + shape_str(bias.shape()) + " does not match " + str(weight.size(1)) + " output channels", "");
  Tensor y = x;
  for (int i = 0; i < 2; ++i) {
    const int64_t d = 2 + i, n = x.size(d), k = weight.size(d);
    if (a.output_padding[i] < 0 || a.output_padding[i] >= std::max(a.stride[i], a.dilation[i]))
      fail("conv_transpose2d",
           str("output_padding ", a.output_padding[i], " on axis ", d, " must be in [0, max(stride, dilation)) = [0, ",
               std::max(a.stride[i], a.dilation[i]), ")"),
           "output_padding only picks among the sizes a strided convolution maps to the same output");
    const int64_t out = (n - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (k - 1) + a.output_padding[i] + 1;
    if (out < 1)
      fail("conv_transpose2d", str("input size ", n, " on axis ", d, " gives an output of size ", out),
           "use less padding or a larger input");
    const int64_t full = a.dilation[i] * (k - 1);  // spread, then full padding less `padding`
    y = pad_axis(spread_axis(y, d, a.stride[i]), d, full - a.padding[i], full - a.padding[i] + a.output_padding[i]);
  }
  Conv2dArgs c;
  c.dilation = a.dilation;
  return conv2d(y, transpose(flip(flip(weight, 2), 3), 0, 1), bias, c);
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
