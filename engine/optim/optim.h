// optim.h: SGD (momentum, Nesterov, weight decay), Adam, AdamW, RMSprop and
// clip_grad_norm_, following torch.optim's update rules exactly.
//
// Optimisers read only each parameter's .grad. They do not care how it got
// there: autograd, or a hand-written rule like the RBM's contrastive divergence
// (which calls set_grad). step() updates parameters in place under NoGradGuard.
// Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/core/tensor.h"

namespace cadenza::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();  // drops every parameter's .grad
  double lr;         // schedules change this between steps
  int64_t steps() const { return steps_; }
  const std::vector<Tensor>& params() const { return params_; }

  // Optimiser state (moment estimates, step count) for resuming training.
  // Keys look like "state.3.exp_avg"; they sit beside the model's in a checkpoint.
  std::map<std::string, Tensor> state_dict() const;
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  // Per-parameter buffer `name`, created as zeros on first use.
  Tensor& buffer(size_t i, const std::string& name);
  std::vector<Tensor> params_;
  std::vector<std::map<std::string, Tensor>> state_;
  int64_t steps_ = 0;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0, double weight_decay = 0, bool nesterov = false,
      double dampening = 0);
  void step() override;
  double momentum, weight_decay, dampening;
  bool nesterov;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
       double weight_decay = 0);
  void step() override;
  double beta1, beta2, eps, weight_decay;

 protected:
  bool decoupled_ = false;  // AdamW: decay the weights directly, not through the gradient
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 1e-2);
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weight_decay = 0,
          double momentum = 0);
  void step() override;
  double alpha, eps, weight_decay, momentum;
};

// Scales all gradients together so their global L2 norm is at most max_norm.
// Returns the norm before clipping (as torch.nn.utils.clip_grad_norm_ does).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

// Polyak averaging as an exponential moving average, as torch.optim.swa_utils's EMA:
// average += (1 - d) * (param - average) for each pair, element by element, where
// d = min(decay, (1 + step) / (10 + step)) so that early averages are not held at the
// initial weights (tf.train.ExponentialMovingAverage's num_updates). Evaluate with the
// averaged parameters; keep training the others.
void ema_update_(const std::vector<Tensor>& average, const std::vector<Tensor>& params, double decay, int64_t step);

}  // namespace cadenza::optim
