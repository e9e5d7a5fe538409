// layers.cpp: see layers.h. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/nn/layers.h"

#include <cmath>

#include "engine/nn/init.h"
#include "engine/ops/ops.h"

namespace cadenza::nn {

// [doc:linear]
Linear::Linear(int64_t in, int64_t out, bool has_bias, Generator& gen) : in_features(in), out_features(out) {
  if (in <= 0 || out <= 0) fail("Linear", str("sizes must be positive, got in=", in, " out=", out), "");
  double bound = 1.0 / std::sqrt((double)in);
  weight = register_parameter("weight", uniform({out, in}, (real)-bound, (real)bound, gen));
  if (has_bias) bias = register_parameter("bias", uniform({out}, (real)-bound, (real)bound, gen));
}

// y = x W^T + b      x: (..., in)  W: (out, in)  b: (out,)  ->  y: (..., out)
Tensor Linear::forward(const Tensor& x) {
  if (x.dim() == 0 || x.size(-1) != in_features)
    fail("Linear",
         str("input has shape ", shape_str(x.shape()), " but this layer expects ", in_features,
             " features on the last axis"),
         "check the previous layer's output size");
  Tensor y = matmul(x, weight.t());
  return bias.defined() ? y + bias : y;
}
// [/doc]

Embedding::Embedding(int64_t num, int64_t dim, Generator& gen) : num_embeddings(num), embedding_dim(dim) {
  if (num <= 0 || dim <= 0) fail("Embedding", str("sizes must be positive, got ", num, " x ", dim), "");
  weight = register_parameter("weight", randn({num, dim}, gen));
}

Tensor Embedding::forward(const Tensor& indices) {
  Shape out_shape = indices.shape();
  out_shape.push_back(embedding_dim);
  return index_select(weight, 0, indices.reshape({-1})).reshape(out_shape);
}

Dropout::Dropout(double p_, Generator& gen) : p(p_), gen_(&gen) {
  if (!(p >= 0 && p < 1)) fail("Dropout", str("p must be in [0, 1), got ", p), "p is the probability of dropping");
}

Tensor Dropout::forward(const Tensor& x) {
  if (!training() || p == 0) return x;
  Tensor keep = bernoulli(Tensor::full(x.shape(), (real)(1 - p)), *gen_);
  return x * (keep / (real)(1 - p));
}

LayerNorm::LayerNorm(int64_t n, double eps_, bool affine) : size(n), eps(eps_) {
  if (n <= 0) fail("LayerNorm", str("size must be positive, got ", n), "");
  if (affine) {
    weight = register_parameter("weight", Tensor::ones({n}));
    bias = register_parameter("bias", Tensor::zeros({n}));
  }
}

// [doc:layernorm]
// y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last axis
// (biased variance, as PyTorch). Composed from ops, so autograd derives the backward.
Tensor LayerNorm::forward(const Tensor& x) {
  if (x.dim() == 0 || x.size(-1) != size)
    fail("LayerNorm",
         str("input has shape ", shape_str(x.shape()), " but this layer normalises ", size,
             " features on the last axis"),
         "check the layer's size");
  // [exercise:4.4] LayerNorm composed from ops (biased variance, as PyTorch)
  Tensor mu = mean(x, {-1}, true);
  Tensor centred = x - mu;
  Tensor var = mean(centred * centred, {-1}, true);
  Tensor y = centred / sqrt(var + (real)eps);
  return weight.defined() ? y * weight + bias : y;
  // [/exercise]
}
// [/doc]

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor GELU::forward(const Tensor& x) { return gelu(x); }
Tensor Softplus::forward(const Tensor& x) { return softplus(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, (real)slope); }

Sequential& Sequential::add(std::shared_ptr<Layer> layer) {
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& l : layers_) h = l->forward(h);
  return h;
}

}  // namespace cadenza::nn
