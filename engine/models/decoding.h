// decoding.h: turning a model's next-token scores into sequences.
//   sample_token   greedy (temperature 0), temperature, top-k and top-p (nucleus) sampling
//   beam_search    keep the `beam` most likely prefixes at every step
// Both work on any model that can score the next token: the melody LSTM and the
// Seq2Seq harmoniser use them. Chapters: docs/08-recurrent-networks.md (sampling),
// docs/09-attention-and-seq2seq.md ("Decoding": beam search).
#pragma once
#include <functional>
#include <vector>

#include "engine/ops/random.h"
#include "engine/core/tensor.h"

namespace cadenza::models {

struct SamplingOptions {
  double temperature = 1.0;  // 0: greedy (argmax); < 1 sharper, > 1 flatter
  int64_t top_k = 0;         // keep only the k most likely tokens (0: all)
  double top_p = 1.0;        // keep the smallest set whose probability reaches p (1: all)
};

// logits: one score per token. Returns the chosen token.
int64_t sample_token(const std::vector<real>& logits, const SamplingOptions& opt, Generator& gen);
// The distribution sample_token draws from, after temperature, top-k and top-p (for tests and pictures).
std::vector<double> sampling_distribution(const std::vector<real>& logits, const SamplingOptions& opt);

// A model seen by beam search: scores the next token of every live hypothesis, and
// follows the search when it keeps some hypotheses and drops others.
class BeamModel {
 public:
  virtual ~BeamModel() = default;
  // last[i]: the latest token of hypothesis i. Returns (hypotheses, vocab) log-probabilities.
  virtual Tensor log_probs(const std::vector<int64_t>& last) = 0;
  // Hypothesis i of the next step continues old hypothesis parents[i].
  virtual void reorder(const std::vector<int64_t>& parents) = 0;
};

struct Hypothesis {
  std::vector<int64_t> tokens;  // without the start token
  double log_prob = 0;
};

// Starts from one hypothesis whose latest token is `start`; stops at `length`
// tokens (or when every hypothesis has ended with `end`, if end >= 0).
// Returns the hypotheses, best first.
std::vector<Hypothesis> beam_search(BeamModel& model, int64_t start, int64_t end, int64_t length, int64_t beam);

}  // namespace cadenza::models
