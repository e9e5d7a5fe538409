// gemm.cpp: see gemm.h. Chapters: docs/01-tensors.md ("Under the hood") for the
// reference, docs/11-making-it-fast.md for the packed, SIMD and threaded version and its
// measurements (`make bench`).
#include "engine/kernels/gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/core/cpu.h"
#include "engine/kernels/gemm_tiles.h"
#include "engine/core/parallel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza::kernels {

// [doc:gemm-ref]
void gemm_ref(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
              int64_t csb, real* C, int64_t ldc, bool accumulate) {
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
//     for each MC-tall block of rows:            pack A[block, slice] into MR-tall slivers
//       for each panel, for each sliver:         tile: C[6 x 16] (+)= sliver (6 x KC) * panel (KC x 16)
//
// Small operands are read in place instead of packed (see Plan); on a CPU with
// AVX-512, B (read in place, or packed four panels side by side: see PanelLayout) is
// computed in wider tiles, 64 columns by 4 rows of an A read in place or by a packed
// sliver's 6 (tile_avx512). Threads split
// C into a grid of row groups x panel groups, and each thread owns its part for
// the whole product. Every element of C is summed in the same order whatever the
// thread count or the grid (the K slices in order, each by one tile), so results
// are bit-identical at 1 and N threads.
//
// The tiles, and MR = 6, NR = 16, are in gemm_tiles.h; this file sizes the blocks from the
// caches (gemm_blocking), packs the operands and runs the loops.

const char* gemm_kernel_name() {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  if (cpu_has_avx512()) return "avx512 6x64";
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

#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
// Transpose an 8 x 8 block held in registers as 8 rows: afterwards r[j] holds column j.
CADENZA_AVX2 static inline __attribute__((always_inline)) void transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4;
       ++i)  // pairs of rows interleaved: t[2i] = r[2i][0] r[2i+1][0] r[2i][1] r[2i+1][1] | lanes 4, 5
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]), t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  for (int i = 0; i < 2; ++i)  // quads: four rows' lane j side by side, in each 128-bit half
    for (int h = 0; h < 2; ++h) {
      u[4 * i + 2 * h] = _mm256_shuffle_ps(t[4 * i + h], t[4 * i + 2 + h], 0x44);
      u[4 * i + 2 * h + 1] = _mm256_shuffle_ps(t[4 * i + h], t[4 * i + 2 + h], 0xEE);
    }
  for (int j = 0; j < 4; ++j)  // halves: rows 0-3 and 4-7 of lane j, then of lane j + 4
    r[j] = _mm256_permute2f128_ps(u[j], u[j + 4], 0x20), r[j + 4] = _mm256_permute2f128_ps(u[j], u[j + 4], 0x31);
}

// A whole panel of a transposed B (column j of the panel is contiguous: b + j * csb):
// 8 x 8 blocks are loaded as 8 columns and transposed in registers into 8 rows of
// the panel (row p at d + p * ld). A weight gradient (dW = G X^T) packs X^T this way.
CADENZA_AVX2 static void pack_b_panel_transposed_avx2(const float* b, int64_t csb, int64_t kc, float* d, int64_t ld) {
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8)
    for (int h = 0; h < 2; ++h) {  // the panel's columns 8h .. 8h + 7
      __m256 r[8];
      for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(b + (8 * h + j) * csb + p);
      transpose8x8(r);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(d + (p + i) * ld + 8 * h, r[i]);
    }
  for (; p < kc; ++p)
    for (int64_t j = 0; j < kNR; ++j) d[p * ld + j] = b[j * csb + p];
}

// A whole sliver of a row-major A (its MR = 6 rows contiguous along K) into d, (kc, MR):
// 8 steps at a time, the six rows (and two zero rows) transposed in registers. Step i's
// 8 floats are stored at d + i * MR in order, each store's last two (zeros) overwritten by
// the next; the eighth step stores only its 6, so nothing lands past the sliver.
CADENZA_AVX2 static void pack_a_sliver_avx2(const float* a, int64_t rsa, int64_t kc, float* d) {
  static_assert(kMR == 6, "six rows and two zero rows make the 8 x 8 block");
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8];
    for (int i = 0; i < 6; ++i) r[i] = _mm256_loadu_ps(a + i * rsa + p);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8x8(r);
    for (int i = 0; i < 7; ++i) _mm256_storeu_ps(d + (p + i) * kMR, r[i]);
    float* last = d + (p + 7) * kMR;
    _mm_storeu_ps(last, _mm256_castps256_ps128(r[7]));
    _mm_storel_pi(reinterpret_cast<__m64*>(last + 4), _mm256_extractf128_ps(r[7], 1));
  }
  for (; p < kc; ++p)
    for (int i = 0; i < 6; ++i) d[p * kMR + i] = a[i * rsa + p];
}
#endif

