// init.cpp: see init.h. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/nn/init.h"

#include <cmath>

#include "engine/autograd/node.h"

namespace cadenza::nn::init {

std::pair<int64_t, int64_t> fans(const Tensor& w) {
  if (w.dim() < 2)
    fail("init", "fan in/out needs a weight with at least 2 dims, got " + shape_str(w.shape()),
         "initialise biases with zeros_ or uniform_");
  int64_t receptive = 1;
  for (int64_t i = 2; i < w.dim(); ++i) receptive *= w.size(i);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

double calculate_gain(const std::string& nl, double param) {
  if (nl == "linear" || nl == "sigmoid") return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") return std::sqrt(2.0 / (1 + param * param));
  fail("calculate_gain", "unknown nonlinearity '" + nl + "'", "use linear, sigmoid, tanh, relu or leaky_relu");
}

// Writes new values into a parameter without recording history.
static void assign(Tensor& t, const Tensor& v) {
  NoGradGuard no_grad;
  t.copy_(v);
}

void zeros_(Tensor& t) { constant_(t, 0); }
void ones_(Tensor& t) { constant_(t, 1); }
void constant_(Tensor& t, real v) { assign(t, Tensor::full(t.shape(), v)); }
void uniform_(Tensor& t, real lo, real hi, Generator& gen) { assign(t, uniform(t.shape(), lo, hi, gen)); }
void normal_(Tensor& t, real mean, real std, Generator& gen) { assign(t, normal(t.shape(), mean, std, gen)); }

// [doc:xavier]
void xavier_uniform_(Tensor& t, double gain, Generator& gen) {
  auto [fan_in, fan_out] = fans(t);
  double bound = gain * std::sqrt(6.0 / (double)(fan_in + fan_out));  // U(-b, b) has variance b^2/3
  uniform_(t, (real)-bound, (real)bound, gen);
}
// [/doc]
void xavier_normal_(Tensor& t, double gain, Generator& gen) {
  auto [fan_in, fan_out] = fans(t);
  normal_(t, 0, (real)(gain * std::sqrt(2.0 / (double)(fan_in + fan_out))), gen);
}
void kaiming_uniform_(Tensor& t, double a, Generator& gen) {
  double std = calculate_gain("leaky_relu", a) / std::sqrt((double)fans(t).first);
  double bound = std::sqrt(3.0) * std;
  uniform_(t, (real)-bound, (real)bound, gen);
}
void kaiming_normal_(Tensor& t, double a, Generator& gen) {
  normal_(t, 0, (real)(calculate_gain("leaky_relu", a) / std::sqrt((double)fans(t).first)), gen);
}

// Gram–Schmidt on a Gaussian matrix, with each vector's sign fixed so the
// result is uniformly distributed over orthogonal matrices.
void orthogonal_(Tensor& t, double gain, Generator& gen) {
  if (t.dim() < 2) fail("orthogonal_", "needs at least 2 dims, got " + shape_str(t.shape()), "");
  int64_t rows = t.size(0), cols = t.numel() / rows;
  bool tall = rows > cols;
  int64_t n = tall ? cols : rows, m = tall ? rows : cols;  // n orthonormal vectors of length m
  std::vector<double> v((size_t)(n * m));
  for (double& x : v) x = gen.normal();
  for (int64_t i = 0; i < n; ++i) {
    double* vi = &v[i * m];
    for (int pass = 0; pass < 2; ++pass)  // twice is enough for numerical orthogonality
      for (int64_t j = 0; j < i; ++j) {
        double* vj = &v[j * m];
        double d = 0;
        for (int64_t k = 0; k < m; ++k) d += vi[k] * vj[k];
        for (int64_t k = 0; k < m; ++k) vi[k] -= d * vj[k];
      }
    double norm = 0;
    for (int64_t k = 0; k < m; ++k) norm += vi[k] * vi[k];
    norm = std::sqrt(norm);
    if (norm < 1e-12) fail("orthogonal_", "degenerate random draw", "try another seed");
    for (int64_t k = 0; k < m; ++k) vi[k] /= norm;
  }
  std::vector<real> out((size_t)(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = (real)(gain * (tall ? v[c * m + r] : v[r * m + c]));
  assign(t, Tensor::from_vector(out, t.shape()));
}

}  // namespace cadenza::nn::init
