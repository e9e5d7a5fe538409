// melody_lstm: `make melody-demo`. A token LSTM learns the melodies of the bundled
// corpus (one token per 16th note: a pitch, HOLD or REST), then continues a primer
// taken from a tune, sampling with a temperature and top-p. Writes MIDI, WAV and
// SVG for each sample, and the loss curve. Chapter: docs/08-recurrent-networks.md.
#include <csignal>
#include <cstdio>

#include "pipelines/flags.h"
#include "pipelines/outputs.h"
#include "pipelines/train_loop.h"
#include "pipelines/rbm_music.h"
#include "pipelines/run.h"
#include "music/dataset.h"
#include "music/pianoroll.h"

using namespace cadenza;

static volatile bool g_stop = false;

// [doc:melody-model]
// tokens (B, T) -> Embedding -> LSTM -> Linear -> next-token logits (B, T, 130)
struct MelodyLSTM : nn::Module {
  MelodyLSTM(int64_t hidden, Generator& gen) {
    embed = register_module("embed", std::make_shared<nn::Embedding>(music::kMelodyVocab, 64, gen));
    lstm = register_module("lstm", std::make_shared<nn::LSTM>(64, hidden, nn::RNNOptions{1, 0, true}, gen));
    out = register_module("out", std::make_shared<nn::Linear>(hidden, music::kMelodyVocab, true, gen));
  }
  Tensor forward(const Tensor& tokens, nn::RNNState* state = nullptr) {
    nn::RNNOutput o = lstm->forward(embed->forward(tokens), state ? *state : nn::RNNState{});
    if (state) *state = o.state;  // carried over when generating one token at a time
    return out->forward(o.output);
  }
  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> out;
};
// [/doc]

