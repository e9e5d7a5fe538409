// optim.cpp: see optim.h. Each step() is a plain loop over the numbers, the
// update rule in one line of maths above it. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/core/cpu.h"
#include "engine/core/parallel.h"
#include "engine/optim/optim.h"

#include <algorithm>
#include <cmath>

#include "engine/autograd/node.h"

namespace cadenza::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr_) : lr(lr_), params_(std::move(params)) {
  if (!(lr >= 0)) fail("optimizer", str("learning rate must be >= 0, got ", lr), "");
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].defined()) fail("optimizer", str("parameter ", i, " is undefined"), "");
    if (!params_[i].requires_grad())
      fail("optimizer", str("parameter ", i, " (", params_[i].name(), ") does not require grad"),
           "pass module.parameters(), or call requires_grad_() on the tensor");
    if (!params_[i].is_contiguous())
      fail("optimizer", str("parameter ", i, " is a non-contiguous view"), "optimise the base tensor instead");
  }
  state_.resize(params_.size());
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

Tensor& Optimizer::buffer(size_t i, const std::string& name) {
  auto it = state_[i].find(name);
  if (it == state_[i].end()) it = state_[i].emplace(name, Tensor::zeros(params_[i].shape())).first;
  return it->second;
}

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> sd;
  sd["step"] = Tensor::scalar((real)steps_);
  for (size_t i = 0; i < state_.size(); ++i)
    for (auto& [name, t] : state_[i]) sd[str("state.", i, ".", name)] = t;
  return sd;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& sd) {
  for (auto& [key, t] : sd) {
    if (key == "step") {
      steps_ = (int64_t)t.item();
      continue;
    }
    size_t i = 0;
    char name[64] = {0};
    if (std::sscanf(key.c_str(), "state.%zu.%63s", &i, name) != 2 || i >= params_.size())
      fail("optimizer.load_state_dict", "unexpected key '" + key + "'",
           "the state is for a different optimiser or model");
    if (t.shape() != params_[i].shape())
      fail("optimizer.load_state_dict",
           "'" + key + "' has shape " + shape_str(t.shape()) + " but parameter " + std::to_string(i) + " has " +
               shape_str(params_[i].shape()),
           "");
    state_[i][name] = t.contiguous().clone();
  }
}

SGD::SGD(std::vector<Tensor> params, double lr, double m, double wd, bool nest, double damp)
    : Optimizer(std::move(params), lr), momentum(m), weight_decay(wd), dampening(damp), nesterov(nest) {
  if (nesterov && (momentum <= 0 || dampening != 0))
    fail("SGD", "Nesterov momentum needs momentum > 0 and dampening = 0", "");
}

// [doc:sgd-step]
// Without momentum: p -= lr * (g + wd p), in double. __restrict promises that p and g do
// not overlap; without it GCC must assume they might and keeps the loop scalar (chapter 11).
static void sgd_update(real* __restrict p, const real* __restrict g, double lr, double wd, int64_t n) {
  for (int64_t k = 0; k < n; ++k) p[k] -= (real)(lr * (g[k] + wd * p[k]));
}

// With momentum:
// d = grad + wd * p;  buf = momentum * buf + (1 - dampening) * d  (buf = d on the first step)
// p -= lr * (nesterov ? d + momentum * buf : buf)
void SGD::step() {
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    Tensor gc = g.contiguous();  // set_grad takes any layout, e.g. a transposed view; no copy when compact
    real* p = params_[i].data();
    const real* gp = gc.data();
    if (momentum == 0) {  // element by element: any thread split gives the same bits
      parallel_for(params_[i].numel(), 1 << 15,
                   [&](int64_t lo, int64_t hi) { sgd_update(p + lo, gp + lo, lr, weight_decay, hi - lo); });
      continue;
    }
    real* buf = buffer(i, "momentum_buffer").data();
    parallel_for(params_[i].numel(), 1 << 15, [&](int64_t lo, int64_t hi) {
      // [exercise:4.1] SGD with momentum, dampening, Nesterov and weight decay, elements lo..hi
      for (int64_t k = lo; k < hi; ++k) {
        double d = gp[k] + weight_decay * p[k];
        buf[k] = (real)(steps_ == 0 ? d : momentum * buf[k] + (1 - dampening) * d);
        d = nesterov ? d + momentum * buf[k] : buf[k];
        p[k] -= (real)(lr * d);
      }
      // [/exercise]
    });
  }
  ++steps_;
}
// [/doc]

Adam::Adam(std::vector<Tensor> params, double lr, double b1, double b2, double e, double wd)
    : Optimizer(std::move(params), lr), beta1(b1), beta2(b2), eps(e), weight_decay(wd) {
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) fail("Adam", str("betas must be in [0, 1), got ", b1, ", ", b2), "");
}

AdamW::AdamW(std::vector<Tensor> params, double lr, double b1, double b2, double e, double wd)
    : Adam(std::move(params), lr, b1, b2, e, wd) {
  decoupled_ = true;
}

