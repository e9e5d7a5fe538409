// metrics.h: measuring music: what a generated piece is like, and how well a
// model predicts held-out music.
//
// On piano rolls (binary, any key range): polyphony, pitch range, pitch-class
// histogram, in-scale ratio (best of the 24 major and minor keys), empty-bar
// rate, tonal distance between two parts (Harte et al. 2006). On MIDI notes:
// qualified-note rate. For models: frame-level NLL in nats per step (summed over
// keys, every step weighted equally, as the polyphonic benchmark defines it) and
// Bay et al.'s frame accuracy TP/(TP+FP+FN). And a training-copy check: the
// longest run of identical frames shared with any training piece.
// Chapter: docs/05-midi-and-piano-rolls.md ("Measuring music").
#pragma once
#include <array>
#include <string>
#include <vector>

#include "music/pianoroll.h"

namespace music {

// Mean number of sounding keys over the steps where anything sounds.
double polyphony(const PianoRoll& r);
// Highest minus lowest sounding pitch (0 for an empty roll).
int pitch_range(const PianoRoll& r);
// Fraction of sounding (step, key) cells in each pitch class C, C#, ..., B.
std::array<double, 12> pitch_class_histogram(const PianoRoll& r);
// The fraction of sounding cells inside the best-fitting major or natural-minor
// scale; `key_name` receives that key ("C major", "A minor").
double in_scale_ratio(const PianoRoll& r, std::string* key_name = nullptr);
// Fraction of bars (of `steps_per_bar` steps) with no sounding note.
double empty_bar_rate(const PianoRoll& r, int64_t steps_per_bar);
// Mean Euclidean distance between the 6-D tonal centroids of two parts, over the
// steps where both sound (Harte, Sandler & Gasser 2006). Same number of steps required.
double tonal_distance(const PianoRoll& a, const PianoRoll& b);
// Fraction of notes at least `min_quarters` quarter notes long (default 1/8: a 32nd note).
double qualified_note_rate(const MidiFile& midi, double min_quarters = 0.125);

// ---- model evaluation (probabilities p and targets y: steps x keys, row-major) ----
struct FrameScore {
  double nll = 0;       // mean over steps of -sum_k [y log p + (1-y) log(1-p)], nats
  double accuracy = 0;  // Bay frame accuracy TP / (TP + FP + FN), thresholding p at 0.5
  int64_t steps = 0;
  int64_t tp = 0, fp = 0, fn = 0;
};
// Adds one piece's predictions into a running score (so all steps are weighted equally).
class FrameScorer {
 public:
  void add(const std::vector<float>& probs, const PianoRoll& target, int64_t first_step = 0);
  // For models that compute each step's NLL themselves (e.g. a NADE, whose keys are
  // not independent): step_nll has one value per step, guess is the predicted 0/1 frame per step.
  void add_scored(const std::vector<double>& step_nll, const std::vector<float>& guess, const PianoRoll& target);
  FrameScore result() const;

 private:
  double nll_sum_ = 0;
  int64_t steps_ = 0, tp_ = 0, fp_ = 0, fn_ = 0;
};

// The Note 1-Gram baseline: per-key Bernoulli frequencies over the training rolls,
// with add-`smoothing` counts. Returns one probability per key.
std::vector<float> note_unigram(const std::vector<PianoRoll>& train, double smoothing = 0.5);

// The longest run of consecutive identical frames that `piece` shares with any
// training roll: a long run means the model copied its training data.
int64_t longest_copied_run(const PianoRoll& piece, const std::vector<PianoRoll>& train);

}  // namespace music
