// conv.h: Conv1d (stride, padding, dilation, causal padding, optional weight
// normalisation), ConvTranspose1d, pooling layers, and the residual dilated block of TCN/WaveNet.
//   Conv1d        x: (B, Cin, L) -> (B, Cout, Lout)   weight (Cout, Cin, K), bias (Cout,)
//                 with weight_norm: weight = weight_g * weight_v / ||weight_v||  (norm per output channel),
//                 stored as weight_g (Cout, 1, 1) and weight_v (Cout, Cin, K) like torch.nn.utils.weight_norm
//   TemporalBlock x: (B, Cin, L) -> (B, Cout, L)  two causal dilated convs + ReLU + dropout, plus a skip
//   TCN           x: (B, Cin, L) -> (B, C_last, L) blocks with dilation 1, 2, 4, ...
// Chapter: docs/10-convolutions-and-dilation.md.
#pragma once
#include <memory>
#include <vector>

#include "engine/ops/random.h"
#include "engine/nn/layers.h"
#include "engine/ops/ops.h"

namespace cadenza::nn {

struct Conv1dOptions {
  int64_t stride = 1;
  int64_t padding = 0;  // zeros on both sides (ignored when causal)
  int64_t dilation = 1;
  bool causal = false;  // pad dilation*(K-1) on the left only: output t never sees inputs after t
  bool bias = true;
  bool weight_norm = false;
};

class Conv1d : public Layer {
 public:
  // PyTorch's default init: weight and bias ~ U(-1/sqrt(Cin*K), 1/sqrt(Cin*K)).
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Conv1dOptions opt = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  Tensor effective_weight() const;  // weight, or g * v / ||v|| under weight normalisation
  std::string type_name() const override;
  int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions options;
  Tensor weight, bias, weight_g, weight_v;  // weight is undefined under weight_norm
};

// The transposed convolution, as torch.nn.ConvTranspose1d: it upsamples by `stride`.
//   x: (B, Cin, L) -> (B, Cout, (L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1)
//   weight (Cin, Cout, K), bias (Cout,), both ~ U(-1/sqrt(Cout*K), 1/sqrt(Cout*K)) as PyTorch.
class ConvTranspose1d : public Layer {
 public:
  ConvTranspose1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, ConvTranspose1dArgs args = {},
                  bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override;
  int64_t in_channels, out_channels, kernel_size;
  ConvTranspose1dArgs args;
  Tensor weight, bias;  // bias is undefined when bias=false
};

class MaxPool1d : public Layer {
 public:
  explicit MaxPool1d(int64_t kernel, int64_t stride = 0) : kernel(kernel), stride(stride) {}
  Tensor forward(const Tensor& x) override { return max_pool1d(x, kernel, stride); }
  std::string type_name() const override { return str("MaxPool1d(", kernel, ")"); }
  int64_t kernel, stride;
};

class AvgPool1d : public Layer {
 public:
  explicit AvgPool1d(int64_t kernel, int64_t stride = 0) : kernel(kernel), stride(stride) {}
  Tensor forward(const Tensor& x) override { return avg_pool1d(x, kernel, stride); }
  std::string type_name() const override { return str("AvgPool1d(", kernel, ")"); }
  int64_t kernel, stride;
};

// The residual block of Bai, Kolter & Koltun (2018), as in locuslab/TCN:
//   y = relu( dropout(relu(conv2(dropout(relu(conv1(x)))))) + skip(x) )
// conv1, conv2: causal, dilated, weight-normalised; skip: 1x1 conv when widths differ.
class TemporalBlock : public Layer {
 public:
  TemporalBlock(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t dilation, double dropout,
                Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "TemporalBlock"; }
  std::shared_ptr<Conv1d> conv1, conv2, downsample;  // downsample is null when widths agree
  std::shared_ptr<Dropout> dropout1, dropout2;
};

class TCN : public Layer {
 public:
  // channels[i] is the width of level i; level i has dilation 2^i.
  TCN(int64_t in_channels, const std::vector<int64_t>& channels, int64_t kernel_size, double dropout,
      Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "TCN"; }
  int64_t receptive_field() const;                     // 1 + 2 (K-1) (2^levels - 1) steps
  std::vector<std::shared_ptr<TemporalBlock>> blocks;  // also registered as network.0, network.1, ...
  std::shared_ptr<Sequential> network;
  int64_t kernel_size;
};

}  // namespace cadenza::nn
