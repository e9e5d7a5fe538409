// Chapter 3 tests (float32 build): the debugging aids: NaN/Inf trap, per-op
// profile and the Graphviz picture. docs/03-gradcheck-and-debugging.md.
#include "tests/helpers.h"

using namespace cadenza;
using namespace testing;

TEST_SUITE("ch03-gradcheck") {
  TEST_CASE("the NaN trap stops at the first op that makes NaN or Inf, and names it") {
    set_check_nan(true);
    Tensor x = Tensor::from_vector({1, -1}, {2});
    expect_error([&] { log(x); }, {"[log] produced NaN at flat index 1", "CADENZA_CHECK_NAN"});
    expect_error([&] { Tensor::scalar(1) / Tensor::scalar(0); }, {"[div] produced Inf"});
    // In the backward pass too: d sqrt(x)/dx at 0 is infinite.
    Tensor z = Tensor::zeros({1}).requires_grad_();
    Tensor s = sum(sqrt(z));
    expect_error([&] { s.backward(); }, {"[sqrt backward] produced Inf"});
    set_check_nan(false);
    CHECK_NOTHROW(log(x));  // off: NaN flows through, as in PyTorch
  }

  TEST_CASE("the profiler counts and times each op") {
    profile_reset();
    set_profiling(true);
    Tensor a = Tensor::ones({16, 16}).requires_grad_();
    for (int i = 0; i < 3; ++i) sum(matmul(a, a)).backward();
    set_profiling(false);
    std::string rep = profile_report();
    CHECK(rep.find("matmul") != std::string::npos);
    CHECK(rep.find("sum") != std::string::npos);
    CHECK(rep.find("calls") != std::string::npos);
    profile_reset();
  }

  TEST_CASE("to_dot draws the graph with op names, shapes and leaf names") {
    Tensor w = Tensor::ones({2, 3}).requires_grad_();
    w.set_name("fc.weight");
    Tensor x = Tensor::ones({4, 3});
    Tensor loss = mean(relu(matmul(x, w.t())));
    std::string dot = to_dot(loss);
    CHECK(dot.rfind("digraph", 0) == 0);
    for (const char* frag : {"matmul", "relu", "permute", "fc.weight", "(4, 2)", "->"})
      CHECK_MESSAGE(dot.find(frag) != std::string::npos, "missing " << frag << " in\n" << dot);
  }

}  // TEST_SUITE
