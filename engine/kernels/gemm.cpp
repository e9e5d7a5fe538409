// gemm.cpp: see gemm.h. Chapter: docs/01-tensors.md ("Under the hood").
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

// Row-by-row "axpy" form: C[i, :] += A[i, p] * B[p, :]. The inner loop walks
// contiguous rows of B and C, which the compiler vectorises. B is first packed
// into a compact (K, N) buffer when its rows are not already compact. Each
// thread owns whole rows of C, so the result does not depend on the thread count.
void gemm(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B,
          int64_t rsb, int64_t csb, real* C, int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  std::vector<real> packed;
  if (csb != 1 || (rsb != N && K > 1)) {
    packed.resize((size_t)(K * N));
    for (int64_t p = 0; p < K; ++p)
      for (int64_t j = 0; j < N; ++j) packed[p * N + j] = B[p * rsb + j * csb];
    B = packed.data();
    rsb = N;
  }
  const int64_t kBlock = 256;  // keep a slab of B rows hot in cache
  parallel_for(M, std::max<int64_t>(1, 32768 / std::max<int64_t>(N * K, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      real* c = C + i * ldc;
      if (!accumulate) std::fill(c, c + N, real(0));
    }
    for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
      int64_t k1 = std::min(K, k0 + kBlock);
      for (int64_t i = lo; i < hi; ++i) {
        real* __restrict c = C + i * ldc;
        for (int64_t p = k0; p < k1; ++p) {
          const real a = A[i * rsa + p * csa];
          const real* __restrict b = B + p * rsb;
          for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
        }
      }
    }
  });
}

}  // namespace cadenza::kernels