int main(int argc, char** argv) {
  flags::Parser a("melody_lstm",
                  "Train a melody LSTM on the bundled corpus and continue primers; writes MIDI, WAV and SVG.");
  flags::SharedFlags sf;
  sf.data_help = "a folder of MIDI files (default: the bundled corpus)";
  sf.epochs = "5", sf.epochs_help = "passes over the training windows";
  sf.out = "out/melody-lstm";
  a.add_shared(sf);
  a.add_int("hidden", "256", "LSTM width", 8, 4096);
  a.add_int("samples", "3", "pieces to write", 1, 50);
  a.add_int("length", "128", "tokens (16th notes) per sample, primer included", 17, 100000);
  a.add_real("temperature", "0.9", "sampling temperature (0: greedy)", 0, 10);
  a.add_real("top-p", "0.95", "nucleus sampling: keep the most likely tokens up to this probability", 0.01, 1);
  a.parse(argc, argv);
  const uint64_t seed = a.apply_shared();
  std::string out = a.str("out");
  a.make_output_dir(out);
  std::signal(SIGINT, [](int) { g_stop = true; });
  return pipelines::run_main("melody_lstm", [&]() -> int {
    Generator gen(seed);
    std::string summary;
    std::vector<music::MidiFile> songs = rbm_music::load_songs(a.str("data"), &summary);
    std::printf("melody_lstm: %s\n", summary.c_str());
    // Windows of 65 tokens (64 inputs + the next token), every key from -5 to +6 semitones, a window every 32 steps.
    const int64_t W = 64;
    std::vector<std::vector<int>> tunes, windows;
    for (const music::MidiFile& m : songs) tunes.push_back(music::melody_tokens(m));
    for (const std::vector<int>& t : tunes)
      for (int shift = -5; shift <= 6; ++shift)
        for (size_t s = 0; s + W + 1 <= t.size(); s += 32) {
          std::vector<int> w(t.begin() + (long)s, t.begin() + (long)(s + W + 1));
          bool ok = true;
          for (int& x : w)
            if (x < 128) x += shift, ok = ok && x >= 0 && x < 128;
          if (ok) windows.push_back(w);
        }
    if (windows.empty()) a.die("no tune is longer than 65 sixteenth notes", "use --data with longer melodies");
    MelodyLSTM model(a.integer("hidden", 8, 4096), gen);
    optim::Adam opt(model.parameters(), 3e-3);
    int epochs = (int)a.integer("epochs", 1, 1000000);
    std::printf("melody_lstm: %zu windows of %lld tokens from %zu tunes; %lld parameters\n", windows.size(),
                (long long)W, tunes.size(), (long long)model.num_parameters());
    // The shared loop (pipelines/train_loop.h): each epoch shuffles the windows into batches of 32.
    double sum = 0;
    int64_t done = 0;
    pipelines::FitHooks h;
    h.batches = [&](int) {
      sum = 0, done = 0;
      return music::batches(windows.size(), 32, true, gen.next_u64());
    };
    h.step = [&](const std::vector<size_t>& batch) {
      std::vector<real> x, y;
      for (size_t j : batch) {
        x.insert(x.end(), windows[j].begin(), windows[j].begin() + W);
        y.insert(y.end(), windows[j].begin() + 1, windows[j].end());
      }
      int64_t B = (int64_t)batch.size();
      Tensor logits = model.forward(Tensor::from_vector(x, {B, W}));
      Tensor loss = cross_entropy(logits.reshape({B * W, music::kMelodyVocab}), Tensor::from_vector(y, {B * W}));
      pipelines::backward_and_step(loss, opt, /*max_norm=*/1.0);
      sum += loss.item();
      return str("loss ", sum / (double)++done);
    };
    h.train_loss = [&] { return sum / (double)done; };
    pipelines::FitOptions fo;
    fo.epochs = epochs, fo.stop = &g_stop;
    std::vector<double> curve = pipelines::fit(h, fo).train_loss;
    // [doc:melody-sample]
    model.eval();
    NoGradGuard ng;
    models::SamplingOptions so;
    so.temperature = a.number("temperature", 0, 10), so.top_p = a.number("top-p", 0.01, 1);
    std::vector<std::string> files;
    std::vector<music::MidiFile> written;
    int samples = (int)a.integer("samples", 1, 50);
    int64_t length = a.integer("length", 17, 100000);
    for (int s = 0; s < samples; ++s) {
      const std::vector<int>& tune = tunes[(size_t)(gen.next_u64() % tunes.size())];
      std::vector<int> piece(tune.begin(), tune.begin() + (long)std::min<size_t>(16, tune.size()));  // the primer
      nn::RNNState state;
      Tensor logits = model.forward(
          Tensor::from_vector(std::vector<real>(piece.begin(), piece.end()), {1, (int64_t)piece.size()}), &state);
      while ((int64_t)piece.size() < length) {
        std::vector<real> last = logits.select(1, -1).reshape({-1}).to_vector();
        piece.push_back((int)models::sample_token(last, so, gen));
        logits = model.forward(Tensor::from_vector({(real)piece.back()}, {1, 1}), &state);
      }
      // [/doc]
      music::MidiFile m = music::melody_to_midi(piece);
      written.push_back(m);
      auto f = outputs::write_piece(out + "/sample_" + std::to_string(s + 1), m,
                                    str("melody LSTM sample ", s + 1, " (first 16 steps: primer from the corpus)"));
      files.insert(files.end(), f.begin(), f.end());
    }
    std::vector<music::MidiFile> training;  // the melodies it learned, as it saw them
    for (const std::vector<int>& t : tunes) training.push_back(music::melody_to_midi(t));
    files.push_back(outputs::write_report(
        out + "/report.md",
        str("# Melody LSTM on ", summary, "\n\n- final training cross-entropy ", curve.empty() ? 0.0 : curve.back(),
            " per token after ", curve.size(), " epochs\n- samples: ", written.size(), " melodies of ", length,
            " sixteenths at temperature ", so.temperature, ", top-p ", so.top_p, "\n\n"),
        training, written, 16));
    files.push_back(outputs::write_curve(out + "/loss.svg", "melody LSTM: cross-entropy per token", curve, {}));
    io::save_checkpoint(out + "/model.safetensors", model, {{"model", "melody-lstm"}});
    std::printf("\nwrote %zu files to %s/:\n", files.size() + 1, out.c_str());
    for (const std::string& f : files) std::printf("  %s\n", f.c_str());
    std::printf("\nlisten: %s/sample_1.wav    look: %s/sample_1.svg and %s/loss.svg\n", out.c_str(), out.c_str(),
                out.c_str());
    return g_stop ? 130 : 0;
  });
}
