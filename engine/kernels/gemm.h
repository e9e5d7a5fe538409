// gemm.h: matrix multiply kernels on raw pointers. C = A·B (or C += A·B).
//
// Operands are described by a pointer and two strides, so a transposed view is
// just swapped strides and needs no copy:
//   A: (M, K), element (i, p) at A[i*rsa + p*csa]
//   B: (K, N), element (p, j) at B[p*rsb + j*csb]
//   C: (M, N), element (i, j) at C[i*ldc + j]   (rows compact)
// gemm_ref is the readable definition; gemm_blocked the same loops blocked for the
// caches and threaded; gemm is the one the engine calls: packed
// panels and a 6 x 16 register tile, AVX2/FMA when the CPU has it (detected at
// run time), portable loops otherwise; with AVX-512, 16-wide registers and a 6 x 64
// tile for small products. All are tested against gemm_ref on awkward shapes.
// Chapters: docs/01-tensors.md ("Under the hood"), docs/11-making-it-fast.md (how gemm is fast).
#pragma once
#include <cstdint>
#include <vector>

#include "engine/core/cpu.h"
#include "engine/core/tensor.h"

namespace cadenza::kernels {

// The definition, three loops. Used as the oracle in tests.
void gemm_ref(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
              int64_t csb, real* C, int64_t ldc, bool accumulate);

// Chapter 11's second rung: blocked for the caches and threaded over blocks of rows, plain
// loops the compiler vectorises (gemm_blocked.cpp). Bit-identical at any thread count.
void gemm_blocked(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
                  int64_t csb, real* C, int64_t ldc, bool accumulate);

// Same result (up to float rounding order), cache-friendly and multi-threaded.
void gemm(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
          int64_t csb, real* C, int64_t ldc, bool accumulate);

// How gemm blocks a product for the caches: K in slices kc deep (kc_deep for products of many
// rows and long K), A in blocks of mc rows. Chapter 11, "Blocks from the caches".
struct GemmBlocking {
  int64_t kc = 256, kc_deep = 512, mc = 96;
  bool operator==(const GemmBlocking& o) const { return kc == o.kc && kc_deep == o.kc_deep && mc == o.mc; }
};
// The rule, from one core's caches (0: unknown, taken as 32 KB of L1 and 512 KB of L2) and the
// width of the tile's columns of B (16 floats for the 6 x 16 tile, 64 for the AVX-512 6 x 64 one).
GemmBlocking gemm_blocking(const CacheSizes& caches, int64_t tile_cols);
// What gemm uses now: the rule on this CPU's caches for the tile of the current SIMD level, or
// what set_gemm_blocking forced. A different blocking sums K in other slices: other bits.
GemmBlocking gemm_blocking();
// Tests: force a blocking (nullptr restores the rule), e.g. to compare two tiles bit for bit.
void set_gemm_blocking(const GemmBlocking* forced);

// The right operand packed once, for many products with it (an RNN's recurrent
// weight at every time step): gemm_packed(M, A, B) == gemm(M, B.N, B.K, A, B).
struct PackedB {
  int64_t K = 0, N = 0, group = 1;  // panels side by side in groups of `group` (4 for the AVX-512 tile)
  int64_t kc = 256;                 // packed in slices this deep (gemm_blocking().kc when packed)
  std::vector<real> data;
};
PackedB pack_b(int64_t K, int64_t N, const real* B, int64_t rsb, int64_t csb);
void gemm_packed(int64_t M, const real* A, int64_t rsa, int64_t csa, const PackedB& B, real* C, int64_t ldc,
                 bool accumulate);

// Which tile kernel this CPU runs: "avx512 6x64", "avx2-fma 6x16" or "portable 6x16".
const char* gemm_kernel_name();

}  // namespace cadenza::kernels
