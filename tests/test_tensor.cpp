// Chapter 1 tests: tensors, storage, views, broadcasting, reductions, indexing,
// matmul, randomness and error messages. docs/01-tensors.md.
#include "tests/helpers.h"

#include "engine/core/cpu.h"
#include "engine/kernels/gemm.h"
#include "engine/core/strided.h"

using namespace cadenza;
using namespace testing;

TEST_SUITE("ch01-tensors") {
  TEST_CASE("factories, shapes and element access") {
    Tensor z = Tensor::zeros({2, 3});
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.strides() == Shape{3, 1});
    CHECK(z.numel() == 6);
    CHECK(z.is_contiguous());
    Tensor a = T({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(a.at({1, 2}) == 6);
    CHECK(a.at({-1, 0}) == 4);
    CHECK(Tensor::scalar(3).item() == 3);
    CHECK(Tensor::scalar(3).dim() == 0);
    CHECK(shape_str({}) == "()");
    CHECK(shape_str({3}) == "(3,)");
    CHECK(shape_str({2, 3}) == "(2, 3)");
    CHECK(a.to_string().find("[[1, 2, 3], [4, 5, 6]]") != std::string::npos);
    expect_error([&] { a.item(); }, {"[item]", "(2, 3)"});
    expect_error([&] { a.at({2, 0}); }, {"[at]", "out of range"});
    expect_error([] { T({1, 2, 3}, {2, 2}); }, {"[from_vector]", "3 values", "(2, 2)"});
  }

  TEST_CASE("views share storage: transpose, slice with step, expand, reshape") {
    Tensor a = T({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
    Tensor t = a.t();
    CHECK(t.shape() == Shape{4, 3});
    CHECK(t.strides() == Shape{1, 4});
    CHECK(!t.is_contiguous());
    CHECK(t.at({3, 1}) == 7);
    CHECK(t.impl()->storage == a.impl()->storage);
    Tensor s = a.slice(1, 1, 4, 2);  // columns 1 and 3
    CHECK(s.shape() == Shape{3, 2});
    CHECK(s.to_vector() == std::vector<real>{1, 3, 5, 7, 9, 11});
    CHECK(a.slice(0, -1, 100).to_vector() == std::vector<real>{8, 9, 10, 11});  // Python-style clipping
    CHECK(a.slice(0, 2, 1).numel() == 0);
    Tensor e = T({1, 2, 3}, {3, 1}).expand({3, 4});
    CHECK(e.strides()[1] == 0);
    CHECK(e.to_vector() == std::vector<real>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
    Tensor r = a.reshape({2, -1});
    CHECK(r.shape() == Shape{2, 6});
    CHECK(r.impl()->storage == a.impl()->storage);  // compact: a view
    Tensor rt = t.reshape({12});                    // not compact: a copy
    CHECK(rt.impl()->storage != a.impl()->storage);
    CHECK(rt.to_vector() == std::vector<real>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
    CHECK(a.permute({1, 0}).contiguous().to_vector() == rt.to_vector());
    CHECK(a.select(1, -1).to_vector() == std::vector<real>{3, 7, 11});
    CHECK(a.unsqueeze(0).shape() == Shape{1, 3, 4});
    CHECK(a.unsqueeze(-1).shape() == Shape{3, 4, 1});
    CHECK(a.unsqueeze(0).squeeze(0).shape() == Shape{3, 4});
    expect_error([&] { a.reshape({5, -1}); }, {"[reshape]", "(3, 4)"});
    expect_error([&] { a.permute({0, 0}); }, {"[permute]", "twice"});
    expect_error([&] { T({1, 2}, {2}).expand({3}); }, {"[expand]", "(2,)", "(3,)"});
    expect_error([&] { a.slice(0, 0, 2, 0); }, {"[slice]", "step"});
    expect_error([&] { a.transpose(0, 2); }, {"dim 2 is out of range"});
  }

  TEST_CASE("in-place updates write through views") {
    Tensor a = Tensor::zeros({2, 3});
    a.slice(1, 1, 3).fill_(7);
    CHECK(a.to_vector() == std::vector<real>{0, 7, 7, 0, 7, 7});
    a.t().copy_(T({1, 2, 3, 4, 5, 6}, {3, 2}));
    CHECK(a.to_vector() == std::vector<real>{1, 3, 5, 2, 4, 6});
    Tensor w = Tensor::ones({2}).requires_grad_();
    expect_error([&] { w.add_(Tensor::ones({2})); }, {"[add_]", "requires grad", "NoGradGuard"});
    {
      NoGradGuard ng;
      w.add_(Tensor::ones({2}), 2);
    }
    CHECK(w.to_vector() == std::vector<real>{3, 3});
  }

  TEST_CASE("broadcasting follows NumPy, aligning from the right") {
    CHECK(broadcast_shapes("t", {2, 1, 4}, {3, 1}) == Shape{2, 3, 4});
    CHECK(broadcast_shapes("t", {}, {5}) == Shape{5});
    CHECK(broadcast_shapes("t", {0}, {1}) == Shape{0});
    Tensor a = T({1, 2, 3}, {3});
    Tensor b = T({10, 20}, {2, 1});
    CHECK((a + b).to_vector() == std::vector<real>{11, 12, 13, 21, 22, 23});
    CHECK((a * 2).to_vector() == std::vector<real>{2, 4, 6});
    CHECK((1 - a).to_vector() == std::vector<real>{0, -1, -2});
    // The classic mistake the rule prevents: (3,) against (3, 1) is an outer operation, not an error.
    CHECK((a - a.reshape({3, 1})).shape() == Shape{3, 3});
    expect_error([&] { a + T({1, 2}, {2}); }, {"[add] cannot broadcast shapes: (3,) vs (2,)", "from the right"});
    // Strided operands take the general path and still agree.
    Tensor m = T({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK((m.t() + m.t()).to_vector() == std::vector<real>{2, 8, 4, 10, 6, 12});
  }

  TEST_CASE("broadcast element-wise ops: the repeating-operand path equals the general one, at 1 and N threads") {
    // x + bias, bias - x, a scalar tensor: one operand whole, the other repeating along
    // the trailing axes, in parallel over rows. Checked against an index loop.
    Generator g(31);
    const int before = num_threads();
    struct Case {
      Shape a, b;
    };
    for (const Case& c : std::vector<Case>{{{300, 257}, {257}},
                                           {{257}, {300, 257}},
                                           {{40, 3, 700}, {1, 3, 700}},
                                           {{3, 700}, {40, 3, 700}},
                                           {{}, {200, 300}},
                                           {{200, 300}, {1, 1}},
                                           {{5, 7}, {7}},
                                           {{1000, 1}, {1000, 1}}}) {
      Tensor a = randn(c.a, g), b = randn(c.b, g);
      const Shape out = broadcast_shapes("t", c.a, c.b);
      // the expected values: each output element from its broadcast indices
      std::vector<real> want_sub, want_div;
      const Shape sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
      int64_t n = 1;
      for (int64_t d : out) n *= d;
      for (int64_t i = 0; i < n; ++i) {
        int64_t rem = i, ia = 0, ib = 0;
        for (size_t d = out.size(); d-- > 0;) {
          const int64_t k = rem % out[d];
          rem /= out[d];
          ia += k * sa[d], ib += k * sb[d];
        }
        want_sub.push_back(a.data()[ia] - b.data()[ib]);
        want_div.push_back(a.data()[ia] / b.data()[ib]);
      }
      for (int threads : {1, 2}) {
        set_num_threads(threads);
        INFO(shape_str(c.a) << " vs " << shape_str(c.b) << " threads=" << threads);
        CHECK((a - b).shape() == out);
        CHECK((a - b).to_vector() == want_sub);
        CHECK((a / b).to_vector() == want_div);
      }
    }
    set_num_threads(before);
  }

  TEST_CASE("unary maths, comparisons and where") {
    Tensor x = T({-2, -0.5, 0, 0.5, 2}, {5});
    CHECK(relu(x).to_vector() == std::vector<real>{0, 0, 0, 0.5, 2});
    CHECK(abs(x).to_vector() == std::vector<real>{2, 0.5, 0, 0.5, 2});
    CHECK(gt(x, Tensor::scalar(0)).to_vector() == std::vector<real>{0, 0, 0, 1, 1});
    CHECK(where(lt(x, Tensor::scalar(0)), Tensor::scalar(-1), x).to_vector() == std::vector<real>{-1, -1, 0, 0.5, 2});
    CHECK(clamp(x, -1, 1).to_vector() == std::vector<real>{-1, -0.5, 0, 0.5, 1});
    Tensor big = T({-1000, 1000}, {2});
    CHECK(sigmoid(big).to_vector() == std::vector<real>{0, 1});  // no overflow warning, no NaN
    CHECK(softplus(big).to_vector() == std::vector<real>{0, 1000});
    CHECK(std::fabs(gelu(T({1}, {1})).item() - 0.841192) < 1e-5);
  }

  TEST_CASE("tanh, sigmoid and exp of a view give the same bits as of its copy, at 1 and 2 threads") {
    // A channel slice of (B, C, T) is B runs of contiguous elements: long runs (here 12,000 and
    // 1,500) are read in place, run by run, and a parallel block may start inside a run; short
    // ones (1,000, and a transposed matrix's runs of 1) are copied first.
    Generator gen(21);
    Tensor big = randn({3, 20, 1200}, gen) * 4, mid = randn({3, 10, 300}, gen) * 4,
           small = randn({3, 10, 200}, gen) * 4;
    const std::vector<Tensor> views = {big.slice(1, 0, 10),
                                       big.slice(1, 10, 20),
                                       mid.slice(1, 3, 8),
                                       small.slice(1, 5, 10),
                                       big.slice(2, 0, 1000),
                                       mid.select(0, 1).t(),
                                       big};
    const int before = num_threads();
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      for (size_t i = 0; i < views.size(); ++i) {
        INFO("view " << i << ", " << threads << " thread(s)");
        const Tensor& v = views[i];
        const Tensor copy = v.contiguous().clone();
        CHECK(tanh(v).to_vector() == tanh(copy).to_vector());
        CHECK(sigmoid(v).to_vector() == sigmoid(copy).to_vector());
        CHECK(exp(v).to_vector() == exp(copy).to_vector());
      }
    }
    set_num_threads(before);
  }

  TEST_CASE("reductions over any axes, with keepdim") {
    Tensor a = T({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(sum(a).item() == 21);
    CHECK(sum(a, {0}).to_vector() == std::vector<real>{5, 7, 9});
    CHECK(sum(a, {1}, true).shape() == Shape{2, 1});
    CHECK(sum(a, {-1}).to_vector() == std::vector<real>{6, 15});
    CHECK(mean(a, {0, 1}).item() == 3.5);
    CHECK(max(a, {1}).to_vector() == std::vector<real>{3, 6});
    CHECK(min(a, {0}).to_vector() == std::vector<real>{1, 2, 3});
    CHECK(argmax(a, 1).to_vector() == std::vector<real>{2, 2});
    CHECK(argmin(T({3, 1, 1}, {3}), 0).item() == 1);  // the first minimum wins
    CHECK(std::fabs(var(a, {1}).to_vector()[0] - 1.0) < 1e-6);
    CHECK(std::fabs(var(a, {1}, false).to_vector()[0] - 2.0 / 3) < 1e-6);
    Tensor b = T({1000, 1000}, {2});
    CHECK(std::fabs(logsumexp(b).item() - (1000 + std::log(2.0))) < 1e-3);  // no overflow
    Tensor c = Tensor::arange(24).reshape({2, 3, 4});
    CHECK(sum(c, {0, 2}).to_vector() == std::vector<real>{60, 92, 124});
    CHECK(sum(c.permute({2, 0, 1}), {1}).shape() == Shape{4, 3});
    expect_error([&] { sum(a, {2}); }, {"[sum]", "dim 2 is out of range"});
    expect_error([&] { var(T({1}, {1})); }, {"[var]", "at least 2"});
  }

  TEST_CASE("softmax and log_softmax are stable and agree") {
    Tensor x = T({1, 2, 3, 1000, 1001, 1002}, {2, 3});
    Tensor s = softmax(x, 1);
    CHECK_TENSOR_CLOSE(s.slice(0, 0, 1), s.slice(0, 1, 2), 1e-6, 0);  // shift invariance, no overflow
    CHECK_TENSOR_CLOSE(sum(s, {1}), Tensor::ones({2}), 1e-6, 0);
    CHECK_TENSOR_CLOSE(exp(log_softmax(x, 1)), s, 1e-6, 1e-6);
    CHECK_TENSOR_CLOSE(softmax(x.t(), 0), s.t(), 1e-6, 0);
  }

  TEST_CASE("matmul: shapes, batching, broadcasting and 1-d operands") {
    Tensor a = T({1, 2, 3, 4, 5, 6}, {2, 3});
    Tensor b = T({1, 0, 0, 1, 1, 1}, {3, 2});
    CHECK(matmul(a, b).to_vector() == std::vector<real>{4, 5, 10, 11});
    CHECK(matmul(a, T({1, 1, 1}, {3})).to_vector() == std::vector<real>{6, 15});
    CHECK(matmul(T({1, 1}, {2}), a).to_vector() == std::vector<real>{5, 7, 9});
    Tensor batch = Tensor::arange(12).reshape({2, 2, 3});
    Tensor out = matmul(batch, b);  // (2, 2, 3) @ (3, 2): b broadcast over the batch
    CHECK(out.shape() == Shape{2, 2, 2});
    CHECK(out.select(0, 1).to_vector() == matmul(batch.select(0, 1), b).to_vector());
    CHECK(matmul(a.t(), a).to_vector() == matmul(a.t().contiguous(), a).to_vector());
    expect_error([&] { matmul(a, a); }, {"[matmul] inner sizes differ: (2, 3) @ (2, 3)"});
    expect_error([&] { matmul(Tensor::scalar(1), a); }, {"[matmul]", "at least 1 dim"});
  }

  TEST_CASE("concat, stack, split, index_select, gather, scatter_add, one_hot") {
    Tensor a = T({1, 2, 3, 4}, {2, 2}), b = T({5, 6}, {1, 2});
    CHECK(concat({a, b}, 0).to_vector() == std::vector<real>{1, 2, 3, 4, 5, 6});
    CHECK(concat({a, a}, 1).shape() == Shape{2, 4});
    CHECK(stack({a, a}, 0).shape() == Shape{2, 2, 2});
    CHECK(stack({a, a}, 2).to_vector() == std::vector<real>{1, 1, 2, 2, 3, 3, 4, 4});
    auto parts = split(Tensor::arange(5), 2, 0);
    CHECK(parts.size() == 3);
    CHECK(parts[2].to_vector() == std::vector<real>{4});
    Tensor m = Tensor::arange(6).reshape({3, 2});
    CHECK(index_select(m, 0, T({2, 0, 2}, {3})).to_vector() == std::vector<real>{4, 5, 0, 1, 4, 5});
    CHECK(gather(m, 1, T({1, 0, 0}, {3, 1})).to_vector() == std::vector<real>{1, 2, 4});
    CHECK(scatter_add(Tensor::zeros({2, 3}), 1, T({0, 0, 2, 1}, {2, 2}), T({1, 2, 3, 4}, {2, 2})).to_vector() ==
          std::vector<real>{3, 0, 0, 0, 4, 3});
    CHECK(one_hot(T({2, 0}, {2}), 3).to_vector() == std::vector<real>{0, 0, 1, 1, 0, 0});
    expect_error([&] { concat({a, T({1, 2, 3}, {1, 3})}, 0); }, {"[concat]", "(1, 3)", "except along dim 0"});
    expect_error([&] { index_select(m, 0, T({3}, {1})); }, {"[index_select]", "index 3", "[0, 3)"});
    expect_error([&] { gather(m, 1, T({0.5}, {1, 1})); }, {"[gather]", "whole number"});
    expect_error([&] { stack({a, b}, 0); }, {"[stack]", "same shape"});
  }

  TEST_CASE("the Generator is deterministic and does not use std distributions") {
    Generator g1(42), g2(42), g3(43);
    Tensor a = randn({100}, g1), b = randn({100}, g2), c = randn({100}, g3);
    CHECK(a.to_vector() == b.to_vector());
    CHECK(a.to_vector() != c.to_vector());
    // The stream is pinned: mt19937_64 is fixed by the C++ standard, our transforms by this code.
    Generator g(5489);  // the C++ standard's own check value for mt19937_64
    for (int i = 0; i < 9999; ++i) g.next_u64();
    CHECK(g.next_u64() == 9981545732273789042ULL);
    Generator u(1);
    double mean_u = 0, mean_n = 0, var_n = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      double x = u.uniform();
      CHECK_MESSAGE((x >= 0 && x < 1), "uniform out of range");
      mean_u += x / n;
      double z = u.normal();
      mean_n += z / n;
      var_n += z * z / n;
    }
    CHECK(std::fabs(mean_u - 0.5) < 0.01);
    CHECK(std::fabs(mean_n) < 0.03);
    CHECK(std::fabs(var_n - 1) < 0.05);
    Tensor p = bernoulli(Tensor::full({10000}, 0.3), u);
    CHECK(std::fabs(mean(p).item() - 0.3) < 0.02);
    auto perm = randperm(10, u);
    std::sort(perm.begin(), perm.end());
    for (int i = 0; i < 10; ++i) CHECK(perm[i] == i);
    expect_error([&] { bernoulli(T({1.5}, {1}), u); }, {"[bernoulli]", "outside [0, 1]"});
  }

}  // TEST_SUITE

TEST_CASE("Tensor::empty is uninitialised (NaN under DEBUG=1); zeros and make_tensor are zero") {
  Tensor e = Tensor::empty({2, 3});
  CHECK(e.shape() == Shape{2, 3});
#if defined(CADENZA_DEBUG)
  for (real v : e.to_vector()) CHECK(std::isnan(v));  // DEBUG=1: a read before a write shows
#endif
  for (real v : Tensor::zeros({2, 3}).to_vector()) CHECK(v == 0);
  for (real v : make_tensor({5}).to_vector()) CHECK(v == 0);
  CHECK_THROWS_WITH_AS(Tensor::empty({2, -1}), doctest::Contains("negative size"), Error);
}
