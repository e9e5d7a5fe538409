// Chapter 3 tests: every differentiable op against finite differences, in the
// float64 build. Also: the registry test (no op without a gradcheck case) and
// the checks that the checker itself can fail. docs/03-gradcheck-and-debugging.md.
#include "tests/helpers.h"

#include <algorithm>
#include <map>
#include <set>

using namespace cadenza;
using namespace testing;

static_assert(sizeof(real) == 8, "gradcheck tests are compiled in the float64 build (-DCADENZA_DOUBLE)");

namespace {
struct Case {
  std::string name;
  TensorFn fn;
  std::vector<Tensor> inputs;
};

Generator& gen() {
  static Generator g(2024);
  return g;
}
Tensor leaf(const Shape& s) { return randn(s, gen()).requires_grad_(); }
Tensor positive(const Shape& s) { return (rand(s, gen()) + 0.5).detach().requires_grad_(); }
// Values at least 0.2 away from the kink points, so finite differences never straddle one.
Tensor away_from_kinks(const Shape& s, std::vector<real> kinks = {0}) {
  Tensor x = randn(s, gen());
  real* p = x.data();
  for (int64_t i = 0; i < x.numel(); ++i)
    for (real k : kinks)
      if (std::fabs(p[i] - k) < 0.2) p[i] = k + (p[i] >= k ? 0.2 + std::fabs(p[i] - k) : -0.2 - std::fabs(p[i] - k));
  return x.requires_grad_();
}
Tensor idx(std::vector<real> v, Shape s) { return Tensor::from_vector(v, s); }

// The first gradients of sum(f(x) * r) two ways, by the plain backward and by the graph backward
// (create_graph), which must agree: the double-backward check below differentiates the graph
// backward's gradient and compares it with finite differences of that same gradient, so on its
// own it would pass a graph backward that is consistently wrong. "" when they agree, else which differs.
std::string graph_backward_mismatch(const TensorFn& f, const std::vector<Tensor>& x) {
  EnableGradGuard with_grad;
  std::vector<Tensor> wrt;
  for (const Tensor& t : x)
    if (t.requires_grad()) wrt.push_back(t);
  Tensor out = f(x);
  Generator gr(7);
  Tensor r = normal(out.shape(), 0, 1, gr);
  std::vector<Tensor> plain = autograd::grad(sum(f(x) * r), wrt, Tensor(), false);
  std::vector<Tensor> graph = autograd::grad(sum(f(x) * r), wrt, Tensor(), true);
  for (size_t i = 0; i < wrt.size(); ++i)
    if (!allclose(graph[i].detach(), plain[i], 1e-9, 1e-9))
      return tensor_mismatch(graph[i].detach(), plain[i], 1e-9, 1e-9);
  return "";
}
// (3, 5): row t keeps keys 0 .. t+1
Tensor tril_mask() { return idx({1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0}, {3, 5}); }

std::vector<Case> cases() {
  using V = const std::vector<Tensor>&;
  return {
      // element-wise, with broadcasts that change rank
      {"add", [](V x) { return x[0] + x[1]; }, {leaf({2, 3, 4}), leaf({3, 1})}},
      {"sub", [](V x) { return x[0] - x[1]; }, {leaf({3, 1}), leaf({4})}},
      {"mul", [](V x) { return x[0] * x[1]; }, {leaf({2, 3}), leaf({3})}},
      {"mul (same node twice)", [](V x) { return x[0] * x[0]; }, {leaf({4})}},
      {"div", [](V x) { return x[0] / x[1]; }, {leaf({2, 3}), positive({3})}},
      {"neg", [](V x) { return -x[0]; }, {leaf({5})}},
      {"pow", [](V x) { return pow(x[0], 2.5); }, {positive({2, 3})}},
      {"exp", [](V x) { return exp(x[0]); }, {leaf({2, 3})}},
      {"log", [](V x) { return log(x[0]); }, {positive({2, 3})}},
      {"sqrt", [](V x) { return sqrt(x[0]); }, {positive({2, 3})}},
      {"abs", [](V x) { return abs(x[0]); }, {away_from_kinks({2, 3})}},
      {"sin", [](V x) { return sin(x[0]); }, {leaf({2, 3})}},
      {"cos", [](V x) { return cos(x[0]); }, {leaf({2, 3})}},
      {"tanh", [](V x) { return tanh(x[0]); }, {leaf({2, 3})}},
      {"sigmoid", [](V x) { return sigmoid(x[0]); }, {leaf({2, 3})}},
      {"relu", [](V x) { return relu(x[0]); }, {away_from_kinks({2, 3})}},
      {"leaky_relu", [](V x) { return leaky_relu(x[0], 0.1); }, {away_from_kinks({2, 3})}},
      {"gelu", [](V x) { return gelu(x[0]); }, {leaf({2, 3})}},
      {"softplus", [](V x) { return softplus(x[0]); }, {leaf({2, 3})}},
      {"clamp", [](V x) { return clamp(x[0], -0.5, 0.5); }, {away_from_kinks({3, 3}, {-0.5, 0.5})}},
      {"where",
       [](V x) {
         return where(idx({1, 0, 1}, {3}), x[0], x[1]);
       },
       {leaf({2, 3}), leaf({2, 1})}},
      // reductions
      {"sum (axes 0 and 2)",
       [](V x) {
         return sum(x[0], {0, 2});
       },
       {leaf({2, 3, 4})}},
      {"sum (all, keepdim)", [](V x) { return sum(x[0], {}, true); }, {leaf({2, 3})}},
      {"mean", [](V x) { return mean(x[0], {1}); }, {leaf({2, 3})}},
      {"max", [](V x) { return max(x[0], {1}); }, {leaf({3, 4})}},
      {"min", [](V x) { return min(x[0], {0}, true); }, {leaf({3, 4})}},
      {"logsumexp", [](V x) { return logsumexp(x[0], {1}); }, {leaf({3, 4})}},
      {"var", [](V x) { return var(x[0], {0}); }, {leaf({4, 3})}},
      {"softmax", [](V x) { return softmax(x[0], 1); }, {leaf({3, 4})}},
      {"softmax (not the last axis)", [](V x) { return softmax(x[0], 0); }, {leaf({3, 4})}},
      // a causal mask used as it is (row r % 3), a row with every score masked, a mask expanded
      {"scaled_masked_softmax", [](V x) { return scaled_masked_softmax(x[0], 0.7, tril_mask()); }, {leaf({2, 3, 5})}},
      {"scaled_masked_softmax (a row all masked)",
       [](V x) {
         return scaled_masked_softmax(x[0], 1.3, idx({0, 0, 0, 1, 0, 1}, {2, 3}));
       },
       {leaf({2, 3})}},
      {"scaled_masked_softmax (mask expanded)",
       [](V x) {
         return scaled_masked_softmax(x[0], 0.5, idx({1, 0, 1, 1, 1, 0, 0, 1}, {2, 1, 4}));
       },
       {leaf({2, 3, 4})}},
      {"log_softmax", [](V x) { return log_softmax(x[0], 0); }, {leaf({3, 4})}},
      // matmul: batched with a broadcast batch, transposed views, 1-d operands
      {"matmul (batched, broadcast)", [](V x) { return matmul(x[0], x[1]); }, {leaf({2, 3, 4}), leaf({4, 5})}},
      {"matmul (transposed view)", [](V x) { return matmul(x[0].t(), x[1]); }, {leaf({4, 3}), leaf({4, 2})}},
      {"matmul (1-d)", [](V x) { return matmul(x[0], x[1]); }, {leaf({4}), leaf({4, 3})}},
      // a 0/1 matrix (kept as where its ones are) times a dense one; a row with no ones
      {"binary_matmul",
       [](V x) {
         return matmul(to_binary(idx({1, 0, 1, 0, 0, 0}, {2, 3})), x[0], 0.5);
       },
       {leaf({3, 4})}},
      // shapes and views
      {"clone", [](V x) { return x[0].clone(); }, {leaf({2, 3})}},
      {"reshape (of a non-contiguous view)", [](V x) { return x[0].t().reshape({-1}); }, {leaf({2, 3})}},
      {"permute",
       [](V x) {
         return x[0].permute({2, 0, 1});
       },
       {leaf({2, 3, 4})}},
      {"slice (with step)", [](V x) { return x[0].slice(1, 1, 6, 2); }, {leaf({2, 6})}},
      {"select", [](V x) { return x[0].select(0, -1); }, {leaf({3, 2})}},
      {"expand",
       [](V x) {
         return x[0].expand({2, 3, 4});
       },
       {leaf({3, 1})}},
      {"unsqueeze/squeeze", [](V x) { return x[0].unsqueeze(1).squeeze(1).unsqueeze(0); }, {leaf({2, 3})}},
      {"concat",
       [](V x) {
         return concat({x[0], x[1], x[0]}, 1);
       },
       {leaf({2, 1}), leaf({2, 3})}},
      {"stack",
       [](V x) {
         return stack({x[0], x[1]}, 1);
       },
       {leaf({2, 3}), leaf({2, 3})}},
      {"split", [](V x) { return split(x[0], 2, 0)[1] * 3; }, {leaf({5, 2})}},
      {"flip", [](V x) { return flip(x[0].t(), 1) * 2; }, {leaf({3, 4})}},
      // indexing (repeated indices must add up)
      {"index_select",
       [](V x) {
         return index_select(x[0], 1, idx({2, 0, 2}, {3}));
       },
       {leaf({2, 3})}},
      {"gather",
       [](V x) {
         return gather(x[0], 1, idx({0, 2, 2, 1, 1, 1}, {2, 3}));
       },
       {leaf({2, 3})}},
      {"scatter_add",
       [](V x) {
         return scatter_add(x[0], 0, idx({0, 1, 0, 0}, {2, 2}), x[1]);
       },
       {leaf({2, 2}), leaf({2, 2})}},
      // losses and layers composed from the ops above
      {"binary_cross_entropy_with_logits",
       [](V x) { return binary_cross_entropy_with_logits(x[0], x[1]); },
       {leaf({3, 4}), rand({3, 4}, gen()).requires_grad_()}},
      {"mse_loss", [](V x) { return mse_loss(x[0], x[1]); }, {leaf({3, 4}), leaf({3, 4})}},
      {"cross_entropy",
       [](V x) {
         return cross_entropy(x[0], idx({1, 0, 3}, {3}));
       },
       {leaf({3, 4})}},
      {"nll_loss",
       [](V x) {
         return nll_loss(x[0], idx({1, 1}, {2}), Reduction::Sum);
       },
       {leaf({2, 3})}},
      {"gaussian_kl", [](V x) { return gaussian_kl(x[0], x[1]); }, {leaf({3, 4}), leaf({3, 4})}},
      // recurrent cells and layers (chapter 8): padding steps in the masks
      {"lstm_cell", [](V x) { return lstm_cell(x[0], x[1]); }, {leaf({3, 8}), leaf({3, 2})}},
      {"gru_cell", [](V x) { return gru_cell(x[0], x[1], x[2]); }, {leaf({3, 6}), leaf({3, 6}), leaf({3, 2})}},
      {"lstm_layer (masked)",
       [](V x) {
         return lstm_layer(x[0], x[1], x[2], x[3], idx({1, 1, 1, 1, 0, 1, 1, 0, 0}, {3, 3}));
       },
       {leaf({3, 3, 8}), leaf({8, 2}), leaf({3, 2}), leaf({3, 2})}},
      {"gru_layer (masked)",
       [](V x) {
         return gru_layer(x[0], x[1], x[2], x[3], idx({1, 1, 1, 0, 1, 1, 0, 1, 0}, {3, 3}));
       },
       {leaf({3, 3, 6}), leaf({6, 2}), leaf({6}), leaf({3, 2})}},
      {"LSTM (2 layers, lengths, initial state)",
       [](V x) {
         Generator g(5);
         nn::LSTM lstm(3, 2, {2}, g);
         nn::RNNOutput o = lstm.forward(x[0], {x[1], x[2]}, {4, 2});
         return concat({o.output.reshape({-1}), o.state.h.reshape({-1}), o.state.c.reshape({-1})}, 0);
       },
       {leaf({4, 2, 3}), leaf({2, 2, 2}), leaf({2, 2, 2})}},
      {"nade_logits",
       [](V x) {
         return nade_logits(x[0], x[1], x[2], x[3], idx({1, 0, 1, 1, 0, 0, 1, 0}, {2, 4}));
       },
       {leaf({2, 4}), leaf({2, 3}), leaf({3, 4}), leaf({4, 3})}},
      {"RNNNADE (composed reference)",
       [](V x) {
         return models::nade_logits_composed(x[0], x[1], x[2], x[3], idx({1, 0, 1, 1, 0, 0, 1, 0}, {2, 4}));
       },
       {leaf({2, 4}), leaf({2, 3}), leaf({3, 4}), leaf({4, 3})}},
      // convolutions (chapter 10)
      {"conv1d (stride 2, padding, dilation 2)",
       [](V x) {
         Conv1dArgs a;
         a.stride = 2, a.pad_left = 2, a.pad_right = 1, a.dilation = 2;
         return conv1d(x[0], x[1], x[2], a);
       },
       {leaf({2, 3, 9}), leaf({4, 3, 3}), leaf({4})}},
      {"conv1d (stride 1: the shifted-gemm path; one tap reaches no output)",
       [](V x) {
         Conv1dArgs a;
         a.pad_left = 6, a.pad_right = 2, a.dilation = 3;
         return conv1d(x[0], x[1], x[2], a);
       },
       {leaf({2, 3, 4}), leaf({2, 3, 3}), leaf({2})}},
      {"conv_transpose1d (stride 3, padding, output_padding 2, dilation 2)",
       [](V x) {
         ConvTranspose1dArgs a;
         a.stride = 3, a.padding = 2, a.output_padding = 2, a.dilation = 2;
         return conv_transpose1d(x[0], x[1], x[2], a);
       },
       {leaf({2, 3, 4}), leaf({3, 2, 3}), leaf({2})}},
      {"conv_transpose1d (padding beyond the kernel's reach: the output is cropped)",
       [](V x) {
         ConvTranspose1dArgs a;
         a.stride = 2, a.padding = 3;
         return conv_transpose1d(x[0], x[1], Tensor(), a);
       },
       {leaf({1, 2, 6}), leaf({2, 3, 2})}},
      {"conv2d (strides, padding and dilation differ between the axes)",
       [](V x) {
         Conv2dArgs a;
         a.stride = {2, 1}, a.padding = {1, 2}, a.dilation = {1, 2};
         return conv2d(x[0], x[1], x[2], a);
       },
       {leaf({2, 2, 5, 4}), leaf({3, 2, 3, 2}), leaf({3})}},
      {"conv_transpose2d (stride 2 x 3, output padding, dilation)",
       [](V x) {
         ConvTranspose2dArgs a;
         a.stride = {2, 3}, a.padding = {1, 0}, a.output_padding = {1, 2}, a.dilation = {1, 2};
         return conv_transpose2d(x[0], x[1], x[2], a);
       },
       {leaf({1, 2, 3, 2}), leaf({2, 2, 2, 3}), leaf({2})}},
      {"conv_transpose2d (dilation 3 over stride 1: output_padding 2 reaches rows no input row reads back)",
       [](V x) {
         ConvTranspose2dArgs a;
         a.dilation = {3, 1}, a.output_padding = {2, 0}, a.padding = {1, 0};
         return conv_transpose2d(x[0], x[1], Tensor(), a);
       },
       {leaf({2, 2, 3, 3}), leaf({2, 1, 2, 2})}},
      {"max_pool1d", [](V x) { return max_pool1d(x[0], 3, 2); }, {leaf({2, 2, 7})}},
      {"avg_pool1d", [](V x) { return avg_pool1d(x[0], 2); }, {leaf({2, 2, 7})}},
      {"Conv1d (causal, weight norm)",
       [](V x) {
         Generator g(3);
         nn::Conv1dOptions o;
         o.causal = true, o.dilation = 2, o.weight_norm = true;
         nn::Conv1d c(2, 3, 3, o, g);
         c.weight_g = x[1], c.weight_v = x[2];  // the checker's leaves stand in for the parameters
         return c.forward(x[0]);
       },
       {leaf({1, 2, 6}), positive({3, 1, 1}), leaf({3, 2, 3})}},
      // attention (chapter 9)
      {"scaled_dot_product_attention (causal)",
       [](V x) { return nn::scaled_dot_product_attention(x[0], x[1], x[2], nn::causal_mask(4)).output; },
       {leaf({2, 4, 3}), leaf({2, 4, 3}), leaf({2, 4, 2})}},
      {"BahdanauAttention",
       [](V x) {
         Generator g(4);
         nn::BahdanauAttention att(3, 2, 4, g);
         return att.forward(x[0], x[1], idx({1, 1, 0, 1, 1, 1}, {2, 3})).output;
       },
       {leaf({2, 3}), leaf({2, 3, 2})}},
      {"LuongAttention (general)",
       [](V x) {
         Generator g(4);
         nn::LuongAttention att(nn::LuongAttention::Score::General, 3, g);
         return att.forward(x[0], x[1]).output;
       },
       {leaf({2, 3}), leaf({2, 4, 3})}},
      {"LayerNorm",
       [](V x) {
         nn::LayerNorm ln(4);
         return ln.forward(x[0]) * x[1];
       },
       {leaf({3, 4}), leaf({4})}},
      {"BatchNorm1d (training, N x C x L)",
       [](V x) {
         nn::BatchNorm1d bn(3);
         return bn.forward(x[0]) * x[1];
       },
       {leaf({4, 3, 2}), leaf({3, 1})}},
      {"BatchNorm2d (training)",
       [](V x) {
         nn::BatchNorm2d bn(2);
         return bn.forward(x[0]);
       },
       {leaf({3, 2, 2, 3})}},
      {"SpectralNorm (eval: u and v fixed, the gradient through sigma as well)",
       [](V x) {
         Generator g(6);
         nn::SpectralNorm sn({3, 2, 2}, 1, 1e-12, g);
         sn.eval();
         return sn.forward(x[0]);
       },
       {leaf({3, 2, 2})}},
      {"BatchNorm1d (eval, running statistics)",
       [](V x) {
         nn::BatchNorm1d bn(4);
         bn.running_mean.copy_(Tensor::from_vector({0.5, -1, 2, 0}, {4}));
         bn.running_var.copy_(Tensor::from_vector({1, 0.25, 4, 2}, {4}));
         bn.eval();
         return bn.forward(x[0]);
       },
       {leaf({3, 4})}},
  };
}
}  // namespace

