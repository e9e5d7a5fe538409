// schedule.cpp: see schedule.h. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/optim/schedule.h"

#include <cmath>

namespace cadenza::optim {

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma)
    : opt_(opt), step_size_(step_size), gamma_(gamma), base_lr_(opt.lr) {
  if (step_size <= 0) fail("StepLR", str("step_size must be positive, got ", step_size), "");
}
double StepLR::get_lr() const { return base_lr_ * std::pow(gamma_, (double)(t_ / step_size_)); }
void StepLR::step() {
  ++t_;
  opt_.lr = get_lr();
}

CosineWithWarmup::CosineWithWarmup(Optimizer& opt, int64_t warmup, int64_t total, double min_lr)
    : opt_(opt), warmup_(warmup), total_(total), min_lr_(min_lr), base_lr_(opt.lr) {
  if (warmup < 0 || total <= warmup)
    fail("CosineWithWarmup", str("need 0 <= warmup < total, got warmup=", warmup, " total=", total), "");
  opt_.lr = lr_at(0);
}
// [doc:cosine-warmup]
double CosineWithWarmup::lr_at(int64_t t) const {
  // [exercise:4.5] the warm-up then cosine learning-rate schedule
  if (t < warmup_) return base_lr_ * (double)(t + 1) / (double)warmup_;
  if (t >= total_) return min_lr_;
  double progress = (double)(t - warmup_) / (double)(total_ - warmup_);  // 0 -> 1
  return min_lr_ + 0.5 * (base_lr_ - min_lr_) * (1 + std::cos(M_PI * progress));
  // [/exercise]
}
// [/doc]
double CosineWithWarmup::get_lr() const { return lr_at(t_); }
void CosineWithWarmup::step() {
  ++t_;
  opt_.lr = lr_at(t_);
}

}  // namespace cadenza::optim
