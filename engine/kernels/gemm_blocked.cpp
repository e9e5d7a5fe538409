// gemm_blocked.cpp: chapter 11's second rung, between the three-loop definition
// (gemm_ref) and the production gemm: the same product, cache-blocked and threaded,
// with no packing tricks and no intrinsics.
//
// C is cut into blocks of kRows x kCols, K into slices of kDepth. For each slice,
// the slice of B that a block of columns needs is copied once into a compact
// buffer (kDepth x kCols floats: 64 KB, a core's L2 share), so that whatever B's
// strides, the inner loop reads it row by row. The inner loop is i-p-j: one value
// of A times a row of B added into a row of C. Both rows are contiguous, so the
// compiler vectorises it, and the row of C stays in L1 across the slice.
// Threads take whole blocks of rows; every element of C is summed in the same
// order (slice by slice, p ascending) at any thread count, so the result is
// bit-identical at 1 and N threads. Chapter: docs/11-making-it-fast.md (step 2).
#include <algorithm>
#include <vector>

#include "engine/core/parallel.h"
#include "engine/kernels/gemm.h"

namespace cadenza::kernels {

// [doc:gemm-blocked]
void gemm_blocked(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
                  int64_t csb, real* C, int64_t ldc, bool accumulate) {
  // [exercise:11.1] the blocked gemm: pack a panel of B, threads own blocks of rows of C
  constexpr int64_t kRows = 64, kCols = 256, kDepth = 64;  // a block of C, and how deep a slice of K
  if (!accumulate)
    for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, real(0));
  std::vector<real> b((size_t)(kDepth * kCols));
  for (int64_t j0 = 0; j0 < N; j0 += kCols) {
    const int64_t nc = std::min(kCols, N - j0);
    for (int64_t p0 = 0; p0 < K; p0 += kDepth) {
      const int64_t kc = std::min(kDepth, K - p0);
      for (int64_t p = 0; p < kc; ++p)  // B[p0.., j0..] as kc compact rows of nc
        for (int64_t j = 0; j < nc; ++j) b[(size_t)(p * nc + j)] = B[(p0 + p) * rsb + (j0 + j) * csb];
      const int64_t blocks = (M + kRows - 1) / kRows;
      parallel_for(blocks, 1, [&](int64_t lo, int64_t hi) {  // threads own whole blocks of rows
        for (int64_t i = lo * kRows; i < std::min(M, hi * kRows); ++i) {
          real* c = C + i * ldc + j0;
          for (int64_t p = 0; p < kc; ++p) {
            const real a = A[i * rsa + (p0 + p) * csa];
            const real* brow = b.data() + p * nc;
            for (int64_t j = 0; j < nc; ++j) c[j] += a * brow[j];
          }
        }
      });
    }
  }
  // [/exercise]
}
// [/doc]

}  // namespace cadenza::kernels
