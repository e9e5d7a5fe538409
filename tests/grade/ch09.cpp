// Graded exercises of chapter 9 (docs/09-attention-and-seq2seq.md): attention written out
// in loops, the masks and encodings it needs, and the two ways of decoding.
#include <map>

#include "engine/models/decoding.h"
#include "engine/nn/attention.h"
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;
using namespace cadenza::models;

GRADE("9.1", 3, 30, "scaled dot-product attention, masked") {
  Generator g(31);
  const int64_t B = 2, Tq = 3, Tk = 5, d = 4, dv = 6;
  Tensor q = randn({B, Tq, d}, g), k = randn({B, Tk, d}, g), v = randn({B, Tk, dv}, g);
  Tensor mask = T({1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1}, {Tq, Tk});  // (Tq, Tk), shared by the batch
  for (bool masked : {false, true}) {
    CAPTURE(masked);
    nn::Attended a = nn::scaled_dot_product_attention(q, k, v, masked ? mask : Tensor());
    std::vector<real> want_w, want_o;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < Tq; ++i) {
        std::vector<double> s((size_t)Tk);
        double top = -1e30, z = 0;
        for (int64_t j = 0; j < Tk; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < d; ++e) dot += (double)q.at({b, i, e}) * k.at({b, j, e});
          s[(size_t)j] = masked && mask.at({i, j}) == 0 ? -1e30 : dot / std::sqrt((double)d);
          top = std::max(top, s[(size_t)j]);
        }
        for (double& x : s) z += (x = std::exp(x - top));
        for (int64_t j = 0; j < Tk; ++j) want_w.push_back((real)(s[(size_t)j] / z));
        for (int64_t e = 0; e < dv; ++e) {
          double o = 0;
          for (int64_t j = 0; j < Tk; ++j) o += s[(size_t)j] / z * v.at({b, j, e});
          want_o.push_back((real)o);
        }
      }
    CHECK_TENSOR_CLOSE(a.weights, T(want_w, {B, Tq, Tk}), 1e-5, 1e-4);
    CHECK_TENSOR_CLOSE(a.output, T(want_o, {B, Tq, dv}), 1e-5, 1e-4);
  }
}

GRADE("9.2", 1, 5, "the causal mask") {
  CHECK_TENSOR_CLOSE(nn::causal_mask(3), T({1, 0, 0, 1, 1, 0, 1, 1, 1}, {3, 3}), 0, 0);
  CHECK(nn::causal_mask(1).item() == 1);
}

GRADE("9.3", 2, 15, "sinusoidal positional encoding") {
  Tensor pe = nn::positional_encoding(7, 6);
  CHECK(pe.shape() == Shape{7, 6});
  for (int64_t t = 0; t < 7; ++t)
    for (int64_t i = 0; i < 6; i += 2) {
      double angle = (double)t / std::pow(10000.0, (double)i / 6);
      CHECK(pe.at({t, i}) == doctest::Approx(std::sin(angle)).epsilon(1e-5));
      CHECK(pe.at({t, i + 1}) == doctest::Approx(std::cos(angle)).epsilon(1e-5));
    }
}

namespace {
// A first-order Markov chain over 3 tokens: the next token's log-probability depends on the last.
struct Chain : BeamModel {
  std::vector<std::vector<double>> p = {{0.5, 0.4, 0.1}, {0.1, 0.1, 0.8}, {0.35, 0.6, 0.05}};
  std::vector<size_t> reorders;
  Tensor log_probs(const std::vector<int64_t>& last) override {
    std::vector<real> out;
    for (int64_t t : last)
      for (double x : p[(size_t)t]) out.push_back((real)std::log(x));
    return T(out, {(int64_t)last.size(), 3});
  }
  void reorder(const std::vector<int64_t>& parents) override { reorders.push_back(parents.size()); }
};
}  // namespace

GRADE("9.4", 4, 45, "beam search: the beam most likely prefixes at every step") {
  Chain m;
  // Every sequence of 3 tokens after start token 0, by its exact log-probability.
  std::multimap<double, std::vector<int64_t>, std::greater<double>> all;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 3; ++c)
        all.insert({std::log(m.p[0][(size_t)a] * m.p[(size_t)a][(size_t)b] * m.p[(size_t)b][(size_t)c]), {a, b, c}});
  std::vector<Hypothesis> full = beam_search(m, 0, -1, 3, 27);  // a beam as wide as the tree is exact
  REQUIRE(full.size() == 27);
  auto it = all.begin();
  for (size_t i = 0; i < 5; ++i, ++it) CHECK(full[i].log_prob == doctest::Approx(it->first).epsilon(1e-5));
  CHECK(full[0].tokens == all.begin()->second);  // 0 -> 1 -> 2 -> 1: 0.4 * 0.8 * 0.6
  Chain greedy_model;
  std::vector<Hypothesis> greedy = beam_search(greedy_model, 0, -1, 3, 1);
  REQUIRE(greedy.size() == 1);
  CHECK(greedy[0].tokens == std::vector<int64_t>{0, 0, 0});  // greedy takes 0.5 three times: worse than the beam's best
  CHECK(greedy_model.reorders == std::vector<size_t>{1, 1, 1});
  Chain ends;
  std::vector<Hypothesis> stopped = beam_search(ends, 0, 2, 6, 2);  // token 2 ends a hypothesis
  for (const Hypothesis& h : stopped) {
    auto first_end = std::find(h.tokens.begin(), h.tokens.end(), (int64_t)2);
    CHECK(std::all_of(first_end, h.tokens.end(), [](int64_t t) { return t == 2; }));  // nothing after the end
  }
  CHECK(stopped[0].log_prob >= stopped[1].log_prob);
}
