// gan.h: the generators and discriminators of the adversarial networks chapter, for phrases of
// music as (B, tracks, T, K) arrays of cells in [0, 1] (T = bars * steps_per_bar time steps,
// K keys; track 0 the melody).
//
//   G: z ~ N(0, I) -> x_fake = G(z)         D: x -> D(x), one score per example (a logit, or for
//                                              Wasserstein a critic's value)
//
// Two families, each a generator and a discriminator:
//   mlp      the tutorials' GAN: fully connected layers on the flattened phrase
//   musegan  convolutional, after MuseGAN (Dong et al. 2018): a temporal generator turns one
//            latent into a latent per bar, a bar generator turns [shared latent, bar latent]
//            into each bar's two tracks with transposed 2-d convolutions over (time, pitch),
//            and the discriminator convolves the whole phrase.
// The losses and the gradient penalty are engine/nn/adversarial.h; the training round is
// pipelines/train_loop.h. Chapter: docs/12-adversarial-networks.md.
#pragma once
#include <memory>
#include <string>

#include "engine/nn/batchnorm.h"
#include "engine/nn/conv.h"
#include "engine/nn/conv2d.h"
#include "engine/nn/layers.h"

namespace cadenza::models {

struct PhraseShape {
  int64_t tracks = 2, bars = 4, steps_per_bar = 16, keys = 48;
  int64_t steps() const { return bars * steps_per_bar; }
  int64_t cells() const { return tracks * steps() * keys; }
};

class GanGenerator : public nn::Module {
 public:
  virtual Tensor forward(const Tensor& z) = 0;  // (B, latent_size()) -> (B, tracks, T, K) in (0, 1)
  Tensor operator()(const Tensor& z) { return forward(z); }
  virtual int64_t latent_size() const = 0;
};

class GanDiscriminator : public nn::Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;  // (B, tracks, T, K) -> (B, 1)
  Tensor operator()(const Tensor& x) { return forward(x); }
};

// [doc:mlp-gan]
// G(z) = sigmoid(W3 a2 + b3), a2 = lrelu(BN(W2 a1 + b2)), a1 = lrelu(W1 z + b1)
class MlpGenerator : public GanGenerator {
 public:
  MlpGenerator(PhraseShape shape, int64_t latent, int64_t hidden, cadenza::Generator& gen);
  Tensor forward(const Tensor& z) override;
  int64_t latent_size() const override { return latent; }
  std::string type_name() const override { return "MlpGenerator"; }
  PhraseShape shape;
  int64_t latent;
  std::shared_ptr<nn::Sequential> net;
};
// D(x) = W3 lrelu(W2 lrelu(W1 flatten(x) + b1) + b2) + b3   (no batch norm: WGAN-GP's penalty is per example)
class MlpDiscriminator : public GanDiscriminator {
 public:
  MlpDiscriminator(PhraseShape shape, int64_t hidden, cadenza::Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "MlpDiscriminator"; }
  PhraseShape shape;
  std::shared_ptr<nn::Sequential> net;
};
// [/doc]

// MuseGAN-style. z = [z_shared (latent), z_time (latent)]:
//   temporal:  z_time -> (B, latent, bars)  transposed 1-d convolutions over bars (1 -> 2 -> 4)
//   bar:       [z_shared, temporal[:, :, b]] -> (tracks, steps_per_bar, K) for each bar b, by a
//              linear layer to (4C, steps_per_bar/8, K/8), then three transposed 2-d convolutions
//              that each double time and pitch (batch norm and ReLU between), and a sigmoid
// The phrase is the bars side by side in time. Needs bars == 4 and steps_per_bar, K divisible by 8.
class MuseGenerator : public GanGenerator {
 public:
  MuseGenerator(PhraseShape shape, int64_t latent, int64_t channels, cadenza::Generator& gen);
  Tensor forward(const Tensor& z) override;
  int64_t latent_size() const override { return 2 * latent; }
  std::string type_name() const override { return "MuseGenerator"; }
  PhraseShape shape;
  int64_t latent, channels;
  std::shared_ptr<nn::Sequential> temporal, bar_in, bar;
};
// Three strided 2-d convolutions over (time, pitch), each halving both (leaky ReLU between),
// then a linear layer to one score.
class MuseDiscriminator : public GanDiscriminator {
 public:
  MuseDiscriminator(PhraseShape shape, int64_t channels, cadenza::Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "MuseDiscriminator"; }
  PhraseShape shape;
  std::shared_ptr<nn::Sequential> convs;
  std::shared_ptr<nn::Linear> out;
};

// "mlp" or "musegan"; anything else stops with the list. hidden: the MLP's width, or MuseGAN's
// base channel count.
std::shared_ptr<GanGenerator> make_generator(const std::string& family, PhraseShape shape, int64_t latent,
                                             int64_t hidden, cadenza::Generator& gen);
std::shared_ptr<GanDiscriminator> make_discriminator(const std::string& family, PhraseShape shape, int64_t hidden,
                                                     cadenza::Generator& gen);

}  // namespace cadenza::models
