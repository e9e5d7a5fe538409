// ops.h: every tensor operation, as free functions with PyTorch/NumPy names.
//
// Differentiable ops record a backward on the graph (see engine/autograd/node.h).
// Every op checks its inputs and throws cadenza::Error "[op] problem — hint".
// Index tensors (for gather, index_select, cross_entropy targets) hold whole
// numbers in ordinary real storage; ops check they are integral and in range.
// Where each family is explained:
//   elementwise, broadcasting ........ docs/01-tensors.md
//   reductions, softmax, matmul ...... docs/01-tensors.md, docs/02-autograd.md
//   losses ........................... docs/04-modules-losses-optimisers.md
#pragma once
#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/ops/random.h"

namespace cadenza {
namespace kernels {
struct BinaryCSR;  // engine/kernels/spmm.h
}

// ---------------- element-wise, with NumPy broadcasting (elementwise.cpp) ----------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& a);
Tensor pow(const Tensor& a, real exponent);  // a ** p
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor leaky_relu(const Tensor& a, real negative_slope = 0.01);
Tensor gelu(const Tensor& a);      // tanh approximation, as torch's approximate="tanh"
Tensor softplus(const Tensor& a);  // log(1 + e^a), computed stably
Tensor clamp(const Tensor& a, real lo, real hi);
// where(cond, a, b): a where cond != 0, else b; cond is not differentiated.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// Comparisons give 0/1 tensors and carry no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, real s);
Tensor operator-(const Tensor& a, real s);
Tensor operator*(const Tensor& a, real s);
Tensor operator/(const Tensor& a, real s);
Tensor operator+(real s, const Tensor& a);
Tensor operator-(real s, const Tensor& a);
Tensor operator*(real s, const Tensor& a);
Tensor operator/(real s, const Tensor& a);

// ---------------- reductions (reduce.cpp) ----------------
// `dims` empty means every axis. keepdim keeps reduced axes with size 1.
Tensor sum(const Tensor& a, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor mean(const Tensor& a, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor max(const Tensor& a, std::vector<int64_t> dims = {}, bool keepdim = false);  // amax
Tensor min(const Tensor& a, std::vector<int64_t> dims = {}, bool keepdim = false);  // amin
Tensor argmax(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor logsumexp(const Tensor& a, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor var(const Tensor& a, std::vector<int64_t> dims = {}, bool unbiased = true, bool keepdim = false);
Tensor softmax(const Tensor& a, int64_t dim);
Tensor log_softmax(const Tensor& a, int64_t dim);
// softmax over the last axis of scale * x with x taken as -1e9 where mask == 0 (mask broadcasts
// to x; undefined = no mask): softmax(where(mask, x * scale, -1e9), -1) in one pass. Attention's.
Tensor scaled_masked_softmax(const Tensor& x, real scale, const Tensor& mask);
// Sums `g` over broadcast axes so it has `shape`: the backward of broadcasting.
Tensor sum_to(const Tensor& g, const Shape& shape);

// ---------------- linear algebra (linalg.cpp) ----------------
// Batched matrix product with NumPy rules: (..., n, k) @ (..., k, m) -> (..., n, m);
// batch axes broadcast; a 1-d operand is treated as a row / column vector.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---------------- 0/1 matrices (sparse.cpp; docs/11-making-it-fast.md) ----------------
// A 2-d tensor of 0s and 1s kept as where its ones are (compressed sparse rows with every
// value 1, like torch's sparse CSR layout). Piano rolls and RBM samples are such tensors,
// and matmul(ones, b) adds up the rows of b that the ones pick: no multiplies, and the
// zeros cost nothing, so it costs the density times a dense product.
struct BinaryMatrix {
  int64_t rows = 0, cols = 0;
  std::shared_ptr<const kernels::BinaryCSR> csr;
  int64_t nnz() const;     // how many ones
  double density() const;  // nnz / (rows * cols)
  BinaryMatrix t() const;  // the transpose (a new index, made by a counting sort)
  Tensor to_dense() const;
};
// Fails, naming an element that is neither 0 nor 1. `a` must be 2-d.
BinaryMatrix to_binary(const Tensor& a);
// The same, but nothing (no error) when `a` holds anything other than 0s and 1s, or when
// more than max_density of it is ones (then a dense matmul is as fast, and indexing is wasted).
std::optional<BinaryMatrix> try_binary(const Tensor& a, double max_density = 1);
// alpha * (a @ b) for a (m, k) 0/1 matrix and a dense b (k, n). Differentiable in b:
// dL/db = alpha * a^T @ g. The bits do not depend on the thread count.
Tensor matmul(const BinaryMatrix& a, const Tensor& b, real alpha = 1);

// ---------------- shapes and views (shape_ops.cpp) ----------------
Tensor reshape(const Tensor& a, const Shape& shape);  // one axis may be -1
Tensor permute(const Tensor& a, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& a, int64_t d0, int64_t d1);
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t stop, int64_t step = 1);
Tensor select(const Tensor& a, int64_t dim, int64_t index);
Tensor expand(const Tensor& a, const Shape& shape);  // broadcast_to
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor squeeze(const Tensor& a, int64_t dim);
Tensor contiguous(const Tensor& a);                         // a itself when already compact
Tensor clone(const Tensor& a);                              // always a fresh compact copy
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);  // torch.cat
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim);
// a reversed along dim, as a view (NumPy's flip): a negative stride, no copy.
Tensor flip(const Tensor& a, int64_t dim);

// ---------------- indexing (index_ops.cpp) ----------------
// out[..., i, ...] = a[..., index[i], ...] along `dim`; index is 1-d.
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);
// torch.gather: out[i][j] = a[i][index[i][j]] for dim=1 (index has out's shape).
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index);
// torch.scatter_add: out = a; out[i][index[i][j]] += src[i][j] for dim=1.
Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src);
// A (N, C) tensor with a 1 at [i, index[i]]: handy for targets and encodings.
Tensor one_hot(const Tensor& index, int64_t num_classes);

