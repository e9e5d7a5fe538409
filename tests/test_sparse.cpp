// Chapter 11 tests for 0/1 matrices: the index of the ones (binary_csr, transpose),
// the spmm kernel against its reference on awkward shapes and densities, on both
// paths and at 1 and 2 threads, and the BinaryMatrix op against the dense matmul.
// docs/11-making-it-fast.md ("Use the data's structure"); the RBM uses it (docs/07).
#include "tests/helpers.h"

#include "engine/core/cpu.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/spmm.h"

using namespace cadenza;
using namespace testing;

namespace {
// A (rows, cols) matrix of 0s and 1s, each 1 with probability p.
Tensor ones_with(double p, int64_t rows, int64_t cols, Generator& gen) {
  return bernoulli(Tensor::full({rows, cols}, (real)p), gen);
}

// Worst |spmm - dense product| / (1 + |dense|) over the output, the dense product
// summed in double; `wrong` drops each row's last one, to show the check can fail.
double spmm_worst(const Tensor& a, const Tensor& b, real alpha, bool wrong = false) {
  kernels::BinaryCSR csr;
  REQUIRE(kernels::binary_csr(a.data(), a.size(0), a.size(1), csr) == -1);
  if (wrong)
    for (int64_t i = 0; i < csr.rows; ++i)
      if (csr.crow_indices[(size_t)i + 1] > csr.crow_indices[(size_t)i])
        csr.col_indices[(size_t)csr.crow_indices[(size_t)i + 1] - 1] = 0;
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  std::vector<real> c((size_t)(m * n), -7);
  kernels::spmm(csr, b.data(), n, n, alpha, c.data(), n);
  const real *pa = a.data(), *pb = b.data();  // (Tensor::data() checks the layout: not per element)
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double d = 0;
      for (int64_t q = 0; q < k; ++q) d += (double)pa[i * k + q] * pb[q * n + j];
      worst = std::max(worst, std::fabs(c[(size_t)(i * n + j)] - alpha * d) / (1 + std::fabs(alpha * d)));
    }
  return worst;
}
}  // namespace

