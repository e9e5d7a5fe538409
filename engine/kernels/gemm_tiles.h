// gemm_tiles.h: the tiles of gemm.cpp's fast path (included there only): C[R x 16V] (+)=
// A[R x kc] * B[kc x 16V] with the running sums in registers, one portable, one AVX2/FMA,
// one AVX-512. gemm.cpp packs the operands and runs the loops around them. Chapter:
// docs/11-making-it-fast.md (steps 2 and 3).
#pragma once
#include <algorithm>
#include <cstdint>

#include "engine/core/cpu.h"
#include "engine/kernels/gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza::kernels {

// A tile is MR rows by NR columns (a panel; the AVX-512 tile takes four side by side). How deep
// a slice of K and how tall a block of A are comes from the caches (gemm_blocking in gemm.cpp).
constexpr int64_t kMR = 6, kNR = 16;

// Where a tile reads its operands: A's element (r, p) is a[r * a_rs + p * a_cs],
// and B's row p (NR contiguous floats) starts at b + p * b_rs. A packed sliver
// has a_rs = 1, a_cs = MR and a packed panel b_rs = NR; an operand read in place
// keeps the caller's strides. prefetch_c: ask for the tile's rows of C as it starts
// (prefetch_tile), when C is too large to stay in cache (gemm.cpp's run).
struct TileSrc {
  const real* a;
  int64_t a_rs, a_cs;
  const real* b;
  int64_t b_rs;
  bool prefetch_c = false;
};

// The R rows x W columns of C a tile will add to (row stride ldc), asked for as it starts:
// they arrive while its multiply-adds run, where its last step used to wait for them.
template <int R, int W>
static inline __attribute__((always_inline)) void prefetch_tile(const real* c, int64_t ldc) {
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r, c += ldc) {
#pragma GCC unroll 4
    for (int j = 0; j < W; j += 16) __builtin_prefetch(c + j, 1);  // (1: to be written) each 64 bytes,
    __builtin_prefetch(c + W - 1, 1);                              // and the last, for a row not aligned
  }
}

// The portable tile: plain loops the compiler vectorises for any CPU.
// Computes the first R rows and 8V columns of the (MR, NR) tile c (row stride ldc), over kc steps of K.
template <int R, int V>
static void tile_generic(int64_t kc, const TileSrc& s, real* __restrict c, int64_t ldc, bool add) {
  constexpr int W = 8 * V;
  if (s.prefetch_c) prefetch_tile<R, W>(c, ldc);
  real acc[R][W] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const real* b = s.b + p * s.b_rs;
    for (int r = 0; r < R; ++r) {
      const real a = s.a[r * s.a_rs + p * s.a_cs];
      for (int j = 0; j < W; ++j) acc[r][j] += a * b[j];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < W; ++j) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
// [doc:gemm-avx2]
// The AVX2/FMA tile: 2R vector registers hold the R x 16 sums (R = 6 for a full
// tile, 12 registers); per step of K, two loads of B, R broadcasts of A and 2R
// fused multiply-adds. The loops over r and v have constant bounds: the compiler
// unrolls them and keeps acc in registers. V = 1 does only the left 8 columns,
// for a right-edge panel that has no more (N = 50 is 3 panels and 2 columns).
template <int R, int V>
CADENZA_AVX2 static void tile_avx2(int64_t kc, const TileSrc& s, float* __restrict c, int64_t ldc, bool add) {
  __m256 acc[R][V];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  if (s.prefetch_c) prefetch_tile<R, 8 * V>(c, ldc);
  const float* a = s.a;
  const float* b = s.b;
  for (int64_t p = 0; p < kc; ++p, a += s.a_cs, b += s.b_rs) {
    __m256 bv[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r * s.a_rs);
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(ar, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      float* dst = c + r * ldc + 8 * v;
      _mm256_storeu_ps(dst, add ? _mm256_add_ps(_mm256_loadu_ps(dst), acc[r][v]) : acc[r][v]);
    }
}
// [/doc]
#endif

#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
// [doc:gemm-avx512]
// The AVX-512 tile: R rows (up to 6) by V panels (up to 4: 64 columns); at 6 x 64 its sums
// fill 24 of the 32 zmm registers (16 floats each). Per step of K: four loads of B (a row of each panel),
// then R broadcasts of A, then 4R fused multiply-adds. It does 4x the work of the 6 x 16
// tile for the same fixed cost to start and finish, and one tile covers a 64-wide C.
// Two ways to read A. A packed sliver (Packed = true, the large products) has its six
// elements of a step side by side at offsets the compiler knows: each broadcast feeds its row's
// multiply-adds at once, and 24 sums + 4 rows of B + 1 broadcast fit the 32 registers. An A read
// in place has a row stride known only at run time: there the R broadcasts come first, since
// written one row at a time the compiler put all of them through one register and each
// multiply-add waited for its broadcast. (All six held at once with 24 sums are 34 registers:
// two sums went to the stack, every step; chapter 11 measures what that cost.)
// (A 12 x 32 tile, two slivers by two panels, needs 12 row offsets of A: with a row stride
// known only at run time they do not fit in the 16 general registers.)
// It runs where B is read in place, or packed four panels side by side (see run and
// PanelLayout): whole panels, so a row of its V panels (1 to 4) is 16V contiguous floats
// at offsets the compiler knows. Each element gets the same multiply-adds in the same order
// as in the 6 x 16 tile, so both give the same bits.
template <int R, int V, bool Packed = false>
CADENZA_AVX512 __attribute__((always_inline)) inline void tile_avx512(int64_t kc, TileSrc s, float* __restrict c,
                                                                      int64_t ldc, bool add) {
  __m512 acc[R][V];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  if (s.prefetch_c) prefetch_tile<R, 16 * V>(c, ldc);
  const float* a = s.a;
  const float* b = s.b;
  if constexpr (Packed) {
    // A packed sliver: row r of step p at a[p * MR + r].
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; ++p, a += kMR, b += s.b_rs) {
      __m512 bv[V];
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        const __m512 ar = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
      }
    }
  } else {
    // Four steps per trip: a 64-step tile ends its loop 16 times instead of 64, and the tile
    // after it starts sooner.
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; ++p, a += s.a_cs, b += s.b_rs) {
      __m512 bv[V], ar[R];
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) ar[r] = _mm512_set1_ps(a[r * s.a_rs]);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(ar[r], bv[v], acc[r][v]);
    }
  }
  float* row = c;  // row r of the tile (walked, not r * ldc: GCC kept 24 such offsets on the stack)
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r, row += ldc)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      float* dst = row + 16 * v;
      _mm512_storeu_ps(dst, add ? _mm512_add_ps(_mm512_loadu_ps(dst), acc[r][v]) : acc[r][v]);
    }
}
// [/doc]

