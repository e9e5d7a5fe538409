// two_sample.h: classifier two-sample tests (Lopez-Paz & Oquab 2017). Can a classifier tell set a
// from set b? Train it on half of each set and score it on the other half: an accuracy near 0.5
// says it cannot, so b is, to that classifier, drawn from a's distribution.
//
//   logistic   logistic regression on feature vectors (N, D), standardised over both halves (labels unseen)
//   cnn        a small convolutional network on (N, C, H, W) arrays such as piano rolls:
//              two stride-2 4x4 convolutions (8 and 16 channels, LeakyReLU 0.2), the mean over
//              the plane, a linear output
//
// Set a's rows carry groups (the piece a phrase comes from): whole groups go to one half, so
// overlapping phrases of one piece never sit on both sides. Set b's rows alternate. Each half
// keeps as many rows of a as of b, so chance is exactly 0.5.
// Chapter: docs/12-adversarial-networks.md ("A classifier as the judge").
#pragma once
#include <string>
#include <vector>

#include "engine/cadenza.h"

namespace pipelines {

struct TwoSampleOptions {
  std::string model = "logistic";  // logistic | cnn
  int epochs = 0;                  // 0: 300 full-batch steps (logistic); 8 epochs, at least 400 steps (cnn)
  int64_t batch = 64;              // cnn
};
struct TwoSampleResult {
  std::string model;
  double accuracy = 0.5;        // on the held-out halves
  double ci95 = 0;              // half-width of the normal-approximation 95% interval
  int64_t train = 0, test = 0;  // rows of each set in each half
};
TwoSampleResult two_sample_test(const cadenza::Tensor& a, const std::vector<int64_t>& a_group, const cadenza::Tensor& b,
                                const TwoSampleOptions& opt, cadenza::Generator& gen);

}  // namespace pipelines
