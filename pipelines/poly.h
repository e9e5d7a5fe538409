// poly.h: training and evaluating frame models (LSTM, GRU, TCN, RNN-NADE) on the
// polyphonic benchmark (JSB Chorales, Nottingham, MuseData, Piano-midi.de), and
// the table of published numbers they are compared with.
// Used by `cadenza train --model ...`, `cadenza eval` and the examples/recipes scripts.
// Chapter: docs/08-recurrent-networks.md ("The polyphonic benchmark").
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cadenza.h"
#include "music/metrics.h"
#include "music/pianoroll.h"
#include "pipelines/rolls.h"
#include "pipelines/train_loop.h"

namespace poly {

struct Data {
  std::string name;  // "jsb_chorales", "nottingham", ... (the folder's name)
  std::vector<music::PianoRoll> train, valid, test;
};
// Reads dir/{train,valid,test}.txt; errors name the missing file and where the data comes from.
Data load(const std::string& dir);
// MIDI files as a dataset: the bundled corpus when `dir` is empty, else every MIDI file under it;
// 88-key rolls at `steps_per_quarter`, split 80/10/10 by a fixed draw (seed 1), the training
// pieces also transposed by -transpose..+transpose semitones. `summary`: what was read.
Data load_midi(const std::string& dir, int steps_per_quarter, int transpose, std::string* summary = nullptr);
// A benchmark folder (it has train.txt) with load, anything else with load_midi.
Data load_any(const std::string& dir, int steps_per_quarter, int transpose, std::string* summary = nullptr);

struct Recipe {
  std::string model = "lstm";        // lstm | gru | tcn | rnn-nade
  int64_t hidden = 200, layers = 2;  // recurrent width and depth
  int64_t nade_hidden = 150;
  std::vector<int64_t> channels = {150, 150};  // TCN level widths
  int64_t kernel = 3;
  double dropout = 0.2, lr = 1e-3, clip = 1.0;
  int epochs = 100, batch = 8, patience = 10;  // stop after `patience` epochs without a better valid NLL
  int64_t chunk = 0;                           // cut training pieces into chunks of this many steps (0: whole)
  int transpose = 0;  // augmentation: each epoch, each training piece shifted by up to this many semitones
  double ema = 0;     // > 0: validate, keep and test an exponential moving average of the weights with this decay
  std::string to_string() const;
};
// The defaults for a model on a dataset (the settings the recipes use).
Recipe default_recipe(const std::string& model, const std::string& dataset);
// Reads and writes a recipe as checkpoint metadata.
std::map<std::string, std::string> recipe_metadata(const Recipe& r);
Recipe recipe_from_metadata(const std::map<std::string, std::string>& m);

std::unique_ptr<cadenza::models::FrameModel> build(const Recipe& r, cadenza::Generator& gen);

struct Score {
  music::FrameScore all;      // every step scored (the dataset READMEs' convention)
  double nll_skip_first = 0;  // first step of each piece as context only (locuslab/TCN's convention)
};
Score evaluate(cadenza::models::FrameModel& m, const std::vector<music::PianoRoll>& rolls, cadenza::Generator& gen);

struct TrainLog {
  std::vector<double> train_nll, valid_nll;
  int best_epoch = 0;
  double best_valid = 0, seconds = 0;
};
// A run to continue exactly: at the end of its last finished epoch, the parameters, Adam's state
// and learning rate, the generator's state, and where early stopping stood (best, bad epochs).
struct RunState {
  pipelines::FitState fit;
  std::map<std::string, cadenza::Tensor> params, optim, average;  // average: the EMA weights (recipe.ema > 0)
  std::string generator;
  double lr = 0;
};
// Adam, gradient clipping, lr / 4 after 3 epochs without improvement, early stopping;
// the best-on-valid parameters are restored at the end (with recipe.ema, the best averaged
// ones; recipe.transpose shifts the training pieces each epoch). With run: a run whose
// fit.epochs_done > 0 continues from it, and run is kept up to date after every finished
// epoch (also when stopped).
TrainLog train(cadenza::models::FrameModel& m, const Data& d, const Recipe& r, cadenza::Generator& gen,
               volatile bool* stop, RunState* run = nullptr);
// RunState in a safetensors file (out/resume.safetensors) with the recipe's metadata, and back.
void save_run(const std::string& path, const RunState& run, cadenza::io::Metadata metadata);
RunState load_run(const std::string& path, cadenza::io::Metadata* metadata);

// The table printed by `cadenza eval`: published rows beside ours.
void print_table(const std::string& dataset, const std::vector<std::pair<std::string, Score>>& ours);
// One machine-readable line, e.g. "model=lstm dataset=jsb_chorales split=test nll=8.450 acc=25.45 steps=4725".
std::string machine_line(const std::string& model, const std::string& dataset, const Score& s);

}  // namespace poly
