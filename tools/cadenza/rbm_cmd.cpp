// rbm_cmd.cpp: `cadenza train`, `cadenza sample` and `cadenza eval` for the RBM.
//
// Two kinds of data: a folder of MIDI files (or, by default, the bundled corpus)
// trains the music RBM of `make rbm-demo` on 16-step windows; a polyphonic
// benchmark folder (train.txt / valid.txt / test.txt, e.g. ../shared/data/jsb_chorales)
// trains a frame RBM on single 88-key steps, whose test NLL `eval` reports beside
// the published RBM row. Checkpoints are safetensors with the optimiser state, so
// --resume continues training; Ctrl-C saves one before exiting. Chapter: docs/07-rbm.md.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <sys/stat.h>

#include "pipelines/flags.h"
#include "pipelines/rbm_music.h"
#include "pipelines/rolls.h"
#include "music/dataset.h"
#include "music/metrics.h"

using namespace cadenza;

static volatile bool g_stop = false;

namespace {
bool is_polyphonic(const std::string& dir) {
  struct stat st;
  return !dir.empty() && ::stat((dir + "/train.txt").c_str(), &st) == 0 &&
         ::stat((dir + "/test.txt").c_str(), &st) == 0;
}
// Rolls of a polyphonic split as a (steps, 88) tensor of 0/1 frames.
Tensor frames(const std::string& dir, const std::string& split) {
  return pipelines::stacked_frames(music::read_polyphonic(dir + "/" + split + ".txt"));
}
// The shared flags; train also takes --epochs.
void common_flags(flags::Parser& a, bool epochs = false) {
  flags::SharedFlags sf;
  sf.data_help = "a MIDI folder (default: the bundled corpus) or a polyphonic benchmark folder with train.txt";
  if (epochs) sf.epochs = "", sf.epochs_help = "total epochs (default: the recipe's)";
  sf.out = "out/rbm";
  a.add_shared(sf);
}
uint64_t setup(flags::Parser& a) {
  const uint64_t seed = a.apply_shared();
  a.make_output_dir(a.str("out"));
  return seed;
}
std::string meta(const io::TensorFile& f, const std::string& key, const std::string& path) {
  auto it = f.metadata.find(key);
  if (it == f.metadata.end())
    fail("checkpoint", "'" + path + "' has no '" + key + "' metadata", "was it written by cadenza train?");
  return it->second;
}
}  // namespace

