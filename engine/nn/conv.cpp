// conv.cpp: see conv.h. Chapter: docs/10-convolutions-and-dilation.md.
#include "engine/nn/conv.h"

#include <algorithm>
#include <cmath>

#include "engine/autograd/node.h"

#include "engine/nn/init.h"

namespace cadenza::nn {

Conv1d::Conv1d(int64_t cin, int64_t cout, int64_t k, Conv1dOptions opt, Generator& gen)
    : in_channels(cin), out_channels(cout), kernel_size(k), options(opt) {
  if (cin <= 0 || cout <= 0 || k <= 0)
    fail("Conv1d", str("sizes must be positive, got in=", cin, " out=", cout, " kernel=", k), "");
  if (opt.stride < 1 || opt.dilation < 1 || opt.padding < 0)
    fail("Conv1d",
         str("need stride >= 1, dilation >= 1, padding >= 0; got ", opt.stride, ", ", opt.dilation, ", ", opt.padding),
         "");
  real bound = (real)(1.0 / std::sqrt((double)(cin * k)));
  Tensor w = uniform({cout, cin, k}, -bound, bound, gen);
  if (opt.weight_norm) {
    NoGradGuard ng;
    weight_g = register_parameter("weight_g", sqrt(sum(w * w, {1, 2}, true)));
    weight_v = register_parameter("weight_v", w);
  } else {
    weight = register_parameter("weight", w);
  }
  if (opt.bias) bias = register_parameter("bias", uniform({cout}, -bound, bound, gen));
}

std::string Conv1d::type_name() const {
  return str("Conv1d(", in_channels, " -> ", out_channels, ", k=", kernel_size,
             options.dilation > 1 ? str(", dilation=", options.dilation) : "", options.causal ? ", causal" : "",
             options.weight_norm ? ", weight_norm" : "", ")");
}

// [doc:weight-norm]
// Weight normalisation (Salimans & Kingma 2016): the direction v and the length g
// are trained separately; w = g * v / ||v||, the norm taken per output channel.
Tensor Conv1d::effective_weight() const {
  if (!options.weight_norm) return weight;
  // [exercise:10.3] weight normalisation: w = g v / ||v|| per output channel
  return weight_v * (weight_g / sqrt(sum(weight_v * weight_v, {1, 2}, true)));
  // [/exercise]
}
// [/doc]

Tensor Conv1d::forward(const Tensor& x) {
  if (!x.defined() || x.dim() != 3 || x.size(1) != in_channels)
    fail("Conv1d",
         str("input has shape ", x.defined() ? shape_str(x.shape()) : "undefined", ", expected (batch, ", in_channels,
             ", length)"),
         "convolutions take channels on axis 1; a (batch, time, features) tensor needs .transpose(1, 2)");
  Conv1dArgs a;
  a.stride = options.stride;
  a.dilation = options.dilation;
  if (options.causal) a.pad_left = options.dilation * (kernel_size - 1);
  else a.pad_left = a.pad_right = options.padding;
  return conv1d(x, effective_weight(), bias, a);
}

ConvTranspose1d::ConvTranspose1d(int64_t cin, int64_t cout, int64_t k, ConvTranspose1dArgs a, bool has_bias,
                                 Generator& gen)
    : in_channels(cin), out_channels(cout), kernel_size(k), args(a) {
  if (cin <= 0 || cout <= 0 || k <= 0)
    fail("ConvTranspose1d", str("sizes must be positive, got in=", cin, " out=", cout, " kernel=", k), "");
  if (a.stride < 1 || a.dilation < 1 || a.padding < 0 || a.output_padding < 0 ||
      a.output_padding >= std::max(a.stride, a.dilation))
    fail("ConvTranspose1d",
         str("need stride >= 1, dilation >= 1, padding >= 0 and 0 <= output_padding < max(stride, dilation); got ",
             a.stride, ", ", a.dilation, ", ", a.padding, ", ", a.output_padding),
         "");
  real bound = (real)(1.0 / std::sqrt((double)(cout * k)));  // PyTorch's fan_in of a (Cin, Cout, K) weight
  weight = register_parameter("weight", uniform({cin, cout, k}, -bound, bound, gen));
  if (has_bias) bias = register_parameter("bias", uniform({cout}, -bound, bound, gen));
}

std::string ConvTranspose1d::type_name() const {
  return str("ConvTranspose1d(", in_channels, " -> ", out_channels, ", k=", kernel_size,
             args.stride > 1 ? str(", stride=", args.stride) : "", ")");
}

Tensor ConvTranspose1d::forward(const Tensor& x) {
  if (!x.defined() || x.dim() != 3 || x.size(1) != in_channels)
    fail("ConvTranspose1d",
         str("input has shape ", x.defined() ? shape_str(x.shape()) : "undefined", ", expected (batch, ", in_channels,
             ", length)"),
         "convolutions take channels on axis 1; a (batch, time, features) tensor needs .transpose(1, 2)");
  return conv_transpose1d(x, weight, bias, args);
}

TemporalBlock::TemporalBlock(int64_t cin, int64_t cout, int64_t k, int64_t dilation, double p, Generator& gen) {
  Conv1dOptions o;
  o.dilation = dilation;
  o.causal = true;
  o.weight_norm = true;
  conv1 = register_module("conv1", std::make_shared<Conv1d>(cin, cout, k, o, gen));
  conv2 = register_module("conv2", std::make_shared<Conv1d>(cout, cout, k, o, gen));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(p, gen));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(p, gen));
  if (cin != cout) {
    downsample = register_module("downsample", std::make_shared<Conv1d>(cin, cout, 1, Conv1dOptions{}, gen));
    NoGradGuard ng;
    init::normal_(downsample->weight, 0, (real)0.01, gen);  // as locuslab/TCN's init_weights
  }
}

// [doc:temporal-block]
Tensor TemporalBlock::forward(const Tensor& x) {
  Tensor h = dropout1->forward(relu(conv1->forward(x)));
  h = dropout2->forward(relu(conv2->forward(h)));
  Tensor skip = downsample ? downsample->forward(x) : x;
  return relu(h + skip);
}
// [/doc]

TCN::TCN(int64_t cin, const std::vector<int64_t>& channels, int64_t k, double p, Generator& gen) : kernel_size(k) {
  if (channels.empty()) fail("TCN", "needs at least one level", "pass e.g. {150, 150} for two levels of width 150");
  network = register_module("network", std::make_shared<Sequential>());
  int64_t in = cin, dilation = 1;
  for (size_t i = 0; i < channels.size(); ++i, dilation *= 2) {
    blocks.push_back(std::make_shared<TemporalBlock>(in, channels[i], k, dilation, p, gen));
    network->add(blocks.back());
    in = channels[i];
  }
}

Tensor TCN::forward(const Tensor& x) { return network->forward(x); }

// Each block has two convolutions at dilation 2^i; each adds (kernel_size - 1) * 2^i steps of history.
int64_t TCN::receptive_field() const {
  // [exercise:10.4] the TCN's receptive field, in steps
  return 1 + 2 * (kernel_size - 1) * (((int64_t)1 << blocks.size()) - 1);
  // [/exercise]
}

}  // namespace cadenza::nn
