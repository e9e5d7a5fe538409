// conv2d.cpp: see conv2d.h. Chapter: docs/10-convolutions-and-dilation.md.
#include "engine/nn/conv2d.h"

#include <cmath>

namespace cadenza::nn {

static void check_sizes(const char* name, int64_t cin, int64_t cout, const std::array<int64_t, 2>& k) {
  if (cin <= 0 || cout <= 0 || k[0] <= 0 || k[1] <= 0)
    fail(name, str("sizes must be positive, got in=", cin, " out=", cout, " kernel=(", k[0], ", ", k[1], ")"), "");
}

static void check_input(const char* name, const Tensor& x, int64_t cin) {
  if (!x.defined() || x.dim() != 4 || x.size(1) != cin)
    fail(name,
         str("input has shape ", x.defined() ? shape_str(x.shape()) : "undefined", ", expected (batch, ", cin,
             ", height, width)"),
         "a piano roll (batch, time, pitch) needs a channel axis: .unsqueeze(1)");
}

Conv2d::Conv2d(int64_t cin, int64_t cout, std::array<int64_t, 2> k, Conv2dArgs a, bool has_bias, Generator& gen)
    : in_channels(cin), out_channels(cout), kernel_size(k), args(a) {
  check_sizes("Conv2d", cin, cout, k);
  real bound = (real)(1.0 / std::sqrt((double)(cin * k[0] * k[1])));
  weight = register_parameter("weight", uniform({cout, cin, k[0], k[1]}, -bound, bound, gen));
  if (has_bias) bias = register_parameter("bias", uniform({cout}, -bound, bound, gen));
}

std::string Conv2d::type_name() const {
  return str("Conv2d(", in_channels, " -> ", out_channels, ", k=(", kernel_size[0], ", ", kernel_size[1], "))");
}

Tensor Conv2d::forward(const Tensor& x) {
  check_input("Conv2d", x, in_channels);
  return conv2d(x, weight, bias, args);
}

ConvTranspose2d::ConvTranspose2d(int64_t cin, int64_t cout, std::array<int64_t, 2> k, ConvTranspose2dArgs a,
                                 bool has_bias, Generator& gen)
    : in_channels(cin), out_channels(cout), kernel_size(k), args(a) {
  check_sizes("ConvTranspose2d", cin, cout, k);
  real bound = (real)(1.0 / std::sqrt((double)(cout * k[0] * k[1])));
  weight = register_parameter("weight", uniform({cin, cout, k[0], k[1]}, -bound, bound, gen));
  if (has_bias) bias = register_parameter("bias", uniform({cout}, -bound, bound, gen));
}

std::string ConvTranspose2d::type_name() const {
  return str("ConvTranspose2d(", in_channels, " -> ", out_channels, ", k=(", kernel_size[0], ", ", kernel_size[1],
             "))");
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  check_input("ConvTranspose2d", x, in_channels);
  return conv_transpose2d(x, weight, bias, args);
}

}  // namespace cadenza::nn
