// features.cpp: see features.h. Chapter: docs/12-adversarial-networks.md.
#include "music/features.h"

#include <algorithm>
#include <cmath>

#include "music/midi.h"

namespace music {

std::vector<GridNote> grid_notes(const PianoRoll& r) {
  const bool onsets = r.onset.size() == r.data.size();
  const int K = r.keys();
  std::vector<GridNote> notes;
  for (int k = 0; k < K; ++k) {
    int64_t start = -1;
    for (int64_t t = 0; t <= r.steps; ++t) {
      const size_t i = (size_t)t * (size_t)K + (size_t)k;
      const bool sounding = t < r.steps && r.data[i] > 0;
      const bool strikes = sounding && start >= 0 && onsets && r.onset[i];
      if (start >= 0 && (!sounding || strikes)) notes.push_back({start, t - start, r.lowest + k}), start = -1;
      if (sounding && start < 0) start = t;
    }
  }
  std::sort(notes.begin(), notes.end(), [](const GridNote& a, const GridNote& b) {
    return a.start != b.start ? a.start < b.start : a.pitch < b.pitch;
  });
  return notes;
}

int note_length_class(int64_t steps, int steps_per_quarter) {
  if (steps <= 0 || steps_per_quarter <= 0)
    throw MidiError("bad_metric", 0, "note_length_class needs a positive length and steps_per_quarter");
  static const double quarters[kNoteLengthClasses] = {0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4};
  const double q = std::min(4.0, (double)steps / steps_per_quarter);
  int best = 0;
  for (int c = 1; c < kNoteLengthClasses; ++c)
    if (std::fabs(std::log(q / quarters[c])) < std::fabs(std::log(q / quarters[best]))) best = c;
  return best;
}

const char* feature_name(int f) {
  static const char* names[kFeatures] = {
      "pitch count",    "note count",           "pitch-class histogram", "pitch-class transitions", "pitch range",
      "pitch interval", "inter-onset interval", "note-length histogram", "note-length transitions"};
  return f >= 0 && f < kFeatures ? names[f] : "?";
}

// [doc:roll-features]
Features roll_features(const PianoRoll& r) {
  const std::vector<GridNote> notes = grid_notes(r);
  const size_t n = notes.size();
  Features f;
  std::vector<double> pch(12, 0), pctm(144, 0), nlh(kNoteLengthClasses, 0),
      nltm(kNoteLengthClasses * kNoteLengthClasses, 0);
  std::vector<bool> used(128, false);
  int lowest = 128, highest = -1;
  double interval = 0;
  std::vector<int> length_class(n);
  for (size_t i = 0; i < n; ++i) {
    const GridNote& x = notes[i];
    used[(size_t)x.pitch] = true, lowest = std::min(lowest, x.pitch), highest = std::max(highest, x.pitch);
    pch[(size_t)(x.pitch % 12)] += 1;
    length_class[i] = note_length_class(x.length, r.steps_per_quarter);
    nlh[(size_t)length_class[i]] += 1;
    if (i > 0) {
      const GridNote& prev = notes[i - 1];
      pctm[(size_t)(prev.pitch % 12 * 12 + x.pitch % 12)] += 1;
      nltm[(size_t)(length_class[i - 1] * kNoteLengthClasses + length_class[i])] += 1;
      interval += std::abs(x.pitch - prev.pitch);
    }
  }
  auto shares = [](std::vector<double>& v) {
    double total = 0;
    for (double x : v) total += x;
    if (total > 0)
      for (double& x : v) x /= total;
  };
  shares(pch), shares(pctm), shares(nlh), shares(nltm);
  double ioi = 0;  // over distinct onsets: a chord is one onset
  int64_t gaps = 0;
  for (size_t i = 1; i < n; ++i)
    if (notes[i].start != notes[i - 1].start) ioi += (double)(notes[i].start - notes[i - 1].start), ++gaps;
  f[kPitchCount] = {(double)std::count(used.begin(), used.end(), true)};
  f[kNoteCount] = {(double)n};
  f[kPitchClassHistogram] = pch;
  f[kPitchClassTransitions] = pctm;
  f[kPitchRange] = {n ? (double)(highest - lowest) : 0.0};
  f[kPitchInterval] = {n > 1 ? interval / (double)(n - 1) : 0.0};
  f[kInterOnsetInterval] = {gaps ? ioi / (double)gaps : 0.0};
  f[kNoteLengthHistogram] = nlh;
  f[kNoteLengthTransitions] = nltm;
  return f;
}
// [/doc]

namespace {
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / (double)v.size();
}
double std_of(const std::vector<double>& v) {  // n - 1 in the denominator, as numpy's cov
  if (v.size() < 2) return 0;
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (double)(v.size() - 1));
}