// Where panel jp of a packed slice starts, and the stride of its rows: panels sit side
// by side in groups of `group` (1, or 4 for the 6 x 64 AVX-512 tile, which then reads a
// row of four panels as 64 contiguous floats); group q starts at q * group * pstride.
struct PanelLayout {
  int64_t pstride, group;
  int64_t offset(int64_t jp) const { return jp / group * group * pstride + jp % group * kNR; }
  int64_t row_stride() const { return group * kNR; }
  int64_t padded(int64_t panels) const { return (panels + group - 1) / group * group; }  // whole groups
  int64_t size(int64_t panels) const { return padded(panels) * pstride; }
};

// Pack panels [lo, hi) of B[pc:pc+kc, :], zero-padded at the right edge: panel jp,
// (kc, NR), at dst + lay.offset(jp), its rows lay.row_stride() apart (pstride >= kc * NR).
static void pack_b_panels(int64_t N, const real* B, int64_t rsb, int64_t csb, int64_t pc, int64_t kc,
                          const PanelLayout& lay, real* dst, int64_t lo, int64_t hi) {
  const int64_t ld = lay.row_stride();
  if (csb == 1) {  // row-major B, whole panels: row by row, each row of B read from start to end
    const int64_t whole = std::min(hi, N / kNR);
    for (int64_t p = 0; p < kc && lo < whole; ++p) {
      const real* b = B + (pc + p) * rsb;
      // 64 bytes per panel: memcpy compiles to vector moves, a plain loop to one float at a time
      for (int64_t jp = lo; jp < whole; ++jp)
        std::memcpy(dst + lay.offset(jp) + p * ld, b + jp * kNR, sizeof(real) * kNR);
    }
    lo = std::max(lo, whole);  // the edge panel, if mine, below
  }
  for (int64_t jp = lo; jp < hi; ++jp) {
    real* d = dst + lay.offset(jp);
    const int64_t cols = std::min(kNR, N - jp * kNR);
    const real* b = B + pc * rsb + jp * kNR * csb;
    if (rsb == 1) {  // transposed B: read each column down its contiguous run, write the panel's column
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
      if (cols == kNR && cpu_has_avx2_fma()) {
        pack_b_panel_transposed_avx2(b, csb, kc, d, ld);
        continue;
      }
#endif
      for (int64_t j = 0; j < kNR; ++j)
        for (int64_t p = 0; p < kc; ++p) d[p * ld + j] = j < cols ? b[j * csb + p] : 0;
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t j = 0; j < kNR; ++j) d[p * ld + j] = j < cols ? b[p * rsb + j * csb] : 0;
    }
  }
}

// Pack slivers [s0, s1) of A[:, pc:pc+kc] (MR rows each, zero-padded past row M):
// dst is (s1 - s0, kc, MR).
static void pack_a_slivers(int64_t M, const real* A, int64_t rsa, int64_t csa, int64_t pc, int64_t kc, int64_t s0,
                           int64_t s1, real* dst) {
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t rows = std::min(kMR, M - s * kMR);
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
    if (csa == 1 && rows == kMR && cpu_has_avx2_fma()) {
      pack_a_sliver_avx2(A + s * kMR * rsa + pc, rsa, kc, dst + (s - s0) * kc * kMR);
      continue;
    }
#endif
    for (int64_t p = 0; p < kc; ++p) {
      real* d = dst + ((s - s0) * kc + p) * kMR;
      const real* a = A + s * kMR * rsa + (pc + p) * csa;
      for (int64_t r = 0; r < rows; ++r) d[r] = a[r * rsa];
      for (int64_t r = rows; r < kMR; ++r) d[r] = 0;
    }
  }
}

