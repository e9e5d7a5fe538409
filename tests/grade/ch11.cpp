// Graded exercises of chapter 11 (docs/11-making-it-fast.md): the readable rungs of the
// ladder. Each is checked against the definition written here in double precision, on
// shapes that cross every block boundary, and (for gemm_blocked) at 1 and 2 threads.
#include <cmath>

#include "engine/core/parallel.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/spmm.h"
#include "engine/kernels/vmath.h"
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;
using namespace cadenza::kernels;

namespace {
std::vector<real> noise(size_t n, Generator& g) { return randn({(int64_t)n}, g).to_vector(); }
}  // namespace

GRADE("11.1", 4, 60, "the blocked gemm: packed panels of B, blocks of rows of C per thread") {
  Generator g(51);
  struct Shape3 {
    int64_t M, N, K;
  };
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (Shape3 s : {Shape3{1, 1, 1}, Shape3{7, 5, 3}, Shape3{65, 257, 65}, Shape3{130, 20, 129}}) {
      for (bool transposed_a : {false, true})
        for (bool accumulate : {false, true}) {
          INFO(threads << " thread(s), M=" << s.M << " N=" << s.N << " K=" << s.K << " transposed A: " << transposed_a
                       << " accumulate: " << accumulate);
          std::vector<real> A = noise((size_t)(s.M * s.K), g), B = noise((size_t)(s.K * s.N), g);
          const int64_t ldc = s.N + 3;  // C is a view with a wider row
          std::vector<real> C = noise((size_t)(s.M * ldc), g), C0 = C;
          int64_t rsa = transposed_a ? 1 : s.K, csa = transposed_a ? s.M : 1;  // A stored (K, M) when transposed
          gemm_blocked(s.M, s.N, s.K, A.data(), rsa, csa, B.data(), s.N, 1, C.data(), ldc, accumulate);
          double worst = 0;
          for (int64_t i = 0; i < s.M; ++i) {
            for (int64_t j = 0; j < s.N; ++j) {
              double want = accumulate ? C0[(size_t)(i * ldc + j)] : 0;
              for (int64_t p = 0; p < s.K; ++p)
                want += (double)A[(size_t)(i * rsa + p * csa)] * B[(size_t)(p * s.N + j)];
              worst = std::max(worst, std::fabs(want - C[(size_t)(i * ldc + j)]) / (1 + std::fabs(want)));
            }
            for (int64_t j = s.N; j < ldc; ++j)
              CHECK(C[(size_t)(i * ldc + j)] == C0[(size_t)(i * ldc + j)]);  // untouched
          }
          CHECK(worst < 1e-4);
        }
    }
  }
  set_num_threads(2);
}

GRADE("11.2", 2, 20, "the reference sparse-binary times dense product") {
  Generator g(52);
  const int64_t rows = 9, cols = 40, n = 13, ldb = 15, ldc = 17;
  std::vector<real> a((size_t)(rows * cols), 0);
  for (size_t i = 0; i < a.size(); ++i) a[i] = (i * 7 % 11 == 0) ? 1 : 0;
  for (int64_t j = 0; j < cols; ++j) a[(size_t)(4 * cols + j)] = 0;  // an empty row
  BinaryCSR csr;
  REQUIRE(binary_csr(a.data(), rows, cols, csr, rows * cols) == -1);
  std::vector<real> b = noise((size_t)(cols * ldb), g), c((size_t)(rows * ldc), 42);
  spmm_ref(csr, b.data(), ldb, n, 0.5f, c.data(), ldc);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double want = 0;
      for (int64_t k = 0; k < cols; ++k) want += a[(size_t)(i * cols + k)] * (double)b[(size_t)(k * ldb + j)];
      CHECK(c[(size_t)(i * ldc + j)] == doctest::Approx(0.5 * want).epsilon(1e-5));
    }
  CHECK(c[(size_t)(0 * ldc + n)] == 42);  // outside the n columns: untouched
}

GRADE("11.3", 2, 20, "the reference softmax of one row: scaled, masked, stable, in place") {
  std::vector<real> x = {1000, 1001, 999, -5, 3}, mask = {1, 1, 0, 1, 1};
  const real scale = 0.5f;
  std::vector<double> e;
  double top = -1e300, z = 0;
  for (size_t j = 0; j < x.size(); ++j) top = std::max(top, mask[j] ? scale * (double)x[j] : -1e300);
  for (size_t j = 0; j < x.size(); ++j) e.push_back(mask[j] ? std::exp(scale * (double)x[j] - top) : 0), z += e.back();
  std::vector<real> y(5);
  softmax_row_ref(x.data(), y.data(), 5, scale, mask.data());
  for (size_t j = 0; j < 5; ++j) CHECK(y[j] == doctest::Approx(e[j] / z).epsilon(1e-5));
  CHECK(y[2] == 0);                                    // masked: exactly zero
  softmax_row_ref(x.data(), x.data(), 5, 1, nullptr);  // in place, no mask
  double s = 0;
  for (real v : x) {
    s += v;
    CHECK(std::isfinite(v));
  }
  CHECK(s == doctest::Approx(1.0));
  CHECK(x[1] ==
        doctest::Approx(std::exp(0.0) / (1 + std::exp(-1.0) + std::exp(-2.0) + std::exp(-1006.0) + std::exp(-998.0))));
}

GRADE("11.4", 2, 20, "the reference softmax backward of one row") {
  std::vector<real> y = {0.1f, 0.2f, 0.0f, 0.3f, 0.4f}, g = {1, -2, 5, 0.5f, 3}, mask = {1, 1, 0, 1, 1}, dx(5);
  const real scale = 2;
  double dot = 0;
  for (size_t j = 0; j < 5; ++j) dot += (double)g[j] * y[j];
  softmax_backward_row_ref(y.data(), g.data(), dx.data(), 5, scale, mask.data());
  for (size_t j = 0; j < 5; ++j)
    CHECK(dx[j] == doctest::Approx(mask[j] ? scale * y[j] * (g[j] - dot) : 0.0).epsilon(1e-6));
  softmax_backward_row_ref(y.data(), g.data(), g.data(), 5, 1, nullptr);  // dx may be g
  std::vector<real> want = {(real)(0.1 * (1 - dot)), (real)(0.2 * (-2 - dot)), 0, (real)(0.3 * (0.5 - dot)),
                            (real)(0.4 * (3 - dot))};
  for (size_t j = 0; j < 5; ++j) CHECK(g[j] == doctest::Approx(want[j]).epsilon(1e-6));
}
