// poly.cpp: see poly.h. Chapter: docs/08-recurrent-networks.md ("The polyphonic benchmark").
#include "pipelines/poly.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sys/stat.h>

#include "music/dataset.h"
#include "pipelines/rbm_music.h"

using namespace cadenza;

namespace poly {

// The benchmark's rolls cover the 88 piano keys, MIDI 21 to 108 (music::read_polyphonic).
constexpr int64_t kPianoKeys = 88;

Data load(const std::string& dir) {
  Data d;
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  d.name = base.substr(base.find_last_of('/') + 1);
  for (const char* split : {"train", "valid", "test"}) {
    std::string path = base + "/" + split + ".txt";
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      fail("poly", "'" + path + "' does not exist",
           "--data must be a polyphonic benchmark folder with train.txt, valid.txt and test.txt, e.g. "
           "../shared/data/jsb_chorales");
    auto rolls = music::read_polyphonic(path);
    // The READMEs: JSB Chorales has one step per quarter note, the other three one per eighth note.
    // read_polyphonic cannot tell which corpus a file is; this only matters when rolls become MIDI.
    for (music::PianoRoll& r : rolls) r.steps_per_quarter = d.name == "jsb_chorales" ? 1 : 2;
    (split[0] == 't' ? (split[1] == 'r' ? d.train : d.test) : d.valid) = std::move(rolls);
  }
  return d;
}

Data load_midi(const std::string& dir, int steps_per_quarter, int transpose, std::string* summary) {
  std::vector<music::MidiFile> songs = rbm_music::load_songs(dir, summary);
  if (songs.size() < 3)
    fail("poly", "'" + dir + "' holds " + std::to_string(songs.size()) + " readable MIDI files",
         "a train/valid/test split needs at least 3; give a folder with more, or a benchmark folder");
  music::RollOptions ro;
  ro.steps_per_quarter = steps_per_quarter;
  music::Split sp = music::split_indices(songs.size(), 0.8, 0.1, 1);
  Data d;
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  d.name = dir.empty() ? "corpus" : base.substr(base.find_last_of('/') + 1);  // names the default output folder
  for (size_t i : sp.train)
    for (int shift = -transpose; shift <= transpose; ++shift)
      d.train.push_back(music::transpose(music::to_piano_roll(songs[i], ro), shift));
  for (size_t i : sp.valid) d.valid.push_back(music::to_piano_roll(songs[i], ro));
  for (size_t i : sp.test) d.test.push_back(music::to_piano_roll(songs[i], ro));
  return d;
}

Data load_any(const std::string& dir, int steps_per_quarter, int transpose, std::string* summary) {
  struct stat st;
  if (!dir.empty() && ::stat((dir + "/train.txt").c_str(), &st) == 0) {
    Data d = load(dir);
    if (summary) *summary = "the polyphonic benchmark's " + d.name;
    return d;
  }
  return load_midi(dir, steps_per_quarter, transpose, summary);
}

std::string Recipe::to_string() const {
  std::string s =
      str("model=", model, " epochs<=", epochs, " batch=", batch, " lr=", lr, " clip=", clip, " dropout=", dropout);
  if (model == "tcn") {
    s += str(" kernel=", kernel, " channels=");
    for (size_t i = 0; i < channels.size(); ++i) s += str(i ? "," : "", channels[i]);
  } else {
    s += str(" hidden=", hidden, " layers=", layers);
  }
  if (model == "rnn-nade") s += str(" nade_hidden=", nade_hidden);
  if (chunk) s += str(" chunk=", chunk);
  if (transpose) s += str(" transpose=", transpose);
  if (ema > 0) s += str(" ema=", ema);
  return s;
}

// [doc:recipes]
Recipe default_recipe(const std::string& model, const std::string& dataset) {
  Recipe r;
  r.model = model;
  bool nott = dataset == "nottingham";
  if (model == "lstm" || model == "gru") {
    r.hidden = nott ? 400 : 200, r.layers = 2, r.dropout = 0.3, r.lr = 2e-3, r.clip = 1.0;
  } else if (model == "tcn") {
    // Bai et al.'s Table 2 (k, levels, dropout, clip); JSB one piece per step as their code, width 220 as Seq-U-Net's re-runs
    r.channels = nott ? std::vector<int64_t>(4, 150) : std::vector<int64_t>{220, 220};
    r.kernel = nott ? 6 : 3, r.dropout = nott ? 0.2 : 0.5, r.lr = nott ? 2e-3 : 1e-3, r.clip = 0.4;
    if (!nott) r.batch = 1;
  } else if (model == "rnn-nade") {
    r.hidden = 200, r.layers = 1, r.nade_hidden = 150, r.dropout = 0.3, r.lr = 2e-3;
  } else {
    fail("poly", "unknown model '" + model + "'", "choose lstm, gru, tcn or rnn-nade");
  }
  if (nott) r.chunk = 200, r.batch = 16;
  // Two regularisers beyond the papers' settings, chosen on valid (chapter 8, "Margin"): the
  // recurrent models hear JSB's 229 training chorales in every key within a minor third, and
  // every model is validated, kept and tested with its weights averaged.
  if (!nott && model != "tcn") r.transpose = 3;
  r.ema = 0.99;
  return r;
}
// [/doc]

std::map<std::string, std::string> recipe_metadata(const Recipe& r) {
  std::string ch;
  for (size_t i = 0; i < r.channels.size(); ++i) ch += str(i ? "," : "", r.channels[i]);
  return {{"model", "frame-" + r.model},
          {"hidden", std::to_string(r.hidden)},
          {"layers", std::to_string(r.layers)},
          {"nade_hidden", std::to_string(r.nade_hidden)},
          {"channels", ch},
          {"kernel", std::to_string(r.kernel)},
          {"dropout", str(r.dropout)},
          // the training settings, so that --resume continues with the run's own
          {"epochs", std::to_string(r.epochs)},
          {"batch", std::to_string(r.batch)},
          {"patience", std::to_string(r.patience)},
          {"chunk", std::to_string(r.chunk)},
          {"transpose", std::to_string(r.transpose)},
          {"lr", str(r.lr)},
          {"clip", str(r.clip)},
          {"ema", str(r.ema)}};
}

Recipe recipe_from_metadata(const std::map<std::string, std::string>& m) {
  auto get = [&](const std::string& k) {
    auto it = m.find(k);
    if (it == m.end()) fail("checkpoint", "no '" + k + "' metadata", "was it written by cadenza train --model ...?");
    return it->second;
  };
  Recipe r;
  r.model = get("model").substr(6);
  auto whole = [&](const std::string& k) { return io::metadata_int(get(k), k, "the checkpoint"); };
  r.hidden = whole("hidden"), r.layers = whole("layers"), r.nade_hidden = whole("nade_hidden");
  r.kernel = whole("kernel"), r.dropout = io::metadata_number(get("dropout"), "dropout", "the checkpoint");
  r.channels.clear();
  std::string ch = get("channels");
  for (size_t p = 0; p < ch.size();) {
    size_t q = ch.find(',', p);
    if (q == std::string::npos) q = ch.size();
    r.channels.push_back(io::metadata_int(ch.substr(p, q - p), "channels", "the checkpoint"));
    p = q + 1;
  }
  // Training settings: absent from checkpoints written before they were recorded.
  auto whole_or = [&](const std::string& k, int64_t fallback) {
    return m.count(k) ? io::metadata_int(m.at(k), k, "the checkpoint") : fallback;
  };
  auto number_or = [&](const std::string& k, double fallback) {
    return m.count(k) ? io::metadata_number(m.at(k), k, "the checkpoint") : fallback;
  };
  r.epochs = (int)whole_or("epochs", r.epochs), r.batch = (int)whole_or("batch", r.batch);
  r.patience = (int)whole_or("patience", r.patience), r.chunk = whole_or("chunk", r.chunk);
  r.transpose = (int)whole_or("transpose", r.transpose);
  r.lr = number_or("lr", r.lr), r.clip = number_or("clip", r.clip), r.ema = number_or("ema", r.ema);
  return r;
}

std::unique_ptr<models::FrameModel> build(const Recipe& r, Generator& gen) {
  nn::RNNOptions o;
  o.num_layers = r.layers;
  o.dropout = r.layers > 1 ? r.dropout : 0;
  if (r.model == "lstm" || r.model == "gru")
    return std::make_unique<models::FrameRNN>(kPianoKeys, r.hidden, o, r.model == "gru", r.dropout, gen);
  if (r.model == "tcn") return std::make_unique<models::FrameTCN>(kPianoKeys, r.channels, r.kernel, r.dropout, gen);
  if (r.model == "rnn-nade")
    return std::make_unique<models::RNNNADE>(kPianoKeys, r.hidden, r.nade_hidden, o, r.dropout, gen);
  fail("poly", "unknown model '" + r.model + "'", "choose lstm, gru, tcn or rnn-nade");
}

Score evaluate(models::FrameModel& m, const std::vector<music::PianoRoll>& rolls, Generator& gen) {
  NoGradGuard ng;
  m.eval();
  music::FrameScorer all;
  double skip_sum = 0;
  int64_t skip_steps = 0;
  for (size_t i = 0; i < rolls.size(); ++i) {
    pipelines::FrameBatch b = pipelines::frame_batch({&rolls[i]});
    Tensor per_key = binary_cross_entropy_with_logits(m.logits(b.x, b.y, {}), b.y, Reduction::None);
    std::vector<real> nll_t = sum(per_key, {0, 2}).to_vector();         // (T,)
    std::vector<real> pred = m.predict(b.x, {}, 0.5, gen).to_vector();  // the most likely frames, for accuracy
    std::vector<double> step_nll(nll_t.begin(), nll_t.end());
    all.add_scored(step_nll, std::vector<float>(pred.begin(), pred.end()), rolls[i]);
    for (size_t t = 1; t < nll_t.size(); ++t) skip_sum += nll_t[t];
    skip_steps += rolls[i].steps - 1;
  }
  Score s;
  s.all = all.result();
  s.nll_skip_first = skip_sum / (double)std::max<int64_t>(1, skip_steps);
  m.train();
  return s;
}

}  // namespace poly