int cmd_train(int argc, char** argv) {
  flags::Parser a("cadenza train", "Train an RBM and save a safetensors checkpoint (Ctrl-C saves one too).");
  common_flags(a, /*epochs=*/true);
  a.add_int("hidden", "0", "hidden units (0: the recipe's default)", 0, 100000);
  a.add("resume", "", "a checkpoint to continue from");
  a.add("model", "rbm",
        "rbm; lstm, gru, tcn or rnn-nade train a sequence model instead (see cadenza train --model lstm --help)");
  a.add_switch("faithful", "the seed tutorial's exact recipe");
  a.add_int("cd-k", "0", "Gibbs steps in contrastive divergence's negative phase (0: the recipe's)", 0, 1000);
  a.add_switch("pcd", "persistent CD: the negative chains carry over between updates");
  a.add_real("lr", "0", "SGD learning rate (0: the recipe's)", 0, 10);
  a.add("save-examples", "", "also write the training examples to this .npy (one row per window), for other tools");
  a.parse(argc, argv, 2);
  uint64_t seed = setup(a);
  std::string data = a.str("data"), out = a.str("out");
  std::signal(SIGINT, [](int) { g_stop = true; });
  Generator gen(seed);
  rbm_music::Recipe r = a.on("faithful") ? rbm_music::Recipe::seed_demo() : rbm_music::Recipe();
  bool poly = is_polyphonic(data);
  if (poly)
    // a frame RBM on 88 keys; CD-15 and 150 hidden units as the RNN-RBM's reference code (chapter 7)
    r.hidden = 150, r.window = 1, r.epochs = 100, r.batch = 100, r.lr = 0.05, r.cd_k = 15;
  if (a.given("epochs")) r.epochs = (int)a.integer("epochs", 1, 1000000);
  if (long long h = a.integer("hidden", 0, 100000)) r.hidden = h;
  if (long long k = a.integer("cd-k", 0, 1000)) r.cd_k = (int)k;
  if (a.on("pcd")) r.persistent = true;
  if (double lr = a.number("lr", 0, 10)) r.lr = lr;
  if (!a.str("resume").empty()) {  // a resumed run keeps its own sampler and step size
    io::TensorFile f = io::load_safetensors(a.str("resume"));
    for (const char* flag : {"cd-k", "pcd", "lr"})
      if (a.passed(flag))
        a.die(str("--", flag, " cannot change a resumed run"), "the run continues with its own recipe");
    auto has = [&](const char* k) { return f.metadata.count(k) > 0; };  // older checkpoints: the defaults
    if (has("cd_k")) r.cd_k = (int)io::metadata_int(f.metadata.at("cd_k"), "cd_k", a.str("resume"));
    if (has("persistent")) r.persistent = f.metadata.at("persistent") == "1";
    if (has("lr")) r.lr = io::metadata_number(f.metadata.at("lr"), "lr", a.str("resume"));
  }

  rbm_music::Examples ex;
  if (poly) ex.x = frames(data, "train");
  else ex = rbm_music::make_examples(rbm_music::load_songs(data, nullptr), r);
  if (!a.str("save-examples").empty()) {  // what the RBM trains on, for another library (make bench-train's twin)
    io::save_npy(a.str("save-examples"), ex.x);
    std::printf("wrote %s: %lld examples of %lld values\n", a.str("save-examples").c_str(), (long long)ex.x.size(0),
                (long long)ex.x.size(1));
  }
  models::RBM rbm(ex.x.size(1), r.hidden, rbm_music::rbm_options(r), gen);
  if (!r.faithful) rbm.init_visible_bias(ex.x);
  auto opt = rbm_music::make_optimizer(rbm, r);
  int done = 0;
  rbm_music::TrainLog history;  // the epochs before this run, from the checkpoint resumed
  double seconds_before = 0;
  if (!a.str("resume").empty()) {  // the model, optimiser, chains and generator: the run continues exactly
    io::TensorFile f = rbm_music::load_run(a.str("resume"), rbm, *opt, gen);
    done = (int)io::metadata_int(meta(f, "epochs_done", a.str("resume")), "epochs_done", a.str("resume"));
    history = rbm_music::log_from_metadata(f.metadata, &seconds_before);
    std::printf("resuming from %s after %d epochs\n", a.str("resume").c_str(), done);
  }
  std::printf("cadenza train: %lld examples of %lld values, RBM with %lld hidden units, epochs %d..%d\n",
              (long long)ex.x.size(0), (long long)ex.x.size(1), (long long)r.hidden, done + 1, r.epochs);
  std::fflush(stdout);
  auto started = std::chrono::steady_clock::now();
  rbm_music::TrainLog log = rbm_music::train(rbm, *opt, ex, r, gen, &g_stop, done + 1);
  const double seconds =
      seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  done += (int)log.epoch.size();
  for (size_t i = 0; i < log.epoch.size(); ++i)
    history.epoch.push_back(log.epoch[i]), history.recon.push_back(log.recon[i]), history.pll.push_back(log.pll[i]);
  io::Metadata meta = {{"model", poly ? "rbm-frames" : "rbm-music"},
                       {"recipe", r.faithful ? "faithful" : "improved"},
                       {"epochs_done", std::to_string(done)},
                       {"hidden", std::to_string(r.hidden)},
                       {"window", std::to_string(r.window)},
                       {"cd_k", std::to_string(r.cd_k)},
                       {"persistent", r.persistent ? "1" : "0"},
                       {"lr", str(r.lr)},
                       {"seed", std::to_string(seed)},
                       {"data", data.empty() ? "bundled corpus" : data}};
  rbm_music::log_to_metadata(history, seconds, meta);  // so cadenza sample can report the training
  rbm_music::save_run(out + "/model.safetensors", rbm, *opt, gen, meta);
  std::printf("%s: checkpoint %s/model.safetensors after %d epochs\n", g_stop ? "interrupted" : "done", out.c_str(),
              done);
  if (g_stop && done < r.epochs)
    std::printf(
        "  (it holds part of epoch %d too: --resume starts that epoch again, so the result will differ\n"
        "   slightly from an uninterrupted run; a run resumed after whole epochs matches it bit for bit)\n",
        done + 1);
  return g_stop ? 130 : 0;
}

int cmd_sample(int argc, char** argv) {
  flags::Parser a("cadenza sample", "Sample music from a trained music RBM: MIDI, WAV, SVG and a report.");
  common_flags(a);
  a.add("checkpoint", "", "the model.safetensors written by cadenza train");
  a.add_int("samples", "4", "pieces to write", 1, 50);
  a.add_int("windows", "8", "16-step windows per piece", 1, 64);
  a.add_int("steps", "", "Gibbs steps per window (default: the recipe's, 200)", 1, 100000);
  a.parse(argc, argv, 2);
  uint64_t seed = setup(a);
  if (a.str("checkpoint").empty())
    a.die("--checkpoint is required", "e.g. cadenza sample --checkpoint out/rbm/model.safetensors");
  io::TensorFile f = io::load_safetensors(a.str("checkpoint"));
  if (meta(f, "model", a.str("checkpoint")) != "rbm-music")
    a.die("'" + a.str("checkpoint") + "' is a " + meta(f, "model", a.str("checkpoint")) + " checkpoint",
          "sample needs one trained on MIDI music");
  rbm_music::Recipe r =
      meta(f, "recipe", a.str("checkpoint")) == "faithful" ? rbm_music::Recipe::seed_demo() : rbm_music::Recipe();
  r.hidden = io::metadata_int(meta(f, "hidden", a.str("checkpoint")), "hidden", a.str("checkpoint"));
  Generator gen(seed);
  std::vector<music::MidiFile> songs = rbm_music::load_songs(a.str("data"), nullptr);  // primers come from here
  rbm_music::Examples ex = rbm_music::make_examples(songs, r);
  models::RBM rbm(ex.x.size(1), r.hidden, {}, gen);
  io::load_checkpoint(a.str("checkpoint"), rbm);
  if (a.given("steps")) r.gibbs_steps = (int)a.integer("steps", 1, 100000);
  auto pieces =
      rbm_music::generate(rbm, ex, r, (int)a.integer("samples", 1, 50), (int)a.integer("windows", 1, 64), gen);
  double seconds = 0;  // the training the checkpoint records (older ones: none, and the report says so)
  rbm_music::TrainLog history = rbm_music::log_from_metadata(f.metadata, &seconds);
  auto files = rbm_music::write_outputs(a.str("out"), pieces, songs, history, r,
                                        a.str("data").empty() ? "the bundled corpus" : a.str("data"), seconds);
  for (const std::string& file : files) std::printf("wrote %s\n", file.c_str());
  return 0;
}

