// spmm.h: a 0/1 matrix times a dense one, by adding up the rows that the ones pick.
//
// A piano roll is a matrix of 0s and 1s, and so is every sample an RBM draws. For
// such an A (M, K) and any B (K, N):
//     (A B)[i, :] = sum of B[k, :] over the k where A[i, k] = 1
// No multiplies, and the zeros cost nothing. The RBM's data are 5% ones, so x W
// costs a twentieth of the dense product; its samples are about half ones, which
// still halves the work. BinaryCSR keeps where the ones are: compressed sparse
// rows, as in torch.sparse_csr_tensor, with every stored value 1.
//
// spmm_ref is the definition. spmm is the fast one: AVX2 when the CPU has it, and
// threads over the rows of C. Both add the picked rows in increasing k, from 0, in
// float, then multiply once by alpha: so they give the same bits as each other, at
// any thread count. (A dense gemm of the same 0/1 matrix sums the same terms, but
// in its own blocked order, so it agrees to rounding, not to the bit.)
// Chapters: docs/11-making-it-fast.md ("Use the data's structure"); docs/07-rbm.md.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/core/tensor.h"

namespace cadenza::kernels {

struct BinaryCSR {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> crow_indices;  // (rows + 1): row i's ones are col_indices[crow_indices[i] .. crow_indices[i+1])
  std::vector<int32_t> col_indices;   // (nnz): increasing within each row
  int64_t nnz() const { return (int64_t)col_indices.size(); }
};

// a (rows, cols), compact. Returns -1 and fills out when every element is 0 or 1 and at
// most max_ones of them are 1; otherwise out.crow_indices is left unfinished, and the
// result is the flat index of the first element that is neither 0 nor 1, or -2 when
// there are too many ones (counting stops there, so later elements go unchecked).
// Counting is a quick first pass; writing the indices is the slow one. Both run in
// parallel over blocks of rows, and the result does not depend on the thread count.
int64_t binary_csr(const real* a, int64_t rows, int64_t cols, BinaryCSR& out,
                   int64_t max_ones = std::numeric_limits<int64_t>::max());
// The transpose, in CSR too (a counting sort: each row's indices stay increasing).
BinaryCSR transpose(const BinaryCSR& a);

// c (M, N) = alpha * a (M, K) @ b (K, N); b's rows are ldb apart, c's ldc apart.
void spmm_ref(const BinaryCSR& a, const real* b, int64_t ldb, int64_t n, real alpha, real* c, int64_t ldc);
void spmm(const BinaryCSR& a, const real* b, int64_t ldb, int64_t n, real alpha, real* c, int64_t ldc);

}  // namespace cadenza::kernels
