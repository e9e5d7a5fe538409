// conv_transpose.cpp: the transposed 1-d convolution, composed from ops, and its definition as
// a scatter (the oracle).
//
// conv1d reads a window of K inputs for each output; the transposed convolution runs it
// backwards: each input x[t] adds x[t] * W[:, :, k] to output t*stride + k*dilation - padding.
// That scatter is the ordinary convolution of a spread-out input:
//   1. put stride - 1 zeros between neighbouring steps of x,
//   2. pad dilation*(K-1) - padding zeros on each side (output_padding more on the right),
//   3. convolve at stride 1 with the kernel flipped in time and its two channel axes swapped.
// Every step is an op with its own backward, so autograd derives this one's (gradchecked, and
// matched to torch on fixtures). The zeros of step 1 cost stride times the multiply-adds of the
// scatter: a fused kernel would skip them, tested against this form.
// Chapter: docs/10-convolutions-and-dilation.md.
#include <algorithm>

#include "engine/ops/ops.h"

namespace cadenza {

static int64_t checked_length(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                              const ConvTranspose1dArgs& a) {
  if (!x.defined() || x.dim() != 3)
    fail(op, "input must be (batch, channels, length), got " + (x.defined() ? shape_str(x.shape()) : "undefined"),
         "add a batch axis with unsqueeze(0)");
  if (!weight.defined() || weight.dim() != 3 || weight.size(0) != x.size(1))
    fail(op,
         "weight " + (weight.defined() ? shape_str(weight.shape()) : "undefined") + " does not fit input " +
             shape_str(x.shape()),
         "a transposed convolution's weight is (in_channels, out_channels, kernel_size), and in_channels must "
         "equal the input's axis 1");
  if (a.stride < 1 || a.dilation < 1 || a.padding < 0 || a.output_padding < 0)
    fail(op,
         str("stride and dilation must be >= 1 and padding and output_padding >= 0, got stride=", a.stride,
             " dilation=", a.dilation, " padding=", a.padding, " output_padding=", a.output_padding),
         "");
  if (a.output_padding >= std::max(a.stride, a.dilation))
    fail(op,
         str("output_padding ", a.output_padding, " must be smaller than stride (", a.stride, ") or dilation (",
             a.dilation, ")"),
         "output_padding only picks among the lengths a strided convolution maps to the same output");
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(1)))
    fail(op, "bias " + shape_str(bias.shape()) + " does not match " + str(weight.size(1)) + " output channels", "");
  const int64_t L = x.size(2), K = weight.size(2);
  const int64_t Lout = (L - 1) * a.stride - 2 * a.padding + a.dilation * (K - 1) + a.output_padding + 1;
  if (Lout < 1)
    fail(op, str("input length ", L, " gives an output of length ", Lout, " with padding ", a.padding),
         "use less padding or a longer input");
  return Lout;
}

// [doc:conv-transpose1d]
Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvTranspose1dArgs& a) {
  const int64_t Lout = checked_length("conv_transpose1d", x, weight, bias, a);
  const int64_t B = x.size(0), Cin = x.size(1), L = x.size(2), K = weight.size(2);
  // 1. stride - 1 zeros after every step but the last: (B, Cin, (L - 1)*stride + 1)
  Tensor spread = x;
  if (a.stride > 1)
    spread = concat({unsqueeze(x, 3), Tensor::zeros({B, Cin, L, a.stride - 1})}, 3)
                 .reshape({B, Cin, L * a.stride})
                 .slice(2, 0, (L - 1) * a.stride + 1);
  // 2. full padding, less `padding`; a negative amount crops the output instead
  const int64_t full = a.dilation * (K - 1);
  const int64_t left = full - a.padding, right = full - a.padding + a.output_padding;
  // 3. the flipped kernel with in and out swapped: (Cout, Cin, K)
  Tensor w = transpose(flip(weight, 2), 0, 1);
  Tensor y = conv1d(spread, w, bias, {1, std::max<int64_t>(left, 0), std::max<int64_t>(right, 0), a.dilation});
  const int64_t crop = std::max<int64_t>(-left, 0);
  return y.size(2) == Lout ? y : y.slice(2, crop, crop + Lout);
}
// [/doc]

// [doc:conv-transpose1d-ref]
//   y[b, o, t*stride + k*dilation - padding] += x[b, c, t] * weight[c, o, k]   (+ bias[o] everywhere)
Tensor conv_transpose1d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvTranspose1dArgs& a) {
  const int64_t Lout = checked_length("conv_transpose1d_ref", x, weight, bias, a);
  const int64_t B = x.size(0), Cin = x.size(1), L = x.size(2), Cout = weight.size(1), K = weight.size(2);
  std::vector<double> acc((size_t)(B * Cout * Lout), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < Cin; ++c)
      for (int64_t t = 0; t < L; ++t)
        for (int64_t o = 0; o < Cout; ++o)
          for (int64_t k = 0; k < K; ++k) {
            const int64_t p = t * a.stride + k * a.dilation - a.padding;
            if (p >= 0 && p < Lout)
              acc[(size_t)((b * Cout + o) * Lout + p)] += (double)x.at({b, c, t}) * weight.at({c, o, k});
          }
  Tensor out = Tensor::empty({B, Cout, Lout});
  for (int64_t i = 0; i < out.numel(); ++i)
    out.data()[i] = (real)(acc[(size_t)i] + (bias.defined() ? (double)bias.at({(i / Lout) % Cout}) : 0.0));
  return out;
}
// [/doc]

}  // namespace cadenza
