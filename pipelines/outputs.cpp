// outputs.cpp: see outputs.h. Chapters 7-10 (what the demos write).
#include "pipelines/outputs.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <cstdio>

#include "engine/io/file.h"
#include "engine/util/progress.h"
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

std::vector<std::string> write_piece(const std::string& base, const music::MidiFile& m, const std::string& title) {
  music::write_midi_file(base + ".mid", m);
  music::write_wav(base + ".wav", music::render(m));
  music::RollSvgOptions ro;
  ro.title = title;
  cadenza::io::write_file_atomic(base + ".svg", music::piano_roll_svg(m, ro), "outputs");
  return {base + ".mid", base + ".wav", base + ".svg"};
}

void write_roll_svg(const std::string& path, const music::MidiFile& m, const music::RollSvgOptions& opt) {
  cadenza::io::write_file_atomic(path, music::piano_roll_svg(m, opt), "cadenza roll");
}

std::string write_curve(const std::string& path, const std::string& title, const std::vector<double>& train,
                        const std::vector<double>& valid) {
  std::vector<double> ep;
  for (size_t i = 0; i < std::max(train.size(), valid.size()); ++i) ep.push_back((double)i + 1);
  std::vector<plot::Series> s = {
      {"train", std::vector<double>(ep.begin(), ep.begin() + (long)train.size()), train, ""}};
  if (!valid.empty())
    s.push_back({"valid", std::vector<double>(ep.begin(), ep.begin() + (long)valid.size()), valid, ""});
  plot::PlotOptions po;
  po.title = title, po.xlabel = "epoch", po.ylabel = "loss";
  cadenza::io::write_file_atomic(path, plot::line_plot(s, po), "outputs");
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