// Each tile of a C larger than kPrefetchC floats (1 MB, as large as a typical per-core L2)
// asks for its rows of C as it starts (TileSrc::prefetch_c): a C that large is not in cache, so
// its rows come from L3 or memory while the tile's multiply-adds run, instead of stalling the
// tile's last step. A C that fits in cache gains nothing from the requests and pays for them,
// hence the threshold. (docs/results/2026-12-02-making-it-fast.md, "Waiting for memory", has the measurements.)
constexpr int64_t kPrefetchC = int64_t(1) << 18;

// A product of few rows (one block of MC) uses each panel of B for one column of tiles:
// packing B is then much of its work. When a thread's panels of a slice are at least
// kPackAsUsed floats (256 KB, more than L2 keeps beside everything else), it packs them a few
// at a time, each group just before its tiles, into a buffer small enough to stay in L2;
// packed all at once first, they would go out to L3 and come back. Smaller panels stay in L2
// anyway, and packing them in pieces only adds passes. It packs kPanelsAsUsed = 4 panels at a
// time, not one: reading a row of B then fills four cache lines side by side rather than one
// line every few KB. Four panels 256 deep are 64 KB. (Measurements: docs/results/2026-12-02-making-it-fast.md.)
constexpr int64_t kPackAsUsed = int64_t(1) << 16, kPanelsAsUsed = 4;

// Below this many multiply-adds a product runs on one thread: waking a second core costs a
// few microseconds, about what 0.2M multiply-adds take on one core, so smaller products lose
// more than they gain. Check it on your machine with `build/bench/bench --case sgemm/sq64` at
// OMP_NUM_THREADS=1 and 2 (64^3 is 0.26M).
constexpr double kParallelMacs = 0.2e6;

// [doc:gemm-blocking]
// The blocks, from one core's caches. The tile reads a slice of its columns of B, kc deep, at
// every step while slivers of A pass by: those panels must stay in L1, so they may fill two
// thirds of it (the rest is the sliver, C's rows and the stack): 256 for the 6 x 16 tile in a
// 32 KB L1, 128 for the 6 x 64 tile in a 48 KB one (chapter 11 lists which CPU has which).
// kc is a power of two between 32 and 512, so a slice ends on whole cache lines.
// Products of many rows and long K take deeper slices, kc_deep: each slice reads and writes all
// of C once more (for 2048^3 and the 6 x 16 tile, eight passes over 16 MB instead of sixteen).
// Its panels fill all of L1, not two thirds: the tile then reads part of B from L2, which
// keeps up with a 16-wide tile's one 64-byte row a step; 64 columns are four rows a step, too
// many to read from L2, so the wide tile keeps kc. mc: a block of A, mc rows by
// kc_deep, fills at most 3/8 of L2, in whole slivers of MR rows, from 4 to 16 slivers (more
// gained nothing measurable, and the threads split the rows further anyway).
GemmBlocking gemm_blocking(const CacheSizes& caches, int64_t tile_cols) {
  const int64_t l1 = caches.l1d > 0 ? caches.l1d : 32 << 10, l2 = caches.l2 > 0 ? caches.l2 : 512 << 10;
  const int64_t row = tile_cols * (int64_t)sizeof(real);  // bytes of B per step of K
  GemmBlocking b;
  b.kc = 32;
  while (b.kc < 512 && 2 * b.kc * row * 3 <= 2 * l1) b.kc *= 2;
  b.kc_deep = b.kc;
  if (tile_cols <= kNR)
    while (b.kc_deep < 2 * b.kc && 2 * b.kc_deep * row <= l1) b.kc_deep *= 2;
  b.mc = (3 * l2 / 8) / (b.kc_deep * (int64_t)sizeof(real)) / kMR * kMR;
  b.mc = std::clamp<int64_t>(b.mc, 4 * kMR, 16 * kMR);
  return b;
}
// [/doc]

static const GemmBlocking* g_forced_blocking = nullptr;
void set_gemm_blocking(const GemmBlocking* forced) {
  static GemmBlocking kept;
  if (forced) kept = *forced;
  g_forced_blocking = forced ? &kept : nullptr;
}

GemmBlocking gemm_blocking() {
  if (g_forced_blocking) return *g_forced_blocking;
  static const GemmBlocking narrow = gemm_blocking(cpu_cache_sizes(), kNR),
                            wide = gemm_blocking(cpu_cache_sizes(), 4 * kNR);
  return cpu_has_avx512() ? wide : narrow;
}

// Products of at least kDeepRows rows and kc_deep steps take the deep slices (see above). Few
// rows keep kc: their C stays in cache, so there are no passes to save.
constexpr int64_t kDeepRows = 256;

