// decoding.cpp: see decoding.h. Chapters 8 (sampling) and 9 (beam search).
#include "engine/models/decoding.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/core/error.h"
#include "engine/ops/ops.h"

namespace cadenza::models {

// [doc:sampling]
std::vector<double> sampling_distribution(const std::vector<real>& logits, const SamplingOptions& o) {
  if (logits.empty()) fail("sample_token", "no logits", "the model returned an empty score vector");
  if (o.temperature < 0 || o.top_p <= 0 || o.top_p > 1 || o.top_k < 0)
    fail("sample_token",
         str("need temperature >= 0, 0 < top_p <= 1, top_k >= 0; got ", o.temperature, ", ", o.top_p, ", ", o.top_k),
         "");
  const size_t V = logits.size();
  std::vector<double> p(V, 0.0);
  size_t best = (size_t)(std::max_element(logits.begin(), logits.end()) - logits.begin());
  if (o.temperature == 0) {  // greedy
    p[best] = 1;
    return p;
  }
  // [exercise:8.5] temperature, top-k and top-p (nucleus) sampling
  // softmax(logits / T), computed stably
  for (size_t i = 0; i < V; ++i) p[i] = std::exp(((double)logits[i] - logits[best]) / o.temperature);
  // tokens by decreasing probability; keep the top k, then the smallest prefix with mass >= top_p
  std::vector<size_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
  double total = std::accumulate(p.begin(), p.end(), 0.0), mass = 0;
  size_t keep = o.top_k > 0 ? std::min(V, (size_t)o.top_k) : V;
  for (size_t r = 0; r < keep; ++r) {
    mass += p[order[r]] / total;
    if (mass >= o.top_p) {
      keep = r + 1;
      break;
    }
  }
  for (size_t r = keep; r < V; ++r) p[order[r]] = 0;
  double z = 0;
  for (double x : p) z += x;
  for (double& x : p) x /= z;
  return p;
  // [/exercise]
}
// [/doc]

int64_t sample_token(const std::vector<real>& logits, const SamplingOptions& o, Generator& gen) {
  std::vector<double> p = sampling_distribution(logits, o);
  double u = gen.uniform(), acc = 0;
  int64_t last = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) continue;
    acc += p[i], last = (int64_t)i;
    if (u < acc) return (int64_t)i;
  }
  return last;  // rounding left u just above the total
}

// [doc:beam-search]
std::vector<Hypothesis> beam_search(BeamModel& model, int64_t start, int64_t end, int64_t length, int64_t beam) {
  if (beam < 1 || length < 1) fail("beam_search", str("beam and length must be >= 1, got ", beam, " and ", length), "");
  // [exercise:9.4] beam search over any BeamModel
  std::vector<Hypothesis> live = {Hypothesis{}};
  for (int64_t step = 0; step < length; ++step) {
    std::vector<int64_t> last;
    for (const Hypothesis& h : live) last.push_back(h.tokens.empty() ? start : h.tokens.back());
    std::vector<real> lp = model.log_probs(last).contiguous().to_vector();
    const size_t V = lp.size() / live.size();
    // every (hypothesis, token) extension; an ended hypothesis only extends with `end` at no cost
    struct Ext {
      double score;
      size_t parent;
      int64_t token;
    };
    std::vector<Ext> ext;
    for (size_t i = 0; i < live.size(); ++i) {
      bool ended = end >= 0 && !live[i].tokens.empty() && live[i].tokens.back() == end;
      if (ended) {
        ext.push_back({live[i].log_prob, i, end});
        continue;
      }
      for (size_t v = 0; v < V; ++v) ext.push_back({live[i].log_prob + lp[i * V + v], i, (int64_t)v});
    }
    size_t k = std::min(ext.size(), (size_t)beam);
    std::partial_sort(ext.begin(), ext.begin() + (long)k, ext.end(), [](const Ext& a, const Ext& b) {
      return a.score != b.score ? a.score > b.score : a.parent != b.parent ? a.parent < b.parent : a.token < b.token;
    });
    std::vector<Hypothesis> next;
    std::vector<int64_t> parents;
    for (size_t j = 0; j < k; ++j) {
      Hypothesis h = live[ext[j].parent];
      h.tokens.push_back(ext[j].token);
      h.log_prob = ext[j].score;
      next.push_back(std::move(h));
      parents.push_back((int64_t)ext[j].parent);
    }
    live = std::move(next);
    model.reorder(parents);
    bool all_ended = end >= 0;
    for (const Hypothesis& h : live) all_ended = all_ended && h.tokens.back() == end;
    if (all_ended) break;
  }
  return live;
  // [/exercise]
}
// [/doc]

}  // namespace cadenza::models
