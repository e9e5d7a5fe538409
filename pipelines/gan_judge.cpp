// gan_judge.cpp: judging generated phrases by their feature distributions and by classifiers
// trained to tell them from real ones (see gan.h, Judgement).
// Chapter: docs/12-adversarial-networks.md ("Feature distributions", "A classifier as the judge").
#include <cstdio>
#include <map>

#include "pipelines/gan.h"

using namespace cadenza;

namespace gan {

namespace {
std::vector<size_t> evenly(size_t n, size_t want) {
  std::vector<size_t> idx;
  const size_t k = std::min(n, want);
  for (size_t i = 0; i < k; ++i) idx.push_back(i * n / k);
  return idx;
}
// Both tracks' features, and all of them as one row for the logistic regression.
struct PhraseFeatures {
  music::Features track[2];
  std::vector<real> row() const {
    std::vector<real> v;
    for (const music::Features& f : track)
      for (const std::vector<double>& x : f) v.insert(v.end(), x.begin(), x.end());
    return v;
  }
};
PhraseFeatures features_of(const music::Phrase& p) {
  return {{music::roll_features(runs_only(p.melody)), music::roll_features(runs_only(p.accompaniment))}};
}
}  // namespace

Judgement judge(const std::vector<music::Phrase>& reference, const std::vector<music::Phrase>& other, Generator& gen,
                const JudgeOptions& opt) {
  if (reference.size() < 4 || other.size() < 4)
    fail("gan judge", str(reference.size(), " reference and ", other.size(), " other phrases"),
         "give each set at least 4 phrases");
  Judgement j;
  const std::vector<size_t> ra = evenly(reference.size(), opt.per_set), ob = evenly(other.size(), opt.per_set);
  j.feature_phrases = (int64_t)std::min(ra.size(), ob.size());
  std::vector<PhraseFeatures> fa, fb;
  for (size_t i : ra) fa.push_back(features_of(reference[i]));
  for (size_t i : ob) fb.push_back(features_of(other[i]));
  for (int f = 0; f < music::kFeatures; ++f) {
    FeatureRow row;
    row.feature = music::feature_name(f);
    for (int k = 0; k < 2; ++k) {
      std::vector<std::vector<double>> a, b;
      for (const PhraseFeatures& x : fa) a.push_back(x.track[k][(size_t)f]);
      for (const PhraseFeatures& x : fb) b.push_back(x.track[k][(size_t)f]);
      row.track[k] = music::compare_feature(a, b);
      j.overlap += row.track[k].overlap / (2.0 * music::kFeatures);
      j.kl += row.track[k].kl / (2.0 * music::kFeatures);
    }
    j.features.push_back(row);
  }
  // The classifiers: phrases of a piece share a group, so a piece's overlapping phrases stay on one side.
  const std::vector<size_t> ca = evenly(reference.size(), opt.classifier_rows),
                            cb = evenly(other.size(), opt.classifier_rows);
  std::map<std::string, int64_t> piece_id;
  std::vector<int64_t> groups;
  std::vector<real> rows_a, rows_b;
  for (size_t i : ca) {
    groups.push_back(piece_id.emplace(reference[i].piece, (int64_t)piece_id.size()).first->second);
    const std::vector<real> r = features_of(reference[i]).row();
    rows_a.insert(rows_a.end(), r.begin(), r.end());
  }
  for (size_t i : cb) {
    const std::vector<real> r = features_of(other[i]).row();
    rows_b.insert(rows_b.end(), r.begin(), r.end());
  }
  const int64_t width = (int64_t)(rows_a.size() / ca.size());
  pipelines::TwoSampleOptions lo;
  j.logistic = pipelines::two_sample_test(Tensor::from_vector(rows_a, {(int64_t)ca.size(), width}), groups,
                                          Tensor::from_vector(rows_b, {(int64_t)cb.size(), width}), lo, gen);
  if (opt.cnn) {
    pipelines::TwoSampleOptions co;
    co.model = "cnn";
    j.cnn = pipelines::two_sample_test(to_tensor(reference, ca), groups, to_tensor(other, cb), co, gen);
  }
  return j;
}

std::string judgement_table(const Judgement& g, const Judgement& y) {
  std::string out =
      "Each cell: generated against real held-out phrases, then (in brackets) training phrases against the same "
      "held-out ones, the yardstick. OA: overlap area of the intra-set and inter-set distance densities (1 is "
      "best). KL: KL(intra || inter) in nats (0 is best).\n\n"
      "| feature | melody OA | melody KL | accompaniment OA | accompaniment KL |\n|---|---:|---:|---:|---:|\n";
  char b[512];
  for (size_t f = 0; f < g.features.size() && f < y.features.size(); ++f) {
    const FeatureRow &a = g.features[f], &r = y.features[f];
    std::snprintf(b, sizeof b, "| %s | %.2f (%.2f) | %.3f (%.3f) | %.2f (%.2f) | %.3f (%.3f) |\n", a.feature.c_str(),
                  a.track[0].overlap, r.track[0].overlap, a.track[0].kl, r.track[0].kl, a.track[1].overlap,
                  r.track[1].overlap, a.track[1].kl, r.track[1].kl);
    out += b;
  }
  std::snprintf(b, sizeof b, "| **mean of both tracks** | **%.2f** (%.2f) | **%.3f** (%.3f) | | |\n\n", g.overlap,
                y.overlap, g.kl, y.kl);
  out += b;
  out +=
      "| feature, mean ± std | melody, real | melody, generated | accompaniment, real | accompaniment, generated |\n"
      "|---|---:|---:|---:|---:|\n";
  for (const FeatureRow& a : g.features) {
    if (!a.track[0].scalar) continue;
    std::snprintf(b, sizeof b, "| %s | %.2f ± %.2f | %.2f ± %.2f | %.2f ± %.2f | %.2f ± %.2f |\n", a.feature.c_str(),
                  a.track[0].mean_a, a.track[0].std_a, a.track[0].mean_b, a.track[0].std_b, a.track[1].mean_a,
                  a.track[1].std_a, a.track[1].mean_b, a.track[1].std_b);
    out += b;
  }
  out +=
      "\nA classifier two-sample test: trained on half of each set (real phrases split by piece), scored on "
      "the other half. 0.50 means it cannot tell them apart.\n\n"
      "| classifier | generated vs real | training vs held-out (yardstick) | phrases per set per half |\n"
      "|---|---:|---:|---:|\n";
  auto c2st = [&](const char* name, const pipelines::TwoSampleResult& a, const pipelines::TwoSampleResult& r) {
    std::snprintf(b, sizeof b, "| %s | %.3f ± %.3f | %.3f ± %.3f | %lld |\n", name, a.accuracy, a.ci95, r.accuracy,
                  r.ci95, (long long)a.test);
    out += b;
  };
  c2st("logistic regression on the features", g.logistic, y.logistic);
  if (g.cnn.test > 0) c2st("small CNN on the rolls", g.cnn, y.cnn);
  std::snprintf(b, sizeof b, "\n%lld phrases of each set in the feature distributions.\n",
                (long long)g.feature_phrases);
  return out + b;
}

std::string judge_samples(const Data& d, const std::vector<music::Phrase>& samples, int transpose, Generator& gen,
                          const JudgeOptions& opt) {
  const std::vector<music::Phrase> test = transposed(d.test, transpose, gen);
  const Judgement g = judge(test, samples, gen, opt);
  const Judgement y = judge(test, transposed(d.train, transpose, gen), gen, opt);
  return judgement_table(g, y);
}

}  // namespace gan
