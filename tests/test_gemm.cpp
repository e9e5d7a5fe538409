// Chapter 11 tests of the matrix multiply's rungs: gemm_blocked and gemm against the
// definition (gemm_ref) on awkward shapes and every transpose, on every kernel at 1 and N
// threads, and bit-identical at 1, 2 and 3 threads. (gemm_packed and the AVX-512 tiles are
// in test_kernels.cpp.) docs/11-making-it-fast.md.
#include "tests/helpers.h"

#include "engine/kernels/gemm.h"

using namespace cadenza;
using namespace testing;

TEST_SUITE("ch11-fast") {
  // gemm against gemm_ref on an (M, K) x (K, N) product, for each operand stored as it is or
  // transposed (strides swapped), on every kernel this CPU has at 1 and 2 threads; C starts at 5
  // and is added into when both or neither are. The reference is computed once per product (the
  // sanitizer builds run it slowly).
  using GemmFn = void (*)(int64_t, int64_t, int64_t, const real*, int64_t, int64_t, const real*, int64_t, int64_t,
                          real*, int64_t, bool);
  static void check_gemm_every_transpose(int64_t M, int64_t N, int64_t K, Generator & gen, GemmFn fn = kernels::gemm) {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        INFO(M << " x " << N << " x " << K << ", A transposed " << ta << ", B transposed " << tb);
        Tensor A = randn({M, K}, gen), B = randn({K, N}, gen);
        Tensor At = A.t().contiguous(), Bt = B.t().contiguous();
        const real* pa = ta ? At.data() : A.data();
        const real* pb = tb ? Bt.data() : B.data();
        int64_t rsa = ta ? 1 : K, csa = ta ? M : 1, rsb = tb ? 1 : N, csb = tb ? K : 1;
        std::vector<real> c1(M * N, 5);
        kernels::gemm_ref(M, N, K, pa, rsa, csa, pb, rsb, csb, c1.data(), N, ta == tb);
        on_each_kernel_and_thread_count([&](const char* kernel, int threads) {
          INFO(std::string(kernel) << " kernel, " << threads << " thread(s)");
          std::vector<real> c2(M * N, 5);
          fn(M, N, K, pa, rsa, csa, pb, rsb, csb, c2.data(), N, ta == tb);
          CHECK_TENSOR_CLOSE(T(c2, {M, N}), T(c1, {M, N}), 1e-3, 1e-4);
        });
      }
  }

  TEST_CASE("gemm matches the reference on awkward shapes and every transpose, on both kernels, at 1 and N threads") {
    Generator gen(7);
    for (int64_t M : {1, 7, 63, 129})
      // 16, 48, 64, 80: whole panels (read in place when small, by the 6 x 64 AVX-512 tile: 80 is
      // a wide tile and a one-panel one); 24: a half panel
      for (int64_t N : {1, 7, 16, 24, 48, 64, 65, 80})
        for (int64_t K : {1, 8, 129, 300}) check_gemm_every_transpose(M, N, K, gen);
  }

  TEST_CASE("gemm on few rows and many columns matches the reference") {
    // (B is then packed four panels at a time, just before their tiles.)
    // M <= 96 is one block of rows (7: two slivers, the last of one row; 63: eleven, the last of
    // three; 96: the whole block).
    // With K > 128 and at least 256 KB of a thread's panels per slice (N = 600 or 1100 at 1 and
    // 2 threads), gemm packs its panels as they are used, four at a time. The right edge is a
    // panel of 8 and of 12 columns, in a group of two panels (N = 600 at 1 thread: 38 panels)
    // and alone (N = 1100: 69); at 2 threads a thread's last group is short (19, 34 or 35
    // panels each). K = 600 is three slices, the last 88 deep.
    Generator gen(9);
    for (int64_t M : {7, 63, 96})
      for (int64_t N : {600, 1100})
        for (int64_t K : {300, 600}) check_gemm_every_transpose(M, N, K, gen);
  }

  TEST_CASE("gemm on many rows and a long K matches the reference") {
    // M >= 256 rows and K >= kc_deep take deeper slices (gemm_blocking): with the 6 x 16 tile on a
    // 32 KB L1, 512; K = 512 is one slice, 1100 two and a last of 76. M = 301 ends in a sliver of
    // one row; N = 70 in a panel of 6. (The next test runs the other machines' blockings here.)
    Generator gen(10);
    for (int64_t M : {256, 301})
      for (int64_t K : {512, 1100}) check_gemm_every_transpose(M, 70, K, gen);
  }

  // [doc:gemm-blocking-test]
  TEST_CASE("the blocks come from the caches: the rule on the machines we know, and on unknown caches") {
    using kernels::GemmBlocking;
    auto rule = [](int64_t l1d, int64_t l2, int64_t cols) { return kernels::gemm_blocking({l1d, l2, 0}, cols); };
    constexpr int64_t KB = 1024;
    CHECK(rule(32 * KB, 512 * KB, 16) == GemmBlocking{256, 512, 96});   // Zen 3, AVX2: the 6 x 16 tile
    CHECK(rule(48 * KB, 2048 * KB, 64) == GemmBlocking{128, 128, 96});  // Golden Cove (Sapphire Rapids): 6 x 64
    CHECK(rule(48 * KB, 2048 * KB, 16) == GemmBlocking{512, 512, 96});  // the same core limited to AVX2
    CHECK(rule(32 * KB, 1024 * KB, 64) == GemmBlocking{64, 64, 96});    // Zen 4: 6 x 64 in a 32 KB L1
    CHECK(rule(0, 0, 16) == rule(32 * KB, 512 * KB, 16));               // unknown: a common laptop core
    CHECK(rule(4 * KB, 8 * KB, 64) == GemmBlocking{32, 32, 24});        // tiny caches: the smallest blocks
    // This machine: sysfs (or sysconf) found the caches, and gemm uses the rule on them.
    const CacheSizes here = cpu_cache_sizes();
    MESSAGE("this CPU: L1d " << here.l1d / KB << " KB, L2 " << here.l2 / KB << " KB, L3 " << here.l3 / KB
                             << " KB; gemm blocks kc " << kernels::gemm_blocking().kc << ", kc_deep "
                             << kernels::gemm_blocking().kc_deep << ", mc " << kernels::gemm_blocking().mc);
    if (here.l1d > 0 && here.l2 > 0) {
      CHECK(here.l1d >= 4 * KB);
      CHECK(here.l2 >= here.l1d);
    } else {
      MESSAGE("this machine reports no cache sizes (no sysfs, sysconf 0): the rule's defaults apply");
    }
    CHECK(kernels::gemm_blocking() == rule(here.l1d, here.l2, cpu_has_avx512() ? 64 : 16));
  }
  // [/doc]

  TEST_CASE("gemm matches the reference under every blocking the rule gives, at 1 and N threads") {
    // Each machine's blocks forced here, so every machine tests all of them: slices of 32 (many
    // per product), 64, 128 and 256 with deep ones of 512, on shapes whose K is several slices
    // with a short last one, and M >= 256 for the deep slices.
    Generator gen(15);
    using kernels::GemmBlocking;
    for (const GemmBlocking& b :
         {GemmBlocking{32, 32, 24}, GemmBlocking{64, 64, 96}, GemmBlocking{128, 128, 96}, GemmBlocking{256, 512, 96}}) {
      INFO("kc " << b.kc << ", kc_deep " << b.kc_deep << ", mc " << b.mc);
      kernels::set_gemm_blocking(&b);
      check_gemm_every_transpose(37, 70, 200, gen);   // 2 to 7 slices; 4 whole panels and one of 6
      check_gemm_every_transpose(257, 40, 520, gen);  // deep slices (M >= 256, K >= 512), a last of 8
    }
    kernels::set_gemm_blocking(nullptr);
  }

  TEST_CASE("gemm gives bit-identical results at 1, 2 and 3 threads") {
    Generator gen(8);
    // Shapes that take each plan: rows split with shared panels (200 x 70, K in two slices),
    // panels split (64 rows), A read in place (K <= 256), B read in place with the rows split
    // (130 x 64 x 128) and with the panels split (64 x 512 x 64), each panel packed just before
    // its tiles (64 x 1100), and K in slices of 512 (300 x 1100 x 70).
    Tensor A = randn({200, 300}, gen), B = randn({300, 70}, gen), a_few = randn({64, 300}, gen);
    Tensor A2 = randn({130, 128}, gen), B2 = randn({128, 64}, gen), B3 = randn({128, 1000}, gen);
    Tensor B5 = randn({300, 1100}, gen);  // few rows, many columns: each panel packed as used at 1 to 3 threads
    Tensor A6 = randn({64, 64}, gen), B6 = randn({64, 512}, gen);
    Tensor A7 = randn({300, 1100}, gen), B7 = randn({1100, 70}, gen);
    int before = num_threads();
    std::vector<std::vector<real>> one;
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      std::vector<std::vector<real>> now = {matmul(A, B).to_vector(),     matmul(a_few, B).to_vector(),
                                            matmul(A2, B2).to_vector(),   matmul(A2, B3).to_vector(),
                                            matmul(A.t(), A).to_vector(), matmul(a_few, B5).to_vector(),
                                            matmul(A6, B6).to_vector(),   matmul(A7, B7).to_vector()};
      if (threads == 1) one = now;
      else
        for (size_t i = 0; i < now.size(); ++i) {
          INFO("product " << i << " at " << threads << " threads");
          CHECK(now[i] == one[i]);
        }
    }
    set_num_threads(before);
  }

  TEST_CASE("gemm_blocked matches the reference on awkward shapes and every transpose, at 1 and N threads") {
    Generator gen(11);
    // 63 and 129 rows: a block of 64 and a row over; 257 columns: a block of 256 and one over;
    // K = 65 and 300: slices of 64 with a short last one.
    for (int64_t M : {1, 63, 129})
      for (int64_t N : {1, 7, 257})
        for (int64_t K : {1, 65, 300}) check_gemm_every_transpose(M, N, K, gen, kernels::gemm_blocked);
  }

  TEST_CASE("gemm_blocked gives bit-identical results at 1, 2 and 3 threads") {
    Generator gen(12);
    const int64_t M = 200, N = 300, K = 130;
    Tensor A = randn({M, K}, gen), B = randn({K, N}, gen);
    int before = num_threads();
    std::vector<real> one;
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      std::vector<real> c((size_t)(M * N), 0);
      kernels::gemm_blocked(M, N, K, A.data(), K, 1, B.data(), N, 1, c.data(), N, false);
      if (threads == 1) one = c;
      else CHECK_MESSAGE(c == one, threads << " threads");
    }
    set_num_threads(before);
  }

  TEST_CASE("the gemm check fails on a deliberately wrong kernel") {
    // A kernel that drops the last slice of K: the comparison with the reference must see it.
    GemmFn wrong = [](int64_t M, int64_t N, int64_t K, const real* A, int64_t rsa, int64_t csa, const real* B,
                      int64_t rsb, int64_t csb, real* C, int64_t ldc, bool acc) {
      kernels::gemm_blocked(M, N, K > 64 ? 64 : K, A, rsa, csa, B, rsb, csb, C, ldc, acc);
    };
    Generator gen(13);
    const int64_t M = 9, N = 10, K = 100;
    Tensor A = randn({M, K}, gen), B = randn({K, N}, gen);
    std::vector<real> want((size_t)(M * N)), got((size_t)(M * N));
    kernels::gemm_ref(M, N, K, A.data(), K, 1, B.data(), N, 1, want.data(), N, false);
    wrong(M, N, K, A.data(), K, 1, B.data(), N, 1, got.data(), N, false);
    CHECK_FALSE(tensor_mismatch(T(got, {M, N}), T(want, {M, N}), 1e-3, 1e-4).empty());
  }

}  // TEST_SUITE
