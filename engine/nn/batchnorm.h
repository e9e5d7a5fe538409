// batchnorm.h: batch normalisation over the batch and every axis after the channels, with
// running statistics for evaluation, as torch.nn.BatchNorm1d and BatchNorm2d:
//   BatchNorm1d  x: (N, C) or (N, C, L) -> same shape    weight (C,), bias (C,)
//   BatchNorm2d  x: (N, C, H, W)        -> same shape    buffers running_mean (C,), running_var (C,),
//                                                                num_batches_tracked ()
// Training normalises with the batch's own mean and biased variance, and moves the running
// statistics towards the batch's mean and unbiased variance by `momentum`. Evaluation (eval())
// normalises with the running statistics, so one example gives the same answer alone or in a
// batch. Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include <vector>

#include "engine/nn/module.h"

namespace cadenza::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;  // running = (1 - momentum) * running + momentum * batch statistic
  bool affine = true;     // learn weight (init 1) and bias (init 0)
  // false: no running statistics; eval() then normalises with the batch's own, like training
  bool track_running_stats = true;
};

class BatchNorm : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override;
  int64_t num_features;
  BatchNormOptions options;
  Tensor weight, bias;                                    // undefined without affine
  Tensor running_mean, running_var, num_batches_tracked;  // undefined without track_running_stats

 protected:
  // name: the layer's name in messages; ranks: the input ranks it accepts.
  BatchNorm(const char* name, std::vector<int64_t> ranks, int64_t num_features, BatchNormOptions opt);

 private:
  const char* name_;
  std::vector<int64_t> ranks_;
};

class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions opt = {})
      : BatchNorm("BatchNorm1d", {2, 3}, num_features, opt) {}
};

class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions opt = {})
      : BatchNorm("BatchNorm2d", {4}, num_features, opt) {}
};

}  // namespace cadenza::nn
