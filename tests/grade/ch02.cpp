// Graded exercises of chapter 2 (docs/02-autograd.md): backward passes, checked against
// derivatives worked out by hand (not with gradcheck: that is exercise 3.1).
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;

namespace {
// The (M, N) product of plain loops, and its transposes, for the expected gradients.
std::vector<double> mm(const std::vector<real>& a, const std::vector<real>& b, int64_t M, int64_t K, int64_t N, bool ta,
                       bool tb) {
  std::vector<double> c((size_t)(M * N), 0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      for (int64_t p = 0; p < K; ++p)
        c[(size_t)(i * N + j)] +=
            (double)a[(size_t)(ta ? p * M + i : i * K + p)] * b[(size_t)(tb ? j * K + p : p * N + j)];
  return c;
}
Tensor from(const std::vector<double>& v, Shape s) {
  return Tensor::from_vector(std::vector<real>(v.begin(), v.end()), s);
}
}  // namespace

GRADE("2.1", 2, 20, "div's backward, with broadcasting") {
  Generator g(1);
  Tensor a = randn({2, 3}, g).requires_grad_(), b = (rand({3}, g) + 0.5f).requires_grad_(), r = randn({2, 3}, g);
  sum(a / b * r).backward();
  std::vector<real> av = a.to_vector(), bv = b.to_vector(), rv = r.to_vector();
  std::vector<double> da(6), db(3, 0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      da[(size_t)(i * 3 + j)] = rv[(size_t)(i * 3 + j)] / bv[(size_t)j];
      db[(size_t)j] -=
          (double)rv[(size_t)(i * 3 + j)] * av[(size_t)(i * 3 + j)] / ((double)bv[(size_t)j] * bv[(size_t)j]);
    }
  CHECK_TENSOR_CLOSE(a.grad(), from(da, {2, 3}), 1e-5, 1e-4);
  CHECK_TENSOR_CLOSE(b.grad(), from(db, {3}), 1e-5, 1e-4);  // summed over the broadcast rows
}

GRADE("2.2", 1, 10, "pow's backward") {
  Tensor x = T({0.5f, 1, 2, 3}, {4}).requires_grad_();
  sum(pow(x, 3)).backward();
  CHECK_TENSOR_CLOSE(x.grad(), T({0.75f, 3, 12, 27}, {4}), 1e-5, 1e-5);
  Tensor y = T({0.25f, 4}, {2}).requires_grad_();
  sum(pow(y, 0.5f) * T({2, 3}, {2})).backward();
  CHECK_TENSOR_CLOSE(y.grad(), T({2.0f, 0.75f}, {2}), 1e-5, 1e-5);
}

GRADE("2.3", 2, 25, "gelu's backward through the tanh") {
  std::vector<real> xs = {-3, -1, -0.25f, 0, 0.5f, 1, 2.5f};
  Tensor x = T(xs, {7}).requires_grad_();
  sum(gelu(x)).backward();
  auto f = [](double v) { return 0.5 * v * (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); };
  std::vector<double> want;
  for (real v : xs) want.push_back((f(v + 1e-4) - f(v - 1e-4)) / 2e-4);  // in double: accurate to ~1e-8
  CHECK_TENSOR_CLOSE(x.grad(), from(want, {7}), 1e-4, 1e-4);
}

GRADE("2.4", 4, 40, "matmul's backward: dA = G B^T and dB = A^T G, batched and broadcast") {
  Generator g(2);
  Tensor a = randn({2, 3}, g).requires_grad_(), b = randn({3, 4}, g).requires_grad_(), r = randn({2, 4}, g);
  sum(matmul(a, b) * r).backward();
  CHECK_TENSOR_CLOSE(a.grad(), from(mm(r.to_vector(), b.to_vector(), 2, 4, 3, false, true), {2, 3}), 1e-5, 1e-4);
  CHECK_TENSOR_CLOSE(b.grad(), from(mm(a.to_vector(), r.to_vector(), 3, 2, 4, true, false), {3, 4}), 1e-5, 1e-4);
  // A batch of 5 products with one shared right-hand matrix: its gradient sums the batch.
  Tensor ab = randn({5, 2, 3}, g).requires_grad_(), bb = randn({3, 4}, g).requires_grad_(), rb = randn({5, 2, 4}, g);
  sum(matmul(ab, bb) * rb).backward();
  std::vector<double> dbb(12, 0);
  std::vector<real> av = ab.to_vector(), rv = rb.to_vector();
  for (int n = 0; n < 5; ++n) {
    std::vector<real> an(av.begin() + n * 6, av.begin() + n * 6 + 6), rn(rv.begin() + n * 8, rv.begin() + n * 8 + 8);
    std::vector<double> d = mm(an, rn, 3, 2, 4, true, false);
    for (size_t i = 0; i < 12; ++i) dbb[i] += d[i];
  }
  CHECK_TENSOR_CLOSE(bb.grad(), from(dbb, {3, 4}), 1e-4, 1e-4);
  // A transposed view as an input: its gradient has the view's shape.
  Tensor w = randn({4, 3}, g).requires_grad_();
  sum(matmul(a.detach(), w.t()) * r).backward();
  CHECK_TENSOR_CLOSE(w.grad(), from(mm(r.to_vector(), a.to_vector(), 4, 2, 3, true, false), {4, 3}), 1e-5, 1e-4);
}
