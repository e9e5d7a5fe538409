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
// The same on a grid: notes are runs of sounding steps, split where r.onset marks a new note
// (a roll without onsets: runs only); the share of runs at least `min_steps` long.
double qualified_note_rate(const PianoRoll& r, int64_t min_steps, int64_t* notes = nullptr);
// Used pitch classes per bar (MuseGAN's UPC): the mean number of distinct pitch classes
// sounding in each non-empty bar of `steps_per_bar` steps (0 when every bar is empty).
double used_pitch_classes_per_bar(const PianoRoll& r, int64_t steps_per_bar);

// [doc:piece-stats]
// The numbers every generator's report gives for its samples and for the training music,
// side by side (MuseGAN's intra-track metrics plus the basics), on a grid of sixteenths.
struct PieceStats {
  double upc = 0;            // used pitch classes per non-empty bar
  double notes_per_bar = 0;  // notes started per bar: how busy the music is (held chords alone: few)
  double qualified = 0;      // QN: share of notes at least an eighth (two steps) long on the grid
  double polyphony = 0;      // sounding keys per step, over the steps where anything sounds
  double in_scale = 0;       // share of sounding cells in the best major or minor scale
  double empty_bars = 0;     // EB: share of bars with no note
  double pitch_range = 0;    // highest minus lowest sounding pitch, semitones
};
// [/doc]
// One piece (a 4/4 bar is 16 steps; `steps_per_bar` says otherwise).
PieceStats piece_stats(const MidiFile& m, int64_t steps_per_bar = 16);
// The mean over pieces (each piece counts once).
PieceStats mean_stats(const std::vector<MidiFile>& pieces, int64_t steps_per_bar = 16);

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
