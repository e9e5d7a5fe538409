// gradcheck.cpp: see gradcheck.h. Chapter: docs/03-gradcheck-and-debugging.md.
#include "engine/debug/gradcheck.h"

#include <cmath>

#include "engine/autograd/node.h"
#include "engine/ops/random.h"
#include "engine/ops/ops.h"

namespace cadenza {

// [doc:gradcheck]
// Private leaf copies of the inputs, so the caller's tensors are never perturbed.
static std::vector<Tensor> leaf_copies(const std::vector<Tensor>& inputs_in) {
  std::vector<Tensor> inputs;
  for (const Tensor& t : inputs_in) {
    Tensor c = t.detach().contiguous().clone();
    if (t.requires_grad()) c.requires_grad_();
    inputs.push_back(c);
  }
  return inputs;
}

// sum(o * r) in double: the scalar both checks differentiate, computed without a graph.
static double weighted_sum(const Tensor& o, const Tensor& r) {
  std::vector<real> ov = o.to_vector(), rv = r.to_vector();
  double s = 0;
  for (size_t i = 0; i < ov.size(); ++i) s += (double)ov[i] * rv[i];
  return s;
}

GradcheckResult gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs_in, GradcheckOptions opts) {
  GradcheckResult res;
  std::vector<Tensor> inputs = leaf_copies(inputs_in);
  Tensor out = fn(inputs);
  Generator gen(opts.seed);
  Tensor r = normal(out.shape(), 0, 1, gen);  // random upstream gradient
  out.backward(r);

  auto loss = [&]() {  // L = sum(f(x) * r), without building a graph
    NoGradGuard no_grad;
    return weighted_sum(fn(inputs), r);
  };

  res.ok = true;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor x = inputs[k];
    if (!x.requires_grad()) continue;
    Tensor g = x.grad();
    std::vector<real> analytic = g.defined() ? g.to_vector() : std::vector<real>(x.numel(), 0);
    real* p = x.data();
    double largest = 0;
    // [exercise:3.1] central differences, element by element, against the analytic gradient
    for (int64_t i = 0; i < x.numel(); ++i) {
      real saved = p[i];
      p[i] = saved + (real)opts.eps;
      double up = loss();
      p[i] = saved - (real)opts.eps;
      double down = loss();
      p[i] = saved;
      double numeric = (up - down) / (2 * opts.eps);
      double a = analytic[i], err = std::fabs(a - numeric), scale = std::max(std::fabs(a), std::fabs(numeric));
      largest = std::max(largest, scale);
      res.max_abs_error = std::max(res.max_abs_error, err);
      res.max_rel_error = std::max(res.max_rel_error, err / std::max(scale, 1e-8));
      if (err > opts.atol + opts.rtol * scale && res.ok) {
        res.ok = false;
        res.report = str("input ", k, " (shape ", shape_str(x.shape()), ") element ", i, ": analytic ", a,
                         " vs numeric ", numeric, " (abs error ", err, ")");
      }
    }
    // [/exercise]
    if (opts.require_nonzero && largest == 0 && res.ok) {
      res.ok = false;
      res.report = str("input ", k, ": every gradient is zero, so this check cannot tell right from wrong");
    }
  }
  if (res.ok) res.report = str("ok (max abs error ", res.max_abs_error, ", max rel error ", res.max_rel_error, ")");
  return res;
}
// [/doc]

GradcheckResult directional_check(const TensorFn& fn, const std::vector<Tensor>& inputs_in, GradcheckOptions opts) {
  GradcheckResult res;
  std::vector<Tensor> inputs = leaf_copies(inputs_in);
  // [exercise:3.4] the directional derivative along one random v, against sum(grad · v)
  Tensor out = fn(inputs);
  Generator gen(opts.seed);
  Tensor r = normal(out.shape(), 0, 1, gen);  // random upstream gradient, as in gradcheck
  out.backward(r);
  std::vector<Tensor> dirs;  // v, one tensor per input (undefined where no grad is wanted)
  double analytic = 0;
  for (const Tensor& x : inputs) {
    dirs.push_back(x.requires_grad() ? normal(x.shape(), 0, 1, gen) : Tensor());
    if (!x.requires_grad() || !x.grad().defined()) continue;
    std::vector<real> g = x.grad().to_vector(), v = dirs.back().to_vector();
    for (size_t i = 0; i < g.size(); ++i) analytic += (double)g[i] * v[i];
  }
  auto loss_at = [&](double step) {  // L(x + step v) = sum(f(x + step v) * r)
    NoGradGuard no_grad;
    std::vector<Tensor> moved;
    for (size_t k = 0; k < inputs.size(); ++k)
      moved.push_back(dirs[k].defined() ? inputs[k] + dirs[k] * (real)step : inputs[k]);
    return weighted_sum(fn(moved), r);
  };
  double numeric = (loss_at(opts.eps) - loss_at(-opts.eps)) / (2 * opts.eps);
  double err = std::fabs(analytic - numeric), scale = std::max(std::fabs(analytic), std::fabs(numeric));
  res.max_abs_error = err;
  res.max_rel_error = err / std::max(scale, 1e-8);
  res.ok = err <= opts.atol + opts.rtol * scale && !(opts.require_nonzero && scale == 0);
  res.report =
      res.ok ? str("ok (directional derivative ", numeric, ", abs error ", err, ")")
             : str("along a random direction: analytic ", analytic, " vs numeric ", numeric, " (abs error ", err, ")");
  return res;
  // [/exercise]
}

}  // namespace cadenza
