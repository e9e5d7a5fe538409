// rbm_music.cpp: see rbm_music.h. Chapter: docs/07-rbm.md.
#include "pipelines/rbm_music.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "music/corpus.h"
#include "music/dataset.h"
#include "music/metrics.h"
#include "music/pianoroll.h"
#include "music/roll_svg.h"
#include "music/seed_compat.h"
#include "plot/svg.h"
#include "music/synth.h"
#include "pipelines/outputs.h"

namespace rbm_music {

using namespace cadenza;
constexpr int kKeys = 78, kLow = 24, kRow = 2 * kKeys;  // pitches 24..101, [play, articulate]

std::vector<music::MidiFile> load_songs(const std::string& data, std::string* summary) {
  std::vector<music::MidiFile> songs;
  if (data.empty()) {
    for (const music::Score& s : music::load_corpus()) songs.push_back(music::score_to_midi(s));
    if (summary) *summary = std::to_string(songs.size()) + " tunes from the bundled corpus (music/corpus)";
    return songs;
  }
  music::MidiFolder f = music::load_midi_folder(data);
  for (auto& it : f.items) songs.push_back(std::move(it.midi));
  if (summary) *summary = f.summary();
  return songs;
}

void log_to_metadata(const TrainLog& log, double seconds, io::Metadata& m) {
  std::string text;
  char b[96];
  for (size_t i = 0; i < log.epoch.size(); ++i) {
    std::snprintf(b, sizeof b, "%s%.17g:%.17g:%.17g", i ? ";" : "", log.epoch[i], log.recon[i], log.pll[i]);
    text += b;
  }
  m["history"] = text;  // epoch:reconstruction error:PLL per step, one entry per epoch
  m["train_seconds"] = str(seconds);
}

TrainLog log_from_metadata(const io::Metadata& m, double* seconds) {
  TrainLog log;
  auto h = m.find("history");
  if (h != m.end()) {
    size_t p = 0;
    while (p < h->second.size()) {
      size_t q = h->second.find(';', p);
      if (q == std::string::npos) q = h->second.size();
      double e, rc, pl;
      if (std::sscanf(h->second.substr(p, q - p).c_str(), "%lf:%lf:%lf", &e, &rc, &pl) == 3)
        log.epoch.push_back(e), log.recon.push_back(rc), log.pll.push_back(pl);
      p = q + 1;
    }
  }
  auto t = m.find("train_seconds");
  if (seconds) *seconds = t != m.end() ? std::atof(t->second.c_str()) : 0;
  return log;
}

void save_run(const std::string& path, const models::RBM& rbm, const optim::Optimizer& opt, const Generator& gen,
              io::Metadata metadata) {
  std::map<std::string, Tensor> extra;
  for (auto& [k, v] : opt.state_dict()) extra["optim." + k] = v;
  if (rbm.persistent_chain().defined()) extra["extra.persistent_chain"] = rbm.persistent_chain();
  metadata["generator"] = gen.get_state();
  io::save_checkpoint(path, rbm, metadata, extra);
}

io::TensorFile load_run(const std::string& path, models::RBM& rbm, optim::Optimizer& opt, Generator& gen) {
  io::TensorFile f = io::load_checkpoint(path, rbm);
  std::map<std::string, Tensor> state;
  for (auto& [k, v] : f.tensors)
    if (k.rfind("optim.", 0) == 0) state[k.substr(6)] = v;
  opt.load_state_dict(state);
  auto chain = f.tensors.find("extra.persistent_chain");
  if (chain != f.tensors.end()) rbm.set_persistent_chain(chain->second);
  auto g = f.metadata.find("generator");
  if (g != f.metadata.end()) gen.set_state(g->second);  // older checkpoints: the run continues, not bit for bit
  return f;
}

// [doc:rbm-examples]
Examples make_examples(const std::vector<music::MidiFile>& songs, const Recipe& r) {
  Examples ex;
  std::vector<real> flat;
  int64_t n = 0, width = r.window * kRow;
  for (const music::MidiFile& m : songs) {
    std::vector<std::vector<uint8_t>> rows;
    if (r.faithful) {
      rows = music::seed::note_state_matrix(m);
      if (rows.size() <= 50) continue;  // the seed keeps songs of more than 50 rows
    } else {
      rows = music::note_state_matrix(m, 4, kLow, kLow + kKeys - 1);
    }
    ++ex.songs;
    int64_t first_row = n;
    for (int shift = -r.transpose; shift <= r.transpose; ++shift)
      for (int64_t t = 0; t + r.window <= (int64_t)rows.size(); t += r.hop) {
        for (int64_t s = t; s < t + r.window; ++s)
          for (int half = 0; half < 2; ++half)
            for (int k = 0; k < kKeys; ++k) {
              int src = k - shift;  // transposed up by `shift`: key k takes the value of key k - shift
              flat.push_back(src >= 0 && src < kKeys ? (real)rows[(size_t)s][(size_t)(half * kKeys + src)] : 0);
            }
        ++n;
      }
    if (r.faithful)  // for i in range(1, len(song), 100): example 0 of every song is never used
      for (int64_t i = first_row + 1; i < n; i += r.batch) {
        std::vector<int64_t> b;
        for (int64_t j = i; j < std::min(n, i + r.batch); ++j) b.push_back(j);
        ex.batches.push_back(b);
      }
  }
  if (n == 0)
    fail("rbm", str("no training windows: every song is shorter than ", r.window, " steps"),
         str("use pieces of at least ", r.window, " sixteenth notes (", r.window / 4, " beats)"));
  ex.x = Tensor::from_vector(flat, {n, width});
  return ex;
}
// [/doc]

// [doc:rbm-train-loop]
models::RBMOptions rbm_options(const Recipe& r) {
  models::RBMOptions o = r.faithful ? models::RBMOptions::faithful() : models::RBMOptions();
  o.cd_k = r.cd_k;
  o.persistent = r.persistent;
  return o;
}

std::unique_ptr<optim::Optimizer> make_optimizer(models::RBM& rbm, const Recipe& r) {
  return std::make_unique<optim::SGD>(rbm.parameters(), r.lr, r.faithful ? 0.0 : 0.5);  // the seed: plain SGD
}

TrainLog train(models::RBM& rbm, optim::Optimizer& opt, const Examples& ex, const Recipe& r, Generator& gen,
               const volatile bool* interrupted, int first_epoch) {
  TrainLog log;
  Tensor probe = ex.x.slice(0, 0, std::min<int64_t>(ex.x.size(0), 256));
  if (first_epoch > r.epochs) return log;
  ProgressBar bar("epoch", r.epochs - first_epoch + 1);
  for (int epoch = first_epoch; epoch <= r.epochs; ++epoch) {
    std::vector<std::vector<int64_t>> batches = ex.batches;
    if (!r.faithful) {  // reshuffle every epoch
      batches.clear();
      std::vector<int64_t> order = randperm(ex.x.size(0), gen);
      for (size_t s = 0; s < order.size(); s += (size_t)r.batch)
        batches.emplace_back(order.begin() + (long)s,
                             order.begin() + (long)std::min(order.size(), s + (size_t)r.batch));
    }
    double recon = 0;
    for (const auto& b : batches) {
      std::vector<real> idx(b.begin(), b.end());
      Tensor xb = index_select(ex.x, 0, Tensor::from_vector(idx, {(int64_t)idx.size()}));
      recon += rbm.contrastive_divergence(xb, gen);  // sets W/bv/bh .grad
      opt.step();
      if (interrupted && *interrupted) return log;
    }
    log.epoch.push_back(epoch);
    log.recon.push_back(recon / (double)batches.size());
    log.pll.push_back(rbm.pseudo_log_likelihood(probe, gen) / (double)r.window);
    char info[96];
    std::snprintf(info, sizeof info, "recon %.4f  pseudo-LL/step %.2f", log.recon.back(), log.pll.back());
    bar.update(epoch - first_epoch + 1, info);
  }
  bar.finish(log.recon.empty() ? "" : str("final reconstruction error ", log.recon.back()));
  return log;
}
// [/doc]

// [doc:rbm-generate]
std::vector<pipelines::NoteStatePiece> generate(const models::RBM& rbm, const Examples& ex, const Recipe& r, int pieces,
                                                int windows, Generator& gen) {
  std::vector<pipelines::NoteStatePiece> out;
  const int64_t width = r.window * kRow, prime = r.window / 4;
  NoGradGuard no_grad;
  if (r.faithful) {  // the seed: one Gibbs step from zeros for 50 chains; empty samples are skipped
    NoGradGuard no_grad;
    Tensor h = bernoulli(sigmoid(rbm.bh.unsqueeze(0).expand({50, rbm.n_hidden}).contiguous()), gen);
    std::vector<real> v = bernoulli(rbm.visible_probs(h), gen).to_vector();
    for (int64_t i = 0; i < 50 && (int)out.size() < pieces; ++i) {
      std::vector<std::vector<uint8_t>> rows((size_t)r.window, std::vector<uint8_t>(kRow));
      bool any = false;
      for (int64_t t = 0; t < r.window; ++t)
        for (int c = 0; c < kRow; ++c)
          any |= (rows[(size_t)t][(size_t)c] = v[(size_t)(i * width + t * kRow + c)] > 0.5f);
      if (any) out.push_back({kLow, kKeys, rows});
    }
    return out;
  }
  // All pieces are sampled together: P chains in one (P, width) batch.
  const int64_t P = pieces;
  Tensor mask = Tensor::zeros({width});
  mask.slice(0, 0, prime * kRow).fill_(1);  // the first `prime` steps are clamped
  std::vector<real> start((size_t)(P * width), 0);
  for (int64_t p = 0; p < P; ++p) {  // primers: the openings of random training windows
    std::vector<real> w = ex.x.select(0, gen.randint(ex.x.size(0))).to_vector();
    std::copy(w.begin(), w.begin() + prime * kRow, start.begin() + p * width);
  }
  Tensor v = Tensor::from_vector(start, {P, width});
  out.assign((size_t)P, pipelines::NoteStatePiece{kLow, kKeys, {}});
  for (int w = 0; w < windows; ++w) {
    v = where(mask, v, bernoulli(Tensor::full({P, width}, 0.02), gen));  // unclamped units start sparse
    models::RBM::GibbsOptions opt;
    opt.steps = r.gibbs_steps;
    opt.clamp_mask = &mask;
    opt.mean_field_last = r.mean_field_last;
    const double t0 = r.temperature_start, t1 = r.temperature_end, n = r.gibbs_steps;  // anneal linearly, t0 to t1
    const double last = r.final_temperature > 0 ? r.final_temperature : t1;
    opt.temperature = [=](int s) { return s + 1 == (int)n ? last : t1 + (t0 - t1) * (1.0 - (double)s / n); };
    std::vector<real> pv = rbm.gibbs(v, opt, gen).to_vector();  // a sample, or the last step's probabilities
    for (real& x : pv) x = x > 0.5f ? 1 : 0;
    std::vector<real> next((size_t)(P * width), 0);
    for (int64_t p = 0; p < P; ++p) {
      const real* s = pv.data() + p * width;
      for (int64_t t = w == 0 ? 0 : prime; t < r.window; ++t) {
        std::vector<uint8_t> row(kRow);
        for (int k = 0; k < kKeys; ++k) {
          row[(size_t)k] = s[t * kRow + k] > 0.5f;
          row[(size_t)(kKeys + k)] =
              row[(size_t)k] && s[t * kRow + kKeys + k] > 0.5f;  // articulation only on sounding keys
        }
        out[(size_t)p].rows.push_back(row);
      }
      // The next window starts clamped on this one's last `prime` steps.
      std::copy(s + (r.window - prime) * kRow, s + r.window * kRow, next.begin() + p * width);
    }
    v = Tensor::from_vector(next, {P, width});
  }
  return out;
}
// [/doc]

std::vector<std::string> write_outputs(const std::string& out, const std::vector<pipelines::NoteStatePiece>& pieces,
                                       const std::vector<music::MidiFile>& songs, const TrainLog& log, const Recipe& r,
                                       const std::string& data_name, double train_seconds) {
  std::vector<std::string> files;
  std::vector<music::MidiFile> written;
  for (size_t i = 0; i < pieces.size(); ++i) {
    std::string base = out + "/sample_" + std::to_string(i + 1);
    music::MidiFile m;
    if (r.faithful) {
      std::vector<uint8_t> bytes = music::seed::note_state_to_midi_bytes(pieces[i].rows);  // the seed's exact writer
      io::write_file_atomic(base + ".mid", std::string(bytes.begin(), bytes.end()), "rbm");
      m = music::read_midi(bytes);
    } else {
      music::DecodeOptions d;
      d.qpm = 100;
      m = music::note_state_to_midi(pieces[i].rows, pieces[i].lowest, d);
      music::write_midi_file(base + ".mid", m);
    }
    music::write_wav(base + ".wav", music::render(m));
    music::RollSvgOptions ro;
    ro.title = "RBM sample " + std::to_string(i + 1) + (r.faithful ? " (faithful seed recipe)" : "");
    io::write_file_atomic(base + ".svg", music::piano_roll_svg(m, ro), "rbm");
    files.insert(files.end(), {base + ".mid", base + ".wav", base + ".svg"});
    written.push_back(m);
  }
  if (!log.epoch.empty()) {  // a checkpoint without its history (an older one): no empty curve, no empty table
    plot::PlotOptions po;
    po.title = "RBM training: reconstruction error per epoch";
    po.xlabel = "epoch";
    po.ylabel = "mean squared reconstruction error";
    io::write_file_atomic(out + "/loss.svg", plot::line_plot({{"reconstruction error", log.epoch, log.recon, ""}}, po),
                          "rbm");
    files.push_back(out + "/loss.svg");
    std::string csv = "epoch,reconstruction_error,pseudo_log_likelihood_per_step\n";
    for (size_t i = 0; i < log.epoch.size(); ++i) csv += str(log.epoch[i], ",", log.recon[i], ",", log.pll[i], "\n");
    io::write_file_atomic(out + "/loss.csv", csv, "rbm");
    files.push_back(out + "/loss.csv");
  }
  std::string report = "# RBM demo report\n\n";
  report += str("- data: ", data_name,
                "\n- recipe: ", r.faithful ? "faithful (the seed tutorial's exact settings)" : "improved default",
                "\n- RBM: ", r.window * kRow, " visible units (", r.window, " steps x 2 x 78 keys), ", r.hidden,
                " hidden units\n", "- training: ",
                log.epoch.empty() ? std::string("not recorded in the checkpoint")
                                  : str(log.epoch.size(), " epochs in ", format_seconds(train_seconds)),
                ", CD-", r.cd_k, r.persistent ? " (persistent)" : "", ", learning rate ", r.lr,
                r.faithful ? std::string()
                           : str("\n- generation: Gibbs sampling annealed from temperature ", r.temperature_start,
                                 " to ", r.temperature_end),
                "\n\n");
  files.push_back(outputs::write_report(out + "/report.md", report, songs, written, r.faithful ? 0 : r.window / 4));
  return files;
}

}  // namespace rbm_music
