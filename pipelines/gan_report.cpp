// gan_report.cpp: measuring generated phrases beside real ones (see gan.h, PhraseMetrics):
// MuseGAN's per-track measures, tonal distance, the copy check and the mode-collapse count;
// and the files a GAN run ends with.
// Chapter: docs/12-adversarial-networks.md ("Judging a generator without a likelihood").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "music/metrics.h"
#include "pipelines/gan.h"
#include "pipelines/outputs.h"

namespace gan {

namespace {
// FNV-1a over the sounding cells of both tracks, moved down so the phrase's lowest sounding key
// is key 0 when `canonical` (then a phrase and its transpositions hash alike).
uint64_t phrase_hash(const music::Phrase& p, bool canonical) {
  const int K = p.melody.keys();
  int low = 0;
  if (canonical) {
    low = K;
    for (const music::PianoRoll* r : {&p.melody, &p.accompaniment})
      for (size_t i = 0; i < r->data.size(); ++i)
        if (r->data[i] > 0) low = std::min(low, (int)(i % (size_t)K));
    if (low == K) low = 0;
  }
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  for (const music::PianoRoll* r : {&p.melody, &p.accompaniment}) {
    mix(0xffff);  // the track boundary
    for (size_t i = 0; i < r->data.size(); ++i)
      if (r->data[i] > 0) mix((uint64_t)(i / (size_t)K) * 4096 + (uint64_t)((int)(i % (size_t)K) - low));
  }
  return h;
}
bool sounds(const music::PianoRoll& r) {
  return std::any_of(r.data.begin(), r.data.end(), [](float v) { return v > 0; });
}
}  // namespace

music::PianoRoll runs_only(const music::PianoRoll& r) {
  music::PianoRoll c = r;
  c.onset.clear();
  return c;
}

// [doc:gan-measure]
PhraseMetrics measure(const std::vector<music::Phrase>& ps, const std::vector<music::Phrase>& training,
                      int64_t steps_per_bar) {
  PhraseMetrics m;
  m.phrases = (int64_t)ps.size();
  if (ps.empty()) return m;
  double bars[2] = {0, 0}, empty[2] = {0, 0}, upc_sum[2] = {0, 0}, notes[2] = {0, 0}, qualified[2] = {0, 0};
  double poly_sum = 0, scale_sum = 0, td_sum = 0;
  int64_t poly_n = 0, scale_n = 0, td_n = 0;
  for (const music::Phrase& p : ps) {
    const music::PianoRoll tracks[2] = {runs_only(p.melody), runs_only(p.accompaniment)};
    for (int k = 0; k < 2; ++k) {
      const double n_bars = (double)(tracks[k].steps / steps_per_bar);
      const double eb = music::empty_bar_rate(tracks[k], steps_per_bar);
      bars[k] += n_bars, empty[k] += eb * n_bars;
      upc_sum[k] += music::used_pitch_classes_per_bar(tracks[k], steps_per_bar) * n_bars * (1 - eb);
      int64_t n = 0;
      const double q = music::qualified_note_rate(tracks[k], 2, &n);
      notes[k] += (double)n, qualified[k] += q * (double)n;
    }
    if (sounds(tracks[1])) poly_sum += music::polyphony(tracks[1]), poly_n++;
    music::PianoRoll both = tracks[0];
    for (size_t i = 0; i < both.data.size(); ++i) both.data[i] = std::max(both.data[i], tracks[1].data[i]);
    if (sounds(both)) scale_sum += music::in_scale_ratio(both), scale_n++;
    bool together = false;  // tonal distance needs a step where both tracks sound
    const int K = both.keys();
    for (int64_t t = 0; t < both.steps && !together; ++t) {
      bool a = false, b = false;
      for (int k = 0; k < K; ++k) a = a || tracks[0].data[t * K + k] > 0, b = b || tracks[1].data[t * K + k] > 0;
      together = a && b;
    }
    if (together) td_sum += music::tonal_distance(tracks[0], tracks[1]), td_n++;
  }
  for (int k = 0; k < 2; ++k) {
    m.eb[k] = empty[k] / bars[k];
    m.upc[k] = bars[k] > empty[k] ? upc_sum[k] / (bars[k] - empty[k]) : 0;
    m.qn[k] = notes[k] > 0 ? qualified[k] / notes[k] : 0;
  }
  m.polyphony = poly_n ? poly_sum / (double)poly_n : 0;
  m.in_scale = scale_n ? scale_sum / (double)scale_n : 0;
  m.td = td_n ? td_sum / (double)td_n : 0;
  if (!training.empty()) {  // a copy: the same cells as a training phrase in some key
    std::set<uint64_t> seen;
    for (const music::Phrase& p : training) seen.insert(phrase_hash(p, true));
    int64_t copies = 0;
    for (const music::Phrase& p : ps) copies += seen.count(phrase_hash(p, true));
    m.copies = (double)copies / (double)ps.size();
  }
  std::set<uint64_t> distinct;  // among the first 1,000
  const size_t n = std::min<size_t>(1000, ps.size());
  for (size_t i = 0; i < n; ++i) distinct.insert(phrase_hash(ps[i], false));
  m.distinct = 1000.0 * (double)distinct.size() / (double)n;
  return m;
}
// [/doc]

double valid_gap(const PhraseMetrics& real, const PhraseMetrics& generated) {
  double sum = 0;
  for (int k = 0; k < 2; ++k)
    sum += std::fabs(generated.eb[k] - real.eb[k]) / 0.02 + std::fabs(generated.qn[k] - real.qn[k]) / 0.05 +
           std::fabs(generated.upc[k] - real.upc[k]) / 0.3;
  sum += real.td > 0 ? std::fabs(generated.td - real.td) / (0.05 * real.td) : 0;
  return sum / 7;
}

std::string sampling_rule(double melody_threshold) {
  return cadenza::str(
      "Sampling: z ~ N(0, I); an accompaniment cell sounds when the generator's probability is above 0.5; the "
      "melody is one voice, its most probable key at each step sounding when above ",
      melody_threshold, ".\n");
}

std::string kept_epoch(const TrainLog& log) {
  if (!log.best_epoch || log.valid_gap.size() < (size_t)log.best_epoch) return "";
  std::string tried;
  for (auto [th, gap] : log.thresholds) tried += cadenza::str(tried.empty() ? "" : ", ", th, ": ", gap);
  return cadenza::str("; kept the generator of epoch ", log.best_epoch, " of ", log.valid_gap.size(), " (valid gap ",
                      log.valid_gap[(size_t)log.best_epoch - 1], ", the smallest)",
                      tried.empty() ? std::string()
                                    : cadenza::str(" and the melody threshold ", log.melody_threshold,
                                                   " (valid gap at each: ", tried, ")"));
}

std::string metrics_table(const PhraseMetrics& real, const PhraseMetrics& gen) {
  std::string out = "| measure | real (held out) | generated | generated - real |\n|---|---:|---:|---:|\n";
  char b[256];
  auto row = [&](const char* name, double r, double g, bool percent) {
    const double s = percent ? 100 : 1;
    std::snprintf(b, sizeof b, percent ? "| %s | %.1f%% | %.1f%% | %+.1f points |\n" : "| %s | %.2f | %.2f | %+.2f |\n",
                  name, r * s, g * s, (g - r) * s);
    out += b;
  };
  row("EB, melody (empty bars)", real.eb[0], gen.eb[0], true);
  row("EB, accompaniment", real.eb[1], gen.eb[1], true);
  row("UPC, melody (pitch classes per bar)", real.upc[0], gen.upc[0], false);
  row("UPC, accompaniment", real.upc[1], gen.upc[1], false);
  row("QN, melody (notes of 2+ steps)", real.qn[0], gen.qn[0], true);
  row("QN, accompaniment", real.qn[1], gen.qn[1], true);
  row("polyphony, accompaniment (keys per sounding step)", real.polyphony, gen.polyphony, false);
  row("in scale (best major or minor key)", real.in_scale, gen.in_scale, true);
  row("TD, melody to accompaniment (lower: closer)", real.td, gen.td, false);
  std::snprintf(b, sizeof b, "| copies of a training phrase (any key) | %.1f%% | %.1f%% | |\n", real.copies * 100,
                gen.copies * 100);
  out += b;
  std::snprintf(b, sizeof b, "| distinct phrases per 1,000 | %.0f | %.0f | |\n", real.distinct, gen.distinct);
  out += b;
  std::snprintf(b, sizeof b, "\n%lld real and %lld generated phrases.\n", (long long)real.phrases,
                (long long)gen.phrases);
  return out + b;
}

std::vector<std::string> write_outputs(const std::string& out, const std::vector<music::Phrase>& samples, const Data& d,
                                       const TrainLog& log, const std::string& heading, int transpose,
                                       cadenza::Generator& gen, size_t grid) {
  const int64_t spb = samples.empty() ? 16 : samples[0].melody.steps / 4;
  std::vector<music::Phrase> shown(samples.begin(), samples.begin() + (long)std::min(grid, samples.size()));
  std::vector<music::Phrase> real(d.test.begin(), d.test.begin() + (long)std::min(grid, d.test.size()));
  // An early generator's phrases can be dense noise, many voices long: render them anyway, since
  // hearing that is the point of looking at an early checkpoint (the sheet is 8 phrases at most).
  music::SynthOptions dense;
  dense.max_voice_samples = 0;
  std::vector<std::string> files = outputs::write_piece(out + "/samples", music::phrases_to_midi(shown, spb),
                                                        cadenza::str(shown.size(), " generated phrases"), dense);
  for (const std::string& f : outputs::write_piece(out + "/real", music::phrases_to_midi(real, spb),
                                                   cadenza::str(real.size(), " held-out real phrases")))
    files.push_back(f);
  files.push_back(outputs::write_curve(out + "/losses.svg", "adversarial losses per epoch", log.d_loss, log.g_loss,
                                       "discriminator", "generator"));
  const PhraseMetrics m_real = measure(d.test, d.train, spb), m_gen = measure(samples, d.train, spb);
  std::vector<music::MidiFile> train_midi, sample_midi;
  for (size_t i = 0; i < d.train.size() && i < 400; ++i) train_midi.push_back(music::phrase_to_midi(d.train[i]));
  for (size_t i = 0; i < samples.size() && i < 400; ++i) sample_midi.push_back(music::phrase_to_midi(samples[i]));
  const std::string text =
      heading + "\n## Generated phrases beside held-out real ones\n\n" + metrics_table(m_real, m_gen) +
      "\n## Feature distributions and classifier tests\n\n" + judge_samples(d, samples, transpose, gen) +
      "\n## Every generator's table (up to 400 phrases each, training phrases as the reference)\n\n";
  files.push_back(outputs::write_report(out + "/report.md", text, train_midi, sample_midi));
  return files;
}

}  // namespace gan
