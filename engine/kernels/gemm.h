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

// The right operand packed once, for many products with it (an RNN's recurrent
// weight at every time step): gemm_packed(M, A, B) == gemm(M, B.N, B.K, A, B).
struct PackedB {
  int64_t K = 0, N = 0, group = 1;  // panels side by side in groups of `group` (4 for the AVX-512 tile)
  std::vector<real> data;
};
PackedB pack_b(int64_t K, int64_t N, const real* B, int64_t rsb, int64_t csb);
void gemm_packed(int64_t M, const real* A, int64_t rsa, int64_t csa, const PackedB& B, real* C, int64_t ldc,
                 bool accumulate);

// Which tile kernel this CPU runs: "avx512 6x64", "avx2-fma 6x16" or "portable 6x16".
const char* gemm_kernel_name();

}  // namespace cadenza::kernels
