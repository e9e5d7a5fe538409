// rbm_demo: `make rbm-demo`. An RBM learns short windows of music from the
// bundled corpus (or any MIDI folder), then dreams up new ones by Gibbs
// sampling; the result is written as MIDI, WAV and SVG with a report.
// The RBM is engine/models/rbm.h; the data and output plumbing is
// pipelines/rbm_music.cpp. Chapter: docs/07-rbm.md.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "pipelines/flags.h"
#include "pipelines/rbm_music.h"
#include "pipelines/run.h"

using namespace cadenza;

static volatile bool g_interrupted = false;

int main(int argc, char** argv) {
  flags::Parser args("rbm_demo", "Train an RBM on music and write samples as MIDI, WAV and SVG, with a report.");
  flags::SharedFlags sf;
  sf.data_help = "a folder of MIDI files (default: the bundled corpus in music/corpus)";
  sf.epochs = "", sf.epochs_help = "passes over the data (default: the recipe's, 100, or 200 faithful)";
  sf.out = "out/rbm-demo";
  args.add_shared(sf);
  args.add_int("samples", "4", "pieces to generate", 1, 50);
  args.add_int("hidden", "0", "hidden units (0: the recipe's, 192; faithful 50)", 0, 100000);
  args.add_int("cd-k", "0", "Gibbs steps in CD's negative phase (0: the recipe's, 1)", 0, 1000);
  args.add_switch("pcd", "persistent contrastive divergence: the negative chains carry over between updates");
  args.add("temperature", "", "generation temperature: T, or T0:T1 annealed from T0 to T1 (default 1.5:0.8)");
  args.add_int("gibbs-steps", "0", "Gibbs steps per generated window (0: the recipe's, 200)", 0, 100000);
  args.add_real("final-temperature", "0", "the last Gibbs step's temperature (0: the recipe's, 0.4)", 0, 100);
  args.add_switch("mean-field", "end each window on the units more likely on than off, not on a sample");
  args.add_switch("faithful",
                  "the seed tutorial's exact recipe (reader, W ~ N(0.01, 1), CD-1 on samples, 1-step generation)");
  args.parse(argc, argv);
  rbm_music::Recipe recipe = args.on("faithful") ? rbm_music::Recipe::seed_demo() : rbm_music::Recipe();
  if (args.given("epochs")) recipe.epochs = (int)args.integer("epochs", 1, 1000000);
  if (long long h = args.integer("hidden", 0, 100000)) recipe.hidden = h;
  if (long long k = args.integer("cd-k", 0, 1000)) recipe.cd_k = (int)k;
  recipe.persistent = args.on("pcd");
  if (long long g = args.integer("gibbs-steps", 0, 100000)) recipe.gibbs_steps = (int)g;
  if (args.on("mean-field")) recipe.mean_field_last = true;
  if (double t = args.number("final-temperature", 0, 100)) recipe.final_temperature = t;
  if (!args.str("temperature").empty()) {
    const std::string t = args.str("temperature");
    size_t colon = t.find(':');
    char* end0 = nullptr;
    char* end1 = nullptr;
    double t0 = std::strtod(t.c_str(), &end0);
    double t1 = colon == std::string::npos ? t0 : std::strtod(t.c_str() + colon + 1, &end1);
    bool ok = end0 != t.c_str() && (colon == std::string::npos ? *end0 == 0 : (*end0 == ':' && end1 && *end1 == 0));
    if (!ok || !(t0 > 0) || !(t1 > 0) || t0 > 100 || t1 > 100)
      args.die("--temperature " + t + " is not a temperature",
               "give T (e.g. 1.0) or T0:T1 (e.g. 3.0:1.0), each in (0, 100]");
    recipe.temperature_start = t0, recipe.temperature_end = t1;
  }
  if (recipe.faithful && (recipe.cd_k != 1 || recipe.persistent || !args.str("temperature").empty()))
    args.die("--faithful is the seed's exact recipe", "drop --cd-k, --pcd and --temperature, or drop --faithful");
  const uint64_t seed = args.apply_shared();
  int samples = (int)args.integer("samples", 1, 50);
  std::string out = args.str("out");
  args.make_output_dir(out);
  std::signal(SIGINT, [](int) { g_interrupted = true; });

  return pipelines::run_main("rbm_demo", [&]() -> int {
    std::string summary;
    std::vector<music::MidiFile> songs = rbm_music::load_songs(args.str("data"), &summary);
    std::printf("rbm_demo: %s\n", summary.c_str());
    Generator gen(seed);
    rbm_music::Examples ex = rbm_music::make_examples(songs, recipe);
    std::printf(
        "rbm_demo: %lld training windows from %lld pieces; RBM %lld visible x %lld hidden; %d thread(s), seed %llu\n",
        (long long)ex.x.size(0), (long long)ex.songs, (long long)ex.x.size(1), (long long)recipe.hidden, num_threads(),
        (unsigned long long)seed);
    std::fflush(stdout);
    models::RBM rbm(ex.x.size(1), recipe.hidden, rbm_music::rbm_options(recipe), gen);
    if (!recipe.faithful) rbm.init_visible_bias(ex.x);  // the seed left bv at 0

    // [doc:rbm-demo-main]
    auto started = std::chrono::steady_clock::now();
    auto opt_sgd = rbm_music::make_optimizer(rbm, recipe);
    rbm_music::TrainLog log = rbm_music::train(rbm, *opt_sgd, ex, recipe, gen, &g_interrupted);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    io::save_checkpoint(out + "/model.safetensors", rbm,
                        {{"model", "rbm"},
                         {"recipe", recipe.faithful ? "faithful" : "improved"},
                         {"epochs_done", std::to_string(log.epoch.size())},
                         {"seed", std::to_string(seed)}});
    if (g_interrupted) {
      std::printf("\ninterrupted: checkpoint saved to %s/model.safetensors after %zu epochs\n", out.c_str(),
                  log.epoch.size());
      return 130;
    }
    auto pieces = rbm_music::generate(rbm, ex, recipe, samples, /*windows=*/8, gen);
    std::vector<std::string> files = rbm_music::write_outputs(
        out, pieces, songs, log, recipe, args.str("data").empty() ? "the bundled corpus" : args.str("data"), seconds);
    // [/doc]
    std::printf("\nwrote %zu files to %s/:\n", files.size() + 1, out.c_str());
    for (const std::string& f : files) std::printf("  %s\n", f.c_str());
    std::printf("  %s/model.safetensors\n", out.c_str());
    std::printf("\nlisten: play %s/sample_1.wav in any audio player (or: aplay %s/sample_1.wav)\n", out.c_str(),
                out.c_str());
    std::printf("look:   open %s/sample_1.svg and %s/loss.svg in a browser; the numbers are in %s/report.md\n",
                out.c_str(), out.c_str(), out.c_str());
    return 0;
  });
}
