// gan_cmd.cpp: `cadenza train --model gan`, and `cadenza sample` / `cadenza eval` for a GAN
// checkpoint: train a generator of two-track 4-bar phrases against a discriminator with one of
// five losses, write samples as MIDI, WAV and SVG, and measure them beside held-out real phrases.
// Chapter: docs/12-adversarial-networks.md.
#include <csignal>
#include <cstdio>

#include "pipelines/flags.h"
#include "pipelines/gan.h"
#include "pipelines/outputs.h"

using namespace cadenza;

static volatile bool g_stop_gan = false;

namespace {
const char* kLosses = "minimax, nonsat, lsgan, wgan-gp or hinge";

// The phrase grid every GAN here uses; saved with the checkpoint so sample and eval agree with it.
music::PhraseOptions phrase_options(const io::Metadata& m, const std::string& path) {
  music::PhraseOptions o;
  if (m.count("gan.lowest")) o.lowest = (int)io::metadata_int(m.at("gan.lowest"), "gan.lowest", path);
  if (m.count("gan.highest")) o.highest = (int)io::metadata_int(m.at("gan.highest"), "gan.highest", path);
  return o;
}

struct Loaded {
  gan::Recipe recipe;
  music::PhraseOptions phrase;
  gan::Models models;
  io::Metadata meta;
};
Loaded load_checkpoint(flags::Parser& a, Generator& gen) {
  const std::string path = a.str("checkpoint");
  if (path.empty()) a.die("--checkpoint is required", "e.g. --checkpoint out/gan-corpus/model.safetensors");
  io::TensorFile f = io::load_safetensors(path);
  Loaded l;
  l.meta = f.metadata;
  if (!l.meta.count("model") || l.meta["model"] != "gan")
    a.die("'" + path + "' is not a GAN checkpoint", "give the model.safetensors that cadenza train --model gan wrote");
  l.recipe = gan::recipe_from_metadata(l.meta);
  l.phrase = phrase_options(l.meta, path);
  l.models = gan::build(l.recipe, l.phrase, gen);
  gan::RunState rs;
  rs.params = f.tensors;
  gan::restore(l.models, rs);
  if (l.meta.count("gan.melody_threshold"))  // absent from checkpoints older than the one-voice melody
    l.models.melody_threshold = io::metadata_number(l.meta["gan.melody_threshold"], "gan.melody_threshold", path);
  if (double v = a.number("melody-threshold", 0, 0.99)) l.models.melody_threshold = v;
  return l;
}
// A young generator's bars can be dense noise: render them whatever their length (--bars bounds it).
music::SynthOptions outputs_dense() {
  music::SynthOptions o;
  o.max_voice_samples = 0;
  return o;
}
}  // namespace

