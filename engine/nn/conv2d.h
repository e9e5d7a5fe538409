// conv2d.h: Conv2d and ConvTranspose2d, as torch.nn's, for time x pitch piano rolls:
//   Conv2d           x: (B, Cin, H, W) -> (B, Cout, Hout, Wout)   weight (Cout, Cin, KH, KW), bias (Cout,)
//   ConvTranspose2d  x: (B, Cin, H, W) -> (B, Cout, Hout, Wout)   weight (Cin, Cout, KH, KW), bias (Cout,)
// Both use PyTorch's init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.size(1) * KH * KW.
// Chapter: docs/10-convolutions-and-dilation.md.
#pragma once
#include <array>

#include "engine/nn/module.h"
#include "engine/ops/ops.h"
#include "engine/ops/random.h"

namespace cadenza::nn {

class Conv2d : public Layer {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 2> kernel_size, Conv2dArgs args = {},
         bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override;
  int64_t in_channels, out_channels;
  std::array<int64_t, 2> kernel_size;
  Conv2dArgs args;
  Tensor weight, bias;  // bias is undefined when bias=false
};

class ConvTranspose2d : public Layer {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 2> kernel_size,
                  ConvTranspose2dArgs args = {}, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override;
  int64_t in_channels, out_channels;
  std::array<int64_t, 2> kernel_size;
  ConvTranspose2dArgs args;
  Tensor weight, bias;
};

}  // namespace cadenza::nn
