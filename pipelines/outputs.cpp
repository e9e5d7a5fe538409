// outputs.cpp: see outputs.h. Chapters 7-10 (what the demos write).
#include "pipelines/outputs.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <cstdio>

#include "engine/io/file.h"
#include "engine/util/progress.h"
#include "music/metrics.h"
#include "music/roll_svg.h"
#include "plot/svg.h"
#include "music/synth.h"
#include "music/wav.h"

namespace outputs {

music::Audio render_with_progress(const music::MidiFile& m, music::SynthOptions opt, music::RenderReport* report) {
  std::unique_ptr<cadenza::ProgressBar> bar;
  const auto started = std::chrono::steady_clock::now();
  opt.progress = [&](double done) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!bar && s > 1.0 && done < 0.7) bar = std::make_unique<cadenza::ProgressBar>("render", 100);
    if (bar) bar->update((int64_t)(done * 100));
  };
  music::Audio a = music::render(m, opt, report);
  if (bar) bar->finish();
  return a;
}

std::vector<std::string> write_piece(const std::string& base, const music::MidiFile& m, const std::string& title,
                                     const music::SynthOptions& synth) {
  music::write_midi_file(base + ".mid", m);
  music::write_wav(base + ".wav", music::render(m, synth));
  music::RollSvgOptions ro;
  ro.title = title;
  cadenza::io::write_file_atomic(base + ".svg", music::piano_roll_svg(m, ro), "outputs");
  return {base + ".mid", base + ".wav", base + ".svg"};
}

void write_roll_svg(const std::string& path, const music::MidiFile& m, const music::RollSvgOptions& opt) {
  cadenza::io::write_file_atomic(path, music::piano_roll_svg(m, opt), "cadenza roll");
}

std::string write_curve(const std::string& path, const std::string& title, const std::vector<double>& train,
                        const std::vector<double>& valid, const std::string& train_name,
                        const std::string& valid_name) {
  std::vector<double> ep;
  for (size_t i = 0; i < std::max(train.size(), valid.size()); ++i) ep.push_back((double)i + 1);
  std::vector<plot::Series> s = {
      {train_name, std::vector<double>(ep.begin(), ep.begin() + (long)train.size()), train, ""}};
  if (!valid.empty())
    s.push_back({valid_name, std::vector<double>(ep.begin(), ep.begin() + (long)valid.size()), valid, ""});
  plot::PlotOptions po;
  po.title = title, po.xlabel = "epoch", po.ylabel = "loss";
  cadenza::io::write_file_atomic(path, plot::line_plot(s, po), "outputs");
  return path;
}

std::string music_report(const std::vector<music::MidiFile>& training, const std::vector<music::MidiFile>& samples,
                         int64_t primer_steps) {
  auto row = [](const char* name, size_t n, const music::PieceStats& s) {
    char b[240];
    std::snprintf(b, sizeof b, "| %s | %zu | %.2f | %.1f | %.1f%% | %.2f | %.1f%% | %.1f%% | %.1f |\n", name, n, s.upc,
                  s.notes_per_bar, 100 * s.qualified, s.polyphony, 100 * s.in_scale, 100 * s.empty_bars, s.pitch_range);
    return std::string(b);
  };
  std::string t =
      "## The samples beside the training music\n\n"
      "| | pieces | UPC | notes per bar | QN | polyphony | in scale | EB | pitch range |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  t += row("training music", training.size(), music::mean_stats(training));
  t += row("samples", samples.size(), music::mean_stats(samples));
  t += "\nOn a grid of sixteenths, 16 to a bar. UPC: used pitch classes per non-empty bar. Notes per bar: notes "
       "started per bar. QN: qualified notes, the "
       "share of notes at least an eighth long. Polyphony: sounding keys per step when anything sounds. In scale: "
       "share of notes in the best of the 24 major and minor keys. EB: empty bars. Pitch range in semitones. "
       "Generated music should sit close to the training row.\n\n";
  t += "## Did it copy? Longest run of steps identical to a training piece\n\n| sample | steps | longest copied "
       "run |\n|---|---|---|\n";
  music::RollOptions o;
  o.lowest = 0, o.highest = 127;
  std::vector<music::PianoRoll> train_rolls;
  for (const music::MidiFile& m : training) train_rolls.push_back(music::to_piano_roll(m, o));
  for (size_t i = 0; i < samples.size(); ++i) {
    music::PianoRoll r = music::to_piano_roll(samples[i], o);
    t += "| sample_" + std::to_string(i + 1) + " | " + std::to_string(r.steps) + " | " +
         std::to_string(music::longest_copied_run(r, train_rolls)) + " |\n";
  }
  if (primer_steps > 0)
    t +=
        "\n(The first " + std::to_string(primer_steps) + " steps of each sample are a primer taken from real music.)\n";
  return t;
}

std::string write_report(const std::string& path, const std::string& heading,
                         const std::vector<music::MidiFile>& training, const std::vector<music::MidiFile>& samples,
                         int64_t primer_steps) {
  cadenza::io::write_file_atomic(path, heading + music_report(training, samples, primer_steps), "report");
  return path;
}

// [doc:attention-svg]
std::string attention_svg(const cadenza::Tensor& w, const std::string& title, const std::string& row_label,
                          const std::string& col_label) {
  std::vector<cadenza::real> v = w.contiguous().to_vector();
  plot::HeatmapOptions o;
  o.title = title, o.row_label = row_label, o.col_label = col_label;
  return plot::heatmap(std::vector<double>(v.begin(), v.end()), w.size(0), w.size(1), o);
}
// [/doc]

}  // namespace outputs