int cmd_eval(int argc, char** argv) {
  flags::Parser a(
      "cadenza eval",
      "Evaluate an RBM checkpoint: reconstruction error, pseudo-log-likelihood and, by AIS, the log-likelihood.");
  common_flags(a);
  a.add("checkpoint", "", "the model.safetensors written by cadenza train");
  a.add_int("ais-runs", "100", "annealed importance sampling runs", 2, 100000);
  a.add_int("ais-betas", "10000", "intermediate temperatures per run", 2, 10000000);
  a.add("split", "test", "a frame RBM's benchmark split: train, valid or test (train beside test shows overfitting)");
  a.parse(argc, argv, 2);
  const std::string split = a.str("split");
  if (split != "train" && split != "valid" && split != "test")
    a.die("--split must be train, valid or test, got '" + split + "'", "the benchmark folders have these three");
  uint64_t seed = setup(a);
  std::string ck = a.str("checkpoint"), data = a.str("data");
  if (ck.empty()) a.die("--checkpoint is required", "e.g. cadenza eval --checkpoint out/rbm/model.safetensors");
  io::TensorFile f = io::load_safetensors(ck);
  std::string kind = meta(f, "model", ck);
  Generator gen(seed);
  Tensor x;
  int64_t steps_per_example = 1;
  std::string dataset = data.empty() ? "corpus" : data.substr(data.find_last_of('/') + 1);
  if (kind == "rbm-frames") {
    if (!is_polyphonic(data))
      a.die("a frame RBM is evaluated on a polyphonic benchmark folder", "e.g. --data ../shared/data/jsb_chorales");
    x = frames(data, split);
  } else {
    if (a.passed("split"))
      a.die("--split is for a frame RBM on a benchmark folder", "a music RBM is scored on every window of --data");
    rbm_music::Recipe r = meta(f, "recipe", ck) == "faithful" ? rbm_music::Recipe::seed_demo() : rbm_music::Recipe();
    r.transpose = 0;
    x = rbm_music::make_examples(rbm_music::load_songs(data, nullptr), r).x;
    steps_per_example = r.window;
  }
  int64_t hidden = io::metadata_int(meta(f, "hidden", ck), "hidden", ck);
  models::RBM rbm(x.size(1), hidden, {}, gen);
  io::load_checkpoint(ck, rbm);
  models::RBM::AISResult z =
      hidden <= 20 ? models::RBM::AISResult{rbm.log_partition_exact(), 0.0}
                   : rbm.log_partition_ais((int)a.integer("ais-runs", 2, 100000),
                                           (int)a.integer("ais-betas", 2, 10000000), gen, nullptr, /*progress=*/true);
  double nll = -mean(rbm.log_prob(x, z.log_z)).item() / (double)steps_per_example;
  std::printf("%-34s %s\n", "examples", std::to_string(x.size(0)).c_str());
  std::printf("%-34s %.5f\n", "reconstruction error", rbm.reconstruction_error(x));
  std::printf("%-34s %.3f\n", "pseudo-log-likelihood per step",
              rbm.pseudo_log_likelihood(x, gen) / (double)steps_per_example);
  std::printf("%-34s %.3f +- %.3f (%s)\n", "log Z", z.log_z, z.stderr_log_z, hidden <= 20 ? "exact" : "AIS");
  std::printf("%-34s %.3f nats\n", "NLL per step", nll);
  if (kind == "rbm-frames" && dataset == "jsb_chorales" && split == "test")
    std::printf(
        "\n| model | JSB Chorales test NLL (nats/step) |\n|---|---|\n| Note 1-Gram (published) | 11.06 |\n"
        "| RBM (published, Boulanger-Lewandowski et al. 2012) | 7.43 |\n| RBM (Cadenza, %lld hidden) | %.2f |\n",
        (long long)hidden, nll);
  std::printf("model=%s dataset=%s split=%s nll=%.3f acc=- steps=%lld\n", kind.c_str(), dataset.c_str(),
              kind == "rbm-frames" ? split.c_str() : "all", nll, (long long)(x.size(0) * steps_per_example));
  return 0;
}
