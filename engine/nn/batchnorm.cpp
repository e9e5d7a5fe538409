// batchnorm.cpp: see batchnorm.h. Composed from tensor ops, so autograd derives the backward
// (gradchecked in tests/test_gradcheck.cpp, matched to PyTorch in tests/test_golden.cpp).
// Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/nn/batchnorm.h"

#include <algorithm>

#include "engine/core/graph.h"
#include "engine/ops/ops.h"

namespace cadenza::nn {

BatchNorm::BatchNorm(const char* name, std::vector<int64_t> ranks, int64_t C, BatchNormOptions opt)
    : num_features(C), options(opt), name_(name), ranks_(std::move(ranks)) {
  if (C <= 0) fail(name, str("num_features must be positive, got ", C), "pass the number of channels");
  if (!(opt.eps > 0)) fail(name, str("eps must be positive, got ", opt.eps), "the default is 1e-5");
  if (!(opt.momentum >= 0 && opt.momentum <= 1))
    fail(name, str("momentum must be in [0, 1], got ", opt.momentum), "the default is 0.1");
  if (opt.affine) {
    weight = register_parameter("weight", Tensor::ones({C}));
    bias = register_parameter("bias", Tensor::zeros({C}));
  }
  if (opt.track_running_stats) {
    running_mean = register_buffer("running_mean", Tensor::zeros({C}));
    running_var = register_buffer("running_var", Tensor::ones({C}));
    num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}));
  }
}

std::string BatchNorm::type_name() const { return str(name_, "(", num_features, ")"); }

// [doc:batchnorm]
// Training:   y = (x - mean_B) / sqrt(var_B + eps) * weight + bias, the statistics per channel
//             over the batch and every axis after the channels (biased variance, as PyTorch);
//             running_mean += momentum * (mean_B - running_mean), and the same for running_var
//             with the unbiased variance var_B * n / (n - 1).
// Evaluation: the same with running_mean and running_var in place of the batch's.
Tensor BatchNorm::forward(const Tensor& x) {
  if (std::find(ranks_.begin(), ranks_.end(), x.dim()) == ranks_.end() || x.size(1) != num_features)
    fail(name_,
         str("input has shape ", shape_str(x.shape()), " but this layer expects ",
             ranks_.size() > 1 ? "(N, C) or (N, C, L)" : "(N, C, H, W)", " with C = ", num_features),
         "check the previous layer's channels and that the batch axis comes first");
  std::vector<int64_t> axes{0};   // every axis but the channels
  Shape per_channel(x.dim(), 1);  // (1, C, 1, ...): broadcasts a (C,) vector over x
  per_channel[1] = num_features;
  for (int64_t d = 2; d < x.dim(); ++d) axes.push_back(d);
  Tensor y;
  if (training() || !options.track_running_stats) {
    const int64_t n = x.numel() / num_features;  // values per channel
    if (training() && n < 2)
      fail(name_, str("training needs more than one value per channel, got input of shape ", shape_str(x.shape())),
           "use a batch of at least 2, or call eval() to use the running statistics");
    Tensor mu = mean(x, axes, true);
    Tensor centred = x - mu;
    Tensor var = mean(centred * centred, axes, true);
    y = centred / sqrt(var + (real)options.eps);
    if (training() && options.track_running_stats) {
      NoGradGuard no_grad;
      const real m = (real)options.momentum;
      // [exercise:12.3] the running statistics: a moving average, the variance unbiased as PyTorch's
      running_mean.mul_(1 - m).add_(mu.detach().reshape({num_features}), m);
      running_var.mul_(1 - m).add_(var.detach().reshape({num_features}), m * (real)n / (real)(n - 1));
      // [/exercise]
      num_batches_tracked.add_(Tensor::ones({}));
    }
  } else {
    y = (x - running_mean.reshape(per_channel)) / sqrt(running_var.reshape(per_channel) + (real)options.eps);
  }
  return weight.defined() ? y * weight.reshape(per_channel) + bias.reshape(per_channel) : y;
}
// [/doc]

}  // namespace cadenza::nn
