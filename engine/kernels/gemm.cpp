// gemm.cpp: see gemm.h. Chapters: docs/01-tensors.md ("Under the hood") for the
// reference, docs/11-making-it-fast.md for the packed, SIMD and threaded version and its
// measurements (`make bench`).
#include "engine/kernels/gemm.h"

#include <algorithm>
#include <vector>

#include "engine/kernels/cpu.h"
#include "engine/kernels/parallel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// The fast path (after BLIS and llm.c) packs the operands into the order the
// inner loop reads them, then computes C in MR x NR tiles whose running sums
// live in registers:
//
//   for each KC-deep slice of K:                 pack B[slice, :] into NR-wide panels
//     for each MC-tall block of rows (threads):  pack A[block, slice] into MR-tall slivers
//       for each panel, for each sliver:         tile: C[6 x 16] (+)= sliver (6 x KC) * panel (KC x 16)
//
// Every element of C is summed in the same order whatever the thread count (the
// K slices in order, each by one tile), and each thread owns whole row blocks,
// so results are bit-identical at 1 and N threads.
constexpr int64_t kMR = 6, kNR = 16, kKC = 256, kMC = 96;

// The portable tile: plain loops the compiler vectorises for any CPU.
// ap: (KC, MR) packed, bp: (KC, NR) packed, c: the (MR, NR) tile with row stride ldc.
static void tile_generic(int64_t kc, const real* __restrict ap, const real* __restrict bp, real* __restrict c, int64_t ldc,
                         bool add) {
  real acc[kMR][kNR] = {};
  for (int64_t p = 0; p < kc; ++p)
    for (int64_t r = 0; r < kMR; ++r)
      for (int64_t j = 0; j < kNR; ++j) acc[r][j] += ap[p * kMR + r] * bp[p * kNR + j];
  for (int64_t r = 0; r < kMR; ++r)
    for (int64_t j = 0; j < kNR; ++j) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
// [doc:gemm-avx2]
// The AVX2/FMA tile: 12 vector registers hold the 6 x 16 sums; per step of K,
// two loads of B, six broadcasts of A and twelve fused multiply-adds.
__attribute__((target("avx2,fma"))) static void tile_avx2(int64_t kc, const float* __restrict ap, const float* __restrict bp,
                                                          float* __restrict c, int64_t ldc, bool add) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t p = 0; p < kc; ++p, ap += kMR, bp += kNR) {
    const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    __m256 a = _mm256_broadcast_ss(ap + 0);
    c00 = _mm256_fmadd_ps(a, b0, c00), c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ap + 1);
    c10 = _mm256_fmadd_ps(a, b0, c10), c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ap + 2);
    c20 = _mm256_fmadd_ps(a, b0, c20), c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ap + 3);
    c30 = _mm256_fmadd_ps(a, b0, c30), c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ap + 4);
    c40 = _mm256_fmadd_ps(a, b0, c40), c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ap + 5);
    c50 = _mm256_fmadd_ps(a, b0, c50), c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  const __m256 rows[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int64_t r = 0; r < kMR; ++r)
    for (int h = 0; h < 2; ++h) {
      float* dst = c + r * ldc + 8 * h;
      _mm256_storeu_ps(dst, add ? _mm256_add_ps(_mm256_loadu_ps(dst), rows[r][h]) : rows[r][h]);
    }
}
// [/doc]

#endif

// One MR x NR tile, on the best kernel this CPU has. Edge tiles (fewer rows or
// columns) are computed into a scratch tile and copied, so the kernels stay simple.
static void tile(int64_t kc, const real* ap, const real* bp, real* c, int64_t ldc, int64_t rows, int64_t cols, bool add) {
  real scratch[kMR * kNR];
  bool full = rows == kMR && cols == kNR;
  real* dst = full ? c : scratch;
  int64_t ld = full ? ldc : kNR;
  if (!full && add)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) scratch[r * kNR + j] = c[r * ldc + j];
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (cpu_has_avx2_fma()) tile_avx2(kc, ap, bp, dst, ld, add);
  else tile_generic(kc, ap, bp, dst, ld, add);
