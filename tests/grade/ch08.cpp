// Graded exercises of chapter 8 (docs/08-recurrent-networks.md): recurrent cells composed
// from ops, each checked against the fused kernel the layers run, and the padding mask.
// Forward values only: the backward of matmul is exercise 2.4.
#include "engine/models/decoding.h"
#include "engine/models/frame_models.h"
#include "engine/nn/rnn.h"
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;
using cadenza::models::sampling_distribution;
using cadenza::models::SamplingOptions;

GRADE("8.1", 3, 30, "the LSTM cell from ops: i, f, g, o and the new c and h") {
  Generator g(21);
  for (auto shape : {std::vector<int64_t>{1, 1, 1}, {3, 5, 7}, {4, 2, 33}}) {
    const int64_t B = shape[0], I = shape[1], H = shape[2];
    CAPTURE(H);
    Tensor x = randn({B, I}, g), h = randn({B, H}, g), c = randn({B, H}, g);
    Tensor w_ih = randn({4 * H, I}, g), w_hh = randn({4 * H, H}, g), b_ih = randn({4 * H}, g), b_hh = randn({4 * H}, g);
    nn::LSTMCellState s = nn::lstm_cell_composed(x, h, c, w_ih, w_hh, b_ih, b_hh);
    Tensor hc = lstm_cell(matmul(x, w_ih.t()) + matmul(h, w_hh.t()) + b_ih + b_hh, c);  // (B, 2H): h then c
    CHECK_TENSOR_CLOSE(s.h, hc.slice(1, 0, H), 1e-5, 1e-4);
    CHECK_TENSOR_CLOSE(s.c, hc.slice(1, H, 2 * H), 1e-5, 1e-4);
    nn::LSTMCellState nb = nn::lstm_cell_composed(x, h, c, w_ih, w_hh);  // no biases
    Tensor hc0 = lstm_cell(matmul(x, w_ih.t()) + matmul(h, w_hh.t()), c);
    CHECK_TENSOR_CLOSE(nb.h, hc0.slice(1, 0, H), 1e-5, 1e-4);
  }
}

GRADE("8.2", 1, 10, "the padding mask from sequence lengths") {
  Tensor m = nn::lengths_to_mask({3, 1, 2}, 3);
  CHECK(m.shape() == Shape{3, 3});
  CHECK_TENSOR_CLOSE(m, T({1, 1, 1, 1, 0, 1, 1, 0, 0}, {3, 3}), 0, 0);
  expect_error([] { nn::lengths_to_mask({2, 0}, 3); }, {"lengths[1] = 0"});
  expect_error([] { nn::lengths_to_mask({4}, 3); }, {"lengths[0] = 4", "1..3"});
}

GRADE("8.3", 3, 35, "RNN-NADE's logits from ops: each key conditioned on the keys below it") {
  Generator g(22);
  for (auto shape : {std::vector<int64_t>{1, 1, 1}, {7, 5, 3}, {9, 88, 17}}) {
    const int64_t N = shape[0], K = shape[1], Hn = shape[2];
    CAPTURE(K);
    Tensor b = randn({N, K}, g), c = randn({N, Hn}, g), W = randn({Hn, K}, g), V = randn({K, Hn}, g);
    Tensor v = bernoulli(Tensor::full({N, K}, 0.3f), g);
    CHECK_TENSOR_CLOSE(models::nade_logits_composed(b, c, W, V, v), nade_logits(b, c, W, V, v), 1e-4, 1e-4);
  }
}

GRADE("8.4", 3, 30, "the GRU cell from ops: r, z, n and the new h") {
  Generator g(23);
  for (auto shape : {std::vector<int64_t>{1, 1, 1}, {3, 4, 6}, {2, 5, 17}}) {
    const int64_t B = shape[0], I = shape[1], H = shape[2];
    CAPTURE(H);
    Generator init(5);
    nn::GRU gru(I, H, {}, init);
    Tensor x = randn({1, B, I}, g), h0 = randn({1, B, H}, g);
    Tensor want = gru.forward(x, {h0, {}}).output.reshape({B, H});
    const auto& w = gru.layers[0];
    Tensor got = nn::gru_cell_composed(x.reshape({B, I}), h0.reshape({B, H}), w.w_ih, w.w_hh, w.b_ih, w.b_hh);
    CHECK_TENSOR_CLOSE(got, want, 1e-5, 1e-4);
  }
}

GRADE("8.5", 3, 30, "temperature, top-k and top-p sampling") {
  std::vector<real> logits = {1, 2, 3, 4};
  auto softmax_of = [&](double temp) {
    std::vector<double> p;
    double z = 0;
    for (real l : logits) z += std::exp(l / temp);
    for (real l : logits) p.push_back(std::exp(l / temp) / z);
    return p;
  };
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-6));
  };
  SamplingOptions o;
  same(sampling_distribution(logits, o), softmax_of(1));
  o.temperature = 0.5;
  same(sampling_distribution(logits, o), softmax_of(0.5));
  o.temperature = 1;
  o.top_k = 2;
  std::vector<double> p = softmax_of(1);
  same(sampling_distribution(logits, o), {0, 0, p[2] / (p[2] + p[3]), p[3] / (p[2] + p[3])});
  o.top_k = 0;
  o.top_p = 0.5;  // the most likely token alone already has 0.64
  same(sampling_distribution(logits, o), {0, 0, 0, 1});
  o.top_p = 0.9;  // 0.64 + 0.24 < 0.9: a third token is needed
  double z3 = p[1] + p[2] + p[3];
  same(sampling_distribution(logits, o), {0, p[1] / z3, p[2] / z3, p[3] / z3});
  o.top_p = 0.9, o.top_k = 2;  // both: the smaller set wins
  same(sampling_distribution(logits, o), {0, 0, p[2] / (p[2] + p[3]), p[3] / (p[2] + p[3])});
  SamplingOptions one;
  one.top_k = 1;  // a tie: the first of the equal tokens is kept, every time
  same(sampling_distribution({5, 5, -1}, one), {1, 0, 0});
}
