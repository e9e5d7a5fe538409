// Graded exercises of chapter 1 (docs/01-tensors.md): views, reductions.
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;

GRADE("1.1", 3, 30, "flip(a, dim) as a view with a negative stride") {
  Tensor a = Tensor::arange(24).reshape({2, 3, 4});
  Tensor f = flip(a, 2);
  CHECK(f.shape() == Shape{2, 3, 4});
  CHECK(f.impl()->storage == a.impl()->storage);  // a view: no copy
  CHECK(f.strides()[2] == -1);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k) CHECK(f.at({i, j, k}) == a.at({i, j, 3 - k}));
  Tensor g = flip(a.permute({2, 0, 1}).slice(0, 1, 4, 2), -2);  // a view of a view, a negative dim
  CHECK_TENSOR_CLOSE(g.contiguous(), T({13, 17, 21, 1, 5, 9, 15, 19, 23, 3, 7, 11}, {2, 2, 3}), 0, 0);
  CHECK_TENSOR_CLOSE(flip(flip(a, 0), 0), a, 0, 0);
  Tensor x = Tensor::arange(5).requires_grad_();
  sum(flip(x, 0) * Tensor::arange(5)).backward();  // d/dx_i = 4 - i
  CHECK_TENSOR_CLOSE(x.grad(), T({4, 3, 2, 1, 0}, {5}), 0, 0);
}

GRADE("1.2", 2, 15, "split(a, size, dim) into views") {
  Tensor a = Tensor::arange(14).reshape({7, 2});
  std::vector<Tensor> parts = split(a, 3, 0);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].shape() == Shape{3, 2});
  CHECK(parts[2].shape() == Shape{1, 2});  // the last part is shorter
  CHECK(parts[1].impl()->storage == a.impl()->storage);
  CHECK_TENSOR_CLOSE(parts[1], T({6, 7, 8, 9, 10, 11}, {3, 2}), 0, 0);
  std::vector<Tensor> cols = split(a, 1, -1);
  REQUIRE(cols.size() == 2);
  CHECK_TENSOR_CLOSE(cols[1].reshape({7}), T({1, 3, 5, 7, 9, 11, 13}, {7}), 0, 0);
}

GRADE("1.3", 2, 20, "logsumexp that does not overflow") {
  CHECK(logsumexp(T({1000, 1000}, {2}), {0}, false).item() == doctest::Approx(1000 + std::log(2.0)));
  CHECK(logsumexp(T({-1000, -1000}, {2}), {0}, false).item() == doctest::Approx(-1000 + std::log(2.0)));
  Tensor x = T({0.5f, -1, 2, 3, 0, -2}, {2, 3});
  Tensor want = log(sum(exp(x), {1}));
  CHECK_TENSOR_CLOSE(logsumexp(x, {1}, false), want, 1e-5, 1e-5);
  CHECK_TENSOR_CLOSE(logsumexp(x, {0}, true), log(sum(exp(x), {0}, true)), 1e-5, 1e-5);
  real ninf = -std::numeric_limits<real>::infinity();
  CHECK(logsumexp(T({ninf, ninf}, {2}), {0}, false).item() == ninf);  // log(0), not NaN
}

GRADE("1.4", 2, 15, "var from mean, sub, mul and sum") {
  Tensor x = T({1, 2, 3, 4, 10, 20, 30, 40}, {2, 4});
  CHECK_TENSOR_CLOSE(var(x, {1}, true, false), T({5.0f / 3, 500.0f / 3}, {2}), 1e-4, 1e-5);
  CHECK_TENSOR_CLOSE(var(x, {1}, false, false), T({1.25f, 125}, {2}), 1e-4, 1e-5);
  CHECK_TENSOR_CLOSE(var(x, {0}, false, true), T({20.25f, 81, 182.25f, 324}, {1, 4}), 1e-3, 1e-5);
  Tensor v = x.requires_grad_();
  sum(var(v, {1}, false, false)).backward();  // d var / dx_i = 2 (x_i - mean) / n
  CHECK_TENSOR_CLOSE(v.grad(), T({-0.75f, -0.25f, 0.25f, 0.75f, -7.5f, -2.5f, 2.5f, 7.5f}, {2, 4}), 1e-5, 1e-5);
}