// Panels side by side in fours for the 6 x 64 AVX-512 tile (a row of four is 64 contiguous
// floats); one at a time otherwise. pack_b and run both ask here.
static int64_t panel_group() { return cpu_has_avx512() ? 4 : 1; }

// How one product runs, decided once per call.
struct Plan {
  int64_t M, N, K;
  const real* A;
  int64_t rsa, csa;
  const real* B;
  int64_t rsb, csb;
  real* C;
  int64_t ldc;
  bool accumulate;
  int64_t kc = 0;  // K is taken in slices this deep (blocking.kc or kc_deep; run sets it)
  GemmBlocking blocking = gemm_blocking();
  const real* packed_b = nullptr;  // gemm_packed: B already in panels (see pack_b)
  bool direct_a = false;           // broadcast A's elements in place: no packing of A
  bool direct_b = false;           // read B's rows in place: no packing of B
  bool prefetch_c = false;         // C is larger than L2: each tile asks for its rows of C as it starts
  int threads = 1;
  int64_t wide = 1;          // panels per tile: 4 for the 6 x 64 AVX-512 tile
  int64_t group = 1;         // packed panels side by side in groups of this many (PanelLayout)
  real* shared_b = nullptr;  // panels packed by all threads together (two slices, alternately)
  // Where run_part packs B's panels: a slice's room is a full slice's (or the whole K's, if
  // shorter) whatever its kc, so a group of panels sits at the same place in every slice.
  PanelLayout packed_here() const { return {std::min(K, kc) * kNR, group}; }
};

// Threads form a grid of tm row groups x tn panel groups (tm * tn = nt), chosen
// to minimise one thread's work: its tiles, packing its slivers of A, and, when
// several row groups share the packed panels of B, reading the panels another
// core packed (a cache-to-cache copy costs about two tiles' time per panel). A B read
// in place is packed by nobody, so sharing it costs nothing. A thread's panels count in
// whole tiles: with the 64-wide AVX-512 tile (wide = 4), two panels cost a tile of four.
// (64^3 at 2 threads: the panel split gave each thread 64 x 32 tiles, half as fast per
// multiply-add; the row split gives each 32 rows of 64-wide tiles.)
static void choose_grid(const Plan& g, int nt, int64_t slivers, int64_t panels, int& tm, int& tn) {
  double best = 1e300;
  for (int m = 1; m <= nt; ++m) {
    if (nt % m) continue;
    const int n = nt / m;
    const int64_t mine = (panels + n - 1) / n;  // my panels, in whole tiles of g.wide
    const double rows = (double)((slivers + m - 1) / m), cols = (double)((mine + g.wide - 1) / g.wide * g.wide);
    const double shared_b = m > 1 && !g.direct_b ? 2.0 * panels * (nt - 1) / nt : 0;
    const double cost = rows * cols + (g.direct_a ? 0 : 0.5 * rows) + shared_b;
    if (cost < best) best = cost, tm = m, tn = n;
  }
}

