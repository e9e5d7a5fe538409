// Chapter 11 tests: the fast kernels against their scalar references, on awkward
// sizes, on each SIMD path this CPU has (AVX-512, AVX2, portable), at 1 and 2 threads.
// docs/11-making-it-fast.md.
#include "tests/helpers.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "engine/core/mt19937.h"
#include "engine/core/cpu.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/rng.h"
#include "engine/kernels/vmath.h"

using namespace cadenza;
using namespace testing;

namespace {
using ArrayFn = void (*)(const real*, real*, int64_t);

// The largest relative error of fast against ref over x; outputs below 1e-30 in
// size (subnormal territory) are compared absolutely.
double worst_rel_error(ArrayFn fast, ArrayFn ref, const std::vector<real>& x, real* at = nullptr) {
  std::vector<real> y(x.size()), r(x.size());
  fast(x.data(), y.data(), (int64_t)x.size());
  ref(x.data(), r.data(), (int64_t)x.size());
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double d = std::fabs((double)y[i] - r[i]), scale = std::max(std::fabs((double)r[i]), 1e-30);
    double e = std::isinf(r[i]) ? (y[i] == r[i] ? 0 : 1) : d / scale;
    if (!(e <= worst)) worst = e, at ? * at = x[i] : 0;
  }
  return worst;
}

std::vector<real> sweep(real lo, real hi, int n) {
  std::vector<real> x;
  for (int i = 0; i < n; ++i) x.push_back(lo + (hi - lo) * i / (n - 1));
  for (real v : {0.0f, -0.0f, 1e-8f, -1e-8f, 1e-3f, 0.6249f, 0.625f, 0.6251f, 88.7f, -87.5f, -103.0f, 20.0f, -20.0f})
    x.push_back(v);
  return x;
}
}  // namespace

