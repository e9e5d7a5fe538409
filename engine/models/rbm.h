// rbm.h: a Bernoulli–Bernoulli Restricted Boltzmann Machine.
//
//   energy   E(v, h) = -v·bv - h·bh - v W h          v: (V,) in {0,1}   h: (H,) in {0,1}   W: (V, H)
//   p(h_j = 1 | v) = sigmoid(v W + bh)_j            p(v_i = 1 | h) = sigmoid(W h + bv)_i
//   free energy F(v) = -v·bv - sum_j softplus((v W + bh)_j),   p(v) = exp(-F(v)) / Z
//
// Training follows the log-likelihood gradient <v h>_data - <v h>_model, with the
// model term estimated by contrastive divergence (CD-k: k Gibbs steps from the
// data) or persistent CD (chains that carry over between updates). The gradient
// is written into .grad with set_grad, so any optimiser from engine/optim works.
// Z is computed exactly for small hidden layers and by annealed importance
// sampling otherwise. Chapter: docs/07-rbm.md.
#pragma once
#include <functional>

#include "engine/ops/random.h"
#include "engine/nn/module.h"
#include "engine/ops/ops.h"

namespace cadenza::models {

// How the RBM is set up and trained. `faithful()` is the seed tutorial's exact recipe.
struct RBMOptions {
  double init_mean = 0.0, init_std = 0.01;  // W ~ N(mean, std)
  int cd_k = 1;                             // Gibbs steps in the negative phase
  bool persistent = false;                  // PCD: keep the negative chains between updates
  bool positive_probabilities = true;       // positive phase statistics from p(h|v) rather than a sample
  bool negative_probabilities = true;       // the same for the negative phase's hidden units
  static RBMOptions faithful() {            // ../shared/notes/seed-rbm-demo.md §1.5
    RBMOptions o;
    o.init_mean = 0.01, o.init_std = 1.0;  // tf.random_normal([V, H], 0.01): the mean was meant as the std
    o.positive_probabilities = o.negative_probabilities = false;
    return o;
  }
};

class RBM : public nn::Module {
 public:
  RBM(int64_t n_visible, int64_t n_hidden, const RBMOptions& opt = {}, Generator& gen = default_generator());
  std::string type_name() const override { return str("RBM(", n_visible, " visible, ", n_hidden, " hidden)"); }

  // ---- the two conditionals and Gibbs sampling ----
  Tensor hidden_probs(const Tensor& v) const;   // (B, V) -> (B, H)
  Tensor visible_probs(const Tensor& h) const;  // (B, H) -> (B, V)
  // The same two, as their definitions say, with the dense matmul: the reference the fast
  // versions (which skip the zeros of binary batches) are tested against.
  Tensor hidden_probs_ref(const Tensor& v) const;
  Tensor visible_probs_ref(const Tensor& h) const;
  struct GibbsOptions {
    int steps = 1;
    const Tensor* clamp_mask = nullptr;      // (V,) or (B, V): 1 where the visible unit is held at its start value
    std::function<double(int)> temperature;  // step -> T (annealing: start hot, end at 1); empty: T = 1
    bool mean_field_last = false;            // return probabilities on the last step instead of a sample
  };
  Tensor gibbs(const Tensor& v0, const GibbsOptions& opt, Generator& gen) const;

  // PCD's chains (undefined until the first persistent update), for a checkpoint to carry.
  const Tensor& persistent_chain() const { return persistent_chain_; }
  void set_persistent_chain(const Tensor& chain) { persistent_chain_ = chain; }

  // ---- quantities ----
  Tensor free_energy(const Tensor& v) const;           // (B, V) -> (B,)
  double reconstruction_error(const Tensor& v) const;  // mean squared error of one mean-field up-down pass
  // Pseudo-log-likelihood, PLL(v) = sum_i log p(v_i | v_-i), mean over the batch. Each term is
  // log sigmoid(F(v with bit i flipped) - F(v)). With units < V, each example's sum is estimated from
  // that many units drawn at random (times V / units); units >= V sums every unit, exactly.
  double pseudo_log_likelihood(const Tensor& v, Generator& gen, int64_t units = 64) const;
  double log_partition_exact() const;  // enumerates the 2^H hidden states (H <= 24)
  // Annealed importance sampling (Salakhutdinov & Murray 2008) from the base RBM with W = 0, bh = 0
  // and the data's visible biases; returns log Z and its standard error over runs.
  struct AISResult {
    double log_z, stderr_log_z;
  };
  // progress: a bar over the temperatures (cadenza eval; a long estimate is otherwise silent).
  AISResult log_partition_ais(int runs, int betas, Generator& gen, const Tensor* base_visible_bias = nullptr,
                              bool progress = false) const;
  Tensor log_prob(const Tensor& v, double log_z) const { return neg(free_energy(v)) - Tensor::scalar((real)log_z); }

  // ---- training ----
  // Sets bv to the data's log-odds log(p / (1 - p)) per visible unit, so an untrained
  // model already has the data's note frequencies (Hinton, "A practical guide to
  // training RBMs", 2010, section 8.1). data: (N, V) of 0/1.
  void init_visible_bias(const Tensor& data);
  // One contrastive-divergence update's gradient, written into W/bv/bh .grad
  // (as the NEGATIVE log-likelihood gradient, so optimisers minimise). Returns
  // the batch's reconstruction error, or 0 with monitor = false (one product of
  // the batch with W fewer: the benchmark's update). batch: (B, V) of 0/1.
  double contrastive_divergence(const Tensor& batch, Generator& gen, bool monitor = true);

  int64_t n_visible, n_hidden;
  RBMOptions options;
  Tensor W, bv, bh;  // (V, H), (V,), (H,)

 private:
  Tensor persistent_chain_;  // PCD: the model's fantasy particles
};

}  // namespace cadenza::models
