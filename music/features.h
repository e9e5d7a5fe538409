// features.h: the feature distributions of Yang & Lerch's evaluation of generative music models
// ("mgeval"), from the paper's definitions: nine features of each piece, and two sets of pieces
// compared feature by feature.
//
//   features     pitch count, note count, pitch-class histogram, pitch-class transition matrix,
//                pitch range, average pitch interval, average inter-onset interval, note-length
//                histogram, note-length transition matrix
//   comparison   for one feature, the distances between every pair of real pieces (intra-set) and
//                between every real and every generated piece (inter-set), each smoothed by a
//                Gaussian kernel density; then the overlap area of the two densities (1: the
//                generated pieces are as far from the real ones as real ones are from each other)
//                and the KL divergence KL(intra || inter) (0: the same)
//
// Notes are read from a roll on its grid, so lengths and onsets are counted in steps.
// Chapter: docs/12-adversarial-networks.md ("Feature distributions").
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "music/pianoroll.h"

namespace music {

// A note on the grid: a run of sounding steps of one key, split where the roll marks an onset.
struct GridNote {
  int64_t start = 0, length = 0;
  int pitch = 0;
};
// Every note of a roll, ordered by start and then by pitch (the order transitions are counted in).
std::vector<GridNote> grid_notes(const PianoRoll& r);

// The note-length classes on a grid of `steps_per_quarter` steps a quarter: sixteenth, eighth,
// dotted eighth, quarter, dotted quarter, half, dotted half, whole. A length goes to the nearest
// class by ratio; anything longer than a whole note is a whole note. Returns 0..7.
constexpr int kNoteLengthClasses = 8;
int note_length_class(int64_t steps, int steps_per_quarter);

enum FeatureId {
  kPitchCount,             // distinct pitches used
  kNoteCount,              // notes
  kPitchClassHistogram,    // 12 shares of the notes
  kPitchClassTransitions,  // 12 x 12 shares of consecutive-note pairs, from-class major
  kPitchRange,             // highest minus lowest pitch, semitones
  kPitchInterval,          // mean |pitch difference| of consecutive notes, semitones
  kInterOnsetInterval,     // mean gap between successive distinct onsets, steps
  kNoteLengthHistogram,    // 8 shares of the notes, by note_length_class
  kNoteLengthTransitions,  // 8 x 8 shares of consecutive-note pairs
  kFeatures
};
const char* feature_name(int feature);

// The nine features of one roll (a scalar feature is a vector of one). An empty roll has zeros.
using Features = std::array<std::vector<double>, kFeatures>;
Features roll_features(const PianoRoll& r);

// A Gaussian kernel density of samples, with Scott's bandwidth as scipy.stats.gaussian_kde uses:
// h = std (n-1 in the denominator) * n^(-1/5). Samples that are all equal get a small bandwidth
// instead of none.
struct KernelDensity {
  std::vector<double> samples;
  double bandwidth = 0;
};
KernelDensity kernel_density(std::vector<double> samples);
// The overlap area: the integral of min(p, q), 0..1.
double overlap_area(const KernelDensity& p, const KernelDensity& q);
// KL(p || q) in nats, integrated on the same grid (q is floored at 1e-12 of its peak, so a p that
// reaches where q has no mass gives a large, finite value).
double kl_divergence(const KernelDensity& p, const KernelDensity& q);

// [doc:feature-compare]
struct FeatureComparison {
  double overlap = 0, kl = 0;                           // OA(intra, inter) and KL(intra || inter)
  bool scalar = false;                                  // a feature of one number:
  double mean_a = 0, std_a = 0, mean_b = 0, std_b = 0;  // its values in each set
};
// One feature over two sets: a (the reference, real pieces) and b. Intra-set distances are
// |x_i - x_j| (Euclidean over the vector) for every pair i < j of a; inter-set distances are
// |a_i - b_j| for every i, j.
FeatureComparison compare_feature(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b);
// [/doc]

}  // namespace music
