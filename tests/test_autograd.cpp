// Chapter 2 tests: the autograd rules learners trip over. docs/02-autograd.md.
#include "tests/helpers.h"

using namespace cadenza;
using namespace testing;

TEST_SUITE("ch02-autograd") {
  TEST_CASE("a scalar chain: d/dx of (x*y + x)^2") {
    Tensor x = Tensor::scalar(3).requires_grad_(), y = Tensor::scalar(-2).requires_grad_();
    Tensor z = x * y + x;  // -3
    Tensor L = z * z;      // 9
    L.backward();
    CHECK(x.grad().item() == doctest::Approx(2 * -3.0 * (-2 + 1)));  // 2z * (y + 1)
    CHECK(y.grad().item() == doctest::Approx(2 * -3.0 * 3));         // 2z * x
  }

  TEST_CASE("leaves accumulate; zero_grad clears") {
    Tensor w = Tensor::ones({3}).requires_grad_();
    sum(w * 2).backward();
    sum(w * 2).backward();
    CHECK(w.grad().to_vector() == std::vector<real>{4, 4, 4});
    w.zero_grad();
    CHECK(!w.grad().defined());
    sum(w * 3).backward();
    CHECK(w.grad().to_vector() == std::vector<real>{3, 3, 3});
  }

  TEST_CASE(".grad never aliases a tensor someone else holds; a fresh gradient is kept without a copy") {
    Tensor a = Tensor::from_vector({1, 2, 3}, {3}).requires_grad_(),
           b = Tensor::from_vector({4, 5, 6}, {3}).requires_grad_();
    (a + b).backward(Tensor::ones({3}));  // add hands the same gradient to both leaves
    CHECK(a.grad().data() != b.grad().data());
    a.grad().data()[0] = 100;
    CHECK(b.grad().data()[0] == 1);
    Tensor x = Tensor::from_vector({1, 2}, {2}).requires_grad_(), g = Tensor::from_vector({7, 8}, {2});
    x.clone().backward(g);  // clone passes the caller's g straight through
    CHECK(x.grad().data() != g.data());
    g.data()[0] = 0;
    CHECK(x.grad().data()[0] == 7);
    Tensor w = Tensor::from_vector({1, 2, 3, 4}, {2, 2}).requires_grad_();
    sum(matmul(w, Tensor::ones({2, 1}))).backward();  // dL/dw is a fresh product: kept as it is
    CHECK(w.grad().to_vector() == std::vector<real>{1, 1, 1, 1});
    sum(w * 2).backward();  // the second time it is added in
    CHECK(w.grad().to_vector() == std::vector<real>{3, 3, 3, 3});
  }

  TEST_CASE("a node used twice and a diamond both get every share of the gradient") {
    Tensor x = T({2}, {1}).requires_grad_();
    (x * x).backward(T({1}, {1}));  // d(x^2)/dx = 2x
    CHECK(x.grad().item() == 4);
    Tensor a = T({3}, {1}).requires_grad_();
    Tensor b = a * 2, c = a * 5;    // a feeds two branches that meet again
    (b * c).backward(T({1}, {1}));  // d(10 a^2)/da = 20 a
    CHECK(a.grad().item() == 60);
  }

  TEST_CASE("a node's gradients are summed in place only when nobody else holds the sum") {
    Tensor x = T({1, 2}, {2}).requires_grad_();
    Tensor h = x * 1, G = Tensor::ones({2});
    (h + h).backward(G);  // add hands the caller's G to both inputs: h's two shares are G and G
    CHECK(G.to_vector() == std::vector<real>{1, 1});  // summed into a new tensor, not into G
    CHECK(x.grad().to_vector() == std::vector<real>{2, 2});
    Tensor y = T({1, 2, 3}, {3}).requires_grad_();
    Tensor k = y * 1;
    sum(k * 2 + k * 3 + k * 4).backward();  // fresh shares: summed in place, same answer
    CHECK(y.grad().to_vector() == std::vector<real>{9, 9, 9});
  }

  TEST_CASE("a slice's gradient is zero outside the slice, whatever the memory held before") {
    Generator gen(5);
    for (int64_t T : {7, 300, 5000}) {
      INFO("T = " << T);
      { Tensor junk = Tensor::full({4, 8, T}, std::nanf("")); }  // freed: the gradient may reuse its memory
      Tensor c = randn({4, 8, T}, gen).requires_grad_();
      sum(c.slice(1, 2, 5) * 2).backward();
      const std::vector<real> g = c.grad().to_vector();
      bool right = true;
      for (int64_t i = 0; i < (int64_t)g.size(); ++i) {
        const int64_t ch = i / T % 8;
        right &= g[(size_t)i] == (ch >= 2 && ch < 5 ? 2 : 0);
      }
      CHECK(right);
      Tensor e = randn({10, T}, gen).requires_grad_();
      sum(e.slice(0, 1, 9, 3)).backward();  // a step: rows 1, 4, 7
      const std::vector<real> ge = e.grad().to_vector();
      for (int64_t r = 0; r < 10; ++r) CHECK(ge[(size_t)(r * T + T - 1)] == (r % 3 == 1 && r < 9 ? 1 : 0));
    }
  }

  TEST_CASE("broadcast gradients have the input's shape (rank-changing broadcasts)") {
    Tensor a = Tensor::ones({2, 3, 4}).requires_grad_();
    Tensor b = Tensor::ones({3, 1}).requires_grad_();
    Tensor c = Tensor::ones({1}).requires_grad_();
    sum(a * b + c).backward();
    CHECK(b.grad().shape() == Shape{3, 1});
    CHECK(b.grad().to_vector() == std::vector<real>{8, 8, 8});
    CHECK(c.grad().shape() == Shape{1});
    CHECK(c.grad().item() == 24);
  }

  TEST_CASE("no_grad, detach and requires_grad_ on non-leaves") {
    Tensor w = Tensor::ones({2}).requires_grad_();
    {
      NoGradGuard ng;
      Tensor y = w * 2;
      CHECK(!y.requires_grad());
      CHECK(!y.grad_fn());
    }
    Tensor y = w * 2;
    CHECK(y.requires_grad());
    CHECK(!y.is_leaf());
    Tensor d = y.detach();
    CHECK(!d.requires_grad());
    CHECK(d.impl()->storage == y.impl()->storage);
    expect_error([&] { y.requires_grad_(); }, {"[requires_grad_]", "leaf", "detach"});
    expect_error([&] { sum(d).backward(); }, {"[backward]", "does not require grad"});
    expect_error([&] { y.backward(); }, {"[backward]", "one-element", "(2,)"});
  }

  TEST_CASE("retain_graph, and a clear error on a second backward through a freed graph") {
    Tensor w = Tensor::ones({2}).requires_grad_();
    Tensor L = sum(exp(w));
    L.backward(Tensor(), /*retain_graph=*/true);
    L.backward();
    CHECK(w.grad().to_vector()[0] == doctest::Approx(2 * std::exp(1.0)));
    expect_error([&] { L.backward(); }, {"[backward]", "already freed", "retain_graph=true"});
  }

  TEST_CASE("a graph 10,000 steps deep backpropagates and is freed without recursion") {
    Tensor h0 = Tensor::full({4}, 0.5).requires_grad_();
    Tensor h = h0;
    for (int t = 0; t < 10000; ++t) h = h * 0.9999 + 0.0001;
    sum(h).backward();
    CHECK(h0.grad().to_vector()[0] == doctest::Approx(std::pow(0.9999, 10000)).epsilon(1e-3));
    // Dropping a 200,000-node graph that was never backpropagated must not overflow the stack either.
    Tensor g = h0;
    for (int t = 0; t < 200000; ++t) g = g + 1;
    g = Tensor();
    CHECK(!g.defined());
  }

  TEST_CASE("the backward engine checks gradient shapes (a deliberately wrong op)") {
    Tensor x = Tensor::ones({2, 3}).requires_grad_();
    Op op("add");  // a hand-made op whose backward forgets to sum over the broadcast axis
    Tensor out = op.finish(Tensor::zeros({2, 3}), {x}, [](const Tensor& g) -> Grads { return {sum(g, {0})}; });
    expect_error([&] { sum(out).backward(); }, {"[add] internal: gradient shape (3,) != input shape (2, 3)", "sum_to"});
  }

  TEST_CASE("ops outside the registry cannot record a backward") {
    Tensor x = Tensor::ones({1}).requires_grad_();
    Op op("my_new_op");
    expect_error([&] { op.finish(Tensor::zeros({1}), {x}, [](const Tensor& g) -> Grads { return {g}; }); },
                 {"[my_new_op]", "not in the op registry", "gradcheck"});
  }

  TEST_CASE("set_grad checks shapes (used by hand-written gradients such as CD-k)") {
    Tensor w = Tensor::zeros({2, 2}).requires_grad_();
    w.set_grad(Tensor::ones({2, 2}));
    CHECK(w.grad().to_vector() == std::vector<real>{1, 1, 1, 1});
    expect_error([&] { w.set_grad(Tensor::ones({4})); }, {"[set_grad]", "(4,)", "(2, 2)"});
  }

  TEST_CASE("autograd::grad returns gradients without touching .grad, for leaves and intermediate results") {
    Tensor x = Tensor::from_vector({1, -2, 3}, {3}).requires_grad_();
    Tensor y = x * 2;
    Tensor z = sum(y * y);  // dz/dy = 2y = 4x, dz/dx = 8x
    std::vector<Tensor> g = autograd::grad(z, {y, x}, Tensor(), false, /*retain_graph=*/true);
    CHECK_TENSOR_CLOSE(g[0], x.detach() * 4, 0, 0);
    CHECK_TENSOR_CLOSE(g[1], x.detach() * 8, 0, 0);
    CHECK_FALSE(x.grad().defined());
    CHECK_FALSE(g[1].requires_grad());  // without create_graph the gradient is a plain tensor
    Tensor w = Tensor::ones({2}).requires_grad_();
    expect_error([&] { autograd::grad(z, {w}, Tensor(), false, true); },
                 {"[autograd::grad]", "input 0", "not reached"});
    expect_error([&] { autograd::grad(z, {x.detach()}); }, {"[autograd::grad]", "does not require grad"});
    autograd::grad(z, {x});  // frees the graph
    expect_error([&] { autograd::grad(z, {x}); }, {"already freed"});
  }

  TEST_CASE("create_graph: the gradient is differentiable (d2/dx2 of x^3 is 6x)") {
    Tensor x = Tensor::from_vector({0.5, -1, 2}, {3}).requires_grad_();
    Tensor g = autograd::grad(sum(x * x * x), {x}, Tensor(), /*create_graph=*/true)[0];  // 3x^2
    CHECK(g.requires_grad());
    CHECK_TENSOR_CLOSE(g, Tensor::from_vector({0.75, 3, 12}, {3}), 1e-6, 1e-6);
    sum(g).backward();
    CHECK_TENSOR_CLOSE(x.grad(), Tensor::from_vector({3, -6, 12}, {3}), 1e-6, 1e-6);
    // backward(create_graph) leaves a differentiable .grad, as PyTorch does
    Tensor u = Tensor::from_vector({2}, {1}).requires_grad_();
    sum(u * u * u).backward(Tensor(), false, true);
    CHECK(u.grad().requires_grad());
    CHECK(u.grad().item() == doctest::Approx(12));
    u.zero_grad();  // drops the gradient's graph, which refers back to u
  }

  TEST_CASE("create_graph through an op without a graph backward stops with a message naming it") {
    Tensor x = Tensor::from_vector({1, 3, 2, 5, 4, 0}, {1, 1, 6}).requires_grad_();
    Tensor y = sum(max_pool1d(x, 2) * max_pool1d(x, 2));
    expect_error([&] { autograd::grad(y, {x}, Tensor(), true); },
                 {"[backward]", "create_graph", "'max_pool1d' has no differentiable backward", "matmul"});
  }

  TEST_CASE("golden: WGAN-GP's gradient penalty matches torch.autograd.grad(create_graph=True)") {
    auto f = io::load_safetensors(fixture("gradient_penalty.safetensors")).tensors;
    auto leaf = [](const Tensor& t) { return t.detach().clone().requires_grad_(); };
    Tensor x = leaf(f["x_hat"]), w1 = leaf(f["w1"]), b1 = leaf(f["b1"]), w2 = leaf(f["w2"]), b2 = leaf(f["b2"]);
    // [doc:gradient-penalty]
    Tensor d = matmul(leaky_relu(matmul(x, w1.t()) + b1, 0.2), w2.t()) + b2;  // the critic at x_hat
    Tensor gx = autograd::grad(d, {x}, Tensor::ones(d.shape()), /*create_graph=*/true)[0];
    Tensor norm = sqrt(sum(gx * gx, {1}));  // ||dD/dx_hat|| per example
    Tensor penalty = mean((norm - 1) * (norm - 1));
    penalty.backward();  // through gx's own graph: a second derivative of D
    // [/doc]
    CHECK_TENSOR_CLOSE(d, f["d"], 1e-5, 1e-4);
    CHECK_TENSOR_CLOSE(gx, f["grad_x_hat"], 1e-5, 1e-4);
    CHECK(penalty.item() == doctest::Approx(f["penalty"].item()).epsilon(1e-4));
    CHECK_TENSOR_CLOSE(w1.grad(), f["grad_w1"], 1e-5, 1e-4);
    CHECK_TENSOR_CLOSE(w2.grad(), f["grad_w2"], 1e-5, 1e-4);
    // Between its kinks a leaky_relu critic's gradient does not move with x or b1: PyTorch returns
    // zeros, Cadenza no gradient at all (the slope is a constant, not on the graph).
    CHECK_TENSOR_CLOSE(f["grad_penalty_x_hat"], Tensor::zeros(x.shape()), 0, 0);
    CHECK_TENSOR_CLOSE(f["grad_b1"], Tensor::zeros(b1.shape()), 0, 0);
    CHECK_FALSE(x.grad().defined());
    CHECK_FALSE(b1.grad().defined());
    CHECK_FALSE(b2.grad().defined());  // nor on the last bias
  }
}  // TEST_SUITE
