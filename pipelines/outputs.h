// outputs.h: what every example ends with: a piece as MIDI + WAV + SVG, a loss
// curve, and an attention heatmap. Chapters 8-10 (the examples' outputs).
#pragma once
#include <string>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/core/error.h"  // cadenza::Error, which the writers throw
#include "music/midi.h"
#include "music/synth.h"
#include "music/roll_svg.h"

namespace outputs {

// Writes base.mid, base.wav and base.svg (each atomically); returns the three paths.
// music::render with a progress bar, shown once a render has run for a second and is not
// nearly done (a short piece shows none). For `cadenza render`.
music::Audio render_with_progress(const music::MidiFile& m, music::SynthOptions opt,
                                  music::RenderReport* report = nullptr);
std::vector<std::string> write_piece(const std::string& base, const music::MidiFile& m, const std::string& title,
                                     const music::SynthOptions& synth = {});
// The piano-roll picture of m (music/roll_svg.h), written atomically.
void write_roll_svg(const std::string& path, const music::MidiFile& m, const music::RollSvgOptions& opt);
// A line plot of one or two curves against epochs (valid may be empty), named in the legend.
std::string write_curve(const std::string& path, const std::string& title, const std::vector<double>& train,
                        const std::vector<double>& valid, const std::string& train_name = "train",
                        const std::string& valid_name = "valid");
// [doc:music-report]
// The metrics table every generator's report carries (markdown): the samples beside the music the
// model was trained on, by the same measures (music::PieceStats), then the copy check: the longest
// run of frames each sample shares with a training piece. `primer_steps`: steps of each sample
// taken from the training music (said under the copy table; 0 for none).
std::string music_report(const std::vector<music::MidiFile>& training, const std::vector<music::MidiFile>& samples,
                         int64_t primer_steps = 0);
// [/doc]
// Writes path (report.md) atomically: `heading` (markdown: what was trained, how), then music_report.
std::string write_report(const std::string& path, const std::string& heading,
                         const std::vector<music::MidiFile>& training, const std::vector<music::MidiFile>& samples,
                         int64_t primer_steps = 0);
// weights (rows, cols) in [0, 1] as a heatmap: row = output step, column = input step.
std::string attention_svg(const cadenza::Tensor& weights, const std::string& title, const std::string& row_label,
                          const std::string& col_label);

}  // namespace outputs