int cmd_train_gan(int argc, char** argv) {
  flags::Parser a("cadenza train --model gan",
                  "Train a GAN on two-track 4-bar phrases (melody and accompaniment, 4/4 on a sixteenth grid, C2..B5); "
                  "write the model, samples (MIDI, WAV, SVG), the loss curves and a report beside held-out phrases.");
  a.add("model", "gan", "gan");
  a.add("family", "mlp", "mlp (the tutorials' fully connected GAN) or musegan (convolutional, after MuseGAN)");
  a.add("loss", "nonsat", std::string(kLosses) + " (wgan-gp: 5 critic steps a round, penalty weight 10)");
  flags::SharedFlags sf;
  sf.data_help = "a folder of MIDI files, e.g. ../shared/data/midi/nottingham_jukedeck (default: the bundled corpus)";
  sf.epochs = "", sf.epochs_help = "passes over the training phrases (default 20)";
  sf.out_help = "output folder (default out/gan-<family>-<loss>-<data>)";
  a.add_shared(sf);
  a.add_int("latent", "64", "size of the latent z (MuseGAN: of each of its two halves)", 1, 4096);
  a.add_int("hidden", "0", "the MLP's width, or MuseGAN's base channels (0: 256 and 16)", 0, 8192);
  a.add_int("d-hidden", "0", "the MLP discriminator's width, or its base channels (0: as --hidden)", 0, 8192);
  a.add_switch("binarize", "the discriminator judges generated cells thresholded at 0.5 (straight-through gradient)");
  a.add_real("lr", "0", "Adam learning rate of both networks (0: 2e-4, or 1e-4 with wgan-gp)", 0, 1);
  a.add_int("batch", "64", "phrases per batch", 2, 4096);
  a.add_int("n-critic", "0", "discriminator steps per generator step (0: 5 with wgan-gp, else 1)", 0, 100);
  a.add_int("transpose", "5", "each batch, shift each training phrase by a random -N..N semitones, kept in range", 0,
            12);
  a.add_int("samples", "1000", "phrases generated for the report", 8, 1000000);
  a.add_int("valid-samples", "1000",
            "phrases sampled after each epoch to keep the epoch closest to the valid split (0: keep the last)", 0,
            1000000);
  a.add("resume", "", "continue the run saved in this resume.safetensors exactly (--epochs may extend it)");
  a.parse(argc, argv, 2);
  const uint64_t seed = a.apply_shared();
  gan::RunState run;
  io::Metadata resumed;
  gan::Recipe r;
  if (!a.str("resume").empty()) {
    run = gan::load_run(a.str("resume"), &resumed);
    r = gan::recipe_from_metadata(resumed);
    for (const char* f : {"family", "loss", "latent", "hidden", "d-hidden", "binarize", "lr", "batch", "n-critic",
                          "transpose", "valid-samples"})
      if (a.passed(f))
        a.die("--" + std::string(f) + " cannot change a resumed run", "the run continues with its own recipe");
  } else {
    r = gan::default_recipe(a.str("family"), a.str("loss"));
    r.latent = a.integer("latent", 1, 4096);
    if (long long v = a.integer("hidden", 0, 8192)) r.hidden = v;
    r.d_hidden = a.integer("d-hidden", 0, 8192);
    r.binarize = a.on("binarize");
    if (double v = a.number("lr", 0, 1)) r.lr_g = r.lr_d = v;
    r.batch = (int)a.integer("batch", 2, 4096);
    if (long long v = a.integer("n-critic", 0, 100)) r.n_critic = (int)v;
    r.transpose = (int)a.integer("transpose", 0, 12);
    r.valid_samples = a.integer("valid-samples", 0, 1000000);
  }
  if (a.given("epochs")) r.epochs = (int)a.integer("epochs", 1, 1000000);
  if (run.fit.epochs_done && r.epochs <= run.fit.epochs_done)
    a.die(str("'", a.str("resume"), "' has already trained ", run.fit.epochs_done, " epochs"),
          str("give --epochs more than ", run.fit.epochs_done));
  const std::string data = run.fit.epochs_done && !a.given("data") ? resumed["data"] : a.str("data");
  const music::PhraseOptions po;
  gan::Data d = gan::load(data, po);
  std::printf("cadenza train: %s\n", d.summary.c_str());
  const std::string out = a.str("out").empty() ? "out/gan-" + r.family + "-" + r.loss + "-" + d.name : a.str("out");
  a.make_output_dir(out);
  Generator gen(seed);
  gan::Models m = gan::build(r, po, gen);
  std::printf("cadenza train: GAN, generator %lld and discriminator %lld parameters\n  %s\n",
              (long long)m.g->num_parameters(), (long long)m.d->num_parameters(), r.to_string().c_str());
  if (run.fit.epochs_done) std::printf("resuming %s after %d epochs\n", a.str("resume").c_str(), run.fit.epochs_done);
  std::fflush(stdout);
  io::Metadata meta = gan::recipe_metadata(r);
  meta["data"] = data, meta["dataset"] = d.name, meta["seed"] = std::to_string(seed);
  meta["gan.lowest"] = std::to_string(po.lowest), meta["gan.highest"] = std::to_string(po.highest);
  auto save_resume = [&] {
    if (!run.fit.epochs_done) return;
    gan::save_run(out + "/resume.safetensors", run, meta);
    std::printf("wrote %s/resume.safetensors (after epoch %d): --resume %s/resume.safetensors --epochs N continues\n",
                out.c_str(), run.fit.epochs_done, out.c_str());
  };
  std::signal(SIGINT, [](int) { g_stop_gan = true; });
  gan::TrainLog log;
  try {
    log = gan::train(m, d, r, gen, &g_stop_gan, &run);
  } catch (const Error&) {  // a diverged loss: keep the last finished epoch, write nothing else
    save_resume();
    throw;
  }
  save_resume();
  std::map<std::string, Tensor> params;
  for (auto& [k, v] : m.g->state_dict()) params["g." + k] = v;
  for (auto& [k, v] : m.d->state_dict()) params["d." + k] = v;
  meta["train_seconds"] = str((int)log.seconds);
  meta["gan.melody_threshold"] = pipelines::join_numbers({m.melody_threshold});
  io::save_safetensors(out + "/model.safetensors", params, meta);
  std::printf("wrote %s/model.safetensors\n", out.c_str());
  if (g_stop_gan) {
    std::printf("interrupted: the model holds the best epoch's generator so far; no samples written\n");
    return 130;
  }
  std::vector<music::Phrase> samples = gan::sample(m, a.integer("samples", 8, 1000000), po.lowest, po.highest, gen);
  const std::string heading = str("# GAN on ", d.name, "\n\n", r.to_string(), "; seed ", seed, "; trained ",
                                  log.d_loss.size(), " epochs in ", format_seconds(log.seconds), gan::kept_epoch(log),
                                  ".\n\nData: ", d.summary, ".\n\n", gan::sampling_rule(m.melody_threshold));
  for (const std::string& f : gan::write_outputs(out, samples, d, log, heading, r.transpose, gen))
    std::printf("wrote %s\n", f.c_str());
  return 0;
}

