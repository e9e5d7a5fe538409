// seq_cmd.cpp: `cadenza train --model lstm|gru|tcn|rnn-nade` and `cadenza eval` for
// frame models on the polyphonic benchmark (JSB Chorales, Nottingham, ...): train
// with early stopping on the valid split, then report test NLL and Bay accuracy
// beside the published numbers, with one machine-readable line per model.
// Chapter: docs/08-recurrent-networks.md ("The polyphonic benchmark").
#include <csignal>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include "pipelines/flags.h"
#include "pipelines/poly.h"
#include "plot/svg.h"

using namespace cadenza;

static volatile bool g_stop_seq = false;

// dir made absolute (against the working folder), or "" for "".
static std::string absolute_path(const std::string& dir) {
  if (dir.empty() || dir[0] == '/') return dir;
  char buf[4096];
  if (!::getcwd(buf, sizeof buf)) return dir;
  std::string abs = std::string(buf) + "/" + dir;
  char real[PATH_MAX];
  return ::realpath(abs.c_str(), real) ? std::string(real) : abs;
}

int cmd_train_seq(int argc, char** argv) {
  flags::Parser a(
      "cadenza train --model lstm|gru|tcn|rnn-nade",
      "Train a frame model on a polyphonic benchmark folder (or MIDI files); save the best-on-valid checkpoint and "
      "report test NLL.");
  a.add("model", "lstm", "lstm, gru, tcn or rnn-nade");
  flags::SharedFlags sf;
  sf.data_help =
      "a polyphonic benchmark folder with train/valid/test.txt, e.g. ../shared/data/jsb_chorales; or a MIDI folder "
      "(default: the bundled corpus), as 88-key rolls at 4 steps per quarter split 80/10/10";
  sf.epochs = "", sf.epochs_help = "maximum epochs (default: the recipe's)";
  sf.out_help = "output folder (default out/<model>-<dataset>)";
  a.add_shared(sf);
  a.add_int("hidden", "0", "recurrent width, or the TCN's channels per level (0: the recipe's)", 0, 100000);
  a.add_int("layers", "0", "recurrent layers (0: the recipe's)", 0, 16);
  a.add_real("dropout", "-1", "dropout (-1: the recipe's)", -1, 0.99);
  a.add_real("lr", "0", "Adam learning rate (0: the recipe's)", 0, 10);
  a.add_int("batch", "0", "pieces per batch (0: the recipe's)", 0, 100000);
  a.add_int("patience", "0", "stop after this many epochs without a better valid NLL (0: the recipe's)", 0, 100000);
  a.add_int("transpose", "-1",
            "each epoch, shift each training piece by a random -N..N semitones, kept on the keyboard (-1: the "
            "recipe's)",
            -1, 24);
  a.add_real("ema", "-1",
             "validate, keep and test a moving average of the weights with this decay, e.g. 0.99 (0: off; -1: the "
             "recipe's)",
             -1, 0.99999);
  a.add("resume", "",
        "continue the run saved in this resume.safetensors exactly (its recipe and data; --epochs may extend it)");
  a.parse(argc, argv, 2);
  const uint64_t seed = a.apply_shared();
  poly::RunState run;  // kept up to date after every epoch, and saved as out/resume.safetensors
  io::Metadata resumed;
  if (!a.str("resume").empty()) {
    run = poly::load_run(a.str("resume"), &resumed);
    // --model chose this command; it must name the resumed run's model. The rest is the run's own.
    const std::string was = poly::recipe_from_metadata(resumed).model;
    if (a.str("model") != was)
      a.die("'" + a.str("resume") + "' is a " + was + " run, not " + a.str("model"), "pass --model " + was);
    for (const char* f : {"hidden", "layers", "dropout", "lr", "batch", "patience", "transpose", "ema"})
      if (a.passed(f))
        a.die("--" + std::string(f) + " cannot change a resumed run", "the run continues with its own recipe");
  }
  std::string data = run.fit.epochs_done && !a.given("data") ? resumed["data"] : a.str("data"), summary;
  poly::Data d = poly::load_any(data, 4, 0, &summary);
  std::printf("cadenza train: %s\n", summary.c_str());
  poly::Recipe r =
      run.fit.epochs_done ? poly::recipe_from_metadata(resumed) : poly::default_recipe(a.str("model"), d.name);
  if (a.given("epochs")) r.epochs = (int)a.integer("epochs", 1, 1000000);
  if (run.fit.epochs_done && r.epochs <= run.fit.epochs_done)
    a.die(str("'", a.str("resume"), "' has already trained ", run.fit.epochs_done, " epochs"),
          str("give --epochs more than ", run.fit.epochs_done));
  if (long long v = a.integer("hidden", 0, 100000)) {
    r.hidden = v;
    for (int64_t& c : r.channels) c = v;  // for the TCN: every level's width
  }
  if (long long v = a.integer("layers", 0, 16)) r.layers = v;
  if (double v = a.number("dropout", -1, 0.99); v >= 0) r.dropout = v;
  if (double v = a.number("lr", 0, 10)) r.lr = v;
  if (long long v = a.integer("batch", 0, 100000)) r.batch = (int)v;
  if (long long v = a.integer("patience", 0, 100000)) r.patience = (int)v;
  if (long long v = a.integer("transpose", -1, 24); v >= 0) r.transpose = (int)v;
  if (double v = a.number("ema", -1, 0.99999); v >= 0) r.ema = v;
  std::string out = a.str("out").empty() ? "out/" + r.model + "-" + d.name : a.str("out");
  a.make_output_dir(out);
  Generator gen(seed);
  auto m = poly::build(r, gen);
  std::printf("cadenza train: %s on %s (%zu train / %zu valid / %zu test pieces), %lld parameters\n  %s\n",
              r.model.c_str(), d.name.c_str(), d.train.size(), d.valid.size(), d.test.size(),
              (long long)m->num_parameters(), r.to_string().c_str());
  std::fflush(stdout);
  std::signal(SIGINT, [](int) { g_stop_seq = true; });
  if (run.fit.epochs_done) std::printf("resuming %s after %d epochs\n", a.str("resume").c_str(), run.fit.epochs_done);
  poly::TrainLog log = poly::train(*m, d, r, gen, &g_stop_seq, &run);
  auto meta = poly::recipe_metadata(r);
  // The data folder as an absolute path, so that cadenza eval finds it from anywhere ("": the corpus).
  meta["data"] = absolute_path(data), meta["dataset"] = d.name, meta["seed"] = std::to_string(seed);
  meta["best_epoch"] = std::to_string(log.best_epoch), meta["train_seconds"] = str((int)log.seconds);
  if (run.fit.epochs_done) {  // the state at the last finished epoch: --resume continues it exactly
    poly::save_run(out + "/resume.safetensors", run, meta);
    std::printf("wrote %s/resume.safetensors (after epoch %d): --resume %s/resume.safetensors --epochs N continues\n",
                out.c_str(), run.fit.epochs_done, out.c_str());
  }
  if (log.best_epoch == 0) {  // stopped before any epoch finished: nothing was validated yet
    io::save_checkpoint(out + "/model.safetensors", *m, meta);
    std::printf(
        "\ninterrupted before the first epoch finished: no valid NLL yet, so no test score.\n"
        "wrote %s/model.safetensors with the parameters reached (part of epoch 1)\n",
        out.c_str());
    return 130;
  }
  poly::Score s = poly::evaluate(*m, d.test, gen);
  io::save_checkpoint(out + "/model.safetensors", *m, meta);
  std::vector<double> ep;
  for (size_t i = 0; i < log.train_nll.size(); ++i) ep.push_back((double)i + 1);
  plot::PlotOptions po;
  po.title = r.model + " on " + d.name, po.xlabel = "epoch", po.ylabel = "NLL (nats per step)";
  io::write_file_atomic(out + "/learning_curve.svg",
                        plot::line_plot({{"train", ep, log.train_nll, ""}, {"valid", ep, log.valid_nll, ""}}, po),
                        "cadenza train");
  poly::print_table(d.name, {{r.model, s}});
  std::printf("%s\n", poly::machine_line(r.model, d.name, s).c_str());
  std::printf("best valid NLL %.3f at epoch %d; trained in %s\nwrote %s/model.safetensors and %s/learning_curve.svg\n",
              log.best_valid, log.best_epoch, format_seconds(log.seconds).c_str(), out.c_str(), out.c_str());
  return g_stop_seq ? 130 : 0;
}