// The last `rows` rows (1 to 5) of a column of wide tiles, in one tile.
template <int V>
CADENZA_AVX512 __attribute__((always_inline)) inline void wide_rest(int64_t rows, int64_t kc, const TileSrc& s,
                                                                    float* c, int64_t ldc, bool add) {
  switch (rows) {
    case 5:
      return tile_avx512<5, V>(kc, s, c, ldc, add);
    case 4:
      return tile_avx512<4, V>(kc, s, c, ldc, add);
    case 3:
      return tile_avx512<3, V>(kc, s, c, ldc, add);
    case 2:
      return tile_avx512<2, V>(kc, s, c, ldc, add);
    case 1:
      return tile_avx512<1, V>(kc, s, c, ldc, add);
    default:
      return;
  }
}

// A column of wide tiles against the same V panels: `rows` rows of C from c, their A from
// first.a. One call runs them all, with the tile inlined: a call per tile would pass its
// arguments on the stack for every 64 columns. The source comes by reference: a TileSrc passed by
// value was written to the stack in 8-byte pieces and read back 16 bytes at a time, which
// stalls the load (store forwarding fails).
//   wide_rows: A read in place, in tiles of 4 rows (OpenBLAS's small-product tile too):
//     16 sums and 4 broadcasts a step, which leave registers for A's four row pointers.
//   wide_slivers: packed A, one tile per sliver of MR rows, each kc * MR floats after the last.
template <int V>
CADENZA_AVX512 static void wide_rows(int64_t rows, int64_t kc, const TileSrc& first, float* c, int64_t ldc, bool add) {
  TileSrc s = first;
  for (; rows >= 4; rows -= 4, s.a += 4 * s.a_rs, c += 4 * ldc) tile_avx512<4, V>(kc, s, c, ldc, add);
  wide_rest<V>(rows, kc, s, c, ldc, add);
}
template <int V>
CADENZA_AVX512 static void wide_slivers(int64_t rows, int64_t kc, const TileSrc& first, float* c, int64_t ldc,
                                        bool add) {
  TileSrc s = first;
  for (; rows >= kMR; rows -= kMR, s.a += kc * kMR, c += kMR * ldc) tile_avx512<kMR, V, true>(kc, s, c, ldc, add);
  wide_rest<V>(rows, kc, s, c, ldc, add);
}
using WideColumn = void (*)(int64_t, int64_t, const TileSrc&, float*, int64_t, bool);
static constexpr WideColumn kWideRows[4] = {wide_rows<1>, wide_rows<2>, wide_rows<3>, wide_rows<4>};
static constexpr WideColumn kWideSlivers[4] = {wide_slivers<1>, wide_slivers<2>, wide_slivers<3>, wide_slivers<4>};
#endif

// The first R rows and 8V columns of a tile, on the best kernel this CPU has.
template <int R>
static void tile_rows(int64_t kc, const TileSrc& s, real* c, int64_t ldc, bool add, bool half) {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (cpu_has_avx2_fma()) return half ? tile_avx2<R, 1>(kc, s, c, ldc, add) : tile_avx2<R, 2>(kc, s, c, ldc, add);
#endif
  half ? tile_generic<R, 1>(kc, s, c, ldc, add) : tile_generic<R, 2>(kc, s, c, ldc, add);
}

// One tile of `rows` x `cols` (at most MR x NR). A tile narrower than NR (the
// right edge; its panel is zero-padded) is computed into a scratch tile and copied,
// only its left half when it has at most 8 columns.
static void tile(int64_t kc, const TileSrc& s, real* c, int64_t ldc, int64_t rows, int64_t cols, bool add) {
  real scratch[kMR * kNR];
  const bool narrow = cols < kNR, half = cols <= kNR / 2;
  real* dst = narrow ? scratch : c;
  const int64_t ld = narrow ? kNR : ldc;
  if (narrow && add)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) scratch[r * kNR + j] = c[r * ldc + j];
  switch (rows) {
    case 6:
      tile_rows<6>(kc, s, dst, ld, add, half);
      break;
    case 5:
      tile_rows<5>(kc, s, dst, ld, add, half);
      break;
    case 4:
      tile_rows<4>(kc, s, dst, ld, add, half);
      break;
    case 3:
      tile_rows<3>(kc, s, dst, ld, add, half);
      break;
    case 2:
      tile_rows<2>(kc, s, dst, ld, add, half);
      break;
    default:
      tile_rows<1>(kc, s, dst, ld, add, half);
      break;
  }
  if (narrow)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] = scratch[r * kNR + j];
}

}  // namespace cadenza::kernels