namespace {
// Adam's update of elements [0, n), with pointers the compiler may assume do not overlap
// (__restrict), so it vectorises: 4 floats at a time on any x86-64, 8 in the AVX2 copy
// below. Both do the same IEEE operations in the same order (ISO C++ contracts no a*b+c
// into an FMA), so they give the same bits. Chapter: docs/11-making-it-fast.md.
// [doc:adam-update]
struct AdamConsts {
  real l2, shrink, b1, b2, step, bc2_sqrt, eps;
};
__attribute__((always_inline)) inline void adam_update(const AdamConsts& c, real* __restrict p,
                                                       const real* __restrict g, real* __restrict m, real* __restrict v,
                                                       int64_t n) {
  // [exercise:4.2] Adam's update: the two moment estimates, bias-corrected (c holds the constants)
  for (int64_t k = 0; k < n; ++k) {
    real gk = g[k] + c.l2 * p[k];
    p[k] *= c.shrink;
    m[k] = c.b1 * m[k] + (1 - c.b1) * gk;
    v[k] = c.b2 * v[k] + (1 - c.b2) * gk * gk;
    p[k] -= c.step * m[k] / (std::sqrt(v[k]) / c.bc2_sqrt + c.eps);
  }
  // [/exercise]
}
// [/doc]
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
CADENZA_AVX2 void adam_update_avx2(const AdamConsts& c, real* p, const real* g, real* m, real* v, int64_t n) {
  adam_update(c, p, g, m, v, n);
}
#endif
}  // namespace

// [doc:adam-step]
// m = b1 m + (1-b1) g;   v = b2 v + (1-b2) g^2        (moment estimates)
// p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)  (bias-corrected)
// Adam adds wd*p to g; AdamW instead shrinks p by (1 - lr*wd) directly.
void Adam::step() {
  NoGradGuard no_grad;
  int64_t t = steps_ + 1;
  // In the parameters' precision, arranged as PyTorch does (one division per element):
  // step = lr / (1-b1^t),  denom = sqrt(v) / sqrt(1-b2^t) + eps,  p -= step * m / denom
  const real b1 = (real)beta1, b2 = (real)beta2, e = (real)eps;
  const real step = (real)(lr / (1 - std::pow(beta1, (double)t)));
  const real bc2_sqrt = (real)std::sqrt(1 - std::pow(beta2, (double)t));
  const real l2 = decoupled_ ? 0 : (real)weight_decay, shrink = decoupled_ ? (real)(1 - lr * weight_decay) : 1;
  const AdamConsts c{l2, shrink, b1, b2, step, bc2_sqrt, e};
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    Tensor gc = g.contiguous();
    real* p = params_[i].data();
    const real* gp = gc.data();
    real* m = buffer(i, "exp_avg").data();
    real* v = buffer(i, "exp_avg_sq").data();
    parallel_for(params_[i].numel(), 1 << 15, [&](int64_t lo, int64_t hi) {
    // element by element (adam_update, above): any thread split gives the same bits
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
      if (cpu_has_avx2_fma()) return adam_update_avx2(c, p + lo, gp + lo, m + lo, v + lo, hi - lo);
#endif
      adam_update(c, p + lo, gp + lo, m + lo, v + lo, hi - lo);
    });
  }
  steps_ = t;
}
// [/doc]

RMSprop::RMSprop(std::vector<Tensor> params, double lr, double a, double e, double wd, double mom)
    : Optimizer(std::move(params), lr), alpha(a), eps(e), weight_decay(wd), momentum(mom) {}

// sq = alpha sq + (1-alpha) g^2;   p -= lr * g / (sqrt(sq) + eps)   (through a momentum buffer if set)
void RMSprop::step() {
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    Tensor gc = g.contiguous();  // set_grad takes any layout, e.g. a transposed view; no copy when compact
    real* p = params_[i].data();
    const real* gp = gc.data();
    real* sq = buffer(i, "square_avg").data();
    real* buf = momentum > 0 ? buffer(i, "momentum_buffer").data() : nullptr;
    for (int64_t k = 0, n = params_[i].numel(); k < n; ++k) {
      double gk = gp[k] + weight_decay * p[k];
      sq[k] = (real)(alpha * sq[k] + (1 - alpha) * gk * gk);
      double step = gk / (std::sqrt((double)sq[k]) + eps);
      if (buf) {
        buf[k] = (real)(momentum * buf[k] + step);
        step = buf[k];
      }
      p[k] -= (real)(lr * step);
    }
  }
  ++steps_;
}

// [doc:clip-grad-norm]
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  NoGradGuard no_grad;
  // [exercise:4.3] clip_grad_norm_: one global norm, every gradient scaled by the same factor
  double total = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    for (real x : g.to_vector()) total += (double)x * x;
  }
  total = std::sqrt(total);
  double scale = max_norm / (total + 1e-6);
  if (scale < 1)
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (g.defined()) g.mul_((real)scale);
    }
  return total;
  // [/exercise]
}
// [/doc]

// [doc:ema]
void ema_update_(const std::vector<Tensor>& average, const std::vector<Tensor>& params, double decay, int64_t step) {
  NoGradGuard no_grad;
  CZ_CHECK(average.size() == params.size(), "ema_update_",
           str(average.size(), " averaged tensors for ", params.size(), " parameters"),
           "average a copy of the same module");
  const real w = (real)(1 - std::min(decay, (1.0 + (double)step) / (10.0 + (double)step)));
  for (size_t i = 0; i < params.size(); ++i) {
    CZ_CHECK(average[i].shape() == params[i].shape(), "ema_update_",
             str("tensor ", i, " has shape ", shape_str(average[i].shape()), ", its parameter ",
                 shape_str(params[i].shape())),
             "average a copy of the same module");
    Tensor pc = params[i].contiguous();
    Tensor avg = average[i];  // a handle: the same storage
    CZ_CHECK(avg.is_contiguous(), "ema_update_", str("averaged tensor ", i, " is a strided view"),
             "average a module's own parameters");
    real* a = avg.data();
    const real* p = pc.data();
    for (int64_t j = 0, n = params[i].numel(); j < n; ++j) a[j] += w * (p[j] - a[j]);
  }
}
// [/doc]

}  // namespace cadenza::optim