// ---------------- losses (losses.cpp) ----------------
enum class Reduction { Mean, Sum, None };
Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction r = Reduction::Mean);
// -[y log s(x) + (1-y) log(1-s(x))] without ever computing log(sigmoid) naively.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction r = Reduction::Mean);
// logits (N, C), target (N,) of class indices.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction r = Reduction::Mean);
// log_probs (N, C), target (N,) of class indices.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction r = Reduction::Mean);
// KL(N(mu, exp(logvar)) || N(0, 1)) summed over the last axis, averaged over the rest
// (or as `r` says): the VAE regulariser.
Tensor gaussian_kl(const Tensor& mu, const Tensor& logvar, Reduction r = Reduction::Mean);

// ---------------- recurrent cells (recurrent.cpp; docs/08-recurrent-networks.md) ----------------
// Fused LSTM step. gates: (B, 4H) pre-activations in PyTorch's order i, f, g, o;
// c_prev: (B, H). Returns (B, 2H) = [h | c]: take h = out.slice(1, 0, H), c = out.slice(1, H, 2H).
Tensor lstm_cell(const Tensor& gates, const Tensor& c_prev);
// Fused GRU step (PyTorch's order r, z, n). gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh,
// both (B, 3H); h_prev: (B, H). Returns the new h: (B, H).
Tensor gru_cell(const Tensor& gi, const Tensor& gh, const Tensor& h_prev);
// A whole layer over time as one node, backward by hand (recurrent_seq.cpp).
// xproj: (T, B, 4H) = x W_ih^T + b_ih + b_hh; w_hh: (4H, H); h0, c0: (B, H);
// mask: (T, B) of 0/1 or undefined (padding steps carry the state). Returns (T, B, 2H) = [h_t | c_t].
Tensor lstm_layer(const Tensor& xproj, const Tensor& w_hh, const Tensor& h0, const Tensor& c0,
                  const Tensor& mask = Tensor());