TEST_SUITE("ch11-fast") {
  TEST_CASE("a busy neighbour: regions use fewer threads while another program holds a core, then all again") {
#if defined(_OPENMP) && defined(__linux__)
    if (num_threads() < 2 || ::sysconf(_SC_NPROCESSORS_ONLN) < 2) {
      MESSAGE("skipped: needs 2 threads and 2 cores");
      return;
    }
    set_adaptive_threads(true);
    const int asked = num_threads();
    auto within = [](double seconds, auto done) {  // polls done() for up to `seconds`
      auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
      while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return false;
    };
    // A quiet machine (as far as this test can make it): all the threads asked for.
    bool quiet = within(2.0, [&] { return available_threads() == asked; });
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // the neighbour: spins until killed
      volatile uint64_t x = 0;
      for (;;) x = x + 1;
    }
    bool fewer = within(3.0, [&] { return available_threads() < asked; });
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    bool back = within(3.0, [&] { return available_threads() == asked; });
    set_adaptive_threads(false);
    CHECK(fewer);            // the neighbour was seen
    if (quiet) CHECK(back);  // and once it stopped, every thread came back
    else MESSAGE("the machine was busy before the test began; only the drop was checked");
#else
    MESSAGE("skipped: adaptive threads need OpenMP on Linux");
#endif
  }

  // On CPUs without AVX2 the fast functions are the C library itself, so the portable
  // round below is a check of the dispatch, not of a second approximation.
  TEST_CASE("vexp, vsigmoid and vtanh are within 1e-6 relative of the C library, on every SIMD level") {
    struct Case {
      const char* name;
      ArrayFn fast, ref;
      real lo, hi;
    };
    const CpuCapability top = cpu_capability();  // the best level, or what CADENZA_ISA chose
    for (const Case& c : {Case{"exp", kernels::vexp, kernels::exp_ref, -110, 90},
                          Case{"sigmoid", kernels::vsigmoid, kernels::sigmoid_ref, -110, 110},
                          Case{"tanh", kernels::vtanh, kernels::tanh_ref, -12, 12}})
      for (CpuCapability level : {CpuCapability::avx512, CpuCapability::avx2, CpuCapability::portable}) {
        if (level > top) continue;
        set_cpu_capability_limit(level);
        real at = 0;
        double worst = worst_rel_error(c.fast, c.ref, sweep(c.lo, c.hi, 200001), &at);
        INFO(c.name << " " << std::string(cpu_capability_name(level)) << ": worst relative error " << worst
                    << " at x = " << at);
        CHECK(worst <= 1e-6);
      }
    force_portable_kernels(false);
  }

  TEST_CASE("vexp, vsigmoid and vtanh on AVX-512 give the AVX2 bits in every lane; the check fails on the C library") {
    if (cpu_capability() < CpuCapability::avx512) {
      MESSAGE("skipped: this CPU has no AVX-512 (or CADENZA_ISA chose a lower level)");
      return;
    }
    const real inf = std::numeric_limits<real>::infinity(), nan = std::numeric_limits<real>::quiet_NaN();
    std::vector<real> x = sweep(-110, 110, 100003);  // 100003 = 6250 registers of 16 and a tail of 3
    for (real v : {inf, -inf, nan, 0.0f, -0.0f, 0.625f, -0.625f, 88.72283f, -104.0f, 1e-30f, 44.0f}) x.push_back(v);
    auto run = [&](ArrayFn f, CpuCapability level) {
      set_cpu_capability_limit(level);
      std::vector<real> y(x.size());
      f(x.data(), y.data(), (int64_t)x.size());
      force_portable_kernels(false);
      return y;
    };
    auto same_bits = [](const std::vector<real>& a, const std::vector<real>& b) {
      return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(real)) == 0;  // NaN == NaN
    };
    for (ArrayFn f : {kernels::vexp, kernels::vsigmoid, kernels::vtanh})
      CHECK(same_bits(run(f, CpuCapability::avx512), run(f, CpuCapability::avx2)));
    CHECK_FALSE(same_bits(run(kernels::vtanh, CpuCapability::avx512), run(kernels::vtanh, CpuCapability::portable)));
  }

  TEST_CASE("the accuracy check fails on a deliberately wrong kernel") {
    // tanh with a relative error of 1e-5: the check above must catch it
    ArrayFn off_tanh = [](const real* x, real* y, int64_t n) {
      kernels::tanh_ref(x, y, n);
      for (int64_t i = 0; i < n; ++i) y[i] *= 1 + 1e-5f;
    };
    CHECK(worst_rel_error(off_tanh, kernels::tanh_ref, sweep(-5, 5, 1001)) > 1e-6);
  }

  TEST_CASE("vmath: special values, and every element computed the same way wherever it sits") {
    const real inf = std::numeric_limits<real>::infinity(), nan = std::numeric_limits<real>::quiet_NaN();
    const CpuCapability top = cpu_capability();
    for (CpuCapability level : {CpuCapability::avx512, CpuCapability::avx2, CpuCapability::portable}) {
      if (level > top) continue;
      set_cpu_capability_limit(level);
      std::vector<real> x = {inf, -inf, nan, 100, -200, 0, 1, -1, 3};  // 9: a tail (AVX-512), or a register and a tail
      std::vector<real> e(9), s(9), t(9);
      kernels::vexp(x.data(), e.data(), 9);
      kernels::vsigmoid(x.data(), s.data(), 9);
      kernels::vtanh(x.data(), t.data(), 9);
      CHECK(e[0] == inf);
      CHECK(e[1] == 0);
      CHECK(std::isnan(e[2]));
      CHECK(e[3] == inf);
      CHECK(e[4] == 0);
      CHECK(e[5] == 1);
      CHECK(s[0] == 1);
      CHECK(s[1] == 0);
      CHECK(std::isnan(s[2]));
      CHECK(s[5] == 0.5f);
      CHECK(t[0] == 1);
      CHECK(t[1] == -1);
      CHECK(std::isnan(t[2]));
      // the same value at every position of an array of awkward length gives the same bits
      for (int64_t n : {1, 7, 63, 129}) {
        std::vector<real> xs((size_t)n, 0.3f), ys((size_t)n);
        kernels::vsigmoid(xs.data(), ys.data(), n);
        real one;
        kernels::vsigmoid(xs.data(), &one, 1);
        for (real v : ys) CHECK(v == one);
      }
    }
    force_portable_kernels(false);
  }

  TEST_CASE("sigmoid, tanh and exp ops give the same bits at 1 and 2 threads") {
    Generator gen(11);
    Tensor x = randn({129, 1031}, gen) * 4;  // large enough for a parallel region
    int before = num_threads();
    set_num_threads(1);
    std::vector<real> s1 = sigmoid(x).to_vector(), t1 = tanh(x).to_vector(), e1 = exp(x).to_vector();
    set_num_threads(2);
    CHECK(sigmoid(x).to_vector() == s1);
    CHECK(tanh(x).to_vector() == t1);
    CHECK(exp(x).to_vector() == e1);
    set_num_threads(before);
    CHECK_TENSOR_CLOSE(sigmoid(x.t()), sigmoid(x.t().contiguous()), 0, 0);  // a strided input is read correctly
  }

  namespace {
  // The largest error of the fast softmax row kernels against the double references, each
  // error measured against what float arithmetic can promise for that element: |y| for the
  // forward, |scale| y (|g| + sum |g| y) for the backward (whose g - dot may cancel).
  double softmax_worst(int64_t n, real scale, const real* mask, Generator& gen, bool wrong_backward = false) {
    Tensor x = randn({n}, gen) * 3, g = randn({n}, gen);
    std::vector<real> y(n), yr(n), dx(n), dxr(n);
    kernels::softmax_row(x.data(), y.data(), n, scale, mask);
    kernels::softmax_row_ref(x.data(), yr.data(), n, scale, mask);
    kernels::softmax_backward_row(yr.data(), g.data(), dx.data(), n, scale, mask);
    if (wrong_backward)  // the backward without its "- sum(g * y)" term
      for (int64_t j = 0; j < n; ++j) dx[j] = !mask || mask[j] != 0 ? scale * yr[j] * g.data()[j] : 0;
    kernels::softmax_backward_row_ref(yr.data(), g.data(), dxr.data(), n, scale, mask);
    std::vector<double> s((size_t)n);  // the scores the softmax sees
    double bound_dot = 0, worst = 0, top = -1e30;
    for (int64_t j = 0; j < n; ++j) {
      s[j] = !mask || mask[j] != 0 ? (double)scale * x.data()[j] : -1e9;
      top = std::max(top, s[j]);
      bound_dot += std::fabs((double)g.data()[j]) * yr[j];
    }
    for (int64_t j = 0; j < n; ++j) {
      // float rounds scale * x_j, so e^(s_j - max) carries a relative error of about 2^-24 |s_j - max|
      double spread = 1 + std::fabs(s[j] - top) / 4;
      worst = std::max(worst, std::fabs((double)y[j] - yr[j]) / std::max((double)yr[j] * spread, 1e-30));
      double bound = std::fabs((double)scale) * yr[j] * (std::fabs((double)g.data()[j]) + bound_dot);
      worst = std::max(worst, std::fabs((double)dx[j] - dxr[j]) / std::max(bound, 1e-30));
    }
    return worst;
  }
  }  // namespace

  TEST_CASE("softmax rows: the fast kernels against the double references, masks, awkward lengths, both paths") {
    Generator gen(5);
    for (bool portable : {false, true}) {
      force_portable_kernels(portable);
      for (int64_t n : {1, 7, 8, 9, 63, 128, 129}) {
        std::vector<real> mask((size_t)n);
        for (int64_t j = 0; j < n; ++j) mask[j] = (j * 7 + 3) % 5 != 0 ? 1.0f : 0.0f;
        for (real scale : {1.0f, 0.125f, -2.5f})
          for (const real* m : {(const real*)nullptr, (const real*)mask.data()}) {
            INFO(std::string(portable ? "portable" : "avx2")
                 << " n=" << n << " scale=" << scale << std::string(m ? " masked" : ""));
            CHECK(softmax_worst(n, scale, m, gen) <= 1e-6);
          }
      }
      // a masked score's weight and gradient are exactly 0; a row with every score masked is uniform;
      // y may be x; a huge score does not overflow
      std::vector<real> x = {1, 2, 3, 4, 5, 6, 7, 8, 1e30f}, mask = {1, 0, 1, 1, 0, 1, 1, 1, 1}, none(9, 0.0f),
                        g(9, 1.0f);
      std::vector<real> y(9), dx(9);
      kernels::softmax_row(x.data(), y.data(), 9, 1, mask.data());
      CHECK(y[1] == 0);
      CHECK(y[4] == 0);
      CHECK(y[8] == 1);
      kernels::softmax_backward_row(y.data(), g.data(), dx.data(), 9, 1, mask.data());
      CHECK(dx[1] == 0);
      kernels::softmax_row(x.data(), y.data(), 9, 1, none.data());
      for (real v : y) CHECK(v == doctest::Approx(1.0 / 9).epsilon(1e-6));
      std::vector<real> inplace = x;
      kernels::softmax_row(inplace.data(), inplace.data(), 8, 0.5f, nullptr);
      kernels::softmax_row(x.data(), y.data(), 8, 0.5f, nullptr);
      for (int j = 0; j < 8; ++j) CHECK(inplace[j] == y[j]);
    }
    force_portable_kernels(false);
  }

  TEST_CASE("the softmax check fails on a backward without its - sum(g * y) term") {
    Generator gen(6);
    CHECK(softmax_worst(63, 1, nullptr, gen, /*wrong_backward=*/true) > 1e-3);
  }

  TEST_CASE("softmax and scaled_masked_softmax give the same bits at 1 and 2 threads, and match the composed ops") {
    Generator gen(12);
    Tensor x = (randn({8, 64, 129}, gen) * 3).requires_grad_(), g = randn({8, 64, 129}, gen);
    Tensor mask = Tensor::zeros({64, 129});
    for (int64_t t = 0; t < 64; ++t)
      for (int64_t s = 0; s <= t; ++s) mask.data()[t * 129 + s] = 1;
    auto run = [&](bool masked) {
      x.zero_grad();
      Tensor y = masked ? scaled_masked_softmax(x, 0.3f, mask) : softmax(x, -1);
      y.backward(g);
      return std::make_pair(y.to_vector(), x.grad().to_vector());
    };
    int before = num_threads();
    for (bool masked : {false, true}) {
      set_num_threads(1);
      auto one = run(masked);
      set_num_threads(2);
      CHECK(run(masked) == one);
    }
    set_num_threads(before);
    // the one-pass op against softmax(where(mask, x * scale, -1e9)) written with ops
    x.zero_grad();
    Tensor y = scaled_masked_softmax(x, 0.3f, mask);
    y.backward(g);
    Tensor fused_grad = x.grad().clone();
    x.zero_grad();
    Tensor z = softmax(where(mask, x * 0.3f, Tensor::full({}, (real)-1e9)), -1);
    z.backward(g);
    CHECK_TENSOR_CLOSE(y, z, 1e-6, 1e-5);
    CHECK_TENSOR_CLOSE(fused_grad, x.grad(), 1e-6, 1e-5);
    CHECK_THROWS_WITH_AS(scaled_masked_softmax(x, 1, Tensor::ones({3, 129})), doctest::Contains("mask"), Error);
  }

  TEST_CASE("gemm_packed matches gemm_ref on awkward shapes, several K slices, both kernels, 1 and 2 threads") {
    Generator gen(12);
    for (int64_t M : {1, 7, 64, 129})
      for (int64_t N : {1, 17, 1024})
        for (int64_t K : {1, 63, 600})
          for (int tb = 0; tb < 2; ++tb) {
            INFO("M=" << M << " N=" << N << " K=" << K << " transposed B=" << tb);
            Tensor A = randn({M, K}, gen), B = randn({K, N}, gen), Bt = B.t().contiguous();
            const real* pb = tb ? Bt.data() : B.data();
            int64_t rsb = tb ? 1 : N, csb = tb ? K : 1;
            std::vector<real> c1((size_t)(M * N), 2);
            kernels::gemm_ref(M, N, K, A.data(), K, 1, pb, rsb, csb, c1.data(), N, true);  // once per product
            on_each_kernel_and_thread_count([&](const char* kernel, int threads) {
              INFO(std::string(kernel) << " threads=" << threads);
              std::vector<real> c2((size_t)(M * N), 2);
              kernels::PackedB packed = kernels::pack_b(K, N, pb, rsb, csb);
              kernels::gemm_packed(M, A.data(), K, 1, packed, c2.data(), N, true);
              CHECK_TENSOR_CLOSE(T(c2, {M, N}), T(c1, {M, N}), 1e-3, 1e-4);
            });
          }
    // Panels packed for one kernel (side by side in fours for the AVX-512 tile, or one by one)
    // and multiplied by another: the product reads the layout the panels record.
    for (CpuCapability pack_level : {CpuCapability::avx512, CpuCapability::avx2})
      for (CpuCapability run_level : {CpuCapability::avx512, CpuCapability::avx2, CpuCapability::portable}) {
        if (pack_level > cpu_best_capability() || run_level > cpu_best_capability()) continue;
        const int64_t M = 13, N = 70, K = 100;
        INFO("packed for " << std::string(cpu_capability_name(pack_level)) << ", run on "
                           << std::string(cpu_capability_name(run_level)));
        Tensor A = randn({M, K}, gen), B = randn({K, N}, gen);
        std::vector<real> c1((size_t)(M * N)), c2((size_t)(M * N));
        kernels::gemm_ref(M, N, K, A.data(), K, 1, B.data(), N, 1, c1.data(), N, false);
        set_cpu_capability_limit(pack_level);
        kernels::PackedB packed = kernels::pack_b(K, N, B.data(), N, 1);
        set_cpu_capability_limit(run_level);
        kernels::gemm_packed(M, A.data(), K, 1, packed, c2.data(), N, false);
        force_portable_kernels(false);
        CHECK_TENSOR_CLOSE(T(c2, {M, N}), T(c1, {M, N}), 1e-3, 1e-4);
      }
  }

  TEST_CASE("the kernels named match the CPU: x86-64 reports what it detects, other CPUs run the portable loops") {
    const CpuCapability best = cpu_best_capability();
    MESSAGE("this CPU: " << std::string(cpu_capability_name(best))
                         << ", gemm tile: " << std::string(kernels::gemm_kernel_name()));
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
    // A second opinion: the flags Linux lists for the CPU (it drops the ones the OS does not save).
    std::ifstream info("/proc/cpuinfo");
    std::string line;
    while (std::getline(info, line) && line.rfind("flags", 0) != 0) {}
    if (line.rfind("flags", 0) != 0) {
      MESSAGE("skipped the flag comparison: no /proc/cpuinfo here");
    } else {
      line += ' ';
      auto has = [&](const char* flag) { return line.find(' ' + std::string(flag) + ' ') != std::string::npos; };
      CHECK(best == (!(has("avx2") && has("fma")) ? CpuCapability::portable
                     : has("avx512f")             ? CpuCapability::avx512
                                                  : CpuCapability::avx2));
    }
#else
    CHECK(best == CpuCapability::portable);  // make arm-check runs this on aarch64
#endif
    const CpuCapability level = parse_isa(std::getenv("CADENZA_ISA"), best);  // the best, unless forced
    const char* tile = level == CpuCapability::avx512 ? "avx512 6x64"
                       : level == CpuCapability::avx2 ? "avx2-fma 6x16"
                                                      : "portable 6x16";
    CHECK(std::string(kernels::gemm_kernel_name()) == tile);
    set_cpu_capability_limit(CpuCapability::portable);  // a lower limit is what the kernels then report
    CHECK(std::string(kernels::gemm_kernel_name()) == "portable 6x16");
    force_portable_kernels(false);
    CHECK(cpu_capability() == level);
  }

  TEST_CASE("CADENZA_ISA forces a level, and a level the CPU lacks or an unknown name is a clear error") {
    CHECK(parse_isa(nullptr, CpuCapability::avx2) == CpuCapability::avx2);  // unset: the best
    CHECK(parse_isa("", CpuCapability::avx512) == CpuCapability::avx512);
    CHECK(parse_isa("portable", CpuCapability::avx512) == CpuCapability::portable);
    CHECK(parse_isa("avx2", CpuCapability::avx512) == CpuCapability::avx2);
    CHECK(parse_isa("avx512", CpuCapability::avx512) == CpuCapability::avx512);
    CHECK_THROWS_WITH_AS(parse_isa("avx512", CpuCapability::avx2),
                         doctest::Contains("this CPU cannot run the avx512 kernels: the best it has is avx2"), Error);
    CHECK_THROWS_WITH_AS(parse_isa("AVX2", CpuCapability::avx512), doctest::Contains("unknown SIMD level 'AVX2'"),
                         Error);
    // The process's own CADENZA_ISA (tests/cli/messages.sh runs the bench under each value and
    // checks the kernel it reports): whatever it says, this run's level is the one it names.
    CHECK(cpu_capability() == parse_isa(std::getenv("CADENZA_ISA"), cpu_best_capability()));
  }

  TEST_CASE("the AVX-512 tiles give the same bits as the AVX2 tiles; the check fails on the portable loops") {
    if (cpu_capability() < CpuCapability::avx512) {  // (or CADENZA_ISA chose a lower level)
      MESSAGE("skipped: this CPU has no AVX-512 (the AVX2 and portable paths are tested above)");
      return;
    }
    Generator gen(14);
    // With small K, N = 48, 64, 80 and 256 take the wide tile (B read in place), with 3, 4,
    // 4 + 1 and 4 + 4 panels, on A read in place in tiles of 4 rows: M = 64, 66, 7 and 129 end
    // in 4, 2, 3 and 1 rows. N = 70, 129 and K = 300, 600 take panels packed in fours, in several
    // K slices, with a right edge of 6 and 1 columns (the 6 x 16 tile); 130 and 131 x 64 x 600
    // take the 6 x 64 tile on packed slivers of A (more than 128 rows), in three K slices, ending
    // in 4 and 5 rows. In one slice, the 6 x 64 tile reads panels packed side by side in fours: 20 x 1000
    // x 64 is 62 whole panels and one of 8 columns (the 6 x 16 tile), split between 2 or 3
    // threads at panels that are not multiples of four; 100 x 250 x 128 ends in a panel of 10.
    // Both tiles run with the same blocks (each level's own rule slices K differently, and a
    // sum over other slices rounds differently): the 6 x 16 tile's blocks on a 32 KB L1.
    const kernels::GemmBlocking same{256, 512, 96};
    kernels::set_gemm_blocking(&same);
    auto product = [&](CpuCapability level, const Tensor& A, const Tensor& B, bool accumulate) {
      set_cpu_capability_limit(level);
      const int64_t M = A.size(0), K = A.size(1), N = B.size(1);
      std::vector<real> c((size_t)(M * N), 0.5f);
      kernels::gemm(M, N, K, A.data(), K, 1, B.data(), N, 1, c.data(), N, accumulate);
      force_portable_kernels(false);
      return c;
    };
    const int before = num_threads();
    bool portable_differs = false;
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      for (const std::array<int64_t, 3>& shape : std::vector<std::array<int64_t, 3>>{{64, 48, 64},
                                                                                     {64, 64, 64},
                                                                                     {66, 64, 64},
                                                                                     {7, 80, 100},
                                                                                     {129, 256, 32},
                                                                                     {130, 64, 600},
                                                                                     {131, 64, 600},
                                                                                     {64, 70, 600},
                                                                                     {200, 129, 300},
                                                                                     {20, 1000, 64},
                                                                                     {100, 250, 128}})
        for (bool accumulate : {false, true}) {
          const int64_t M = shape[0], N = shape[1], K = shape[2];  // not a structured binding: INFO captures them
          INFO(M << " x " << N << " x " << K << std::string(accumulate ? " accumulate" : "") << ", " << threads
                 << " thread(s)");
          Tensor A = randn({M, K}, gen), B = randn({K, N}, gen);
          std::vector<real> wide = product(CpuCapability::avx512, A, B, accumulate);
          CHECK(wide == product(CpuCapability::avx2, A, B, accumulate));
          portable_differs |= wide != product(CpuCapability::portable, A, B, accumulate);
        }
    }
    set_num_threads(before);
    kernels::set_gemm_blocking(nullptr);
    CHECK(portable_differs);  // no fused multiply-add there: the bit comparison can fail
  }

  TEST_CASE("sum over leading axes (the bias-gradient path) gives the same bits as the general path") {
    Generator gen(13);
    Tensor x = randn({37, 5, 1500}, gen);
    int before = num_threads();
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      // leading axes of a compact tensor take the column path; a permuted copy takes the row path
      std::vector<real> fast = sum(x, {0, 1}).to_vector();
      std::vector<real> general = sum(x.permute({2, 0, 1}).contiguous(), {1, 2}).to_vector();
      CHECK(fast == general);
      CHECK(sum(x, {0}).shape() == Shape{5, 1500});
      CHECK(sum(x, {0}, true).shape() == Shape{1, 5, 1500});
    }
    set_num_threads(before);
  }

}  // TEST_SUITE

