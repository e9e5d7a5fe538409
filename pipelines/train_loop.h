// train_loop.h: the one training loop every model in pipelines/ and the demos runs:
// epochs of batches with a progress bar (loss and ETA), validation after each epoch,
// the learning rate divided when the valid loss stops improving, early stopping, the
// best-on-valid parameters restored at the end, and a stop flag (Ctrl-C) that ends it
// cleanly between steps. What a step does is the caller's: the hooks below, and for a GAN's
// two networks, adversarial_round.
// Chapters: docs/04-modules-losses-optimisers.md (the loop), docs/08-recurrent-networks.md.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/nn/module.h"
#include "engine/optim/optim.h"

namespace pipelines {

// Where a fit stands after its last finished epoch: with the model's and optimiser's state and
// the generator's, enough to continue it exactly (poly::RunState keeps all of it).
struct FitState {
  int epochs_done = 0;
  std::vector<double> train_loss, valid_loss;  // one per finished epoch
  int best_epoch = 0;                          // 0: none yet
  double best_valid = 1e30;
  int bad = 0;                                  // epochs since the valid loss last improved
  std::map<std::string, cadenza::Tensor> best;  // the best-on-valid parameters
};

struct FitOptions {
  int epochs = 1;
  int patience = 0;     // stop after this many epochs without a better valid loss (0: never)
  int decay_every = 0;  // divide the learning rate after every this many such epochs (0: never)
  double decay_factor = 4;
  std::string loss_label = "loss";  // shown as "loss 0.41" on the bar
  std::string valid_label = "valid loss";
  const volatile bool* stop = nullptr;  // set by a signal handler: the loop ends after the current step
  FitState* state = nullptr;            // in: where to start (a resumed run); out: kept up to date after each epoch
};

struct FitHooks {
  // The batches of an epoch (indices into the caller's examples), shuffled as the caller likes.
  std::function<std::vector<std::vector<size_t>>(int epoch)> batches;
  // One optimiser step on one batch; returns the text for the bar ("train NLL 8.71").
  std::function<std::string(const std::vector<size_t>& batch)> step;
  // The epoch's training loss, read after its last step.
  std::function<double()> train_loss;
  // The loss on the valid split, or empty: no validation, no early stopping, no restore.
  std::function<double()> valid_loss;
  // Divides the learning rate by factor and returns the new one (needed with decay_every).
  std::function<double(double factor)> divide_lr;
  // Keeps the best-on-valid parameters of this module and restores them at the end.
  cadenza::nn::Module* model = nullptr;
  // Called after each finished epoch, with the state a resumed run would start from: the moment
  // to snapshot the model, the optimiser and the generator.
  std::function<void(const FitState&)> epoch_done;
};

struct FitLog {
  std::vector<double> train_loss, valid_loss;  // one per finished epoch
  int best_epoch = 0;                          // 0: no epoch finished (or no validation)
  double best_valid = 0;
  double seconds = 0;
  bool stopped = false;  // the stop flag ended it
};

FitLog fit(const FitHooks& hooks, const FitOptions& opt);

// A FitState (without its best parameters, which are tensors) as checkpoint metadata under
// "resume.*" keys, and back; errors name `path` and say it is not a resume file.
void fit_state_to_metadata(const FitState& s, std::map<std::string, std::string>& meta);
FitState fit_state_from_metadata(const std::map<std::string, std::string>& meta, const std::string& path);
// Numbers as "1.5,2,3" with every digit kept, and back (for per-epoch curves in metadata).
std::string join_numbers(const std::vector<double>& v);
std::vector<double> split_numbers(const std::string& s, const std::string& key, const std::string& path);

// The four lines at the end of every step: loss.backward(), the gradients' global norm clipped
// to max_norm (0: not clipped), opt.step(), opt.zero_grad().
void backward_and_step(const cadenza::Tensor& loss, cadenza::optim::Optimizer& opt, double max_norm);

// [doc:adversarial-round]
// Two networks, two optimisers: one round of a GAN's training on one batch, for fit's step hook.
// n_critic discriminator steps (WGAN-GP uses 5), then one generator step. Each step zeroes both
// optimisers' gradients after it, so the generator's loss never pushes on the discriminator's
// parameters or the other way round, whatever the caller detached.
struct AdversarialStep {
  std::function<cadenza::Tensor(const std::vector<size_t>& batch)> d_loss;  // D's loss (penalty included)
  std::function<cadenza::Tensor(const std::vector<size_t>& batch)> g_loss;  // G's loss
  cadenza::optim::Optimizer* d_opt = nullptr;
  cadenza::optim::Optimizer* g_opt = nullptr;
  int n_critic = 1;
  double max_norm = 0;  // clip each network's gradients to this global norm (0: not clipped)
};
struct AdversarialLosses {
  double d = 0, g = 0;  // D's loss at its last step, and G's
};
// `round` numbers the round in messages. A NaN or Inf loss stops it before that step's update, with
// an error naming the round, the network and the loss: the parameters stay as the last good step left them.
AdversarialLosses adversarial_round(const AdversarialStep& s, const std::vector<size_t>& batch, int64_t round);
// [/doc]

}  // namespace pipelines
