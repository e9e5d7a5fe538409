// sparse.cpp: 0/1 matrices kept as where their ones are (BinaryMatrix), and their
// product with a dense matrix.
//
// A piano roll, and every sample an RBM draws, is a matrix of 0s and 1s. For such an a,
//   (a @ b)[i, :] = sum of b[k, :] over the k where a[i, k] = 1
// so the product needs no multiplies and the zeros cost nothing: 5% ones, a twentieth
// of the work. The kernel is engine/kernels/spmm.cpp.
// Backward (in b only: a is data, not a parameter):  dL/db = alpha * a^T @ g.
// Chapters: docs/11-making-it-fast.md ("Use the data's structure"); docs/07-rbm.md uses it.
#include <algorithm>
#include <cstdint>

#include "engine/autograd/node.h"
#include "engine/kernels/spmm.h"
#include "engine/ops/ops.h"

namespace cadenza {

int64_t BinaryMatrix::nnz() const { return csr ? csr->nnz() : 0; }
double BinaryMatrix::density() const {
  return rows > 0 && cols > 0 ? (double)nnz() / ((double)rows * (double)cols) : 0;
}

BinaryMatrix BinaryMatrix::t() const {
  return {cols, rows, std::make_shared<const kernels::BinaryCSR>(kernels::transpose(*csr))};
}

Tensor BinaryMatrix::to_dense() const {
  Tensor out = Tensor::zeros({rows, cols});
  real* p = out.data();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t q = csr->crow_indices[(size_t)i]; q < csr->crow_indices[(size_t)i + 1]; ++q)
      p[i * cols + csr->col_indices[(size_t)q]] = 1;
  return out;
}

// The index of a's ones; at = flat index (in a's logical order) of an element that is
// neither 0 nor 1, or -1 (-2: more than max_density of it is ones). A transposed view,
// such as x.t(), is read in its stored order and its index transposed, which is cheaper
// than copying it into a's order first.
static std::optional<BinaryMatrix> index_ones(const char* op, const Tensor& a, int64_t& at, double max_density = 1) {
  if (!a.defined()) fail(op, "the input tensor is undefined", "assign it a value first");
  if (a.dim() != 2) fail(op, "needs a 2-d tensor, got shape " + shape_str(a.shape()), "reshape it to (rows, cols)");
  if (std::max(a.size(0), a.size(1)) > INT32_MAX)  // the index keeps rows and columns as int32
    fail(op, "shape " + shape_str(a.shape()) + " has a side longer than 2^31 - 1", "split it into blocks");
  const bool transposed = !a.is_contiguous() && a.t().is_contiguous();
  Tensor stored = transposed ? a.t() : a.contiguous();
  auto csr = std::make_shared<kernels::BinaryCSR>();
  at = kernels::binary_csr(stored.data(), stored.size(0), stored.size(1), *csr,
                           (int64_t)(max_density * (double)a.numel()));
  if (at == -2) return std::nullopt;
  if (at >= 0) {
    if (transposed) at = (at % stored.size(1)) * stored.size(0) + at / stored.size(1);
    return std::nullopt;
  }
  BinaryMatrix m{stored.size(0), stored.size(1), std::move(csr)};
  return transposed ? m.t() : m;
}

BinaryMatrix to_binary(const Tensor& a) {
  int64_t at = -1;
  std::optional<BinaryMatrix> m = index_ones("to_binary", a, at);
  if (!m) {
    const int64_t i = at / a.size(1), j = at % a.size(1);
    fail("to_binary", str("element [", i, ", ", j, "] is ", (double)a.at({i, j}), ", not 0 or 1"),
         "threshold it first, for example gt(x, 0.5), or use the dense matmul");
  }
  return *m;
}

std::optional<BinaryMatrix> try_binary(const Tensor& a, double max_density) {
  int64_t at = -1;
  return index_ones("try_binary", a, at, max_density);
}

// [doc:binary-matmul]
Tensor matmul(const BinaryMatrix& a, const Tensor& b, real alpha) {
  if (!a.csr) fail("matmul", "the 0/1 matrix is empty (default-constructed)", "make it with to_binary(tensor)");
  if (!b.defined()) fail("matmul", "the dense operand is undefined", "assign it a value first");
  if (b.dim() != 2 || b.size(0) != a.cols)
    fail("matmul",
         str("a 0/1 matrix (", a.rows, ", ", a.cols, ") @ ") + shape_str(b.shape()) + ": the shapes do not fit",
         str("the right operand must be 2-d with ", a.cols, " rows"));
  Op op("binary_matmul");
  const int64_t n = b.size(1);
  // b's rows are read in place when each is compact (b, a slice of columns, W.t().t()); else copied.
  Tensor bc = n == 1 || b.strides()[1] == 1 ? b : b.contiguous();
  const real* pb = bc.impl()->storage->data.data() + bc.offset();
  Tensor out = Tensor::empty({a.rows, n});  // spmm writes every element
  kernels::spmm(*a.csr, pb, bc.strides()[0], n, alpha, out.data(), n);
  return op.finish(out, {b}, [a, alpha](const Tensor& g) -> Grads { return {matmul(a.t(), g, alpha)}; });
}
// [/doc]

}  // namespace cadenza
