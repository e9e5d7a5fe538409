// helpers.h: shared test helpers: tensor comparison with a useful report, error
// expectations, and where the fixtures and the shared data live. Every suite uses
// them; chapter 3 (docs/03-gradcheck-and-debugging.md) explains the checks.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "engine/cadenza.h"
#include "engine/core/cpu.h"

namespace testing {
using namespace cadenza;

// Compares element-wise within atol + rtol*|b|; on failure reports the shapes,
// the first mismatches and the largest difference (like llm.c's check_tensor).
inline std::string tensor_mismatch(const Tensor& a, const Tensor& b, double atol, double rtol) {
  if (a.shape() != b.shape()) return "shape " + shape_str(a.shape()) + " vs " + shape_str(b.shape());
  std::vector<real> x = a.to_vector(), y = b.to_vector();
  std::string report;
  double worst = 0;
  int shown = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double d = std::fabs((double)x[i] - (double)y[i]);
    bool bad = !(d <= atol + rtol * std::fabs((double)y[i]));
    if (bad || std::isnan(d)) {
      worst = std::max(worst, d);
      if (shown++ < 4) report += str("  [", i, "] ", (double)x[i], " vs ", (double)y[i], "\n");
    }
  }
  if (report.empty()) return "";
  return str(shown, " of ", x.size(), " elements differ, max diff ", worst, "\n", report);
}

#define CHECK_TENSOR_CLOSE(a, b, atol, rtol)                                    \
  do {                                                                          \
    std::string mismatch_ = testing::tensor_mismatch((a), (b), (atol), (rtol)); \
    CHECK_MESSAGE(mismatch_.empty(), mismatch_);                                \
  } while (0)

// Runs f, expecting a cadenza::Error whose message contains every fragment.
template <class F>
void expect_error(F f, std::initializer_list<const char*> fragments) {
  try {
    f();
    FAIL("expected a cadenza::Error, but nothing was thrown");
  } catch (const cadenza::Error& e) {
    std::string msg = e.what();
    for (const char* frag : fragments)
      CHECK_MESSAGE(msg.find(frag) != std::string::npos, "message: " << msg << "\n  lacks: " << frag);
  }
}

inline Tensor T(std::vector<real> v, Shape s) { return Tensor::from_vector(v, s); }

inline std::string fixture(const std::string& name) { return "tests/fixtures/" + name; }

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::string(ci) != "0" && std::string(ci) != "false";
}

// Where ../shared/data is, or "" (tests then skip with a message, but never under CI).
inline std::string shared_data() {
  const char* env = std::getenv("CADENZA_SHARED");
  std::string dir = env ? env : "../shared/data";
  FILE* f = std::fopen((dir + "/jsb_chorales/README.md").c_str(), "r");
  if (f) {
    std::fclose(f);
    return dir;
  }
  return "";
}

// Prints a skip message; under CI a skip is a failure.
inline void skip_or_fail(const std::string& why) {
  if (under_ci()) FAIL("required under CI but unavailable: " << why);
  else MESSAGE("skipped: " << why);
}

// Runs fn(label, threads) on every SIMD level this CPU has ("avx512", "avx2",
// "portable"), each at 1 and 2 threads (chapter 11: every fast kernel is checked on
// each path, at 1 and N threads); then restores the defaults.
template <class F>
void on_each_kernel_and_thread_count(F fn) {
  const int before = num_threads();
  for (CpuCapability level : {CpuCapability::avx512, CpuCapability::avx2, CpuCapability::portable}) {
    if (level > cpu_best_capability()) continue;
    for (int threads : {1, 2}) {
      set_cpu_capability_limit(level);
      set_num_threads(threads);
      fn(cpu_capability_name(level), threads);
    }
  }
  force_portable_kernels(false);
  set_num_threads(before);
}

// One scratch directory per test binary run, removed (with everything the tests wrote in
// it) when the binary exits, so runs leave nothing behind in /tmp.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/tmp/cadenza-test-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("[tests] cannot create a scratch directory in /tmp");
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;  // never throw from a destructor; a leftover is only untidy
    std::filesystem::remove_all(path, ec);
  }
};
inline std::string tmpdir() {
  static ScratchDir dir;
  return dir.path;
}

}  // namespace testing