// Both densities on one grid wide enough for both, with a margin of 6 bandwidths.
struct Grid {
  double lo = 0, dx = 1;
  int n = 4096;
};
Grid common_grid(const KernelDensity& p, const KernelDensity& q) {
  double lo = INFINITY, hi = -INFINITY;
  for (const KernelDensity* d : {&p, &q})
    for (double x : d->samples) lo = std::min(lo, x), hi = std::max(hi, x);
  const double margin = 6 * std::max(p.bandwidth, q.bandwidth);
  Grid g;
  g.lo = lo - margin;
  g.dx = (hi + margin - g.lo) / (g.n - 1);
  return g;
}
// The density at each grid point, normalised to integrate to 1 on the grid. Samples are first
// shared between their two neighbouring grid points (linear binning), so the cost does not grow
// with the number of samples; a kernel narrower than two grid steps is widened to two so that its
// mass lands on the grid.
std::vector<double> on_grid(const KernelDensity& d, const Grid& g) {
  std::vector<double> w((size_t)g.n, 0), p((size_t)g.n, 0);
  for (double x : d.samples) {
    const double u = (x - g.lo) / g.dx;
    const int i = std::min(g.n - 2, std::max(0, (int)std::floor(u)));
    const double frac = std::min(1.0, std::max(0.0, u - i));
    w[(size_t)i] += 1 - frac, w[(size_t)i + 1] += frac;
  }
  const double h = std::max(d.bandwidth, 2 * g.dx);
  const int reach = std::min(g.n - 1, (int)std::ceil(6 * h / g.dx));
  std::vector<double> kernel((size_t)reach + 1);
  for (int o = 0; o <= reach; ++o) kernel[(size_t)o] = std::exp(-0.5 * (o * g.dx / h) * (o * g.dx / h));
  for (int i = 0; i < g.n; ++i) {
    if (w[(size_t)i] == 0) continue;
    for (int j = std::max(0, i - reach); j <= std::min(g.n - 1, i + reach); ++j)
      p[(size_t)j] += w[(size_t)i] * kernel[(size_t)std::abs(j - i)];
  }
  double total = 0;
  for (double v : p) total += v * g.dx;
  if (total > 0)
    for (double& v : p) v /= total;
  return p;
}
}  // namespace

KernelDensity kernel_density(std::vector<double> samples) {
  if (samples.empty()) throw MidiError("bad_metric", 0, "kernel_density needs at least one sample");
  KernelDensity d;
  const double s = std_of(samples);
  double scale = 0;
  for (double x : samples) scale = std::max(scale, std::fabs(x));
  d.bandwidth = s > 0 ? s * std::pow((double)samples.size(), -0.2) : 1e-3 * std::max(1.0, scale);
  d.samples = std::move(samples);
  return d;
}

double overlap_area(const KernelDensity& p, const KernelDensity& q) {
  // [exercise:12.4] the overlap area: the integral of min(p, q) on a grid that covers both
  const Grid g = common_grid(p, q);
  const std::vector<double> a = on_grid(p, g), b = on_grid(q, g);
  double oa = 0;
  for (size_t i = 0; i < a.size(); ++i) oa += std::min(a[i], b[i]) * g.dx;
  return std::min(1.0, oa);
  // [/exercise]
}

double kl_divergence(const KernelDensity& p, const KernelDensity& q) {
  const Grid g = common_grid(p, q);
  const std::vector<double> a = on_grid(p, g), b = on_grid(q, g);
  const double floor = 1e-12 * *std::max_element(b.begin(), b.end());
  double kl = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] > 0) kl += a[i] * std::log(a[i] / std::max(b[i], floor)) * g.dx;
  return std::max(0.0, kl);
}

FeatureComparison compare_feature(const std::vector<std::vector<double>>& a,
                                  const std::vector<std::vector<double>>& b) {
  if (a.size() < 2 || b.empty())
    throw MidiError("bad_metric", 0, "compare_feature needs at least 2 reference pieces and 1 other");
  auto distance = [](const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) throw MidiError("bad_metric", 0, "compare_feature: feature sizes differ");
    double s = 0;
    for (size_t i = 0; i < x.size(); ++i) s += (x[i] - y[i]) * (x[i] - y[i]);
    return std::sqrt(s);
  };
  std::vector<double> intra, inter;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = i + 1; j < a.size(); ++j) intra.push_back(distance(a[i], a[j]));
  for (const auto& x : a)
    for (const auto& y : b) inter.push_back(distance(x, y));
  const KernelDensity p = kernel_density(std::move(intra)), q = kernel_density(std::move(inter));
  FeatureComparison c;
  c.overlap = overlap_area(p, q);
  c.kl = kl_divergence(p, q);
  c.scalar = a[0].size() == 1;
  if (c.scalar) {
    std::vector<double> va, vb;
    for (const auto& x : a) va.push_back(x[0]);
    for (const auto& y : b) vb.push_back(y[0]);
    c.mean_a = mean_of(va), c.std_a = std_of(va), c.mean_b = mean_of(vb), c.std_b = std_of(vb);
  }
  return c;
}

}  // namespace music
