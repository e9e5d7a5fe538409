// gan_demo: `make gan-demo`. A generator of two-track 4-bar phrases (melody and accompaniment)
// learns against a discriminator, on the 4/4 tunes of the bundled corpus. Writes a sheet of
// sampled phrases (MIDI, WAV, SVG) beside as many real held-out ones, both losses per epoch and a
// report measuring the samples the way a GAN paper does. Chapter: docs/12-adversarial-networks.md.
#include <csignal>
#include <cstdio>

#include "pipelines/flags.h"
#include "pipelines/gan.h"
#include "pipelines/run.h"

using namespace cadenza;

static volatile bool g_stop = false;

int main(int argc, char** argv) {
  flags::Parser a("gan_demo", "Train a GAN on two-track 4-bar phrases and write samples beside real ones.");
  flags::SharedFlags sf;
  sf.data_help = "a folder of MIDI files in 4/4 (default: the bundled corpus)";
  sf.epochs = "250", sf.epochs_help = "passes over the training phrases";
  sf.out = "out/gan-demo";
  a.add_shared(sf);
  a.add("loss", "wgan-gp", "minimax, nonsat, lsgan, wgan-gp or hinge");
  a.parse(argc, argv);
  const uint64_t seed = a.apply_shared();
  const std::string out = a.str("out");
  return pipelines::run_main("gan_demo", [&]() -> int {
    // [doc:gan-demo]
    gan::Recipe r = gan::default_recipe("mlp", a.str("loss"));
    r.epochs = (int)a.integer("epochs", 1, 1000000);
    r.lr_g = r.lr_d = 3e-4;         // the corpus is small: a faster start, within the few minutes a demo has
    r.valid_samples = 250;          // enough beside 28 valid phrases, and cheap at every one of 250 epochs
    const music::PhraseOptions po;  // 4 bars of 16 sixteenths, C2..B5
    gan::Data d = gan::load(a.str("data"), po);
    std::printf("gan_demo: %s\n", d.summary.c_str());
    a.make_output_dir(out);
    Generator gen(seed);
    gan::Models m = gan::build(r, po, gen);
    std::printf("gan_demo: generator %lld, discriminator %lld parameters; %s\n", (long long)m.g->num_parameters(),
                (long long)m.d->num_parameters(), r.to_string().c_str());
    std::fflush(stdout);
    std::signal(SIGINT, [](int) { g_stop = true; });
    gan::TrainLog log = gan::train(m, d, r, gen, &g_stop, nullptr);
    std::vector<music::Phrase> samples = gan::sample(m, 1000, po.lowest, po.highest, gen);
    // [/doc]
    const std::string heading = str("# GAN demo on ", d.name, "\n\n", r.to_string(), "; seed ", seed, "; ",
                                    log.d_loss.size(), " epochs in ", format_seconds(log.seconds), gan::kept_epoch(log),
                                    ".\n\nData: ", d.summary, ".\n\n", gan::sampling_rule(m.melody_threshold));
    std::vector<std::string> files = gan::write_outputs(out, samples, d, log, heading, r.transpose, gen);
    std::printf("\nwrote %zu files to %s/:\n", files.size(), out.c_str());
    for (const std::string& f : files) std::printf("  %s\n", f.c_str());
    std::printf(
        "\nlisten: %s/samples.wav beside %s/real.wav    look: %s/samples.svg, %s/losses.svg    read: %s/report.md\n",
        out.c_str(), out.c_str(), out.c_str(), out.c_str(), out.c_str());
    return g_stop ? 130 : 0;
  });
}