int cmd_sample_gan(int argc, char** argv) {
  flags::Parser a("cadenza sample", "Write music from a trained GAN: phrases one after another as MIDI, WAV and SVG.");
  a.add("checkpoint", "", "the model.safetensors written by cadenza train --model gan");
  a.add_int("bars", "16", "bars to write: a multiple of 4 (each 4 bars is one generated phrase)", 4, 4000);
  a.add_real("melody-threshold", "0",
             "the melody's most probable key sounds at a step when its probability is above this (0: the one "
             "training picked on the valid split)",
             0, 0.99);
  flags::SharedFlags sf;
  sf.out = "out/gan-sample", sf.out_help = "output folder";
  a.add_shared(sf);
  a.parse(argc, argv, 2);
  const uint64_t seed = a.apply_shared();
  const long long bars = a.integer("bars", 4, 4000);
  if (bars % 4)
    a.die(str("--bars ", bars, " is not a multiple of 4"), str("each phrase is 4 bars: try ", bars / 4 * 4 + 4));
  Generator gen(seed);
  Loaded l = load_checkpoint(a, gen);
  a.make_output_dir(a.str("out"));
  std::vector<music::Phrase> ps = gan::sample(l.models, bars / 4, l.phrase.lowest, l.phrase.highest, gen);
  // The phrases back to back: independent draws, so a bar line every 4 bars may also be a seam.
  for (const std::string& f : outputs::write_piece(a.str("out") + "/sample", music::phrases_to_midi(ps, 0),
                                                   str(bars, " generated bars"), outputs_dense()))
    std::printf("wrote %s\n", f.c_str());
  return 0;
}

int cmd_eval_gan(int argc, char** argv) {
  flags::Parser a("cadenza eval",
                  "Measure a GAN's phrases beside the held-out test phrases of its data: MuseGAN's measures, tonal "
                  "distance, copies and distinct phrases; the feature distributions (overlap area, KL) and two "
                  "classifier two-sample tests, each beside training phrases as the yardstick.");
  a.add("checkpoint", "", "the model.safetensors written by cadenza train --model gan");
  a.add_int("samples", "5000", "phrases to generate (4 bars each)", 10, 10000000);
  a.add_real("melody-threshold", "0",
             "the melody's most probable key sounds at a step when its probability is above this (0: the one "
             "training picked on the valid split)",
             0, 0.99);
  flags::SharedFlags sf;
  sf.data_help = "the MIDI folder (default: the one the checkpoint was trained on)";
  sf.out_help = "";
  a.add_shared(sf);
  a.parse(argc, argv, 2);
  const uint64_t seed = a.apply_shared();
  Generator gen(seed);
  Loaded l = load_checkpoint(a, gen);
  const std::string data = a.given("data") ? a.str("data") : l.meta["data"];
  gan::Data d = gan::load(data, l.phrase);
  std::vector<music::Phrase> ps =
      gan::sample(l.models, a.integer("samples", 10, 10000000), l.phrase.lowest, l.phrase.highest, gen);
  const int64_t spb = l.phrase.steps_per_bar;
  std::printf("%s on %s: %s\n\n%s", l.recipe.family.c_str(), d.name.c_str(), l.recipe.to_string().c_str(),
              gan::metrics_table(gan::measure(d.test, d.train, spb), gan::measure(ps, d.train, spb)).c_str());
  std::printf("\n%s", gan::judge_samples(d, ps, l.recipe.transpose, gen).c_str());
  return 0;
}
