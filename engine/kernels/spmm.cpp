// spmm.cpp: see spmm.h. Chapter: docs/11-making-it-fast.md ("Use the data's structure").
#include "engine/kernels/spmm.h"

#include <algorithm>
#include <atomic>
#include <limits>

#include "engine/core/cpu.h"
#include "engine/kernels/simd.h"
#include "engine/core/parallel.h"

namespace cadenza::kernels {

namespace {

bool neither_0_nor_1(real x) { return x != 0 && x != 1; }  // NaN included

// One row of a 0/1 matrix: how many ones, and is anything neither 0 nor 1.
int64_t count_ones_ref(const real* r, int64_t cols, bool& other) {
  int64_t ones = 0, bad = 0;
  for (int64_t j = 0; j < cols; ++j) ones += r[j] == 1, bad += neither_0_nor_1(r[j]);
  other = bad != 0;
  return ones;
}
// Writes the columns of the row's ones at col and returns the end.
int32_t* write_ones_ref(const real* r, int64_t cols, int32_t* col) {
  for (int64_t j = 0; j < cols; ++j)
    if (r[j] == 1) *col++ = (int32_t)j;
  return col;
}

#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
CADENZA_AVX2 int64_t count_ones_avx2(const float* r, int64_t cols, bool& other) {
  const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
  int64_t ones = 0, j = 0;
  int all_01 = 0xFF;
  for (; j + 8 <= cols; j += 8) {
    const __m256 x = _mm256_loadu_ps(r + j), is1 = _mm256_cmp_ps(x, one, _CMP_EQ_OQ);
    ones += __builtin_popcount((unsigned)_mm256_movemask_ps(is1));
    all_01 &= _mm256_movemask_ps(_mm256_or_ps(is1, _mm256_cmp_ps(x, zero, _CMP_EQ_OQ)));
  }
  bool tail_other = false;
  ones += count_ones_ref(r + j, cols - j, tail_other);
  other = all_01 != 0xFF || tail_other;
  return ones;
}
// Eight elements at a time, without a branch on each (a sample is half ones, so
// "if (r[j] == 1)" would be mispredicted half the time): the 8 comparison bits index a
// table that lists where the ones are, so a block costs the same whether it holds no
// one or eight. It stores all eight lanes and moves on by the count: the spare lanes
// land where the next row's ones go, and that row, written next, overwrites them. Only
// blocks whose eight lanes would reach `end` (the end of the rows this thread writes:
// past it, another thread may be writing) go through a local buffer.
CADENZA_AVX2 int32_t* write_ones_avx2(const float* r, int64_t cols, int32_t* col, const int32_t* end) {
  static const std::vector<int32_t> table = [] {  // table[8 m .. 8 m + 8): the set bits of m, in order
    std::vector<int32_t> t(256 * 8, 0);
    for (int m = 0; m < 256; ++m)
      for (int b = 0, k = 0; b < 8; ++b)
        if (m >> b & 1) t[(size_t)(8 * m + k++)] = b;
    return t;
  }();
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    const unsigned m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(r + j), one, _CMP_EQ_OQ));
    const __m256i at =
        _mm256_add_epi32(_mm256_loadu_si256((const __m256i*)(table.data() + 8 * m)), _mm256_set1_epi32((int)j));
    const int k = __builtin_popcount(m);
    if (end - col >= 8) {
      _mm256_storeu_si256((__m256i*)col, at);
    } else {
      alignas(32) int32_t lanes[8];
      _mm256_store_si256((__m256i*)lanes, at);
      for (int q = 0; q < k; ++q) col[q] = lanes[q];
    }
    col += k;
  }
  for (int32_t* p = write_ones_ref(r + j, cols - j, col); col < p; ++col) *col += (int32_t)j;
  return col;
}
#endif

int64_t count_ones(const real* r, int64_t cols, bool& other) {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (cpu_has_avx2_fma()) return count_ones_avx2(r, cols, other);
#endif
  return count_ones_ref(r, cols, other);
}
// end: the end of the rows this thread writes; nothing is written there or past it.
int32_t* write_ones(const real* r, int64_t cols, int32_t* col, const int32_t* end) {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (cpu_has_avx2_fma()) return write_ones_avx2(r, cols, col, end);
#else
  (void)end;
#endif
  return write_ones_ref(r, cols, col);
}

}  // namespace