TEST_SUITE("ch11-fast") {
  TEST_CASE("binary_csr finds every one in order, and the first value that is neither 0 nor 1") {
    Generator gen(21);
    for (int64_t cols : {1, 7, 8, 9, 63, 129})
      for (double p : {0.0, 0.05, 0.5, 1.0}) {
        INFO("cols=" << cols << " p=" << p);
        Tensor a = ones_with(p, 5, cols, gen);
        on_each_kernel_and_thread_count([&](const char* kernel, int) {
          INFO(std::string(kernel));
          kernels::BinaryCSR csr;
          REQUIRE(kernels::binary_csr(a.data(), 5, cols, csr) == -1);
          std::vector<int32_t> want;
          std::vector<int64_t> crow = {0};
          const real* pa = a.data();
          for (int64_t i = 0; i < 5; ++i) {
            for (int64_t j = 0; j < cols; ++j)
              if (pa[i * cols + j] == 1) want.push_back((int32_t)j);
            crow.push_back((int64_t)want.size());
          }
          CHECK(csr.col_indices == want);
          CHECK(csr.crow_indices == crow);
          // the transpose, and the transpose of the transpose
          kernels::BinaryCSR t = kernels::transpose(csr), tt = kernels::transpose(t);
          CHECK(tt.col_indices == csr.col_indices);
          CHECK(tt.crow_indices == csr.crow_indices);
          CHECK(BinaryMatrix{cols, 5, std::make_shared<kernels::BinaryCSR>(t)}.to_dense().to_vector() ==
                a.t().contiguous().to_vector());
        });
      }
    // a stray value anywhere (first element, inside a block of 8, in the tail) is found, on both paths
    for (bool portable : {false, true}) {
      force_portable_kernels(portable);
      for (int64_t at : {0, 5, 8, 20, 21}) {  // of 2 x 11: block, tail, last
        for (real bad : {0.5f, -1.0f, 2.0f, std::numeric_limits<real>::quiet_NaN()}) {
          Tensor a = Tensor::zeros({2, 11});
          a.data()[at] = bad;
          kernels::BinaryCSR csr;
          CHECK(kernels::binary_csr(a.data(), 2, 11, csr) == at);
        }
      }
      Tensor full = Tensor::ones({4, 9});
      kernels::BinaryCSR csr;
      CHECK(kernels::binary_csr(full.data(), 4, 9, csr, /*max_ones=*/35) == -2);
      CHECK(kernels::binary_csr(full.data(), 4, 9, csr, /*max_ones=*/36) == -1);
    }
    force_portable_kernels(false);
  }

  TEST_CASE("binary_csr in parallel: blocks of short rows, the first stray value, too many ones") {
    // Rows of 9 with 5% ones: a row's ones are often fewer than the 8 lanes write_ones_avx2
    // stores, so its spare lanes reach several rows on, up to the next thread's block.
    Generator gen(24);
    struct Case {
      int64_t rows, cols;
      double p;
    };
    for (const Case& c : {Case{9000, 9, 0.05}, Case{9000, 9, 0.5}, Case{700, 129, 0.02}}) {
      const int64_t rows = c.rows, cols = c.cols;  // (a lambda cannot capture a structured binding in C++17)
      const double p = c.p;
      Tensor a = ones_with(p, rows, cols, gen);
      std::vector<int32_t> want;
      std::vector<int64_t> crow = {0};
      const real* pa = a.data();
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j)
          if (pa[i * cols + j] == 1) want.push_back((int32_t)j);
        crow.push_back((int64_t)want.size());
      }
      on_each_kernel_and_thread_count([&](const char* kernel, int threads) {
        INFO(std::string(kernel) << " threads=" << threads << " rows=" << rows << " cols=" << cols << " p=" << p);
        for (int rep = 0; rep < 5; ++rep) {  // a race would show in some runs
          kernels::BinaryCSR csr;
          REQUIRE(kernels::binary_csr(a.data(), rows, cols, csr) == -1);
          CHECK(csr.col_indices == want);
          CHECK(csr.crow_indices == crow);
        }
        const int64_t nnz = (int64_t)want.size();
        kernels::BinaryCSR csr;
        CHECK(kernels::binary_csr(a.data(), rows, cols, csr, nnz - 1) == -2);
        CHECK(kernels::binary_csr(a.data(), rows, cols, csr, nnz) == -1);
        // stray values in both halves: the first one is reported
        Tensor b = a.clone();
        b.data()[(rows - 10) * cols + 3] = 0.5f;
        b.data()[(rows / 2 + 1) * cols + 1] = 2;
        CHECK(kernels::binary_csr(b.data(), rows, cols, csr) == (rows / 2 + 1) * cols + 1);
        b.data()[3 * cols] = -1;
        CHECK(kernels::binary_csr(b.data(), rows, cols, csr) == 3 * cols);
      });
    }
  }

  TEST_CASE("spmm: the same bits as spmm_ref on awkward shapes and densities, both paths, 1 and 2 threads") {
    Generator gen(22);
    for (int64_t m : {1, 7, 129})
      for (int64_t k : {1, 9, 300})
        for (int64_t n : {1, 7, 8, 9, 50, 63, 64, 65, 129, 300})
          for (double p : {0.0, 0.05, 0.5, 1.0}) {
            Tensor a = ones_with(p, m, k, gen), b = randn({k, n}, gen);
            kernels::BinaryCSR csr;
            REQUIRE(kernels::binary_csr(a.data(), m, k, csr) == -1);
            std::vector<real> ref((size_t)(m * n));
            kernels::spmm_ref(csr, b.data(), n, n, 0.25f, ref.data(), n);
            on_each_kernel_and_thread_count([&](const char* kernel, int threads) {
              INFO(std::string(kernel) << " threads=" << threads << " m=" << m << " k=" << k << " n=" << n
                                       << " p=" << p);
              std::vector<real> c((size_t)(m * n), -7);
              kernels::spmm(csr, b.data(), n, n, 0.25f, c.data(), n);
              CHECK(c == ref);
            });
            if (m == 129 && k == 300 && (n == 65 || n == 300)) {
              INFO("m=" << m << " k=" << k << " n=" << n << " p=" << p);
              CHECK(spmm_worst(a, b, 0.25f) <= 1e-5);  // float sums of up to 300 terms
            }
          }
    // rows of b and c further apart than n (a slice of a wider matrix)
    Tensor a = ones_with(0.3, 6, 40, gen), b = randn({40, 30}, gen);
    kernels::BinaryCSR csr;
    kernels::binary_csr(a.data(), 6, 40, csr);
    std::vector<real> wide((size_t)(6 * 32), -7), compact((size_t)(6 * 20));
    kernels::spmm(csr, b.data() + 5, 30, 20, 1, wide.data(), 32);
    kernels::spmm_ref(csr, b.data() + 5, 30, 20, 1, compact.data(), 20);
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j < 20; ++j) CHECK(wide[(size_t)(i * 32 + j)] == compact[(size_t)(i * 20 + j)]);
      for (int j = 20; j < 32; ++j) CHECK(wide[(size_t)(i * 32 + j)] == -7);  // untouched past n
    }
  }

  TEST_CASE("the spmm check fails on a kernel that drops a one") {
    Generator gen(23);
    Tensor a = ones_with(0.3, 20, 50, gen), b = randn({50, 33}, gen);
    CHECK(spmm_worst(a, b, 1) <= 1e-5);
    CHECK(spmm_worst(a, b, 1, /*wrong=*/true) > 1e-2);
  }

  TEST_CASE("matmul of a BinaryMatrix equals the dense matmul; views, alpha, errors") {
    Generator gen(24);
    Tensor x = ones_with(0.05, 100, 2340, gen), w = randn({2340, 50}, gen) * 0.1f, h = ones_with(0.5, 100, 50, gen);
    BinaryMatrix xs = to_binary(x);
    CHECK(xs.rows == 100);
    CHECK(xs.cols == 2340);
    CHECK(xs.density() == doctest::Approx(0.05).epsilon(0.1));
    CHECK_TENSOR_CLOSE(matmul(xs, w), matmul(x, w), 1e-5, 1e-5);
    CHECK_TENSOR_CLOSE(matmul(xs, w, 0.01f), matmul(x, w) * 0.01f, 1e-6, 1e-5);
    // a^T h, from the index's transpose and from a transposed view (read in stored order)
    CHECK_TENSOR_CLOSE(matmul(xs.t(), h), matmul(x.t(), h), 1e-5, 1e-5);
    CHECK(to_binary(x.t()).to_dense().to_vector() == x.t().contiguous().to_vector());
    CHECK(matmul(to_binary(x.t()), h).to_vector() == matmul(xs.t(), h).to_vector());
    // a right operand that is a transposed view (the RBM's W^T), and a slice
    Tensor wt = randn({50, 2340}, gen);
    CHECK_TENSOR_CLOSE(matmul(to_binary(h), wt.t().t()), matmul(h, wt), 1e-5, 1e-5);
    CHECK_TENSOR_CLOSE(matmul(xs, w.slice(1, 3, 20)), matmul(x, w.slice(1, 3, 20)), 1e-5, 1e-5);
    // the same bits at 1 and 2 threads
    int before = num_threads();
    set_num_threads(1);
    std::vector<real> one = matmul(xs.t(), h).to_vector();
    set_num_threads(2);
    CHECK(matmul(xs.t(), h).to_vector() == one);
    set_num_threads(before);
    // try_binary: nothing for probabilities, or above the density asked for
    CHECK(try_binary(x));
    CHECK_FALSE(try_binary(x * 0.5f));
    CHECK_FALSE(try_binary(h, 0.3));
    CHECK(try_binary(x, 0.3));
    // errors name the op, the problem and a hint
    Tensor p = x.clone();
    p.data()[3 * 2340 + 7] = 0.25f;
    CHECK_THROWS_WITH_AS(to_binary(p), doctest::Contains("element [3, 7] is 0.25, not 0 or 1"), Error);
    CHECK_THROWS_WITH_AS(to_binary(Tensor::zeros({4})), doctest::Contains("2-d"), Error);
    CHECK_THROWS_WITH_AS(matmul(xs, randn({50, 2340}, gen)),
                         doctest::Contains("the right operand must be 2-d with 2340 rows"), Error);
    CHECK_THROWS_WITH_AS(matmul(BinaryMatrix{}, w), doctest::Contains("to_binary"), Error);
  }

  TEST_CASE("matmul of a BinaryMatrix: the gradient reaches the dense operand") {
    Generator gen(25);
    Tensor a = ones_with(0.4, 6, 9, gen), b = randn({9, 5}, gen).requires_grad_(), g = randn({6, 5}, gen);
    matmul(to_binary(a), b, 0.5f).backward(g);
    Tensor sparse_grad = b.grad().clone();
    b.zero_grad();
    (matmul(a, b) * 0.5f).backward(g);
    CHECK_TENSOR_CLOSE(sparse_grad, b.grad(), 1e-6, 1e-5);
  }

}  // TEST_SUITE
