// schedule.h: learning-rate schedules. Call step() once per epoch (StepLR) or
// per optimiser step (CosineWithWarmup); each sets opt.lr.
// Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include "engine/optim/optim.h"

namespace cadenza::optim {

// lr = base_lr * gamma^(floor(t / step_size))
class StepLR {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);
  void step();
  double get_lr() const;

 private:
  Optimizer& opt_;
  int64_t step_size_, t_ = 0;
  double gamma_, base_lr_;
};

// Linear warm-up from 0 to base_lr over `warmup` steps, then a half cosine
// down to min_lr at `total` steps (and min_lr after).
class CosineWithWarmup {
 public:
  CosineWithWarmup(Optimizer& opt, int64_t warmup, int64_t total, double min_lr = 0);
  void step();
  double get_lr() const;
  double lr_at(int64_t t) const;

 private:
  Optimizer& opt_;
  int64_t warmup_, total_, t_ = 0;
  double min_lr_, base_lr_;
};

}  // namespace cadenza::optim