// Two passes over a (rows, cols), each in parallel over blocks of rows: count each
// row's ones, checking every value is 0 or 1, then write their column indices, each
// row at its own place (the running sum of the counts before it).
int64_t binary_csr(const real* a, int64_t rows, int64_t cols, BinaryCSR& out, int64_t max_ones) {
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  out.rows = rows, out.cols = cols;
  out.crow_indices.assign((size_t)rows + 1, 0);
  int64_t* ones = out.crow_indices.data() + 1;  // row i's count, then the running sum
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(cols, 1));  // rows per block, at least
  // Each block counts its rows in order and stops at its first stray value, so the smallest
  // one any block finds is the first. With a limit, the blocks add their counts to `total`
  // every 8 rows (not every row: its cache line travels between the cores each time) and
  // stop once it is passed.
  const bool limited = max_ones != kNone;
  std::atomic<int64_t> total{0}, first_other{kNone};
  parallel_for(rows, grain, [&](int64_t lo, int64_t hi) {
    int64_t mine = 0;  // ones counted here, not yet in total
    for (int64_t i = lo; i < hi; ++i) {
      const real* r = a + i * cols;
      bool other = false;
      ones[i] = count_ones(r, cols, other);
      if (other) {
        int64_t j = 0;
        while (!neither_0_nor_1(r[j])) ++j;
        const int64_t at = i * cols + j;
        for (int64_t seen = first_other.load(); at < seen;)  // first_other = min(first_other, at)
          if (first_other.compare_exchange_weak(seen, at)) break;
        return;
      }
      mine += ones[i];
      if (limited && ((i - lo) % 8 == 7 || i + 1 == hi)) {
        if (total.fetch_add(mine) + mine > max_ones) return;  // too many ones: no index
        mine = 0;
      }
    }
  });
  if (limited && total.load() > max_ones) return -2;  // (elements past where counting stopped went unchecked)
  if (first_other.load() != kNone) return first_other.load();
  for (int64_t i = 0; i < rows; ++i) ones[i] += ones[i - 1];  // ones[-1] is crow_indices[0] = 0
  out.col_indices.resize((size_t)out.crow_indices.back());
  int32_t* col = out.col_indices.data();
  const int64_t* crow = out.crow_indices.data();
  parallel_for(rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) write_ones(a + i * cols, cols, col + crow[i], col + crow[hi]);
  });
  return -1;
}

BinaryCSR transpose(const BinaryCSR& a) {
  BinaryCSR t;
  t.rows = a.cols, t.cols = a.rows;
  t.crow_indices.assign((size_t)a.cols + 1, 0);
  for (int32_t j : a.col_indices) ++t.crow_indices[(size_t)j + 1];
  for (int64_t j = 0; j < a.cols; ++j) t.crow_indices[(size_t)j + 1] += t.crow_indices[(size_t)j];
  std::vector<int64_t> next(t.crow_indices.begin(), t.crow_indices.end() - 1);
  t.col_indices.resize(a.col_indices.size());
  for (int64_t i = 0; i < a.rows; ++i)  // rows in increasing order, so each new row stays sorted
    for (int64_t p = a.crow_indices[(size_t)i]; p < a.crow_indices[(size_t)i + 1]; ++p)
      t.col_indices[(size_t)next[(size_t)a.col_indices[(size_t)p]]++] = (int32_t)i;
  return t;
}

// [doc:spmm-ref]
// Rows [i0, i1) of c:
// c[i, j] = alpha * (sum of b[k, j] over the ones k of row i, added in increasing k, from 0)
static void spmm_rows_ref(const BinaryCSR& a, const real* b, int64_t ldb, int64_t n, real alpha, real* c, int64_t ldc,
                          int64_t i0, int64_t i1) {
  // [exercise:11.2] the reference sparse-binary x dense product
  for (int64_t i = i0; i < i1; ++i)
    for (int64_t j = 0; j < n; ++j) {
      real acc = 0;
      for (int64_t p = a.crow_indices[(size_t)i]; p < a.crow_indices[(size_t)i + 1]; ++p)
        acc += b[a.col_indices[(size_t)p] * ldb + j];
      c[i * ldc + j] = alpha * acc;
    }
  // [/exercise]
}
// [/doc]