// cadenza eval --checkpoint a.safetensors[,b.safetensors...] [--data DIR]
int cmd_eval_seq(int argc, char** argv) {
  flags::Parser a("cadenza eval",
                  "Evaluate frame-model checkpoints on a polyphonic test split, beside the published numbers.");
  a.add("checkpoint", "", "one or more model.safetensors from cadenza train --model ..., separated by commas");
  flags::SharedFlags sf;  // nothing is trained or written: no --epochs, no --out
  sf.data_help = "the benchmark folder (default: the one the first checkpoint was trained on)";
  sf.out_help = "";
  a.add_shared(sf);
  a.parse(argc, argv, 2);
  const uint64_t seed = a.apply_shared();
  std::vector<std::string> paths;
  std::string list = a.str("checkpoint");
  for (size_t p = 0; p < list.size();) {
    size_t q = list.find(',', p);
    if (q == std::string::npos) q = list.size();
    if (q > p) paths.push_back(list.substr(p, q - p));
    p = q + 1;
  }
  if (paths.empty())
    a.die("--checkpoint is required", "e.g. cadenza eval --checkpoint out/lstm-jsb_chorales/model.safetensors");
  std::string dir = a.str("data");
  if (dir.empty()) {
    auto md = io::load_safetensors(paths[0]).metadata;
    if (!md.count("data")) a.die("'" + paths[0] + "' does not say which data it was trained on", "pass --data");
    dir = md["data"];  // empty: it was trained on the bundled corpus
    struct stat st;
    if (!dir.empty() && ::stat(dir.c_str(), &st) != 0)
      a.die("'" + paths[0] + "' was trained on '" + dir + "', which is not there any more",
            "pass --data with the folder of " + (md.count("dataset") ? md["dataset"] : std::string("that dataset")));
  }
  poly::Data d = poly::load_any(dir, 4, 0);
  Generator gen(seed);
  std::vector<std::pair<std::string, poly::Score>> rows;
  std::vector<std::string> lines;
  for (const std::string& p : paths) {
    io::TensorFile f = io::load_safetensors(p);
    poly::Recipe r = poly::recipe_from_metadata(f.metadata);
    auto m = poly::build(r, gen);
    io::load_checkpoint(p, *m);
    poly::Score s = poly::evaluate(*m, d.test, gen);
    rows.push_back({r.model, s});
    lines.push_back(poly::machine_line(r.model, d.name, s));
  }
  poly::print_table(d.name, rows);
  for (const std::string& l : lines) std::printf("%s\n", l.c_str());
  return 0;
}
