// init.h: parameter initialisers (torch.nn.init), each drawing from a Generator.
//
// Why the scale matters: with n inputs of variance 1, a weighted sum has
// variance n * var(w). Xavier keeps var(w) = 2 / (fan_in + fan_out) so signals
// neither explode nor vanish through tanh layers; Kaiming uses 2 / fan_in for
// ReLU, which zeroes half its inputs. Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include "engine/ops/random.h"
#include "engine/core/tensor.h"

namespace cadenza::nn::init {

// fan_in and fan_out of a weight: (out, in) for Linear, (out, in, k...) for conv.
std::pair<int64_t, int64_t> fans(const Tensor& w);
// The recommended gain for a nonlinearity: "linear", "sigmoid", "tanh", "relu", "leaky_relu".
double calculate_gain(const std::string& nonlinearity, double param = 0.01);

void zeros_(Tensor& t);
void ones_(Tensor& t);
void constant_(Tensor& t, real v);
void uniform_(Tensor& t, real lo, real hi, Generator& gen = default_generator());
void normal_(Tensor& t, real mean, real std, Generator& gen = default_generator());
void xavier_uniform_(Tensor& t, double gain = 1.0, Generator& gen = default_generator());
void xavier_normal_(Tensor& t, double gain = 1.0, Generator& gen = default_generator());
// a: the negative slope of the rectifier after this layer (0 for ReLU); fan_in mode.
void kaiming_uniform_(Tensor& t, double a = 0, Generator& gen = default_generator());
void kaiming_normal_(Tensor& t, double a = 0, Generator& gen = default_generator());
// A (semi-)orthogonal matrix: rows (or columns) orthonormal. Used for RNN weights.
void orthogonal_(Tensor& t, double gain = 1.0, Generator& gen = default_generator());

}  // namespace cadenza::nn::init
