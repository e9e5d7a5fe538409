// gan.cpp: the MLP and MuseGAN-style generators and discriminators (see gan.h).
// Chapter: docs/12-adversarial-networks.md.
#include "engine/models/gan.h"

#include "engine/core/error.h"
#include "engine/ops/ops.h"

namespace cadenza::models {

namespace {
template <class L, class... A>
std::shared_ptr<L> layer(A&&... a) {
  return std::make_shared<L>(std::forward<A>(a)...);
}
void check_input(const char* who, const Tensor& x, const PhraseShape& s) {
  if (x.dim() != 4 || x.size(1) != s.tracks || x.size(2) != s.steps() || x.size(3) != s.keys)
    fail(who,
         str("input has shape ", shape_str(x.shape()), "; expected (B, ", s.tracks, ", ", s.steps(), ", ", s.keys,
             "): B phrases of ", s.tracks, " tracks, ", s.steps(), " steps and ", s.keys, " keys"),
         "give the discriminator phrases of the shape it was built for");
}
void check_latent(const char* who, const Tensor& z, int64_t n) {
  if (z.dim() != 2 || z.size(1) != n)
    fail(who, str("latent has shape ", shape_str(z.shape()), "; expected (B, ", n, ")"),
         "draw z with randn({B, generator.latent_size()})");
}
}  // namespace

// [doc:mlp-gan-forward]
MlpGenerator::MlpGenerator(PhraseShape s, int64_t latent, int64_t hidden, cadenza::Generator& gen)
    : shape(s), latent(latent) {
  net = register_module("net", layer<nn::Sequential>());
  net->add(layer<nn::Linear>(latent, hidden, true, gen)).add(layer<nn::LeakyReLU>(0.2));
  net->add(layer<nn::Linear>(hidden, 2 * hidden, true, gen)).add(layer<nn::BatchNorm1d>(2 * hidden));
  net->add(layer<nn::LeakyReLU>(0.2)).add(layer<nn::Linear>(2 * hidden, s.cells(), true, gen));
  net->add(layer<nn::Sigmoid>());
}
Tensor MlpGenerator::forward(const Tensor& z) {
  check_latent("MlpGenerator", z, latent);
  return net->forward(z).reshape({z.size(0), shape.tracks, shape.steps(), shape.keys});
}

MlpDiscriminator::MlpDiscriminator(PhraseShape s, int64_t hidden, cadenza::Generator& gen) : shape(s) {
  net = register_module("net", layer<nn::Sequential>());
  net->add(layer<nn::Linear>(s.cells(), 2 * hidden, true, gen)).add(layer<nn::LeakyReLU>(0.2));
  net->add(layer<nn::Linear>(2 * hidden, hidden, true, gen)).add(layer<nn::LeakyReLU>(0.2));
  net->add(layer<nn::Linear>(hidden, 1, true, gen));
}
Tensor MlpDiscriminator::forward(const Tensor& x) {
  check_input("MlpDiscriminator", x, shape);
  return net->forward(x.reshape({x.size(0), shape.cells()}));
}
// [/doc]

MuseGenerator::MuseGenerator(PhraseShape s, int64_t latent, int64_t channels, cadenza::Generator& gen)
    : shape(s), latent(latent), channels(channels) {
  if (s.bars != 4 || s.steps_per_bar % 8 || s.keys % 8)
    fail("MuseGenerator", str("phrases of ", s.bars, " bars of ", s.steps_per_bar, " steps and ", s.keys, " keys"),
         "MuseGAN's generator makes 4 bars, with steps per bar and keys divisible by 8 (16 and 48 work)");
  const int64_t C = channels;
  temporal = register_module("temporal", layer<nn::Sequential>());  // (B, latent, 1) -> (B, latent, 4)
  temporal->add(layer<nn::ConvTranspose1d>(latent, 2 * C, 2, ConvTranspose1dArgs{}, true, gen));
  temporal->add(layer<nn::BatchNorm1d>(2 * C)).add(layer<nn::ReLU>());
  temporal->add(layer<nn::ConvTranspose1d>(2 * C, latent, 3, ConvTranspose1dArgs{}, true, gen));
  temporal->add(layer<nn::BatchNorm1d>(latent)).add(layer<nn::ReLU>());
  const int64_t t0 = s.steps_per_bar / 8, k0 = s.keys / 8;
  bar_in = register_module("bar_in", layer<nn::Sequential>());  // (B*4, 2 latent) -> (B*4, 4C * t0 * k0)
  bar_in->add(layer<nn::Linear>(2 * latent, 4 * C * t0 * k0, true, gen));
  bar_in->add(layer<nn::BatchNorm1d>(4 * C * t0 * k0)).add(layer<nn::ReLU>());
  ConvTranspose2dArgs up;  // kernel 4, stride 2, padding 1: doubles time and pitch
  up.stride = {2, 2}, up.padding = {1, 1};
  bar = register_module("bar", layer<nn::Sequential>());  // (B*4, 4C, t0, k0) -> (B*4, tracks, 8 t0, 8 k0)
  bar->add(layer<nn::ConvTranspose2d>(4 * C, 2 * C, std::array<int64_t, 2>{4, 4}, up, true, gen));
  bar->add(layer<nn::BatchNorm2d>(2 * C)).add(layer<nn::ReLU>());
  bar->add(layer<nn::ConvTranspose2d>(2 * C, C, std::array<int64_t, 2>{4, 4}, up, true, gen));
  bar->add(layer<nn::BatchNorm2d>(C)).add(layer<nn::ReLU>());
  bar->add(layer<nn::ConvTranspose2d>(C, s.tracks, std::array<int64_t, 2>{4, 4}, up, true, gen));
  bar->add(layer<nn::Sigmoid>());
}

// [doc:musegan-forward]
Tensor MuseGenerator::forward(const Tensor& z) {
  check_latent("MuseGenerator", z, 2 * latent);
  const int64_t B = z.size(0), bars = shape.bars;
  Tensor z_shared = z.slice(1, 0, latent), z_time = z.slice(1, latent, 2 * latent);
  Tensor per_bar = temporal->forward(z_time.reshape({B, latent, 1}));  // (B, latent, bars)
  Tensor bar_z = concat({unsqueeze(z_shared, 1).expand({B, bars, latent}), per_bar.permute({0, 2, 1})}, 2);
  Tensor h = bar_in->forward(bar_z.reshape({B * bars, 2 * latent}))
                 .reshape({B * bars, 4 * channels, shape.steps_per_bar / 8, shape.keys / 8});
  Tensor bars_out = bar->forward(h);  // (B*bars, tracks, steps_per_bar, K)
  return bars_out.reshape({B, bars, shape.tracks, shape.steps_per_bar, shape.keys})
      .permute({0, 2, 1, 3, 4})
      .reshape({B, shape.tracks, shape.steps(), shape.keys});
}
// [/doc]

MuseDiscriminator::MuseDiscriminator(PhraseShape s, int64_t channels, cadenza::Generator& gen) : shape(s) {
  if (s.steps() % 8 || s.keys % 8)
    fail("MuseDiscriminator", str("phrases of ", s.steps(), " steps and ", s.keys, " keys"),
         "the convolutional discriminator halves time and pitch three times: both must be divisible by 8");
  const int64_t C = channels;
  Conv2dArgs down;  // kernel 4, stride 2, padding 1: halves time and pitch
  down.stride = {2, 2}, down.padding = {1, 1};
  convs = register_module("convs", layer<nn::Sequential>());
  convs->add(layer<nn::Conv2d>(s.tracks, C, std::array<int64_t, 2>{4, 4}, down, true, gen));
  convs->add(layer<nn::LeakyReLU>(0.2));
  convs->add(layer<nn::Conv2d>(C, 2 * C, std::array<int64_t, 2>{4, 4}, down, true, gen));
  convs->add(layer<nn::LeakyReLU>(0.2));
  convs->add(layer<nn::Conv2d>(2 * C, 4 * C, std::array<int64_t, 2>{4, 4}, down, true, gen));
  convs->add(layer<nn::LeakyReLU>(0.2));
  out = register_module("out", layer<nn::Linear>(4 * C * (s.steps() / 8) * (s.keys / 8), 1, true, gen));
}
Tensor MuseDiscriminator::forward(const Tensor& x) {
  check_input("MuseDiscriminator", x, shape);
  Tensor h = convs->forward(x);
  return out->forward(h.reshape({x.size(0), h.numel() / x.size(0)}));
}

std::shared_ptr<GanGenerator> make_generator(const std::string& family, PhraseShape shape, int64_t latent,
                                             int64_t hidden, cadenza::Generator& gen) {
  if (family == "mlp") return std::make_shared<MlpGenerator>(shape, latent, hidden, gen);
  if (family == "musegan") return std::make_shared<MuseGenerator>(shape, latent, hidden, gen);
  fail("gan", "'" + family + "' is not a GAN family", "use mlp or musegan");
}
std::shared_ptr<GanDiscriminator> make_discriminator(const std::string& family, PhraseShape shape, int64_t hidden,
                                                     cadenza::Generator& gen) {
  if (family == "mlp") return std::make_shared<MlpDiscriminator>(shape, hidden, gen);
  if (family == "musegan") return std::make_shared<MuseDiscriminator>(shape, hidden, gen);
  fail("gan", "'" + family + "' is not a GAN family", "use mlp or musegan");
}

}  // namespace cadenza::models
