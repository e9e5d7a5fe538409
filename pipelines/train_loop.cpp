// train_loop.cpp: see train_loop.h. Chapters: docs/04-modules-losses-optimisers.md,
// docs/08-recurrent-networks.md.
#include "pipelines/train_loop.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "engine/io/safetensors.h"
#include "engine/util/progress.h"

namespace pipelines {

using cadenza::str;
using cadenza::Tensor;

// [doc:fit]
FitLog fit(const FitHooks& h, const FitOptions& opt) {
  FitState local;
  FitState& st = opt.state ? *opt.state : local;  // a resumed run starts where its state says
  auto stopped = [&] { return opt.stop && *opt.stop; };
  auto started = std::chrono::steady_clock::now();
  for (int epoch = st.epochs_done + 1; epoch <= opt.epochs && !stopped(); ++epoch) {
    std::vector<std::vector<size_t>> batches = h.batches(epoch);
    cadenza::ProgressBar bar(str("epoch ", epoch, "/", opt.epochs), (int64_t)batches.size());
    for (size_t i = 0; i < batches.size() && !stopped(); ++i) bar.update((int64_t)i + 1, h.step(batches[i]));
    if (stopped()) break;
    const double train = h.train_loss();
    st.train_loss.push_back(train);
    bool stop_now = false;
    if (!h.valid_loss) {
      bar.finish(str(opt.loss_label, " ", train));
    } else {
      const double valid = h.valid_loss();
      st.valid_loss.push_back(valid);
      const bool better = valid < st.best_valid - 1e-4;
      bar.finish(str(opt.loss_label, " ", train, "  ", opt.valid_label, " ", valid, better ? "  (best)" : ""));
      if (better) {
        st.best_valid = valid, st.best_epoch = epoch, st.bad = 0;
        if (h.model) {
          st.best.clear();
          for (auto& [k, v] : h.model->state_dict()) st.best[k] = v.clone();
        }
      } else if (++st.bad >= opt.patience && opt.patience > 0) {
        std::printf("no better %s for %d epochs: stopping\n", opt.valid_label.c_str(), opt.patience);
        stop_now = true;
      } else if (opt.decay_every > 0 && st.bad % opt.decay_every == 0) {
        const double lr = h.divide_lr(opt.decay_factor);
        std::printf("%s has not improved for %d epochs: learning rate now %g\n", opt.valid_label.c_str(), st.bad, lr);
      }
    }
    st.epochs_done = epoch;
    if (h.epoch_done) h.epoch_done(st);  // a finished epoch: a point to continue from exactly
    if (stop_now) break;
  }
  if (h.model && !st.best.empty()) h.model->load_state_dict(st.best);  // the best-on-valid parameters
  FitLog log;
  log.train_loss = st.train_loss, log.valid_loss = st.valid_loss;
  log.best_epoch = st.best_epoch, log.best_valid = st.best_epoch ? st.best_valid : 0;
  log.stopped = stopped();
  log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return log;
}
// [/doc]

std::string join_numbers(const std::vector<double>& v) {
  std::string out;
  char b[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(b, sizeof b, "%s%.17g", i ? "," : "", v[i]);
    out += b;
  }
  return out;
}

std::vector<double> split_numbers(const std::string& s, const std::string& key, const std::string& path) {
  std::vector<double> v;
  for (size_t p = 0; p < s.size();) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    v.push_back(cadenza::io::metadata_number(s.substr(p, q - p), key, path));
    p = q + 1;
  }
  return v;
}

void fit_state_to_metadata(const FitState& s, std::map<std::string, std::string>& meta) {
  meta["resume.epochs_done"] = std::to_string(s.epochs_done);
  meta["resume.best_epoch"] = std::to_string(s.best_epoch);
  meta["resume.best_valid"] = join_numbers({s.best_valid});
  meta["resume.bad"] = std::to_string(s.bad);
  meta["resume.train_loss"] = join_numbers(s.train_loss);
  meta["resume.valid_loss"] = join_numbers(s.valid_loss);
}

FitState fit_state_from_metadata(const std::map<std::string, std::string>& meta, const std::string& path) {
  auto need = [&](const std::string& k) -> const std::string& {
    auto it = meta.find(k);
    if (it == meta.end())
      cadenza::fail("resume", "'" + path + "' has no '" + k + "': it is not a resume file",
                    "resume from the resume.safetensors that cadenza train wrote, not model.safetensors");
    return it->second;
  };
  FitState s;
  s.epochs_done = (int)cadenza::io::metadata_int(need("resume.epochs_done"), "resume.epochs_done", path);
  s.best_epoch = (int)cadenza::io::metadata_int(need("resume.best_epoch"), "resume.best_epoch", path);
  s.best_valid = cadenza::io::metadata_number(need("resume.best_valid"), "resume.best_valid", path);
  s.bad = (int)cadenza::io::metadata_int(need("resume.bad"), "resume.bad", path);
  s.train_loss = split_numbers(need("resume.train_loss"), "resume.train_loss", path);
  s.valid_loss = split_numbers(need("resume.valid_loss"), "resume.valid_loss", path);
  return s;
}

void backward_and_step(const Tensor& loss, cadenza::optim::Optimizer& opt, double max_norm) {
  loss.backward();
  if (max_norm > 0) cadenza::optim::clip_grad_norm_(opt.params(), max_norm);
  opt.step();
  opt.zero_grad();
}

static double finite_loss(const Tensor& loss, const char* who, int64_t round) {
  if (!loss.defined() || loss.numel() != 1)
    cadenza::fail("adversarial_round", str(who, "'s loss must be one number"), "reduce it with mean()");
  const double v = loss.item();
  if (!std::isfinite(v))
    cadenza::fail(
        "adversarial_round", str(who, "'s loss is ", v, " at round ", round, "; its parameters were not updated"),
        "lower the learning rate, or clip the gradients (max_norm); the last checkpoint is the last good state");
  return v;
}

AdversarialLosses adversarial_round(const AdversarialStep& s, const std::vector<size_t>& batch, int64_t round) {
  if (!s.d_loss || !s.g_loss || !s.d_opt || !s.g_opt || s.n_critic < 1)
    cadenza::fail("adversarial_round", "needs both losses, both optimisers and n_critic >= 1", "");
  auto step = [&](const Tensor& loss, cadenza::optim::Optimizer& opt) {
    loss.backward();
    if (s.max_norm > 0) cadenza::optim::clip_grad_norm_(opt.params(), s.max_norm);
    opt.step();
    s.d_opt->zero_grad();
    s.g_opt->zero_grad();
  };
  AdversarialLosses out;
  for (int i = 0; i < s.n_critic; ++i) {
    Tensor d = s.d_loss(batch);
    out.d = finite_loss(d, "the discriminator", round);
    step(d, *s.d_opt);
  }
  Tensor g = s.g_loss(batch);
  out.g = finite_loss(g, "the generator", round);
  step(g, *s.g_opt);
  return out;
}

}  // namespace pipelines