// [doc:gemm-loops]
// Thread t of nt computes its part of C for every slice of K, in order.
static void run_part(const Plan& g, int t, int nt) {
  const int64_t slivers = (g.M + kMR - 1) / kMR, panels = (g.N + kNR - 1) / kNR, per_block = g.blocking.mc / kMR;
  [[maybe_unused]] const int64_t whole = g.N / kNR;   // panels with all NR columns: the only ones a wide tile takes
  int tm = 1, tn = 1;                                 // the grid: tm row groups x tn panel groups
  int64_t s0 = 0, s1 = slivers, q0 = 0, q1 = panels;  // my slivers [s0, s1) and panels [q0, q1): one thread, all
  if (nt > 1) {                                       // (skipped on one thread: there is nothing to choose)
    choose_grid(g, nt, slivers, panels, tm, tn);
    const int ti = t / tn, tj = t % tn;
    s0 = slivers * ti / tm, s1 = slivers * (ti + 1) / tm, q0 = panels * tj / tn, q1 = panels * (tj + 1) / tn;
  }
  static thread_local std::vector<real> a_buf, col_buf;
  real* ap = g.direct_a ? nullptr : scratch(a_buf, (size_t)(g.blocking.mc * g.kc));
  // One block of rows, panels not shared, and my panels of a slice more than a quarter of
  // L2: pack a few panels just before their columns of tiles, into a buffer that stays in
  // L2, instead of all of a slice's panels first (see kPackAsUsed).
  const bool as_used = !g.packed_b && !g.direct_b && tm == 1 && s1 - s0 <= per_block && g.group == 1 &&
                       std::min(g.K, g.kc) * (q1 - q0) * kNR >= kPackAsUsed;
  real* cb = as_used ? scratch(col_buf, (size_t)(g.packed_here().pstride * kPanelsAsUsed)) : nullptr;
  for (int64_t pc = 0, slice = 0; pc < g.K; pc += g.kc, ++slice) {
    const int64_t kc = std::min(g.kc, g.K - pc);
    const bool add = g.accumulate || pc > 0;
    const real* bp = nullptr;
    // Panel jp of this slice starts at bp + lay.offset(jp). Packed here, a group of panels
    // always sits at the same place whatever this slice's kc (Plan::packed_here): in a panel
    // split a thread's panels then stay in its own part of the buffer in every slice, so it
    // never overwrites panels a slower thread is still reading (a shorter last slice used to
    // shift them: make tsan found it).
    const PanelLayout lay = g.packed_b ? PanelLayout{kc * kNR, g.group} : g.packed_here();
    if (g.packed_b) bp = g.packed_b + pc * lay.padded(panels) * kNR;  // pack_b's slices are kc deep
    else if (!g.direct_b && !as_used) {
      real* dst = g.shared_b + (nt > 1 ? slice % 2 : 0) * lay.size(panels);  // alternate when others may still read
      if (tm == 1) pack_b_panels(g.N, g.B, g.rsb, g.csb, pc, kc, lay, dst, q0, q1);  // only my panels
      else {  // everyone packs a share of all the panels, then waits for the rest
        pack_b_panels(g.N, g.B, g.rsb, g.csb, pc, kc, lay, dst, panels * t / nt, panels * (t + 1) / nt);
        thread_barrier();
      }
      bp = dst;
    }
    for (int64_t sb = s0; sb < s1; sb += per_block) {  // a block of MC rows of my row group
      const int64_t se = std::min(s1, sb + per_block);
      if (!g.direct_a) pack_a_slivers(g.M, g.A, g.rsa, g.csa, pc, kc, sb, se, ap);
      for (int64_t jp = q0; jp < q1;) {  // a column of tiles spans `here` panels (up to my last)
        const int64_t col = jp * kNR;
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
        const bool wide = g.wide > 1 && jp < whole;
        int64_t here = 1;
        if (wide) {  // AVX-512: up to four whole panels of mine
          here = std::min({g.wide, q1 - jp, whole - jp});
          if (bp) here = std::min(here, lay.group - jp % lay.group);  // ... and, packed, side by side
        }
#endif
        const real* b_col = bp ? bp + lay.offset(jp) : nullptr;  // where this column's panels are packed
        if (cb) {  // as_used (here = 1): every fourth panel of mine packs B's columns from col as panels 0-3
          const int64_t k = (jp - q0) % kPanelsAsUsed;
          if (k == 0)
            pack_b_panels(g.N - col, g.B + col * g.csb, g.rsb, g.csb, pc, kc, lay, cb, 0,
                          std::min(kPanelsAsUsed, q1 - jp));
          b_col = cb + lay.offset(k);
        }
        auto source = [&](int64_t s) {  // where the tile of sliver s reads A and B
          TileSrc src;
          if (g.direct_a) src.a = g.A + s * kMR * g.rsa + pc * g.csa, src.a_rs = g.rsa, src.a_cs = g.csa;
          else src.a = ap + (s - sb) * kc * kMR, src.a_rs = 1, src.a_cs = kMR;
          if (b_col) src.b = b_col, src.b_rs = lay.row_stride();
          else src.b = g.B + pc * g.rsb + col, src.b_rs = g.rsb;
          src.prefetch_c = g.prefetch_c;
          return src;
        };
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
        if (wide) {  // all my slivers against these panels, in one call
          const WideColumn column = (g.direct_a ? kWideRows : kWideSlivers)[here - 1];
          column(std::min(g.M, se * kMR) - sb * kMR, kc, source(sb), g.C + sb * kMR * g.ldc + col, g.ldc, add);
          jp += here;
          continue;
        }
#endif
        for (int64_t s = sb; s < se; ++s) {
          const int64_t row = s * kMR;
          tile(kc, source(s), g.C + row * g.ldc + col, g.ldc, std::min(kMR, g.M - row), std::min(kNR, g.N - col), add);
        }
        ++jp;
      }
    }
  }
}
// [/doc]

