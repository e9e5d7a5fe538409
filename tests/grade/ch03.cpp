// Graded exercises of chapter 3 (docs/03-gradcheck-and-debugging.md): checkers that can
// fail. Each is shown a right gradient and a deliberately wrong one. This binary is the
// float32 build, so the steps are large and the tolerances loose.
#include "tests/grade/grade.h"
#include "engine/autograd/node.h"
#include "engine/debug/dot.h"
#include "engine/debug/gradcheck.h"
#include "tests/helpers.h"

using namespace testing;

namespace {
GradcheckOptions loose() {
  GradcheckOptions o;
  o.eps = 1e-2, o.atol = 1e-2, o.rtol = 1e-2;
  return o;
}
// x * stop_gradient(x): autograd says d/dx = x, the true derivative is 2x.
Tensor wrong_square(const std::vector<Tensor>& x) { return x[0] * x[0].detach(); }
Tensor right_fn(const std::vector<Tensor>& x) { return tanh(x[0]) * x[1] + x[0]; }
}  // namespace

GRADE("3.1", 3, 30, "gradcheck: central differences against the analytic gradient") {
  Generator g(3);
  Tensor a = randn({3, 2}, g).requires_grad_(), b = randn({3, 2}, g).requires_grad_();
  GradcheckResult ok = gradcheck(right_fn, {a, b}, loose());
  CHECK_MESSAGE(ok.ok, ok.report);
  CHECK(ok.max_abs_error < 1e-2);
  GradcheckResult bad = gradcheck(wrong_square, {randn({4}, g).requires_grad_()}, loose());
  CHECK_FALSE(bad.ok);
  CHECK(bad.report.find("input 0") != std::string::npos);
  CHECK(bad.max_abs_error > 0.1);
  std::vector<real> before = a.to_vector();
  gradcheck(right_fn, {a, b}, loose());
  CHECK(a.to_vector() == before);  // the caller's tensors are never perturbed
}

GRADE("3.2", 2, 20, "CADENZA_CHECK_NAN: stop at the first NaN or Inf and name the op") {
  struct Restore {
    bool was = check_nan_enabled();
    ~Restore() { set_check_nan(was); }
  } restore;
  set_check_nan(true);
  CHECK(exp(T({1, 2}, {2})).numel() == 2);  // finite values pass
  expect_error([] { log(T({1, -1}, {2})); }, {"log", "NaN", "flat index 1"});
  expect_error([] { log(T({0, 1, 2}, {3})); }, {"log", "Inf", "flat index 0"});
  expect_error([] { (T({1, 2, 3, 4}, {2, 2}).t() / T({1, 0}, {2})); }, {"div", "Inf"});  // a strided view
  set_check_nan(false);
  CHECK(std::isnan(log(T({-1}, {1})).item()));  // off: no check, no cost
}

GRADE("3.3", 2, 25, "to_dot: every op once, every edge from input to op") {
  Tensor a = T({1, 2}, {2}).requires_grad_(), b = T({3, 4}, {2}).requires_grad_();
  a.set_name("a"), b.set_name("b");
  Tensor loss = sum(a * b + a);
  std::string dot = to_dot(loss);
  for (const char* frag : {"digraph", "mul", "add", "sum", "\\n(2,)", "a\\n", "b\\n"})
    CHECK_MESSAGE(dot.find(frag) != std::string::npos, "to_dot lacks " << std::string(frag) << ":\n" << dot);
  size_t edges = 0;
  for (size_t p = dot.find("->"); p != std::string::npos; p = dot.find("->", p + 2)) ++edges;
  CHECK(edges == 5);  // a->mul, b->mul, mul->add, a->add, add->sum
  size_t a_nodes = 0;
  for (size_t p = dot.find("label=\"a\\n"); p != std::string::npos; p = dot.find("label=\"a\\n", p + 1)) ++a_nodes;
  CHECK(a_nodes == 1);  // a leaf used twice is one node
}

GRADE("3.4", 3, 30, "directional_check: one random direction for the whole model") {
  Generator g(4);
  Tensor a = randn({5, 3}, g).requires_grad_(), b = randn({5, 3}, g).requires_grad_();
  GradcheckResult ok = directional_check(right_fn, {a, b}, loose());
  CHECK_MESSAGE(ok.ok, ok.report);
  for (uint64_t seed : {1, 2, 3}) {
    GradcheckOptions o = loose();
    o.seed = seed;
    GradcheckResult bad = directional_check(wrong_square, {randn({6}, g).requires_grad_()}, o);
    CHECK_MESSAGE(!bad.ok, "seed " << seed << ": " << bad.report);
  }
  Tensor c = randn({3}, g);  // an input that needs no gradient is held still
  GradcheckResult mixed = directional_check([](const std::vector<Tensor>& x) { return x[0] * x[1]; },
                                            {a.slice(0, 0, 1).reshape({3}).detach().requires_grad_(), c}, loose());
  CHECK_MESSAGE(mixed.ok, mixed.report);
}
