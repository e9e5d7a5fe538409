// elementwise.cpp: arithmetic and unary maths with NumPy broadcasting, each op's
// forward and backward side by side.
//
// Pattern of every op here:
//   1. compute the result with a kernel (engine/core/strided.h),
//   2. hand Op::finish the inputs and a closure that maps dL/dout to dL/dinput.
// Broadcasting in the forward becomes sum_to in the backward: if `b` of shape
// (3,) was stretched to (2, 3), its gradient is summed back over that axis.
// Chapters: docs/01-tensors.md (broadcasting), docs/02-autograd.md (backward rules).
#include <algorithm>
#include <cmath>

#include "engine/autograd/node.h"
#include "engine/core/parallel.h"
#include "engine/kernels/scalar.h"
#include "engine/core/strided.h"
#include "engine/kernels/map.h"
#include "engine/kernels/vmath.h"
#include "engine/ops/ops.h"

namespace cadenza {

using kernels::map_binary;
using kernels::map_unary;

static Shape bshape(const char* op, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) fail(op, "an input tensor is undefined", "assign it a value first");
  return broadcast_shapes(op, a.shape(), b.shape());
}

Tensor add(const Tensor& a, const Tensor& b) {
  Op op("add");
  Tensor out = map_binary(bshape("add", a, b), a, b, [](real x, real y) { return x + y; });
  return op.finish_linear(out, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
    return {sum_to(g, sa), sum_to(g, sb)};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Op op("sub");
  Tensor out = map_binary(bshape("sub", a, b), a, b, [](real x, real y) { return x - y; });
  return op.finish_linear(out, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
    return {sum_to(g, sa), sum_to(neg(g), sb)};
  });
}

// [doc:mul]
// y = a * b      dL/da = g * b      dL/db = g * a   (then summed over broadcast axes)
Tensor mul(const Tensor& a, const Tensor& b) {
  Op op("mul");
  Tensor out = map_binary(bshape("mul", a, b), a, b, [](real x, real y) { return x * y; });
  return op.finish(
      out, {a, b},
      [a = a.detach(), b = b.detach()](const Tensor& g) -> Grads {
        return {sum_to(g * b, a.shape()), sum_to(g * a, b.shape())};
      },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads {  // the same, on the inputs themselves
        return {sum_to(g * in[1], in[0].shape()), sum_to(g * in[0], in[1].shape())};
      });
}
// [/doc]

// y = a / b      dL/da = g / b      dL/db = -g * a / b^2
// The rule is written with ops, so it serves both backwards: the plain one on detached copies,
// and the graph one (create_graph) on the inputs themselves.
static Grads div_grads(const Tensor& g, const Tensor& a, const Tensor& b) {
  // [exercise:2.1] div's backward: the quotient rule, summed back to each input's shape
  return {sum_to(g / b, a.shape()), sum_to(neg(g) * a / (b * b), b.shape())};
  // [/exercise]
}
Tensor div(const Tensor& a, const Tensor& b) {
  Op op("div");
  Tensor out = map_binary(bshape("div", a, b), a, b, [](real x, real y) { return x / y; });
  return op.finish(
      out, {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g) { return div_grads(g, a, b); },
      [](const Tensor& g, const std::vector<Tensor>& in) { return div_grads(g, in[0], in[1]); });
}

Tensor neg(const Tensor& a) {
  Op op("neg");
  Tensor out = map_unary(a, [](real x) { return -x; });
  return op.finish_linear(out, {a}, [](const Tensor& g) -> Grads { return {neg(g)}; });
}

