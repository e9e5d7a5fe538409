// gan.h: adversarial networks on two-track phrases of music: the data (phrases split by piece,
// the training ones transposed per batch), the training run (pipelines::fit over epochs, each batch one
// adversarial_round), sampling, resuming, and the evaluation a GAN paper reports, generated
// phrases beside held-out real ones.
// Used by `cadenza train --model gan`, `cadenza sample`, `cadenza eval` and `make gan-demo`.
// Chapter: docs/12-adversarial-networks.md.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cadenza.h"
#include "engine/models/gan.h"
#include "engine/nn/adversarial.h"
#include "music/features.h"
#include "music/phrases.h"
#include "pipelines/train_loop.h"
#include "pipelines/two_sample.h"

namespace gan {

struct Data {
  std::string name;  // "corpus" or the folder's name
  std::vector<music::Phrase> train, valid, test;
  std::string summary;  // what was read, kept and left out
};
// Phrases from the bundled corpus (dir "") or every MIDI file under dir, split 80/10/10 by piece
// (seed 1, never by phrase: a piece's phrases overlap). Each phrase is held once, in its own key:
// train transposes the training phrases per batch (Recipe::transpose).
Data load(const std::string& dir, const music::PhraseOptions& opt);

struct Recipe {
  std::string family = "mlp";   // mlp | musegan
  std::string loss = "nonsat";  // minimax | nonsat | lsgan | wgan-gp | hinge
  int64_t latent = 64, hidden = 256;
  int64_t d_hidden = 0;   // the discriminator's width (0: hidden)
  bool binarize = false;  // D sees G's cells thresholded at 0.5, the gradient passed straight through
  double lr_g = 2e-4, lr_d = 2e-4, beta1 = 0.5, beta2 = 0.999, lambda = 10;
  int n_critic = 1;  // discriminator steps per generator step (WGAN-GP: 5)
  int epochs = 20, batch = 64, transpose = 5;
  int64_t valid_samples = 1000;  // phrases sampled after each epoch to pick it on valid (0: keep the last)
  std::string to_string() const;
};
// The defaults for a family and loss (WGAN-GP: n_critic 5, Adam betas (0.5, 0.9), as Gulrajani et al.).
Recipe default_recipe(const std::string& family, const std::string& loss);
std::map<std::string, std::string> recipe_metadata(const Recipe& r);
Recipe recipe_from_metadata(const std::map<std::string, std::string>& m);

struct Models {
  std::shared_ptr<cadenza::models::GanGenerator> g;
  std::shared_ptr<cadenza::models::GanDiscriminator> d;
  cadenza::models::PhraseShape shape;
  double melody_threshold = 0.5;  // see to_phrases; train picks it on the valid split
};
Models build(const Recipe& r, const music::PhraseOptions& phrase, cadenza::Generator& gen);

// Phrases as a (N, 2, T, K) tensor of 0/1 cells, and generated cells back to phrases.
// [doc:gan-decode]
// An accompaniment cell sounds when its probability is above 0.5. The melody is one voice: at
// each step only its most probable key may sound, and it does when its probability is above
// melody_threshold. At 0.5 that is the most probable choice between that key alone and silence;
// a generator unsure between pitches spreads its probability, and a lower threshold still
// picks one of them (train picks it on the valid split, after the epoch).
std::vector<music::Phrase> to_phrases(const cadenza::Tensor& cells, int lowest, int highest,
                                      double melody_threshold = 0.5);
// [/doc]
cadenza::Tensor to_tensor(const std::vector<music::Phrase>& ps, const std::vector<size_t>& which);

// Everything a resumed run needs, after its last finished epoch.
struct RunState {
  pipelines::FitState fit;
  std::vector<double> g_loss;  // the generator's mean loss per epoch (fit.train_loss holds D's)
  std::map<std::string, cadenza::Tensor> params, optim;  // "g.", "d.", "optim_g.", "optim_d." prefixes
  std::string generator;
};
struct TrainLog {
  std::vector<double> d_loss, g_loss;                 // per epoch, the mean over its rounds
  std::vector<std::pair<double, double>> thresholds;  // (melody threshold, valid gap) tried on the kept generator
  std::vector<double> valid_gap;                      // per epoch, valid_gap of its samples (empty: no valid split)
  int best_epoch = 0;             // the epoch whose generator was kept (0: the last, no valid split)
  double melody_threshold = 0.5;  // the one picked (Models::melody_threshold)
  double seconds = 0;
  bool stopped = false;
};
// Adam for each network; fit's progress bar shows both losses. A NaN or Inf loss stops the run
// before that update (adversarial_round), and run still holds the last finished epoch.
// With a valid split, each epoch ends by sampling r.valid_samples phrases (always from the same
// noise) and measuring their valid_gap; the generator of the epoch with the smallest is the one
// m.g holds at the end. The discriminator is the last epoch's. Then m.melody_threshold is the
// one of kMelodyThresholds whose samples come closest to the valid split.
TrainLog train(Models& m, const Data& d, const Recipe& r, cadenza::Generator& gen, volatile bool* stop, RunState* run);
void save_run(const std::string& path, const RunState& run, cadenza::io::Metadata metadata);
RunState load_run(const std::string& path, cadenza::io::Metadata* metadata);
// Puts a run's parameters into the models.
void restore(Models& m, const RunState& run);

std::vector<music::Phrase> sample(Models& m, int64_t n, int lowest, int highest, cadenza::Generator& gen);

// A track without its onsets, so its notes are runs of sounding steps: how measure() and judge()
// read every phrase, real or generated.
music::PianoRoll runs_only(const music::PianoRoll& r);

// [doc:gan-eval]
// MuseGAN's measures per track (melody, accompaniment), and the pair's tonal distance, as means
// over phrases. On the grid of the phrases, notes are runs of sounding steps (a generator writes
// no onsets, so real phrases are measured the same way).
struct PhraseMetrics {
  double eb[2] = {0, 0};   // empty-bar rate: share of bars with no note
  double upc[2] = {0, 0};  // used pitch classes per non-empty bar
  double qn[2] = {0, 0};   // qualified notes: share at least 2 steps (an eighth) long
  double polyphony = 0;    // accompaniment: sounding keys per step where it sounds
  double in_scale = 0;     // both tracks: share of cells in the best major or minor scale
  double td = 0;           // tonal distance melody-accompaniment (Harte et al. 2006), lower is closer
  double copies = 0;       // share of phrases identical to a training phrase
  double distinct = 0;     // distinct phrases per 1,000 (mode collapse shows as few)
  int64_t phrases = 0;
};
// `training`: the phrases copies are looked for in (empty: copies not measured).
PhraseMetrics measure(const std::vector<music::Phrase>& ps, const std::vector<music::Phrase>& training,
                      int64_t steps_per_bar);
// The markdown table: real held-out phrases, generated ones, and the difference.
std::string metrics_table(const PhraseMetrics& real, const PhraseMetrics& generated);
// [/doc]

// [doc:gan-valid-gap]
// How far generated phrases are from real ones, in units of the chapter's goals: the mean of
//   |dEB| / 2 points, |dQN| / 5 points, |dUPC| / 0.3   for each track, and |dTD| / (5% of the real TD).
// 0 matches; every term below 1 meets every one of those goals. Training picks its epoch by it on
// the valid split, so the test split is never looked at.
double valid_gap(const PhraseMetrics& real, const PhraseMetrics& generated);
// [/doc]
constexpr double kMelodyThresholds[] = {0.5, 0.4, 0.3, 0.2, 0.1};
// For a report's heading: "; kept the generator of epoch 9 of 12 (valid gap 1.84, the smallest) and
// the melody threshold 0.2 (valid gap at each: ...)", or "" when there was no valid split.
std::string kept_epoch(const TrainLog& log);
// The heading's line on how cells become notes.
std::string sampling_rule(double melody_threshold);

// Each phrase moved by a random -limit..limit semitones (both tracks alike, kept in range): the
// keys training draws, so real phrases can be set beside a generator that learnt from them.
std::vector<music::Phrase> transposed(const std::vector<music::Phrase>& ps, int limit, cadenza::Generator& gen);

// [doc:gan-judge]
// The feature distributions (music/features.h) and the classifier two-sample tests
// (pipelines/two_sample.h), a reference set of real phrases against another set.
struct FeatureRow {
  std::string feature;
  music::FeatureComparison track[2];  // melody, accompaniment
};
struct Judgement {
  std::vector<FeatureRow> features;  // the nine
  double overlap = 0, kl = 0;        // means over the nine features of both tracks
  pipelines::TwoSampleResult logistic, cnn;
  int64_t feature_phrases = 0;  // phrases of each set in the feature distributions
};
struct JudgeOptions {
  size_t per_set = 100;           // phrases of each set for the distributions (every pair is a distance)
  size_t classifier_rows = 1000;  // phrases of each set for the classifiers, half to train them
  bool cnn = true;                // also the CNN on the rolls (the slow part)
};
// Phrases are picked evenly through each set. Both sets must be in comparable keys: give real
// phrases through `transposed` when the generator learnt from transposed ones.
Judgement judge(const std::vector<music::Phrase>& reference, const std::vector<music::Phrase>& other,
                cadenza::Generator& gen, const JudgeOptions& opt = {});
// Markdown: generated against real, beside real (training) against real as the yardstick.
std::string judgement_table(const Judgement& generated, const Judgement& yardstick);
// [/doc]
// Both judgements for a run: samples against d's test phrases, and d's training phrases against
// them; each real set moved by -transpose..transpose semitones as training moved it.
std::string judge_samples(const Data& d, const std::vector<music::Phrase>& samples, int transpose,
                          cadenza::Generator& gen, const JudgeOptions& opt = {});

// Writes into folder `out`: samples.{mid,wav,svg} (the first `grid` samples one after another,
// a bar of rest between them), real.{mid,wav,svg} (as many held-out phrases, to hear beside them),
// losses.svg (D's and G's per epoch) and report.md: `heading`, the metrics table against the test
// phrases, the feature distributions and classifier tests (judge_samples), then the piece
// statistics and copy check every generator's report has. Returns the paths.
std::vector<std::string> write_outputs(const std::string& out, const std::vector<music::Phrase>& samples, const Data& d,
                                       const TrainLog& log, const std::string& heading, int transpose,
                                       cadenza::Generator& gen, size_t grid = 8);

}  // namespace gan