TEST_CASE("the Mersenne Twister gives std::mt19937_64's stream, one at a time or in blocks, on both paths") {
  for (bool portable : {false, true}) {
    force_portable_kernels(portable);
    INFO(std::string(portable ? "portable" : "avx2") << " twist and tempering");
    for (uint64_t seed : {0ULL, 5489ULL, 20261121ULL, ~0ULL}) {
      std::mt19937_64 want(seed);
      MT19937_64 mt(seed);
      std::vector<uint64_t> block(700 + 624);
      bool same = true;
      // One at a time, then blocks of awkward sizes that straddle the 312-word twists.
      for (int i = 0; i < 1000; ++i) same &= mt() == want();
      // The kernel (AVX2 or portable) and the scalar fill take turns on the same state.
      for (int64_t n : {1, 3, 311, 312, 313, 700, 0, 5, 624, 2}) {
        if (n % 2) mt.fill(block.data(), n);
        else kernels::mt19937_fill(mt, block.data(), n);
        for (int64_t i = 0; i < n; ++i) same &= block[(size_t)i] == want();
      }
      CHECK_MESSAGE(same, "seed " << seed);
    }
    // The check can fail: a neighbouring seed gives another stream.
    std::mt19937_64 other(6);
    MT19937_64 mt(5);
    bool all_same = true;
    for (int i = 0; i < 100; ++i) all_same &= mt() == other();
    CHECK_FALSE(all_same);
  }
  force_portable_kernels(false);
}