// y = f(x) through an array kernel (engine/kernels/vmath.h: SIMD exp, σ, tanh),
// in blocks split across threads. A view made of long contiguous runs (a channel slice,
// as in a gated TCN's tanh(h[:, :C])) is read in place, run by run: copying it first
// cost a clone of 4 MB per call in the TCN step. Other views are copied first.
static Tensor map_array(const Tensor& a, void (*f)(const real*, real*, int64_t)) {
  Tensor x = a, y = Tensor::empty(a.shape());
  Runs runs = contiguous_runs(x);
  if (runs.count > 1 && runs.length < 1024) x = a.contiguous(), runs = contiguous_runs(x);  // short runs
  const real* px = x.impl()->storage->data.data();
  real* py = y.data();
  parallel_for(x.numel(), 1 << 15, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi;) {  // the part of run r that [lo, hi) covers, from its element j
      const int64_t r = i / runs.length, j = i % runs.length, n = std::min(hi - i, runs.length - j);
      f(px + runs.start(r) + j, py + i, n);
      i += n;
    }
  });
  return y;
}

// The unary ops below share one shape: y = f(x), dL/dx = g * f'(x), where f'
// is written in terms of x or, when cheaper, of the saved output y.
// [doc:unary-backward]
// y = tanh(x)    dL/dx = g * (1 - y^2)
Tensor tanh(const Tensor& a) {
  Op op("tanh");
  Tensor y = map_array(a, kernels::vtanh);
  return op.finish(
      y, {a},
      [y = y.detach()](const Tensor& g) -> Grads {
        return {map_binary(g.shape(), g, y, [](real gi, real yi) { return gi * (1 - yi * yi); })};
      },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads {  // y again from x: no cycle
        Tensor t = tanh(in[0]);
        return {g * (1 - t * t)};
      });
}
// [/doc]

// y = 1 / (1 + e^-x)   dL/dx = g * y * (1 - y)
static inline real sigmoid_scalar(real x) { return kernels::sigmoid(x); }
Tensor sigmoid(const Tensor& a) {
  Op op("sigmoid");
  Tensor y = map_array(a, kernels::vsigmoid);
  return op.finish(
      y, {a},
      [y = y.detach()](const Tensor& g) -> Grads {
        return {map_binary(g.shape(), g, y, [](real gi, real yi) { return gi * yi * (1 - yi); })};
      },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads {
        Tensor s = sigmoid(in[0]);
        return {g * s * (1 - s)};
      });
}

// y = e^x        dL/dx = g * y
Tensor exp(const Tensor& a) {
  Op op("exp");
  Tensor y = map_array(a, kernels::vexp);
  return op.finish(
      y, {a}, [y = y.detach()](const Tensor& g) -> Grads { return {g * y}; },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads { return {g * exp(in[0])}; });
}

// y = ln x       dL/dx = g / x
Tensor log(const Tensor& a) {
  Op op("log");
  Tensor y = map_unary(a, [](real x) { return std::log(x); });
  return op.finish(
      y, {a}, [a = a.detach()](const Tensor& g) -> Grads { return {g / a}; },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads { return {g / in[0]}; });
}

// y = sqrt(x)    dL/dx = g / (2 y)
Tensor sqrt(const Tensor& a) {
  Op op("sqrt");
  Tensor y = map_unary(a, [](real x) { return std::sqrt(x); });
  return op.finish(
      y, {a},
      [y = y.detach()](const Tensor& g) -> Grads {
        return {map_binary(g.shape(), g, y, [](real gi, real yi) { return gi / (2 * yi); })};
      },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads { return {g / (2 * sqrt(in[0]))}; });
}

// y = x^p        dL/dx = g * p * x^(p-1)   (with ops, for both backwards, as div)
static Grads pow_grads(const Tensor& g, const Tensor& a, real p) {
  // [exercise:2.2] pow's backward: the power rule
  return {g * (p * pow(a, p - 1))};
  // [/exercise]
}
Tensor pow(const Tensor& a, real p) {
  Op op("pow");
  Tensor y = map_unary(a, [p](real x) { return std::pow(x, p); });
  return op.finish(
      y, {a}, [a = a.detach(), p](const Tensor& g) { return pow_grads(g, a, p); },
      [p](const Tensor& g, const std::vector<Tensor>& in) { return pow_grads(g, in[0], p); });
}