// xproj: (T, B, 3H) = x W_ih^T + b_ih; w_hh: (3H, H); b_hh: (3H,); h0: (B, H). Returns (T, B, H).
Tensor gru_layer(const Tensor& xproj, const Tensor& w_hh, const Tensor& b_hh, const Tensor& h0,
                 const Tensor& mask = Tensor());

// NADE conditional logits for N frames of K keys (nade.cpp; docs/08-recurrent-networks.md):
// logit_i = b_i + V[i] · σ(c + Σ_{j<i} W[:, j] v_j). b (N, K), c (N, Hn), W (Hn, K), V (K, Hn),
// v (N, K) the frames (not differentiated) -> (N, K).
Tensor nade_logits(const Tensor& b, const Tensor& c, const Tensor& W, const Tensor& V, const Tensor& v);

// ---------------- convolution and pooling (conv.cpp; docs/10-convolutions-and-dilation.md) ----------------
struct Conv1dArgs {
  int64_t stride = 1;
  int64_t pad_left = 0, pad_right = 0;  // causal: pad_left = dilation*(K-1), pad_right = 0
  int64_t dilation = 1;
};
// x: (B, Cin, L), weight: (Cout, Cin, K), bias: (Cout,) or an undefined Tensor -> (B, Cout, Lout).
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dArgs& args = {});
// The seven-loop definition (no autograd), used as the oracle in tests.
Tensor conv1d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dArgs& args = {});
// The transposed convolution (torch.nn.functional.conv_transpose1d): the adjoint of conv1d, which
// spreads each input step over K outputs, `stride` apart, so it lengthens a sequence (a GAN's
// generator upsamples with it). Composed from ops (engine/ops/conv_transpose.cpp).
struct ConvTranspose1dArgs {
  int64_t stride = 1;
  int64_t padding = 0;         // dilation*(K-1) - padding zeros are added on each side of the spread input
  int64_t output_padding = 0;  // extra outputs on the right, below max(stride, dilation)
  int64_t dilation = 1;
};
// x: (B, Cin, L), weight: (Cin, Cout, K) (PyTorch's layout), bias: (Cout,) or undefined
//   -> (B, Cout, Lout), Lout = (L - 1)*stride - 2*padding + dilation*(K - 1) + output_padding + 1.
Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose1dArgs& args = {});
// Its definition as a scatter, loop by loop (no autograd), the oracle of the tests.
Tensor conv_transpose1d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const ConvTranspose1dArgs& args = {});
// 2-d convolutions over (B, C, H, W), as F.conv2d and F.conv_transpose2d; each pair is
// {along H, along W}. Direct: one matrix product each (engine/ops/conv2d.cpp).
struct Conv2dArgs {
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0}, dilation{1, 1};  // padding: zeros on both sides
};
// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout,) or undefined -> (B, Cout, Hout, Wout),
// Hout = (H + 2*padding - dilation*(KH - 1) - 1) / stride + 1, and the same for W.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& args = {});
struct ConvTranspose2dArgs {
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0}, output_padding{0, 0}, dilation{1, 1};
};
// x: (B, Cin, H, W), weight: (Cin, Cout, KH, KW) -> (B, Cout, Hout, Wout),
// Hout = (H - 1)*stride - 2*padding + dilation*(KH - 1) + output_padding + 1, and the same for W.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dArgs& args = {});
// The same two composed from conv1d and view ops, autograd deriving their backwards: the
// readable form the direct ones are tested against.
Tensor conv2d_composed(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& args = {});
Tensor conv_transpose2d_composed(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                 const ConvTranspose2dArgs& args = {});
// Their definitions, loop by loop (no autograd): the oracles of the tests.
Tensor conv2d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dArgs& args = {});
Tensor conv_transpose2d_ref(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const ConvTranspose2dArgs& args = {});
// Pooling over the last axis of (B, C, L); stride 0 means stride = kernel (PyTorch's default).
Tensor max_pool1d(const Tensor& x, int64_t kernel, int64_t stride = 0);
Tensor avg_pool1d(const Tensor& x, int64_t kernel, int64_t stride = 0);

// True when two tensors have the same shape and every element is within atol + rtol*|b|.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

}  // namespace cadenza