#else
  tile_generic(kc, ap, bp, dst, ld, add);
#endif
  if (!full)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] = scratch[r * kNR + j];
}

const char* gemm_kernel_name() {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (cpu_has_avx2_fma()) return "avx2-fma 6x16";
#endif
  return "portable 6x16";
}

// Reusable per-thread scratch: packing buffers are allocated once per thread and
// grow when needed, so a small product pays no malloc and no page faults.
static real* scratch(std::vector<real>& buf, size_t n) {
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// Pack B[pc:pc+kc, :] into NR-wide panels, zero-padded at the right edge.
// dst: (panels, kc, NR), panel jp at dst + jp*kc*NR.
static void pack_b_slice(int64_t N, const real* B, int64_t rsb, int64_t csb, int64_t pc, int64_t kc, real* dst,
                         bool par) {
  const int64_t panels = (N + kNR - 1) / kNR;
  auto pack = [&](int64_t lo, int64_t hi) {
    for (int64_t jp = lo; jp < hi; ++jp) {
      real* d = dst + jp * kc * kNR;
      const int64_t cols = std::min(kNR, N - jp * kNR);
      for (int64_t p = 0; p < kc; ++p, d += kNR) {
        const real* b = B + (pc + p) * rsb + jp * kNR * csb;
        if (csb == 1 && cols == kNR) std::copy(b, b + kNR, d);
        else {
          for (int64_t j = 0; j < cols; ++j) d[j] = b[j * csb];
          for (int64_t j = cols; j < kNR; ++j) d[j] = 0;
        }
      }
    }
  };
  if (par) parallel_for(panels, 4, pack);
  else pack(0, panels);
}

// C[:, :] (+)= A[:, pc:pc+kc] @ Bslice, where bp holds B's rows pc..pc+kc packed as above.
static void gemm_slice(int64_t M, int64_t N, const real* A, int64_t rsa, int64_t csa, int64_t pc, int64_t kc,
                       const real* bp, real* C, int64_t ldc, bool add, bool par) {
  const int64_t panels = (N + kNR - 1) / kNR, blocks = (M + kMC - 1) / kMC;
  // Pack A's block MR rows at a time (zero-padded): ap is (slivers, kc, MR).
  auto pack_a = [&](real* ap, int64_t i0, int64_t mc) {
    for (int64_t s = 0; s < (mc + kMR - 1) / kMR; ++s) {
      const int64_t rows = std::min(kMR, M - (i0 + s * kMR));
      for (int64_t p = 0; p < kc; ++p) {
        real* d = ap + (s * kc + p) * kMR;
        const real* a = A + (i0 + s * kMR) * rsa + (pc + p) * csa;
        for (int64_t r = 0; r < rows; ++r) d[r] = a[r * rsa];
        for (int64_t r = rows; r < kMR; ++r) d[r] = 0;
      }
    }
  };
  auto run_tiles = [&](const real* ap, int64_t i0, int64_t mc, int64_t jp_lo, int64_t jp_hi) {
    for (int64_t jp = jp_lo; jp < jp_hi; ++jp)
      for (int64_t s = 0; s < (mc + kMR - 1) / kMR; ++s) {
        int64_t row = i0 + s * kMR, col = jp * kNR;
        tile(kc, ap + s * kc * kMR, bp + jp * kc * kNR, C + row * ldc + col, ldc, std::min(kMR, M - row),
             std::min(kNR, N - col), add);
      }
  };
  static thread_local std::vector<real> a_buf;
  if (!par || blocks >= num_threads()) {  // many row blocks: each thread takes whole blocks
    auto body = [&](int64_t lo, int64_t hi) {
      real* ap = scratch(a_buf, (size_t)(kMC * kKC));
      for (int64_t ib = lo; ib < hi; ++ib) {
        int64_t i0 = ib * kMC, mc = std::min(kMC, M - i0);
        pack_a(ap, i0, mc);
        run_tiles(ap, i0, mc, 0, panels);
      }
    };
    if (par) parallel_for(blocks, 1, body);
    else body(0, blocks);
  } else {  // few rows (a batch of 64): share each packed block and split its panels
    real* ap = scratch(a_buf, (size_t)(kMC * kKC));
    for (int64_t ib = 0; ib < blocks; ++ib) {
      int64_t i0 = ib * kMC, mc = std::min(kMC, M - i0);
      pack_a(ap, i0, mc);
      parallel_for(panels, 2, [&](int64_t lo, int64_t hi) { run_tiles(ap, i0, mc, lo, hi); });
    }
  }
}

// An empty product: nothing to do, or C = 0 when K == 0. True when handled.
static bool empty_product(int64_t M, int64_t N, int64_t K, real* C, int64_t ldc, bool accumulate) {
  if (M != 0 && N != 0 && K != 0) return false;
  if (K == 0 && !accumulate)
    for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, real(0));
  return true;
}