// y = |x|        dL/dx = g * sign(x)   (0 at x = 0, like PyTorch)
Tensor abs(const Tensor& a) {
  Op op("abs");
  Tensor y = map_unary(a, [](real x) { return std::fabs(x); });
  return op.finish(
      y, {a},
      [a = a.detach()](const Tensor& g) -> Grads {
        return {map_binary(g.shape(), g, a, [](real gi, real x) { return x > 0 ? gi : (x < 0 ? -gi : 0); })};
      },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads {  // sign(x) is a constant: no graph
        Tensor zero = Tensor::zeros({});
        return {g * (gt(in[0], zero) - lt(in[0], zero))};
      });
}

// y = sin x      dL/dx = g * cos x
Tensor sin(const Tensor& a) {
  Op op("sin");
  Tensor y = map_unary(a, [](real x) { return std::sin(x); });
  return op.finish(y, {a}, [a = a.detach()](const Tensor& g) -> Grads {
    return {map_binary(g.shape(), g, a, [](real gi, real x) { return gi * std::cos(x); })};
  });
}

// y = cos x      dL/dx = -g * sin x
Tensor cos(const Tensor& a) {
  Op op("cos");
  Tensor y = map_unary(a, [](real x) { return std::cos(x); });
  return op.finish(y, {a}, [a = a.detach()](const Tensor& g) -> Grads {
    return {map_binary(g.shape(), g, a, [](real gi, real x) { return -gi * std::sin(x); })};
  });
}

// y = max(x, 0)  dL/dx = g * [x > 0]
Tensor relu(const Tensor& a) {
  Op op("relu");
  // max and a select, not an if: random signs would mispredict a branch half the time
  Tensor y = map_unary(a, [](real x) { return std::max(x, real(0)); });
  return op.finish(
      y, {a},
      [a = a.detach()](const Tensor& g) -> Grads {
        return {map_binary(g.shape(), g, a, [](real gi, real x) { return x > 0 ? gi : real(0); })};
      },
      [](const Tensor& g, const std::vector<Tensor>& in) -> Grads { return {g * gt(in[0], Tensor::zeros({}))}; });
}

// y = x if x > 0 else s*x    dL/dx = g * (x > 0 ? 1 : s)
Tensor leaky_relu(const Tensor& a, real s) {
  Op op("leaky_relu");
  Tensor y = map_unary(a, [s](real x) { return x > 0 ? x : s * x; });
  return op.finish(
      y, {a},
      [a = a.detach(), s](const Tensor& g) -> Grads {
        return {map_binary(g.shape(), g, a, [s](real gi, real x) { return x > 0 ? gi : s * gi; })};
      },
      [s](const Tensor& g, const std::vector<Tensor>& in) -> Grads {
        return {g * (gt(in[0], Tensor::zeros({})) * (1 - s) + s)};  // the slope, 1 or s, is a constant
      });
}

// GELU, tanh form: y = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3)
Tensor gelu(const Tensor& a) {
  Op op("gelu");
  const real c = (real)0.7978845608028654, k = (real)0.044715;
  Tensor y = map_unary(a, [=](real x) { return (real)0.5 * x * (1 + std::tanh(c * (x + k * x * x * x))); });
  return op.finish(y, {a}, [a = a.detach(), c, k](const Tensor& g) -> Grads {
    // [exercise:2.3] gelu's backward: the chain rule through tanh
    return {map_binary(g.shape(), g, a, [=](real gi, real x) {
      real t = std::tanh(c * (x + k * x * x * x));
      real du = c * (1 + 3 * k * x * x);
      return gi * ((real)0.5 * (1 + t) + (real)0.5 * x * (1 - t * t) * du);
    })};
    // [/exercise]
  });
}

// y = log(1 + e^x) = max(x, 0) + log1p(e^-|x|)     dL/dx = g * sigmoid(x)
Tensor softplus(const Tensor& a) {
  Op op("softplus");
  Tensor y = map_unary(a, [](real x) { return std::max<real>(x, 0) + std::log1p(std::exp(-std::fabs(x))); });
  return op.finish(y, {a}, [a = a.detach()](const Tensor& g) -> Grads {
    return {map_binary(g.shape(), g, a, [](real gi, real x) { return gi * sigmoid_scalar(x); })};
  });
}