TEST_CASE("bernoulli draws one uniform per element in order, on both paths") {
  for (bool portable : {false, true}) {
    force_portable_kernels(portable);
    for (int64_t n : {1, 7, 511, 512, 513, 2000}) {
      INFO(std::string(portable ? "portable" : "avx2") << " n=" << n);
      Generator g(3), ref(3), pg(4);
      Tensor p = rand({n}, pg);
      std::vector<real> want((size_t)n), pv = p.to_vector();
      for (int64_t i = 0; i < n; ++i) want[(size_t)i] = ref.uniform_real() < pv[(size_t)i] ? real(1) : real(0);
      CHECK(bernoulli(p, g).to_vector() == want);
      CHECK(g.next_u64() == ref.next_u64());  // and leaves the generator where the loop would
    }
  }
  force_portable_kernels(false);
  Generator g(1), same(1);
  expect_error([&] { bernoulli(T({0.5, 1.5}, {2}), g); }, {"[bernoulli]", "1.5", "flat index 1", "outside [0, 1]"});
  // A bad probability found blocks in (NaN too) leaves the generator as it was.
  Tensor late = Tensor::full({1300}, 0.5);
  late.data()[1100] = std::numeric_limits<real>::quiet_NaN();
  expect_error([&] { bernoulli(late, g); }, {"[bernoulli]", "nan", "flat index 1100"});
  CHECK(g.next_u64() == same.next_u64());
}