// Below this many multiply-adds a product runs on one thread: waking a second
// core costs more than it saves (sq128 is 2.1M).
constexpr double kParallelMacs = 2.2e6;

// A few rows (Gibbs chains, GEMV): packing would cost more than it saves.
static void gemm_few_rows(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B,
                          int64_t rsb, int64_t csb, real* C, int64_t ldc, bool accumulate) {
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
}

// [doc:gemm-fast]
void gemm(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
          int64_t csb, real* C, int64_t ldc, bool accumulate) {
  if (empty_product(M, N, K, C, ldc, accumulate)) return;
  if (M < 4 && (csb == 1 || rsb == 1)) return gemm_few_rows(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, accumulate);
  const bool par = (double)M * N * K >= kParallelMacs;
  static thread_local std::vector<real> b_buf;
  real* bp = scratch(b_buf, (size_t)(((N + kNR - 1) / kNR) * kKC * kNR));
  for (int64_t pc = 0; pc < K; pc += kKC) {  // one KC-deep slice of K at a time, in order
    const int64_t kc = std::min(kKC, K - pc);
    pack_b_slice(N, B, rsb, csb, pc, kc, bp, par);
    gemm_slice(M, N, A, rsa, csa, pc, kc, bp, C, ldc, accumulate || pc > 0, par);
  }
}
// [/doc]

// B packed once for many products with the same right operand (the recurrent
// weight, used at every time step): slice pc starts at pc * panels * NR.
PackedB pack_b(int64_t K, int64_t N, const real* B, int64_t rsb, int64_t csb) {
  PackedB out;
  out.K = K, out.N = N;
  const int64_t panels = (N + kNR - 1) / kNR;
  out.data.resize((size_t)(K * panels * kNR));
  for (int64_t pc = 0; pc < K; pc += kKC)
    pack_b_slice(N, B, rsb, csb, pc, std::min(kKC, K - pc), out.data.data() + pc * panels * kNR, K * N > 4096);
  return out;
}

void gemm_packed(int64_t M, const real* A, int64_t rsa, int64_t csa, const PackedB& B, real* C, int64_t ldc,
                 bool accumulate) {
  const int64_t N = B.N, K = B.K, panels = (N + kNR - 1) / kNR;
  if (empty_product(M, N, K, C, ldc, accumulate)) return;
  const bool par = (double)M * N * K >= kParallelMacs;
  for (int64_t pc = 0; pc < K; pc += kKC)
    gemm_slice(M, N, A, rsa, csa, pc, std::min(kKC, K - pc), B.data.data() + pc * panels * kNR, C, ldc,
               accumulate || pc > 0, par);
}

}  // namespace cadenza::kernels