void spmm_ref(const BinaryCSR& a, const real* b, int64_t ldb, int64_t n, real alpha, real* c, int64_t ldc) {
  spmm_rows_ref(a, b, ldb, n, alpha, c, ldc, 0, a.rows);
}

namespace {

#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
// [doc:spmm-avx2]
// One row of c, columns [0, 8 NV): NV running sums of 8 lanes stay in registers while
// the picked rows of b stream past. The last vector loads and stores only its `last` lanes.
//   ks: (nk) the ones of this row    b: rows ldb apart    c: (8 NV), the last vector partial
template <int NV>
CADENZA_AVX2 void add_rows(const int32_t* ks, int64_t nk, const float* b, int64_t ldb, float alpha, __m256i last,
                           float* c) {
  __m256 acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_setzero_ps();
  for (int64_t t = 0; t < nk; ++t) {
    const float* r = b + ks[t] * ldb;
    for (int v = 0; v < NV - 1; ++v) acc[v] = _mm256_add_ps(acc[v], _mm256_loadu_ps(r + 8 * v));
    acc[NV - 1] = _mm256_add_ps(acc[NV - 1], _mm256_maskload_ps(r + 8 * (NV - 1), last));
  }
  const __m256 s = _mm256_set1_ps(alpha);
  for (int v = 0; v < NV - 1; ++v) _mm256_storeu_ps(c + 8 * v, _mm256_mul_ps(acc[v], s));
  _mm256_maskstore_ps(c + 8 * (NV - 1), last, _mm256_mul_ps(acc[NV - 1], s));
}
// [/doc]

// Rows [i0, i1) of c, in chunks of 64 columns (8 vectors: 8 sums and a load each per step,
// well inside the 16 registers).
CADENZA_AVX2 void spmm_rows_avx2(const BinaryCSR& a, const float* b, int64_t ldb, int64_t n, float alpha, float* c,
                                 int64_t ldc, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) {
    const int32_t* ks = a.col_indices.data() + a.crow_indices[(size_t)i];
    const int64_t nk = a.crow_indices[(size_t)i + 1] - a.crow_indices[(size_t)i];
    for (int64_t j = 0; j < n; j += 64) {
      const int64_t w = std::min<int64_t>(64, n - j), nv = (w + 7) / 8, tail = w - 8 * (nv - 1);
      const __m256i last = lanes_below(tail);
      float* cj = c + i * ldc + j;
      const float* bj = b + j;
      switch (nv) {
        case 1:
          add_rows<1>(ks, nk, bj, ldb, alpha, last, cj);
          break;
        case 2:
          add_rows<2>(ks, nk, bj, ldb, alpha, last, cj);
          break;
        case 3:
          add_rows<3>(ks, nk, bj, ldb, alpha, last, cj);
          break;
        case 4:
          add_rows<4>(ks, nk, bj, ldb, alpha, last, cj);
          break;
        case 5:
          add_rows<5>(ks, nk, bj, ldb, alpha, last, cj);
          break;
        case 6:
          add_rows<6>(ks, nk, bj, ldb, alpha, last, cj);
          break;
        case 7:
          add_rows<7>(ks, nk, bj, ldb, alpha, last, cj);
          break;
        default:
          add_rows<8>(ks, nk, bj, ldb, alpha, last, cj);
          break;
      }
    }
  }
}
#endif

}  // namespace

void spmm(const BinaryCSR& a, const real* b, int64_t ldb, int64_t n, real alpha, real* c, int64_t ldc) {
  if (a.rows == 0 || n == 0) return;
  // Threads split the rows of c: each owns its rows, so the bits do not depend on the split.
  // Below about 64K adds one thread is faster than waking a second.
  const int64_t work = std::max<int64_t>(1, (a.nnz() + a.rows) * n);
  const int64_t grain = std::max<int64_t>(1, a.rows * (int64_t(1) << 16) / work);
  parallel_for(a.rows, grain, [&](int64_t i0, int64_t i1) {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
    if (cpu_has_avx2_fma()) return spmm_rows_avx2(a, b, ldb, n, alpha, c, ldc, i0, i1);
#endif
    spmm_rows_ref(a, b, ldb, n, alpha, c, ldc, i0, i1);
  });
}

}  // namespace cadenza::kernels
