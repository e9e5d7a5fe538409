// gan.cpp: data, training, sampling and evaluation of the adversarial networks (see gan.h).
// Chapter: docs/12-adversarial-networks.md.
#include "pipelines/gan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "music/corpus.h"
#include "music/dataset.h"
#include "music/metrics.h"

using namespace cadenza;

namespace gan {

Data load(const std::string& dir, const music::PhraseOptions& opt) {
  std::vector<std::pair<std::string, music::MidiFile>> pieces;
  std::string read;
  if (dir.empty()) {
    for (const music::Score& s : music::load_corpus()) pieces.push_back({s.name, music::score_to_midi(s)});
    read = str(pieces.size(), " tunes of the bundled corpus");
  } else {
    music::MidiFolder f = music::load_midi_folder(dir);
    for (music::MidiItem& it : f.items) pieces.push_back({it.path, std::move(it.midi)});
    read = str(pieces.size(), " MIDI files",
               f.skipped.empty() ? "" : str(" (", f.skipped.size(), " unreadable, skipped)"));
  }
  std::vector<std::vector<music::Phrase>> by_piece;
  int64_t out_of_range = 0, notes = 0;
  for (auto& [name, m] : pieces) {
    music::PhraseReport rep;
    std::vector<music::Phrase> ps = music::two_track_phrases(m, name, opt, &rep);
    out_of_range += rep.out_of_range, notes += rep.notes;
    if (!ps.empty()) by_piece.push_back(std::move(ps));
  }
  Data d;
  d.name = dir.empty() ? "corpus" : dir.substr(dir.find_last_of('/', dir.size() - 2) + 1);
  if (!d.name.empty() && d.name.back() == '/') d.name.pop_back();
  if (by_piece.size() < 3)
    fail("gan",
         str(dir.empty() ? "the bundled corpus" : "'" + dir + "'", " has ", by_piece.size(), " pieces with phrases of ",
             opt.bars, " bars of ", opt.steps_per_bar,
             " sixteenths; at least 3 are needed to split train, valid and test"),
         "give a folder of MIDI files in 4/4 (a GAN learns from many pieces, e.g. "
         "../shared/data/midi/nottingham_jukedeck)");
  music::Split sp = music::split_indices(by_piece.size(), 0.8, 0.1, 1);
  auto gather = [&](const std::vector<size_t>& idx, std::vector<music::Phrase>& to) {
    for (size_t i : idx) to.insert(to.end(), by_piece[i].begin(), by_piece[i].end());
  };
  gather(sp.train, d.train), gather(sp.valid, d.valid), gather(sp.test, d.test);
  d.summary =
      str(read, ": ", by_piece.size(), " with ", opt.bars, "-bar 4/4 phrases; ", d.train.size(), " / ", d.valid.size(),
          " / ", d.test.size(), " train / valid / test phrases (split by piece); ", out_of_range, " of ", notes,
          " notes outside ", music::pitch_name(opt.lowest), "..", music::pitch_name(opt.highest), " dropped");
  return d;
}

std::string Recipe::to_string() const {
  return str("family ", family, ", loss ", loss, ", latent ", latent, ", hidden ", hidden,
             d_hidden ? str(", D hidden ", d_hidden) : std::string(),
             binarize ? ", binarized fakes (straight-through)" : "", ", lr G ", lr_g, " D ", lr_d, ", Adam betas (",
             beta1, ", ", beta2, "), n_critic ", n_critic, loss == "wgan-gp" ? str(", lambda ", lambda) : std::string(),
             ", batch ", batch, ", epochs ", epochs, ", transpose +-", transpose,
             valid_samples ? str(", ", valid_samples, " samples to pick the epoch on valid") : std::string());
}

Recipe default_recipe(const std::string& family, const std::string& loss) {
  nn::parse_gan_loss(loss);  // a bad name stops here, with the list
  Recipe r;
  r.family = family, r.loss = loss;
  if (family == "musegan") r.hidden = 16;
  else if (family != "mlp") fail("gan", "'" + family + "' is not a GAN family", "use --family mlp or musegan");
  if (loss == "wgan-gp") r.n_critic = 5, r.beta1 = 0.5, r.beta2 = 0.9, r.lr_g = r.lr_d = 1e-4;
  return r;
}

std::map<std::string, std::string> recipe_metadata(const Recipe& r) {
  return {{"model", "gan"},
          {"gan.family", r.family},
          {"gan.loss", r.loss},
          {"gan.latent", std::to_string(r.latent)},
          {"gan.hidden", std::to_string(r.hidden)},
          {"gan.d_hidden", std::to_string(r.d_hidden)},
          {"gan.binarize", r.binarize ? "1" : "0"},
          {"gan.lr_g", pipelines::join_numbers({r.lr_g})},
          {"gan.lr_d", pipelines::join_numbers({r.lr_d})},
          {"gan.betas", pipelines::join_numbers({r.beta1, r.beta2})},
          {"gan.lambda", pipelines::join_numbers({r.lambda})},
          {"gan.n_critic", std::to_string(r.n_critic)},
          {"gan.epochs", std::to_string(r.epochs)},
          {"gan.batch", std::to_string(r.batch)},
          {"gan.transpose", std::to_string(r.transpose)},
          {"gan.valid_samples", std::to_string(r.valid_samples)}};
}

Recipe recipe_from_metadata(const std::map<std::string, std::string>& m) {
  auto need = [&](const char* k) -> const std::string& {
    auto it = m.find(k);
    if (it == m.end())
      fail("gan", str("the checkpoint has no '", k, "': it was not written by cadenza train --model gan"), "");
    return it->second;
  };
  Recipe r;
  r.family = need("gan.family"), r.loss = need("gan.loss");
  r.latent = io::metadata_int(need("gan.latent"), "gan.latent", "checkpoint");
  r.hidden = io::metadata_int(need("gan.hidden"), "gan.hidden", "checkpoint");
  r.d_hidden = io::metadata_int(need("gan.d_hidden"), "gan.d_hidden", "checkpoint");
  r.binarize = need("gan.binarize") == "1";
  r.lr_g = io::metadata_number(need("gan.lr_g"), "gan.lr_g", "checkpoint");
  r.lr_d = io::metadata_number(need("gan.lr_d"), "gan.lr_d", "checkpoint");
  std::vector<double> b = pipelines::split_numbers(need("gan.betas"), "gan.betas", "checkpoint");
  if (b.size() == 2) r.beta1 = b[0], r.beta2 = b[1];
  r.lambda = io::metadata_number(need("gan.lambda"), "gan.lambda", "checkpoint");
  r.n_critic = (int)io::metadata_int(need("gan.n_critic"), "gan.n_critic", "checkpoint");
  r.epochs = (int)io::metadata_int(need("gan.epochs"), "gan.epochs", "checkpoint");
  r.batch = (int)io::metadata_int(need("gan.batch"), "gan.batch", "checkpoint");
  r.transpose = (int)io::metadata_int(need("gan.transpose"), "gan.transpose", "checkpoint");
  if (m.count("gan.valid_samples"))  // absent from checkpoints older than the selection on valid
    r.valid_samples = io::metadata_int(m.at("gan.valid_samples"), "gan.valid_samples", "checkpoint");
  return r;
}

Models build(const Recipe& r, const music::PhraseOptions& p, Generator& gen) {
  Models m;
  m.shape = {2, p.bars, p.steps_per_bar, p.highest - p.lowest + 1};
  m.g = models::make_generator(r.family, m.shape, r.latent, r.hidden, gen);
  m.d = models::make_discriminator(r.family, m.shape, r.d_hidden ? r.d_hidden : r.hidden, gen);
  return m;
}

Tensor to_tensor(const std::vector<music::Phrase>& ps, const std::vector<size_t>& which) {
  if (which.empty()) fail("gan", "no phrases to put in a batch", "");
  const music::Phrase& p0 = ps[which[0]];
  const int64_t T = p0.melody.steps, K = p0.melody.keys();
  Tensor x = Tensor::zeros({(int64_t)which.size(), 2, T, K});
  real* px = x.data();
  for (size_t i = 0; i < which.size(); ++i) {
    std::vector<float> c = music::phrase_cells(ps[which[i]]);
    std::copy(c.begin(), c.end(), px + i * 2 * T * K);
  }
  return x;
}

std::vector<music::Phrase> to_phrases(const Tensor& cells, int lowest, int highest, double melody_threshold) {
  Tensor c = cells.detach().contiguous();
  const int64_t N = c.size(0), T = c.size(2), K = c.size(3), n = 2 * T * K;
  std::vector<music::Phrase> out;
  for (int64_t i = 0; i < N; ++i) {
    std::vector<float> v(c.data() + i * n, c.data() + (i + 1) * n);
    for (int64_t t = 0; t < T; ++t) {  // the melody (track 0): one key or none per step, as 0 or 1
      float* row = v.data() + t * K;
      const int64_t top = std::max_element(row, row + K) - row;
      const bool sounds = row[top] > melody_threshold;
      std::fill(row, row + K, 0.f);
      if (sounds) row[top] = 1.f;
    }
    out.push_back(music::phrase_from_cells(v, T, lowest, highest));
  }
  return out;
}

namespace {
// The entries of `all` whose names start with prefix, without it.
std::map<std::string, Tensor> with_prefix(const std::map<std::string, Tensor>& all, const std::string& prefix) {
  std::map<std::string, Tensor> out;
  for (auto& [k, v] : all)
    if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
  return out;
}
// Both tracks moved by the same shift, drawn in the range that keeps every note of the phrase.
music::Phrase shifted(const music::Phrase& p, int limit, Generator& gen) {
  if (limit <= 0) return p;
  auto [d1, u1] = music::transpose_room(p.melody, limit);
  auto [d2, u2] = music::transpose_room(p.accompaniment, limit);
  bool acc_silent =
      std::none_of(p.accompaniment.data.begin(), p.accompaniment.data.end(), [](float v) { return v > 0; });
  const int down = acc_silent ? d1 : std::min(d1, d2), up = acc_silent ? u1 : std::min(u1, u2);
  const int s = (int)gen.randint(down + up + 1) - down;
  if (s == 0) return p;
  music::Phrase q = p;
  q.melody = music::transpose(p.melody, s), q.accompaniment = music::transpose(p.accompaniment, s);
  return q;
}
}  // namespace

std::vector<music::Phrase> transposed(const std::vector<music::Phrase>& ps, int limit, Generator& gen) {
  std::vector<music::Phrase> out;
  out.reserve(ps.size());
  for (const music::Phrase& p : ps) out.push_back(shifted(p, limit, gen));
  return out;
}

// [doc:gan-train]
TrainLog train(Models& m, const Data& d, const Recipe& r, Generator& gen, volatile bool* stop, RunState* run) {
  const nn::GanLoss loss = nn::parse_gan_loss(r.loss);
  optim::Adam opt_g(m.g->parameters(), r.lr_g, r.beta1, r.beta2), opt_d(m.d->parameters(), r.lr_d, r.beta1, r.beta2);
  if (run && run->fit.epochs_done > 0) {  // continue exactly where the last finished epoch left it
    restore(m, *run);
    opt_g.load_state_dict(with_prefix(run->optim, "optim_g.")),
        opt_d.load_state_dict(with_prefix(run->optim, "optim_d."));
    gen.set_state(run->generator);
  }
  TrainLog log;
  if (run) log.g_loss = run->g_loss;
  std::vector<music::Phrase> batch_phrases;
  auto real_batch = [&](const std::vector<size_t>& batch) {  // each phrase in a key drawn afresh
    batch_phrases.clear();
    for (size_t i : batch) batch_phrases.push_back(shifted(d.train[i], r.transpose, gen));
    std::vector<size_t> all(batch.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return to_tensor(batch_phrases, all);
  };
  auto noise = [&](size_t n) { return randn({(int64_t)n, m.g->latent_size()}, gen); };
  auto critic = [&](const Tensor& x) { return m.d->forward(x); };
  // With r.binarize, D judges the cells as they will sound (0 or 1), and G's gradient passes the
  // threshold as if it were the identity (the straight-through estimator).
  auto as_played = [&](const Tensor& p) { return r.binarize ? p + (gt(p, Tensor::full({}, 0.5)) - p).detach() : p; };

  pipelines::AdversarialStep step;
  step.d_opt = &opt_d, step.g_opt = &opt_g, step.n_critic = r.n_critic;
  step.d_loss = [&](const std::vector<size_t>& batch) {
    Tensor real = real_batch(batch), fake;
    {
      NoGradGuard ng;  // D's step: the fakes are data
      fake = as_played(m.g->forward(noise(batch.size())));
    }
    Tensor l = nn::discriminator_loss(loss, m.d->forward(real), m.d->forward(fake));
    if (loss == nn::GanLoss::Wasserstein) l = l + nn::gradient_penalty(critic, real, fake, gen, r.lambda);
    return l;
  };
  step.g_loss = [&](const std::vector<size_t>& batch) {
    return nn::generator_loss(loss, m.d->forward(as_played(m.g->forward(noise(batch.size())))));
  };
  double d_sum = 0, g_sum = 0;
  int64_t rounds = 0, round = 0;
  pipelines::FitHooks h;
  h.batches = [&](int) {
    d_sum = g_sum = 0, rounds = 0;
    std::vector<std::vector<size_t>> b = music::batches(d.train.size(), (size_t)r.batch, true, gen.next_u64());
    if (b.size() > 1 && b.back().size() < b.front().size()) b.pop_back();  // equal batches: batch norm's statistics
    return b;
  };
  h.step = [&](const std::vector<size_t>& batch) {
    pipelines::AdversarialLosses l = pipelines::adversarial_round(step, batch, ++round);
    d_sum += l.d, g_sum += l.g, rounds++;
    return str("D ", d_sum / (double)rounds, "  G ", g_sum / (double)rounds);
  };
  h.train_loss = [&] {
    log.g_loss.push_back(g_sum / (double)rounds);
    return d_sum / (double)rounds;
  };
  // The epoch is picked on the valid split: its generator's samples against the valid phrases.
  PhraseMetrics valid_real;
  auto gap_at = [&](double melody_threshold) {  // the generator as it stands, decoded with this threshold
    m.melody_threshold = melody_threshold;
    Generator same_noise(0);  // always the same latents, and training's stream untouched
    const music::PianoRoll& like = d.valid.front().melody;
    return valid_gap(valid_real, measure(sample(m, r.valid_samples, like.lowest, like.highest, same_noise), {},
                                         m.shape.steps_per_bar));
  };
  if (!d.valid.empty() && r.valid_samples > 0) {
    valid_real = measure(d.valid, {}, m.shape.steps_per_bar);
    h.model = m.g.get();                         // fit keeps the best epoch's generator and puts it back at the end
    h.valid_loss = [&] { return gap_at(0.5); };  // epochs are compared at one threshold, picked after
  }
  pipelines::FitOptions o;
  o.epochs = r.epochs, o.loss_label = "D loss", o.valid_label = "valid gap", o.stop = stop;
  pipelines::FitState local;
  o.state = run ? &run->fit : &local;
  if (run)
    h.epoch_done = [&](const pipelines::FitState&) {  // a snapshot at every epoch boundary
      run->params.clear(), run->optim.clear();
      for (auto& [k, v] : m.g->state_dict()) run->params["g." + k] = v.clone();
      for (auto& [k, v] : m.d->state_dict()) run->params["d." + k] = v.clone();
      for (auto& [k, v] : opt_g.state_dict()) run->optim["optim_g." + k] = v.clone();
      for (auto& [k, v] : opt_d.state_dict()) run->optim["optim_d." + k] = v.clone();
      run->g_loss = log.g_loss, run->generator = gen.get_state();
    };
  pipelines::FitLog f = pipelines::fit(h, o);
  log.d_loss = f.train_loss, log.seconds = f.seconds, log.stopped = f.stopped;
  log.valid_gap = f.valid_loss, log.best_epoch = f.best_epoch;
  if (h.valid_loss && !f.stopped) {  // the melody's threshold, for the generator kept, on the same latents
    double best = 1e30;
    for (double th : kMelodyThresholds) {
      const double gap = gap_at(th);
      log.thresholds.push_back({th, gap});
      if (gap < best - 1e-4) best = gap, log.melody_threshold = th;
    }
    m.melody_threshold = log.melody_threshold;
  }
  log.g_loss.resize(log.d_loss.size());
  return log;
}
// [/doc]

void restore(Models& m, const RunState& run) {
  m.g->load_state_dict(with_prefix(run.params, "g."));
  m.d->load_state_dict(with_prefix(run.params, "d."));
}

void save_run(const std::string& path, const RunState& run, io::Metadata meta) {
  std::map<std::string, Tensor> all = run.params;
  for (auto& [k, v] : run.optim) all[k] = v;
  for (auto& [k, v] : run.fit.best) all["best." + k] = v;  // the best-on-valid generator so far
  pipelines::fit_state_to_metadata(run.fit, meta);
  meta["resume.g_loss"] = pipelines::join_numbers(run.g_loss);
  meta["resume.generator"] = run.generator;
  io::save_safetensors(path, all, meta);
}

RunState load_run(const std::string& path, io::Metadata* metadata) {
  io::TensorFile f = io::load_safetensors(path);
  RunState run;
  run.fit = pipelines::fit_state_from_metadata(f.metadata, path);
  if (!f.metadata.count("resume.generator") || !f.metadata.count("resume.g_loss") || f.metadata["model"] != "gan")
    fail("gan", "'" + path + "' is not the resume file of a GAN run",
         "resume from the resume.safetensors that cadenza train --model gan wrote");
  run.g_loss = pipelines::split_numbers(f.metadata["resume.g_loss"], "resume.g_loss", path);
  run.generator = f.metadata["resume.generator"];
  for (auto& [k, v] : f.tensors) {
    if (k.rfind("best.", 0) == 0) run.fit.best[k.substr(5)] = v;
    else (k.rfind("optim_", 0) == 0 ? run.optim : run.params)[k] = v;
  }
  if (metadata) *metadata = f.metadata;
  return run;
}

std::vector<music::Phrase> sample(Models& m, int64_t n, int lowest, int highest, Generator& gen) {
  NoGradGuard ng;
  m.g->eval();
  std::vector<music::Phrase> out;
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t b = std::min<int64_t>(256, n - i);
    std::vector<music::Phrase> part =
        to_phrases(m.g->forward(randn({b, m.g->latent_size()}, gen)), lowest, highest, m.melody_threshold);
    out.insert(out.end(), part.begin(), part.end());
  }
  m.g->train();
  return out;
}

}  // namespace gan