// An empty product: nothing to do, or C = 0 when K == 0. True when handled.
static bool empty_product(int64_t M, int64_t N, int64_t K, real* C, int64_t ldc, bool accumulate) {
  if (M != 0 && N != 0 && K != 0) return false;
  if (K == 0 && !accumulate)
    for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, real(0));
  return true;
}

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
// Decide what to pack and how many threads to wake, then run the loops on each thread.
static void run(Plan& g) {
  const GemmBlocking& b = g.blocking;
  if (!g.kc) g.kc = g.M >= kDeepRows && g.K >= b.kc_deep ? b.kc_deep : b.kc;  // many rows, long K: deeper
  g.direct_a = g.K <= b.kc || (g.csa == 1 && g.M <= 128);  // one slice, or a few contiguous rows: read in place
  // B read in place when it is whole panels and small: 32 KB for the 6 x 16 tile (an L1), 256 KB
  // (a quarter of an L2) for the AVX-512 tile, whose four panels a row of 256 bytes feeds at
  // once: then packing would cost more than the strided reads it saves.
  const bool zmm = cpu_has_avx512();
  g.direct_b = !g.packed_b && g.csb == 1 && g.N % kNR == 0 && g.K * g.N <= (zmm ? 65536 : 8192);
  g.threads = (double)g.M * g.N * g.K >= kParallelMacs ? num_threads() : 1;
  g.prefetch_c = g.M * g.N > kPrefetchC;
  // Four panels per tile on AVX-512, read in place or packed side by side; the blocking keeps a
  // slice of four panels in L1 while every sliver reads them.
  g.wide = zmm ? 4 : 1;
  static thread_local std::vector<real> b_buf;
  if (!g.packed_b && !g.direct_b) {  // two slices' panels when threads may still read the last one
    g.group = g.wide;
    const int64_t size = g.packed_here().size((g.N + kNR - 1) / kNR);
    g.shared_b = scratch(b_buf, (size_t)((g.K > g.kc && g.threads > 1 ? 2 : 1) * size));
  }
  parallel_region(g.threads, [&](int t, int nt) { run_part(g, t, nt); });
}

void gemm(int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B, int64_t rsb,
          int64_t csb, real* C, int64_t ldc, bool accumulate) {
  if (empty_product(M, N, K, C, ldc, accumulate)) return;
  if (M < 4 && (csb == 1 || rsb == 1)) return gemm_few_rows(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, accumulate);
  Plan g{M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, accumulate};
  run(g);
}
// [/doc]

// B packed once for many products with the same right operand (the recurrent
// weight, used at every time step): slice pc, kc deep, starts at pc * padded * NR and
// its panels are laid out as PanelLayout{kc * NR, group} says.
PackedB pack_b(int64_t K, int64_t N, const real* B, int64_t rsb, int64_t csb) {
  PackedB out;
  out.K = K, out.N = N, out.group = panel_group(), out.kc = gemm_blocking().kc;
  const int64_t panels = (N + kNR - 1) / kNR;
  const int64_t padded = PanelLayout{kNR, out.group}.padded(panels);  // panels rounded up to whole groups
  out.data.resize((size_t)(K * padded * kNR));
  for (int64_t pc = 0; pc < K; pc += out.kc) {
    const int64_t kc = std::min(out.kc, K - pc);
    real* dst = out.data.data() + pc * padded * kNR;
    const PanelLayout lay{kc * kNR, out.group};
    parallel_for(panels, K * N > 4096 ? 4 : panels + 1,
                 [&](int64_t lo, int64_t hi) { pack_b_panels(N, B, rsb, csb, pc, kc, lay, dst, lo, hi); });
  }
  return out;
}

void gemm_packed(int64_t M, const real* A, int64_t rsa, int64_t csa, const PackedB& B, real* C, int64_t ldc,
                 bool accumulate) {
  if (empty_product(M, B.N, B.K, C, ldc, accumulate)) return;
  Plan g{M, B.N, B.K, A, rsa, csa, nullptr, 0, 0, C, ldc, accumulate};
  g.packed_b = B.data.data(), g.group = B.group, g.kc = B.kc;
  run(g);
}

}  // namespace cadenza::kernels