// y = min(max(x, lo), hi)    dL/dx = g * [lo <= x <= hi]
Tensor clamp(const Tensor& a, real lo, real hi) {
  if (!(lo <= hi)) fail("clamp", str("lo ", lo, " > hi ", hi), "pass lo <= hi");
  Op op("clamp");
  Tensor y = map_unary(a, [lo, hi](real x) { return x < lo ? lo : (x > hi ? hi : x); });
  return op.finish(y, {a}, [a = a.detach(), lo, hi](const Tensor& g) -> Grads {
    return {map_binary(g.shape(), g, a, [lo, hi](real gi, real x) { return (x >= lo && x <= hi) ? gi : 0; })};
  });
}

// where(c, a, b): dL/da = g where c, dL/db = g elsewhere.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Op op("where");
  Shape s = broadcast_shapes("where", bshape("where", cond, a), b.shape());
  // Read all three through broadcast views (detached: the views are not part of the graph).
  Tensor c = cond.detach().expand(s), x = a.detach().expand(s), y = b.detach().expand(s);
  Tensor mask = make_tensor(s), out = make_tensor(s);
  copy_strided(c, mask.data());
  copy_strided(y, out.data());
  const real *m = mask.data(), *px = x.impl()->storage->data.data();
  real* o = out.data();
  int64_t i = 0;  // then the elements where the condition holds come from a
  for_each_offset(x, [&](int64_t off) {
    if (m[i] != 0) o[i] = px[off];
    ++i;
  });
  return op.finish(out, {a, b}, [mask, sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
    Tensor ga = map_binary(g.shape(), g, mask, [](real gi, real ci) { return ci != 0 ? gi : 0; });
    Tensor gb = map_binary(g.shape(), g, mask, [](real gi, real ci) { return ci != 0 ? 0 : gi; });
    return {sum_to(ga, sa), sum_to(gb, sb)};
  });
}

// ---------------- comparisons: 0/1 results, no gradient ----------------
#define CZ_COMPARE(NAME, EXPR)                                                                                      \
  Tensor NAME(const Tensor& a, const Tensor& b) {                                                                   \
    Op op(#NAME);                                                                                                   \
    return op.finish(map_binary(bshape(#NAME, a, b), a, b, [](real x, real y) { return (real)((EXPR) ? 1 : 0); })); \
  }
CZ_COMPARE(eq, x == y)
CZ_COMPARE(ne, x != y)
CZ_COMPARE(lt, x < y)
CZ_COMPARE(le, x <= y)
CZ_COMPARE(gt, x > y)
CZ_COMPARE(ge, x >= y)
#undef CZ_COMPARE

// ---------------- operators ----------------
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, real s) { return add(a, Tensor::scalar(s)); }
Tensor operator-(const Tensor& a, real s) { return sub(a, Tensor::scalar(s)); }
Tensor operator*(const Tensor& a, real s) { return mul(a, Tensor::scalar(s)); }
Tensor operator/(const Tensor& a, real s) { return div(a, Tensor::scalar(s)); }
Tensor operator+(real s, const Tensor& a) { return add(Tensor::scalar(s), a); }
Tensor operator-(real s, const Tensor& a) { return sub(Tensor::scalar(s), a); }
Tensor operator*(real s, const Tensor& a) { return mul(Tensor::scalar(s), a); }
Tensor operator/(real s, const Tensor& a) { return div(Tensor::scalar(s), a); }

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  std::vector<real> x = a.to_vector(), y = b.to_vector();
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan((double)x[i]) || std::isnan((double)y[i])) return false;
    if (std::fabs((double)x[i] - (double)y[i]) > atol + rtol * std::fabs((double)y[i])) return false;
  }
  return true;
}

}  // namespace cadenza
