// gemm.cpp: see gemm.h. Chapter: docs/01-tensors.md ("Under the hood").
// The blocked SIMD kernel and its measurements get a chapter of their own with `make bench`.
#include "engine/kernels/gemm.h"

#include <algorithm>
#include <vector>

#include "engine/kernels/parallel.h"

namespace cadenza::kernels {

// [doc:gemm-ref]
void gemm_ref(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B,
              int64_t rsb, int64_t csb, real* C, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = accumulate ? C[i * ldc + j] : 0;
      for (int64_t p = 0; p < K; ++p) acc += (double)A[i * rsa + p * csa] * B[p * rsb + j * csb];
      C[i * ldc + j] = (real)acc;
    }
}
// [/doc]

// The fast path packs the operands into the order the inner loop reads them,
// then computes C in MR x NR tiles whose running sums live in registers:
//
//   packed B:  for each NR-wide column panel, K rows of NR values   (Bp[panel][p][0..NR))
//   packed A:  for each MR-tall row block,   K columns of MR values (Ap[p][0..MR))
//   tile:      acc[r][c] += Ap[p][r] * Bp[p][c]  for p = 0..K-1, then C tile (+)= acc
//
// Each tile is summed in the same order whatever the thread count, and each
// thread owns whole row blocks of C, so results are bit-identical at 1 and N threads.
constexpr int64_t kMR = 4, kNR = 16;

// The MR x NR tile: 64 accumulators the compiler keeps in vector registers.
// Compiled twice, for any x86-64 and for AVX2+FMA CPUs (arch=haswell); the
// loader picks the version this CPU runs (GCC target_clones).
// (Not under the sanitizers: their runtimes are not ready when the loader runs the picker.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("arch=haswell", "default")))
#endif
static void tile(int64_t K, const real* __restrict ap, const real* __restrict bp, real* __restrict C, int64_t ldc,
                 int64_t rows, int64_t cols, bool accumulate) {
  real acc[kMR][kNR] = {};
  for (int64_t p = 0; p < K; ++p)
    for (int64_t r = 0; r < kMR; ++r)
      for (int64_t c = 0; c < kNR; ++c) acc[r][c] += ap[p * kMR + r] * bp[p * kNR + c];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) C[r * ldc + c] = accumulate ? C[r * ldc + c] + acc[r][c] : acc[r][c];
}

// [doc:gemm-fast]
void gemm(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
          int64_t csb, real* C, int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, real(0));
    return;
  }
  if (M < kMR && (csb == 1 || rsb == 1)) {  // a few rows (Gibbs chains, GEMV): packing would cost more than it saves
    for (int64_t i = 0; i < M; ++i) {
      real* c = C + i * ldc;
      if (csb == 1) {  // rows of B are contiguous: c += a_p * B[p, :]
        if (!accumulate) std::fill(c, c + N, real(0));
        for (int64_t p = 0; p < K; ++p) {
          const real a = A[i * rsa + p * csa];
          const real* b = B + p * rsb;
          for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
        }
      } else {  // columns of B are contiguous (a transposed view): dot products
        parallel_for(N, 64, [&](int64_t lo, int64_t hi) {
          for (int64_t j = lo; j < hi; ++j) {
            real s = 0;
            const real* b = B + j * csb;
            for (int64_t p = 0; p < K; ++p) s += A[i * rsa + p * csa] * b[p];
            c[j] = accumulate ? c[j] + s : s;
          }
        });
      }
    }
    return;
  }
  const int64_t panels = (N + kNR - 1) / kNR, blocks = (M + kMR - 1) / kMR;
  std::vector<real> bp((size_t)(panels * K * kNR), 0);  // B, packed by column panel (zero-padded)
  for (int64_t jp = 0; jp < panels; ++jp)
    for (int64_t p = 0; p < K; ++p)
      for (int64_t c = 0; c < kNR && jp * kNR + c < N; ++c) bp[(size_t)((jp * K + p) * kNR + c)] = B[p * rsb + (jp * kNR + c) * csb];
  parallel_for(blocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(N * K / kMR, 1)), [&](int64_t lo, int64_t hi) {
    std::vector<real> ap((size_t)(K * kMR));
    for (int64_t ib = lo; ib < hi; ++ib) {
      int64_t i0 = ib * kMR, rows = std::min(kMR, M - i0);
      for (int64_t p = 0; p < K; ++p)  // A's row block, packed column by column (zero-padded)
        for (int64_t r = 0; r < kMR; ++r) ap[(size_t)(p * kMR + r)] = r < rows ? A[(i0 + r) * rsa + p * csa] : 0;
      for (int64_t jp = 0; jp < panels; ++jp)
        tile(K, ap.data(), bp.data() + jp * K * kNR, C + i0 * ldc + jp * kNR, ldc, rows, std::min(kNR, N - jp * kNR), accumulate);
    }
  });
}
// [/doc]

}  // namespace cadenza::kernels