TEST_SUITE("ch03-gradcheck") {
  TEST_CASE("every differentiable op passes gradcheck in float64") {
    for (Case& c : cases()) {
      GradcheckResult r = gradcheck(c.fn, c.inputs);
      CHECK_MESSAGE(r.ok, c.name << ": " << r.report);
    }
  }

  TEST_CASE("registry: every registered op has a gradcheck case") {
    std::set<std::string> covered;
    set_op_trace(&covered);
    for (Case& c : cases()) gradcheck(c.fn, c.inputs);
    set_op_trace(nullptr);
    for (const std::string& op : differentiable_ops())
      CHECK_MESSAGE(covered.count(op),
                    "op '" << op << "' is registered but no gradcheck case exercises it; add one above");
  }

  TEST_CASE("the checker fails on a deliberately wrong backward") {
    // y = x * 3 whose backward wrongly says dy/dx = 2.
    TensorFn wrong = [](const std::vector<Tensor>& x) {
      Op op("mul");
      Tensor y = x[0].detach() * 3;
      return op.finish(y, {x[0]}, [](const Tensor& g) -> Grads { return {g * 2}; });
    };
    GradcheckResult r = gradcheck(wrong, {leaf({3})});
    CHECK_FALSE(r.ok);
    CHECK(r.report.find("analytic") != std::string::npos);
    // A transposed gradient has the right shape and the right values, in the wrong places.
    TensorFn swapped = [](const std::vector<Tensor>& x) {
      Op op("permute");
      Tensor y = x[0].detach().t().contiguous();
      return op.finish(y, {x[0]}, [](const Tensor& g) -> Grads { return {g.reshape({2, 2})}; });
    };
    CHECK_FALSE(gradcheck(swapped, {leaf({2, 2})}).ok);
  }

  // [doc:double-backward-test]
  // Gradients of gradients: for each case built only from ops with a graph backward,
  //   h(x) = L(x) + sum_i sum(v_i * g_i(x)^2),   g = autograd::grad(L, x, create_graph),  L = sum(f(x) * r)
  // and gradcheck compares dh/dx, which backpropagates through g's own graph, with finite
  // differences of h, and the graph backward's first gradient must equal the plain one. Every op
  // in autograd::ops_with_graph_backward() must be covered.
  TEST_CASE("double backward: gradients of gradients pass gradcheck for every op that has a graph backward") {
    const std::vector<std::string> listed = autograd::ops_with_graph_backward();
    std::set<std::string> covered;
    for (Case& c : cases()) {
      std::set<std::string> used;
      set_op_trace(&used);
      c.fn(c.inputs);
      set_op_trace(nullptr);
      bool all = !used.empty();
      for (const std::string& op : used) all = all && std::count(listed.begin(), listed.end(), op);
      if (!all) continue;
      covered.insert(used.begin(), used.end());
      TensorFn h = [fn = c.fn](const std::vector<Tensor>& x) {
        EnableGradGuard with_grad;  // gradcheck evaluates h without a graph; h needs one inside
        Tensor out = fn(x);
        Generator gr(99);
        Tensor L = sum(out * normal(out.shape(), 0, 1, gr));
        std::vector<Tensor> wrt;
        for (const Tensor& t : x)
          if (t.requires_grad()) wrt.push_back(t);
        std::vector<Tensor> g = autograd::grad(L, wrt, Tensor(), /*create_graph=*/true);
        Tensor total = L;
        for (const Tensor& gi : g) total = total + sum(normal(gi.shape(), 0, 1, gr) * gi * gi);
        return total;
      };
      GradcheckResult r = gradcheck(h, c.inputs);
      CHECK_MESSAGE(r.ok, c.name << " (double backward): " << r.report);
      const std::string mismatch = graph_backward_mismatch(c.fn, c.inputs);
      CHECK_MESSAGE(mismatch.empty(),
                    c.name << ": the graph backward's gradient differs from the plain one: " << mismatch);
    }
    for (const std::string& op : listed)
      CHECK_MESSAGE(covered.count(op), "op '" << op
                                              << "' is listed with a graph backward but no double-backward case "
                                                 "uses it alone; add a gradcheck case above");
  }
  // [/doc]

  TEST_CASE("double backward: the check fails on a backward that is right once but not differentiable") {
    // y = x^2 with dy/dx = 2x computed from a detached x: the first gradient is right, the second
    // (d/dx of 2x, which should be 2) comes out 0, and the gradient penalty's check catches it.
    TensorFn frozen = [](const std::vector<Tensor>& x) {
      EnableGradGuard with_grad;
      Op op("mul");
      Tensor xd = x[0].detach();
      Tensor y = op.finish_linear(xd * xd, {x[0]}, [xd](const Tensor& g) -> Grads { return {g * 2 * xd}; });
      Tensor g = autograd::grad(sum(y), {x[0]}, Tensor(), true)[0];
      return sum(y) + sum(g * g);
    };
    GradcheckResult r = gradcheck(frozen, {leaf({3})});
    CHECK_FALSE(r.ok);
    CHECK(r.report.find("analytic") != std::string::npos);
  }

  TEST_CASE("double backward: a graph backward that disagrees with the plain one is caught") {
    // y = 3x, whose graph backward says 3.03: consistent with itself, so only the comparison with
    // the plain backward sees it.
    TensorFn off = [](const std::vector<Tensor>& x) {
      Op op("mul");
      return op.finish(
          x[0].detach() * 3, {x[0]}, [](const Tensor& g) -> Grads { return {g * 3}; },
          [](const Tensor& g, const std::vector<Tensor>&) -> Grads { return {g * 3.03}; });
    };
    CHECK_FALSE(graph_backward_mismatch(off, {leaf({3})}).empty());
  }

  TEST_CASE("WGAN-GP's penalty on an MLP critic passes a double-backward gradcheck") {
    // D(x) = tanh(x W1^T + b1) W2^T; penalty = mean((||dD/dx||_2 - 1)^2), per example. tanh, not the
    // usual leaky_relu: with a piecewise-linear critic dD/dx is constant in x between kinks, the
    // penalty's gradient with respect to x is 0, and the check would say nothing about it.
    TensorFn penalty = [](const std::vector<Tensor>& in) {
      EnableGradGuard with_grad;
      const Tensor &x = in[0], &w1 = in[1], &b1 = in[2], &w2 = in[3];
      Tensor d = matmul(tanh(matmul(x, w1.t()) + b1), w2.t());
      Tensor gx = autograd::grad(sum(d), {x}, Tensor(), true)[0];
      Tensor norm = sqrt(sum(gx * gx, {1}));
      return mean((norm - 1) * (norm - 1));
    };
    GradcheckResult r = gradcheck(penalty, {leaf({5, 3}), leaf({8, 3}), leaf({8}), leaf({1, 8})});
    CHECK_MESSAGE(r.ok, r.report);
  }

  TEST_CASE(
      "WGAN-GP's penalty on a convolutional critic (conv2d, strided, padded) passes a double-backward gradcheck") {
    // D(x) = sum(tanh(conv2d(x, W, b)) * v): a piano-roll critic's first layer. This checks conv2d's
    // graph backward (a conv_transpose2d for the input, tap products for the weight) inside a penalty.
    TensorFn penalty = [](const std::vector<Tensor>& in) {
      EnableGradGuard with_grad;
      const Tensor &x = in[0], &w = in[1], &b = in[2], &v = in[3];
      Conv2dArgs a;
      a.stride = {2, 1}, a.padding = {1, 0};
      Tensor d = sum(tanh(conv2d(x, w, b, a)) * v, {1, 2, 3});
      Tensor gx = autograd::grad(sum(d), {x}, Tensor(), true)[0];
      Tensor norm = sqrt(sum(gx * gx, {1, 2, 3}));
      return mean((norm - 1) * (norm - 1));
    };
    GradcheckResult r = gradcheck(penalty, {leaf({2, 2, 5, 4}), leaf({3, 2, 3, 2}), leaf({3}), leaf({1, 3, 3, 3})});
    CHECK_MESSAGE(r.ok, r.report);
  }

  TEST_CASE("the checker refuses to pass when every gradient is zero") {
    TensorFn flat = [](const std::vector<Tensor>& x) { return x[0] * 0; };
    GradcheckResult r = gradcheck(flat, {leaf({3})});
    CHECK_FALSE(r.ok);
    CHECK(r.report.find("every gradient is zero") != std::string::npos);
  }

  TEST_CASE("the LSTM cell composed from ops (chapter 8) passes gradcheck, every input and weight") {
    TensorFn cell = [](const std::vector<Tensor>& p) {
      nn::LSTMCellState s = nn::lstm_cell_composed(p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
      return concat({s.h, s.c}, 1);
    };
    const int64_t B = 2, I = 3, H = 4;
    GradcheckResult r = gradcheck(cell, {leaf({B, I}), leaf({B, H}), leaf({B, H}), leaf({4 * H, I}), leaf({4 * H, H}),
                                         leaf({4 * H}), leaf({4 * H})});
    CHECK_MESSAGE(r.ok, r.report);
  }

  TEST_CASE("a whole model: x -> Linear -> tanh -> Linear -> cross_entropy, every parameter checked") {
    TensorFn mlp = [](const std::vector<Tensor>& p) {
      Tensor h = tanh(matmul(p[0], p[1].t()) + p[2]);
      return cross_entropy(matmul(h, p[3].t()) + p[4], idx({0, 3}, {2}));
    };
    GradcheckResult r = gradcheck(mlp, {leaf({2, 3}), leaf({5, 3}), leaf({5}), leaf({4, 5}), leaf({4})});
    CHECK_MESSAGE(r.ok, r.report);
  }

}  // TEST_SUITE
