// layers.h: Linear, Embedding, Dropout, LayerNorm, the usual activations, and
// Sequential to chain them. Shapes use PyTorch's conventions:
//   Linear     x: (..., in)            -> (..., out)       weight (out, in), bias (out,)
//   Embedding  idx: (...) of integers  -> (..., dim)       weight (num, dim)
//   LayerNorm  x: (..., C)             -> (..., C)         weight (C,), bias (C,)
// Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include <memory>
#include <vector>

#include "engine/ops/random.h"
#include "engine/nn/module.h"

namespace cadenza::nn {

class Linear : public Layer {
 public:
  // PyTorch's default init: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return str("Linear(", in_features, " -> ", out_features, ")"); }
  int64_t in_features, out_features;
  Tensor weight, bias;  // bias is undefined when bias=false
};

class Embedding : public Layer {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, Generator& gen = default_generator());  // N(0, 1) init
  Tensor forward(const Tensor& indices) override;
  std::string type_name() const override { return str("Embedding(", num_embeddings, ", ", embedding_dim, ")"); }
  int64_t num_embeddings, embedding_dim;
  Tensor weight;
};

// Zeroes each element with probability p while training and scales the rest by
// 1/(1-p), so the expected output equals the input; does nothing in eval mode.
class Dropout : public Layer {
 public:
  explicit Dropout(double p = 0.5, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return str("Dropout(p=", p, ")"); }
  double p;

 private:
  Generator* gen_;
};

class LayerNorm : public Layer {
 public:
  explicit LayerNorm(int64_t normalized_size, double eps = 1e-5, bool elementwise_affine = true);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return str("LayerNorm(", size, ")"); }
  int64_t size;
  double eps;
  Tensor weight, bias;
};

// Activations as layers, for Sequential.
class ReLU : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "ReLU"; }
};
class Tanh : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Tanh"; }
};
class Sigmoid : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sigmoid"; }
};
class GELU : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "GELU"; }
};
class Softplus : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Softplus"; }
};
class LeakyReLU : public Layer {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope(slope) {}
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "LeakyReLU"; }
  double slope;
};

// Runs its layers in order; they are named "0", "1", ... like torch.nn.Sequential.
class Sequential : public Layer {
 public:
  Sequential() = default;
  Sequential& add(std::shared_ptr<Layer> layer);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }

 private:
  std::vector<std::shared_ptr<Layer>> layers_;
};

}  // namespace cadenza::nn
