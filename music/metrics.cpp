// metrics.cpp: see metrics.h. Chapter: docs/05-midi-and-piano-rolls.md.
#include "music/metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>

namespace music {

static bool on(const PianoRoll& r, int64_t t, int k) { return r.data[(size_t)t * r.keys() + k] > 0; }

double polyphony(const PianoRoll& r) {
  int64_t cells = 0, steps = 0;
  for (int64_t t = 0; t < r.steps; ++t) {
    int n = 0;
    for (int k = 0; k < r.keys(); ++k) n += on(r, t, k);
    cells += n;
    steps += n > 0;
  }
  return steps ? (double)cells / steps : 0;
}

int pitch_range(const PianoRoll& r) {
  int lo = 1000, hi = -1;
  for (int64_t t = 0; t < r.steps; ++t)
    for (int k = 0; k < r.keys(); ++k)
      if (on(r, t, k)) lo = std::min(lo, k), hi = std::max(hi, k);
  return hi < 0 ? 0 : hi - lo;
}

std::array<double, 12> pitch_class_histogram(const PianoRoll& r) {
  std::array<double, 12> h{};
  double total = 0;
  for (int64_t t = 0; t < r.steps; ++t)
    for (int k = 0; k < r.keys(); ++k)
      if (on(r, t, k)) h[(size_t)((r.lowest + k) % 12)] += 1, total += 1;
  if (total > 0)
    for (double& x : h) x /= total;
  return h;
}

// [doc:in-scale]
double in_scale_ratio(const PianoRoll& r, std::string* key_name) {
  static const int major[7] = {0, 2, 4, 5, 7, 9, 11}, minor[7] = {0, 2, 3, 5, 7, 8, 10};
  static const char* names[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
  std::array<double, 12> h = pitch_class_histogram(r);
  // [exercise:5.4] the in-scale ratio: the best of the 24 major and minor keys
  double best = 0;
  for (int tonic = 0; tonic < 12; ++tonic)
    for (int mode = 0; mode < 2; ++mode) {  // the 24 keys
      double in = 0;
      for (int d : mode ? minor : major) in += h[(size_t)((tonic + d) % 12)];
      if (in > best + 1e-12) {
        best = in;
        if (key_name) *key_name = std::string(names[tonic]) + (mode ? " minor" : " major");
      }
    }
  return best;
  // [/exercise]
}
// [/doc]

double empty_bar_rate(const PianoRoll& r, int64_t steps_per_bar) {
  if (steps_per_bar <= 0) throw MidiError("bad_metric", 0, "steps_per_bar must be positive");
  int64_t bars = 0, empty = 0;
  for (int64_t s = 0; s + steps_per_bar <= r.steps; s += steps_per_bar) {
    bool any = false;
    for (int64_t t = s; t < s + steps_per_bar && !any; ++t)
      for (int k = 0; k < r.keys() && !any; ++k) any = on(r, t, k);
    ++bars;
    empty += !any;
  }
  return bars ? (double)empty / bars : 0;
}

// 6-D tonal centroid of a chroma vector: three circles (fifths, minor thirds, major thirds).
static std::array<double, 6> centroid(const std::array<double, 12>& c) {
  std::array<double, 6> out{};
  double sum = 0;
  for (double x : c) sum += x;
  if (sum == 0) return out;
  const double r[3] = {1.0, 1.0, 0.5};
  for (int l = 0; l < 12; ++l) {
    double w = c[(size_t)l] / sum;
    out[0] += w * r[0] * std::sin(l * 7 * M_PI / 6), out[1] += w * r[0] * std::cos(l * 7 * M_PI / 6);
    out[2] += w * r[1] * std::sin(l * 3 * M_PI / 2), out[3] += w * r[1] * std::cos(l * 3 * M_PI / 2);
    out[4] += w * r[2] * std::sin(l * 2 * M_PI / 3), out[5] += w * r[2] * std::cos(l * 2 * M_PI / 3);
  }
  return out;
}

double tonal_distance(const PianoRoll& a, const PianoRoll& b) {
  if (a.steps != b.steps)
    throw MidiError("bad_metric", 0, "tonal_distance needs two parts with the same number of steps");
  double total = 0;
  int64_t n = 0;
  for (int64_t t = 0; t < a.steps; ++t) {
    std::array<double, 12> ca{}, cb{};
    for (int k = 0; k < a.keys(); ++k)
      if (on(a, t, k)) ca[(size_t)((a.lowest + k) % 12)] += 1;
    for (int k = 0; k < b.keys(); ++k)
      if (on(b, t, k)) cb[(size_t)((b.lowest + k) % 12)] += 1;
    auto x = centroid(ca), y = centroid(cb);
    bool both = false, sa = false, sb = false;
    for (double v : ca) sa = sa || v > 0;
    for (double v : cb) sb = sb || v > 0;
    both = sa && sb;
    if (!both) continue;
    double d = 0;
    for (int i = 0; i < 6; ++i) d += (x[(size_t)i] - y[(size_t)i]) * (x[(size_t)i] - y[(size_t)i]);
    total += std::sqrt(d);
    ++n;
  }
  return n ? total / n : 0;
}

double qualified_note_rate(const MidiFile& m, double min_quarters) {
  std::vector<Note> notes = extract_notes(m);
  if (notes.empty()) return 0;
  int64_t q = 0;
  double tpq = m.smpte ? 1 : m.ticks_per_quarter;
  for (const Note& n : notes) q += (double)(n.end_tick - n.start_tick) >= min_quarters * tpq;
  return (double)q / (double)notes.size();
}

double qualified_note_rate(const PianoRoll& r, int64_t min_steps, int64_t* count) {
  const bool onsets = r.onset.size() == r.data.size();
  int64_t notes = 0, qualified = 0;
  for (int k = 0; k < r.keys(); ++k) {
    int64_t run = 0;
    for (int64_t t = 0; t <= r.steps; ++t) {
      bool sounding = t < r.steps && on(r, t, k);
      bool starts = sounding && (run == 0 || (onsets && r.onset[(size_t)t * r.keys() + k]));
      if (run > 0 && (!sounding || starts)) notes += 1, qualified += run >= min_steps, run = 0;
      if (sounding) ++run;
    }
  }
  if (count) *count = notes;
  return notes ? (double)qualified / (double)notes : 0;
}

double used_pitch_classes_per_bar(const PianoRoll& r, int64_t steps_per_bar) {
  if (steps_per_bar <= 0) throw MidiError("bad_metric", 0, "steps_per_bar must be positive");
  double total = 0;
  int64_t bars = 0;
  const int64_t whole = r.steps / steps_per_bar * steps_per_bar, end = whole ? whole : r.steps;  // whole bars only
  for (int64_t s = 0; s < end; s += steps_per_bar) {
    bool used[12] = {};
    int n = 0;
    for (int64_t t = s; t < std::min(end, s + steps_per_bar); ++t)
      for (int k = 0; k < r.keys(); ++k)
        if (on(r, t, k) && !used[(r.lowest + k) % 12]) used[(r.lowest + k) % 12] = true, ++n;
    if (n) total += n, ++bars;
  }
  return bars ? total / (double)bars : 0;
}

PieceStats piece_stats(const MidiFile& m, int64_t steps_per_bar) {
  RollOptions o;
  o.steps_per_quarter = 4;
  o.lowest = 0, o.highest = 127;
  PianoRoll r = to_piano_roll(m, o);
  PieceStats s;
  s.upc = used_pitch_classes_per_bar(r, steps_per_bar);
  int64_t notes = 0;
  s.qualified = qualified_note_rate(r, 2, &notes);
  s.notes_per_bar = r.steps ? (double)notes * (double)steps_per_bar / (double)r.steps : 0;
  s.polyphony = polyphony(r);
  s.in_scale = in_scale_ratio(r);
  s.empty_bars = empty_bar_rate(r, steps_per_bar);
  s.pitch_range = pitch_range(r);
  return s;
}

PieceStats mean_stats(const std::vector<MidiFile>& pieces, int64_t steps_per_bar) {
  PieceStats m;
  for (const MidiFile& p : pieces) {
    PieceStats s = piece_stats(p, steps_per_bar);
    m.upc += s.upc, m.notes_per_bar += s.notes_per_bar, m.qualified += s.qualified, m.polyphony += s.polyphony,
        m.in_scale += s.in_scale;
    m.empty_bars += s.empty_bars, m.pitch_range += s.pitch_range;
  }
  double n = pieces.empty() ? 1 : (double)pieces.size();
  m.upc /= n, m.notes_per_bar /= n, m.qualified /= n, m.polyphony /= n, m.in_scale /= n, m.empty_bars /= n,
      m.pitch_range /= n;
  return m;
}

// [doc:frame-nll]
void FrameScorer::add(const std::vector<float>& probs, const PianoRoll& y, int64_t first_step) {
  int K = y.keys();
  if ((int64_t)probs.size() != y.steps * K)
    throw MidiError("bad_metric", 0,
                    "predictions have " + std::to_string(probs.size()) + " values for " + std::to_string(y.steps) +
                        " steps x " + std::to_string(K) + " keys");
  const double eps = 1e-7;  // keeps log finite if a model says exactly 0 or 1
  for (int64_t t = first_step; t < y.steps; ++t) {
    double step = 0;
    for (int k = 0; k < K; ++k) {
      double p = std::min(1 - eps, std::max(eps, (double)probs[(size_t)t * K + k]));
      bool target = on(y, t, k), guess = probs[(size_t)t * K + k] >= 0.5f;
      step -= target ? std::log(p) : std::log1p(-p);
      tp_ += target && guess, fp_ += !target && guess, fn_ += target && !guess;
    }
    nll_sum_ += step;
    ++steps_;
  }
}
// [/doc]

void FrameScorer::add_scored(const std::vector<double>& step_nll, const std::vector<float>& guess, const PianoRoll& y) {
  int K = y.keys();
  if ((int64_t)step_nll.size() != y.steps || (int64_t)guess.size() != y.steps * K)
    throw MidiError("bad_metric", 0,
                    "got " + std::to_string(step_nll.size()) + " step NLLs and " + std::to_string(guess.size()) +
                        " guesses for " + std::to_string(y.steps) + " steps");
  for (int64_t t = 0; t < y.steps; ++t) {
    for (int k = 0; k < K; ++k) {
      bool target = on(y, t, k), g = guess[(size_t)t * K + k] >= 0.5f;
      tp_ += target && g, fp_ += !target && g, fn_ += target && !g;
    }
    nll_sum_ += step_nll[(size_t)t];
    ++steps_;
  }
}

FrameScore FrameScorer::result() const {
  FrameScore s;
  s.steps = steps_, s.tp = tp_, s.fp = fp_, s.fn = fn_;
  s.nll = steps_ ? nll_sum_ / steps_ : 0;
  s.accuracy = tp_ + fp_ + fn_ ? (double)tp_ / (double)(tp_ + fp_ + fn_) : 0;
  return s;
}

std::vector<float> note_unigram(const std::vector<PianoRoll>& train, double smoothing) {
  if (train.empty()) throw MidiError("bad_metric", 0, "note_unigram needs at least one training roll");
  int K = train[0].keys();
  std::vector<double> count((size_t)K, 0);
  double steps = 0;
  for (const PianoRoll& r : train) {
    for (int64_t t = 0; t < r.steps; ++t)
      for (int k = 0; k < K; ++k) count[(size_t)k] += on(r, t, k);
    steps += (double)r.steps;
  }
  std::vector<float> p((size_t)K);
  for (int k = 0; k < K; ++k) p[(size_t)k] = (float)((count[(size_t)k] + smoothing) / (steps + 2 * smoothing));
  return p;
}

// [doc:copy-check]
int64_t longest_copied_run(const PianoRoll& piece, const std::vector<PianoRoll>& train) {
  auto frame_hash = [](const PianoRoll& r, int64_t t) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the sounding pitches
    for (int k = 0; k < r.keys(); ++k)
      if (on(r, t, k)) h = (h ^ (uint64_t)(r.lowest + k)) * 1099511628211ull;
    return h;
  };
  std::vector<uint64_t> a((size_t)piece.steps);
  for (int64_t t = 0; t < piece.steps; ++t) a[(size_t)t] = frame_hash(piece, t);
  int64_t best = 0;
  for (const PianoRoll& r : train) {  // longest common substring by dynamic programming
    std::vector<int64_t> prev(a.size() + 1, 0), cur(a.size() + 1, 0);
    for (int64_t j = 0; j < r.steps; ++j) {
      uint64_t h = frame_hash(r, j);
      for (size_t i = 0; i < a.size(); ++i) {
        cur[i + 1] = a[i] == h ? prev[i] + 1 : 0;
        best = std::max(best, cur[i + 1]);
      }
      std::swap(prev, cur);
    }
  }
  return best;
}
// [/doc]

}  // namespace music
