// rbm_music.h: the RBM music pipeline shared by `make rbm-demo` (examples/rbm_demo)
// and `cadenza train|sample|eval`: MIDI -> note-state windows -> RBM -> samples ->
// MIDI, WAV, SVG and a report. Two recipes: the improved default, and the seed
// tutorial's faithful one (../shared/notes/seed-rbm-demo.md). Chapter: docs/07-rbm.md.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/cadenza.h"
#include "music/midi.h"
#include "pipelines/rolls.h"

namespace rbm_music {

struct Recipe {
  bool faithful = false;
  int64_t hidden = 192;     // faithful: 50
  int64_t window = 16;      // steps per example (one 4/4 bar of sixteenths); faithful: 15
  int64_t hop = 4;          // steps between training windows (faithful: windows never overlap)
  int epochs = 100;         // faithful: 200
  int64_t batch = 64;       // faithful: 100, one batch per song
  double lr = 0.01;         // faithful: 0.005, plain SGD
  int cd_k = 1;             // Gibbs steps in CD's negative phase
  bool persistent = false;  // PCD: the negative chains carry over between updates
  double temperature_start = 1.5, temperature_end = 0.8;  // generation anneals from one to the other
  int gibbs_steps = 200;                                  // Gibbs steps per generated window
  double final_temperature = 0.4;  // the last Gibbs step's temperature (0: temperature_end like the rest)
  bool mean_field_last = false;    // the last step keeps the units whose probability passes 1/2, not a sample
  int transpose = 1;               // augmentation: every window also shifted by -t..+t semitones (faithful: 0)
  static Recipe seed_demo() {
    Recipe r;
    r.faithful = true, r.hidden = 50, r.window = 15, r.hop = 15, r.epochs = 200, r.batch = 100, r.lr = 0.005,
    r.transpose = 0;
    return r;
  }
};

// The training examples: each row one window of `window` note-state rows (2 x 78 keys each),
// flattened to window * 156 values. Faithful mode follows the seed exactly (songs over 50
// rows, first example of each song skipped, one batch per song).
struct Examples {
  cadenza::Tensor x;                          // (N, window * 156)
  std::vector<std::vector<int64_t>> batches;  // rows of x per mini-batch
  int64_t songs = 0;
};
Examples make_examples(const std::vector<music::MidiFile>& songs, const Recipe& r);

// Reads the bundled corpus (when `data` is empty) or every MIDI file under `data`.
std::vector<music::MidiFile> load_songs(const std::string& data, std::string* summary);

struct TrainLog {
  std::vector<double> epoch, recon, pll;
};
// The training history (epoch, reconstruction error, PLL) and time, kept in a checkpoint's metadata
// so that cadenza sample reports the training it did not see; log_from_metadata of a checkpoint
// without them gives an empty log (and 0 seconds).
void log_to_metadata(const TrainLog& log, double seconds, cadenza::io::Metadata& metadata);
TrainLog log_from_metadata(const cadenza::io::Metadata& metadata, double* seconds);

// A checkpoint that continues exactly: the RBM, the optimiser's state ("optim.*"), PCD's chains
// ("extra.persistent_chain") and the generator's state (metadata "generator"), so that a run of
// 20 epochs resumed to 40 gives the bits of 40 straight, at one thread.
void save_run(const std::string& path, const cadenza::models::RBM& rbm, const cadenza::optim::Optimizer& opt,
              const cadenza::Generator& gen, cadenza::io::Metadata metadata);
// Loads what save_run wrote into rbm, opt and gen; returns the file (its metadata).
cadenza::io::TensorFile load_run(const std::string& path, cadenza::models::RBM& rbm, cadenza::optim::Optimizer& opt,
                                 cadenza::Generator& gen);

// The recipe's optimiser: plain SGD (faithful) or SGD with momentum 0.5.
// The RBM's options for a recipe: the seed's initialisation when faithful, and the recipe's CD-k / PCD.
cadenza::models::RBMOptions rbm_options(const Recipe& r);
std::unique_ptr<cadenza::optim::Optimizer> make_optimizer(cadenza::models::RBM& rbm, const Recipe& r);
// Trains epochs first_epoch..r.epochs with a progress bar; returns early (saving nothing
// itself) when *interrupted becomes true, with the finished epochs in the log.
TrainLog train(cadenza::models::RBM& rbm, cadenza::optim::Optimizer& opt, const Examples& ex, const Recipe& r,
               cadenza::Generator& gen, const volatile bool* interrupted, int first_epoch = 1);

// Improved generation: pieces of `windows` windows; each window starts clamped on the
// last `prime` steps of the previous one (the first on a training window's opening),
// then r.gibbs_steps annealed Gibbs steps; the last sample (or, with r.mean_field_last,
// the last step's probabilities above 1/2) is the music.
std::vector<pipelines::NoteStatePiece> generate(const cadenza::models::RBM& rbm, const Examples& ex, const Recipe& r,
                                                int pieces, int windows, cadenza::Generator& gen);

// Writes MIDI, WAV, SVG roll for each piece, the loss curve, the report; returns the list of files.
std::vector<std::string> write_outputs(const std::string& out, const std::vector<pipelines::NoteStatePiece>& pieces,
                                       const std::vector<music::MidiFile>& songs, const TrainLog& log, const Recipe& r,
                                       const std::string& data_name, double train_seconds);

}  // namespace rbm_music
