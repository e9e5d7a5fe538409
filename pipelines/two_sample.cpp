// two_sample.cpp: see two_sample.h. Chapter: docs/12-adversarial-networks.md.
#include "pipelines/two_sample.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/nn/conv2d.h"
#include "engine/nn/layers.h"
#include "engine/optim/optim.h"

using namespace cadenza;

namespace pipelines {

namespace {
Tensor rows(const Tensor& x, const std::vector<int64_t>& which) {
  std::vector<real> idx(which.begin(), which.end());
  return index_select(x, 0, Tensor::from_vector(idx, {(int64_t)idx.size()}));
}

// The classifier: a logit per row.
struct Classifier : nn::Module {
  std::shared_ptr<nn::Sequential> body;
  Classifier(const std::string& model, const Shape& shape, Generator& gen) {
    body = std::make_shared<nn::Sequential>();
    if (model == "logistic") {
      body->add(std::make_shared<nn::Linear>(shape[1], 1, true, gen));
    } else {
      Conv2dArgs s2;
      s2.stride = {2, 2};
      body->add(std::make_shared<nn::Conv2d>(shape[1], 8, std::array<int64_t, 2>{4, 4}, s2, true, gen));
      body->add(std::make_shared<nn::LeakyReLU>(0.2));
      body->add(std::make_shared<nn::Conv2d>(8, 16, std::array<int64_t, 2>{4, 4}, s2, true, gen));
      body->add(std::make_shared<nn::LeakyReLU>(0.2));
      head = std::make_shared<nn::Linear>(16, 1, true, gen);
      register_module("head", head);
    }
    register_module("body", body);
  }
  std::shared_ptr<nn::Linear> head;
  Tensor forward(const Tensor& x) {
    Tensor h = body->forward(x);
    return head ? head->forward(mean(h, {2, 3})) : h;
  }
};
}  // namespace

// [doc:two-sample-test]
TwoSampleResult two_sample_test(const Tensor& a_in, const std::vector<int64_t>& a_group, const Tensor& b_in,
                                const TwoSampleOptions& opt, Generator& gen) {
  const bool cnn = opt.model == "cnn";
  if (!cnn && opt.model != "logistic") fail("two_sample_test", "unknown model '" + opt.model + "'", "logistic or cnn");
  if (a_in.dim() != (cnn ? 4 : 2) || b_in.dim() != a_in.dim())
    fail("two_sample_test", str("sets of shape ", shape_str(a_in.shape()), " and ", shape_str(b_in.shape())),
         cnn ? "the cnn takes (N, C, H, W) arrays" : "logistic regression takes (N, D) feature rows");
  if ((int64_t)a_group.size() != a_in.size(0))
    fail("two_sample_test", str(a_group.size(), " groups for ", a_in.size(0), " rows of a"), "one group per row");
  // The halves: a's groups alternate in order of first appearance, b's rows alternate.
  std::map<int64_t, int> half_of;
  std::vector<int64_t> a_half[2], b_half[2];
  for (int64_t i = 0; i < a_in.size(0); ++i) {
    auto it = half_of.find(a_group[(size_t)i]);
    if (it == half_of.end()) it = half_of.emplace(a_group[(size_t)i], (int)(half_of.size() % 2)).first;
    a_half[it->second].push_back(i);
  }
  for (int64_t i = 0; i < b_in.size(0); ++i) b_half[i % 2].push_back(i);
  TwoSampleResult r;
  r.model = opt.model;
  r.train = (int64_t)std::min(a_half[0].size(), b_half[0].size());
  r.test = (int64_t)std::min(a_half[1].size(), b_half[1].size());
  if (r.train < 2 || r.test < 2)
    fail("two_sample_test", str("halves of ", r.train, " and ", r.test, " rows per set"),
         "give each set at least 4 rows, and a at least 2 groups");
  for (int h = 0; h < 2; ++h) a_half[h].resize((size_t)(h ? r.test : r.train)), b_half[h].resize(a_half[h].size());
  auto half = [&](int h, Tensor* y) {
    *y = concat({Tensor::ones({(int64_t)a_half[h].size(), 1}), Tensor::zeros({(int64_t)b_half[h].size(), 1})}, 0);
    return concat({rows(a_in, a_half[h]), rows(b_in, b_half[h])}, 0);
  };
  Tensor y_train, y_test, x_train = half(0, &y_train), x_test = half(1, &y_test);
  if (!cnn) {
    // Standardise each feature by both halves' rows, labels unseen. By the training half alone, a
    // feature almost constant there (a rare pitch class) would have a tiny spread, and a held-out
    // row where it is not constant would get a huge value that swamps every other feature.
    const Tensor all = concat({x_train, x_test}, 0);
    Tensor mu = mean(all, {0}, true), sd = sqrt(mean((all - mu) * (all - mu), {0}, true));
    Tensor scale = where(gt(sd, Tensor::full(sd.shape(), 1e-8)), 1 / (sd + 1e-12), Tensor::ones(sd.shape()));
    x_train = (x_train - mu) * scale, x_test = (x_test - mu) * scale;
  }
  Classifier net(opt.model, x_train.shape(), gen);
  optim::Adam adam(net.parameters(), cnn ? 1e-3 : 0.05, 0.9, 0.999, 1e-8, cnn ? 0 : 1e-3);
  const int64_t n = x_train.size(0), batch = cnn ? opt.batch : n;
  // Defaults: 300 full-batch steps, or 8 epochs of batches and at least 400 steps (a small set needs
  // more passes before the CNN learns anything).
  const int64_t steps_per_epoch = (n + batch - 1) / batch;
  const int epochs = opt.epochs > 0
                         ? opt.epochs
                         : (cnn ? (int)std::max<int64_t>(8, (400 + steps_per_epoch - 1) / steps_per_epoch) : 300);
  for (int e = 0; e < epochs; ++e) {
    std::vector<int64_t> order = cnn ? randperm(n, gen) : std::vector<int64_t>();  // full batch: in order
    if (!cnn)
      for (int64_t i = 0; i < n; ++i) order.push_back(i);
    for (int64_t s = 0; s < n; s += batch) {
      std::vector<int64_t> idx(order.begin() + s, order.begin() + std::min(n, s + batch));
      Tensor loss = binary_cross_entropy_with_logits(net.forward(rows(x_train, idx)), rows(y_train, idx));
      adam.zero_grad();
      loss.backward();
      adam.step();
    }
  }
  NoGradGuard no_grad;
  Tensor logits = net.forward(x_test);
  std::vector<real> l = logits.to_vector(), y = y_test.to_vector();
  int64_t right = 0;
  for (size_t i = 0; i < l.size(); ++i) right += (l[i] > 0) == (y[i] > 0.5);
  r.accuracy = (double)right / (double)l.size();
  r.ci95 = 1.96 * std::sqrt(r.accuracy * (1 - r.accuracy) / (double)l.size());
  return r;
}
// [/doc]

}  // namespace pipelines
