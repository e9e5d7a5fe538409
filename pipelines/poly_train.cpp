// poly_train.cpp: the training loop and the results table for the polyphonic
// benchmark (see poly.h). Chapter: docs/08-recurrent-networks.md ("The polyphonic benchmark").
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "pipelines/poly.h"
#include "pipelines/train_loop.h"
#include "music/dataset.h"

using namespace cadenza;

namespace poly {

namespace {
// NLL per step over rolls, in batches of 16 with masks (no accuracy: quicker, for validation).
double nll_per_step(models::FrameModel& m, const std::vector<music::PianoRoll>& rolls) {
  NoGradGuard ng;
  m.eval();
  double total = 0;
  int64_t steps = 0;
  for (size_t i = 0; i < rolls.size(); i += 16) {
    std::vector<const music::PianoRoll*> part;
    for (size_t j = i; j < std::min(rolls.size(), i + 16); ++j) part.push_back(&rolls[j]);
    pipelines::FrameBatch b = pipelines::frame_batch(part);
    models::FrameLoss l = models::frame_nll(m.logits(b.x, b.y, b.lengths), b.y, b.lengths);
    total += l.total.item(), steps += l.steps;
  }
  m.train();
  return total / (double)steps;
}

std::vector<music::PianoRoll> chunks(const std::vector<music::PianoRoll>& rolls, int64_t len) {
  if (len <= 0) return rolls;
  std::vector<music::PianoRoll> out;
  for (const music::PianoRoll& r : rolls) {
    if (r.steps <= len) {
      out.push_back(r);
      continue;
    }
    for (int64_t s = 0; s < r.steps; s += len) {
      int64_t n = std::min(len, r.steps - s);
      if (n < 2) break;
      music::PianoRoll c = r;
      c.steps = n;
      c.data.assign(r.data.begin() + s * r.keys(), r.data.begin() + (s + n) * r.keys());
      c.onset.assign(r.onset.begin() + s * r.keys(), r.onset.begin() + (s + n) * r.keys());
      out.push_back(std::move(c));
    }
  }
  return out;
}
}  // namespace

// [doc:poly-train]
TrainLog train(models::FrameModel& m, const Data& d, const Recipe& r, Generator& gen, volatile bool* stop,
               RunState* run) {
  m.init_output_bias(music::note_unigram(d.train));  // start from the Note 1-Gram
  optim::Adam opt(m.parameters(), r.lr);
  // With r.ema: a second copy of the model holds the moving average of the weights, and is the
  // one validated, kept and returned (Polyak averaging).
  std::unique_ptr<models::FrameModel> avg;
  if (r.ema > 0) {
    Generator unused(0);  // its initial weights are overwritten at once
    avg = build(r, unused);
    avg->load_state_dict(m.state_dict());
  }
  if (run && run->fit.epochs_done > 0) {  // continue a run exactly where its last finished epoch left it
    m.load_state_dict(run->params);
    if (avg) avg->load_state_dict(run->average);
    opt.load_state_dict(run->optim);
    opt.lr = run->lr;
    gen.set_state(run->generator);
  }
  models::FrameModel& kept = avg ? *avg : m;  // the weights validated and returned
  const std::vector<music::PianoRoll> originals = chunks(d.train, r.chunk);
  std::vector<music::PianoRoll> pieces = originals;
  std::vector<std::pair<int, int>> room(originals.size());  // how far each piece can move down and up
  for (size_t i = 0; i < originals.size(); ++i) room[i] = music::transpose_room(originals[i], r.transpose);
  double sum = 0;  // NLL summed over the epoch's steps so far
  int64_t steps = 0;
  pipelines::FitHooks h;
  h.batches = [&](int) {
    sum = 0, steps = 0;
    if (r.transpose > 0)  // every piece in a key drawn afresh each epoch, no note pushed off the keyboard
      for (size_t i = 0; i < originals.size(); ++i) {
        const int down = room[i].first, up = room[i].second;
        pieces[i] = music::transpose(originals[i], (int)gen.randint(down + up + 1) - down);
      }
    return music::batches(pieces.size(), (size_t)r.batch, true, gen.next_u64());
  };
  h.step = [&](const std::vector<size_t>& batch) {
    std::vector<const music::PianoRoll*> part;
    for (size_t j : batch) part.push_back(&pieces[j]);
    pipelines::FrameBatch b = pipelines::frame_batch(part);
    models::FrameLoss l = models::frame_nll(m.logits(b.x, b.y, b.lengths), b.y, b.lengths);
    pipelines::backward_and_step(l.total / (real)l.steps, opt, r.clip);
    if (avg) optim::ema_update_(avg->parameters(), m.parameters(), r.ema, opt.steps());
    sum += l.total.item(), steps += l.steps;
    return str("train NLL ", sum / (double)steps);
  };
  h.train_loss = [&] { return sum / (double)steps; };
  h.valid_loss = [&] { return nll_per_step(kept, d.valid); };
  h.divide_lr = [&](double f) { return opt.lr /= f; };
  h.model = &kept;  // the best-on-valid parameters are restored at the end
  pipelines::FitOptions o;
  o.epochs = r.epochs, o.patience = r.patience, o.decay_every = 3, o.decay_factor = 4;
  o.loss_label = "train NLL", o.valid_label = "valid NLL", o.stop = stop;
  pipelines::FitState local;
  o.state = run ? &run->fit : &local;
  if (run)
    h.epoch_done = [&](const pipelines::FitState&) {  // a snapshot at every epoch boundary
      run->params.clear();
      for (auto& [k, v] : m.state_dict()) run->params[k] = v.clone();
      run->average.clear();
      if (avg)
        for (auto& [k, v] : avg->state_dict()) run->average[k] = v.clone();
      run->optim = opt.state_dict();
      for (auto& [k, v] : run->optim) v = v.clone();
      run->generator = gen.get_state(), run->lr = opt.lr;
    };
  pipelines::FitLog f = pipelines::fit(h, o);
  if (avg) m.load_state_dict(avg->state_dict());
  TrainLog log;
  log.train_nll = f.train_loss, log.valid_nll = f.valid_loss;
  log.best_epoch = f.best_epoch, log.best_valid = f.best_valid, log.seconds = f.seconds;
  return log;
}
// [/doc]

void save_run(const std::string& path, const RunState& run, io::Metadata meta) {
  std::map<std::string, Tensor> all = run.params;
  for (auto& [k, v] : run.optim) all["optim." + k] = v;
  for (auto& [k, v] : run.fit.best) all["best." + k] = v;
  for (auto& [k, v] : run.average) all["average." + k] = v;
  pipelines::fit_state_to_metadata(run.fit, meta);
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", run.lr);
  meta["resume.lr"] = b;
  meta["resume.generator"] = run.generator;
  io::save_safetensors(path, all, meta);
}

RunState load_run(const std::string& path, io::Metadata* metadata) {
  io::TensorFile f = io::load_safetensors(path);
  auto need = [&](const std::string& k) -> const std::string& {
    auto it = f.metadata.find(k);
    if (it == f.metadata.end())
      fail("poly", "'" + path + "' has no '" + k + "': it is not a resume file",
           "resume from the resume.safetensors that cadenza train --model ... wrote, not model.safetensors");
    return it->second;
  };
  RunState run;
  for (auto& [k, v] : f.tensors) {
    if (k.rfind("optim.", 0) == 0) run.optim[k.substr(6)] = v;
    else if (k.rfind("best.", 0) == 0) run.fit.best[k.substr(5)] = v;
    else if (k.rfind("average.", 0) == 0) run.average[k.substr(8)] = v;
    else run.params[k] = v;
  }
  std::map<std::string, Tensor> best = std::move(run.fit.best);
  run.fit = pipelines::fit_state_from_metadata(f.metadata, path);
  run.fit.best = std::move(best);
  run.lr = io::metadata_number(need("resume.lr"), "resume.lr", path);
  run.generator = need("resume.generator");
  if (metadata) *metadata = f.metadata;
  return run;
}

namespace {
struct Row {
  const char* model;
  double nll, acc;
  const char* source;
};
// ../shared/notes/published-results.md: Boulanger-Lewandowski et al. 2012 Table 1 (NLL = -LL; ACC in %)
// and Bai et al. 2018 Table 1 (NLL only).
std::vector<Row> published(const std::string& dataset) {
  if (dataset == "jsb_chorales")
    return {{"Note 1-Gram", 11.06, 15.25, "Boulanger-Lewandowski 2012"},
            {"RBM", 7.43, 4.47, "Boulanger-Lewandowski 2012"},
            {"RNN", 8.71, 28.46, "Boulanger-Lewandowski 2012"},
            {"RNN-RBM", 6.27, 33.12, "Boulanger-Lewandowski 2012"},
            {"RNN-NADE", 5.83, 32.11, "Boulanger-Lewandowski 2012"},
            {"LSTM", 8.45, -1, "Bai et al. 2018 (TCN paper)"},
            {"GRU", 8.43, -1, "Bai et al. 2018 (TCN paper)"},
            {"TCN", 8.10, -1, "Bai et al. 2018 (TCN paper)"}};
  if (dataset == "nottingham")
    return {{"Note 1-Gram", 10.25, 19.87, "Boulanger-Lewandowski 2012"},
            {"RBM", 5.25, 5.81, "Boulanger-Lewandowski 2012"},
            {"RNN", 4.46, 62.93, "Boulanger-Lewandowski 2012"},
            {"RNN-RBM", 2.39, 75.40, "Boulanger-Lewandowski 2012"},
            {"RNN-NADE", 2.91, 64.95, "Boulanger-Lewandowski 2012"},
            {"LSTM", 3.29, -1, "Bai et al. 2018 (TCN paper)"},
            {"GRU", 3.46, -1, "Bai et al. 2018 (TCN paper)"},
            {"TCN", 3.07, -1, "Bai et al. 2018 (TCN paper)"}};
  if (dataset == "musedata")
    return {{"Note 1-Gram", 11.51, 7.72, "Boulanger-Lewandowski 2012"},
            {"RNN-NADE", 6.74, 24.91, "Boulanger-Lewandowski 2012"}};
  if (dataset == "piano_midi")
    return {{"Note 1-Gram", 11.05, 5.80, "Boulanger-Lewandowski 2012"},
            {"RNN-NADE", 7.48, 20.69, "Boulanger-Lewandowski 2012"}};
  return {};
}
}  // namespace

void print_table(const std::string& dataset, const std::vector<std::pair<std::string, Score>>& ours) {
  std::printf(
      "\n%s, test split: NLL in nats per step (summed over 88 keys, every step weighted equally); "
      "ACC = Bay et al.'s frame accuracy\n\n",
      dataset.c_str());
  std::printf("| model | NLL | ACC %% | source |\n|---|---|---|---|\n");
  for (const Row& r : published(dataset))
    std::printf("| %s | %.2f | %s | %s |\n", r.model, r.nll, r.acc < 0 ? "-" : str(r.acc).c_str(), r.source);
  for (auto& [name, s] : ours)
    std::printf("| **%s** | **%.2f** | **%.2f** | Cadenza (first step as context only: %.2f) |\n", name.c_str(),
                s.all.nll, 100 * s.all.accuracy, s.nll_skip_first);
  std::printf("\n");
}

std::string machine_line(const std::string& model, const std::string& dataset, const Score& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "model=%s dataset=%s split=test nll=%.3f acc=%.2f steps=%lld", model.c_str(),
                dataset.c_str(), s.all.nll, 100 * s.all.accuracy, (long long)s.all.steps);
  return buf;
}

}  // namespace poly
