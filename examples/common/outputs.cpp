// outputs.cpp: see outputs.h.
#include "examples/common/outputs.h"

#include <algorithm>
#include <cstdio>

#include "engine/io/file.h"
#include "music/roll_svg.h"
#include "music/svg.h"
#include "music/synth.h"
#include "music/wav.h"

namespace outputs {

std::vector<std::string> write_piece(const std::string& base, const music::MidiFile& m, const std::string& title) {
  music::write_midi_file(base + ".mid", m);
  music::write_wav(base + ".wav", music::render(m));
  music::RollSvgOptions ro;
  ro.title = title;
  cadenza::io::write_file_atomic(base + ".svg", music::piano_roll_svg(m, ro), "outputs");
  return {base + ".mid", base + ".wav", base + ".svg"};
}

std::string write_curve(const std::string& path, const std::string& title, const std::vector<double>& train,
                        const std::vector<double>& valid) {
  std::vector<double> ep;
  for (size_t i = 0; i < std::max(train.size(), valid.size()); ++i) ep.push_back((double)i + 1);
  std::vector<music::svg::Series> s = {{"train", std::vector<double>(ep.begin(), ep.begin() + (long)train.size()), train, ""}};
  if (!valid.empty()) s.push_back({"valid", std::vector<double>(ep.begin(), ep.begin() + (long)valid.size()), valid, ""});
  music::svg::PlotOptions po;
  po.title = title, po.xlabel = "epoch", po.ylabel = "loss";
  cadenza::io::write_file_atomic(path, music::svg::line_plot(s, po), "outputs");
  return path;
}

// [doc:attention-svg]
std::string attention_svg(const cadenza::Tensor& w, const std::string& title, const std::string& row_label,
                          const std::string& col_label) {
  const int64_t R = w.size(0), C = w.size(1);
  const double cell = std::max(2.0, std::min(14.0, 720.0 / (double)std::max(R, C))), left = 60, top = 40;
  music::svg::Canvas cv(left + (double)C * cell + 20, top + (double)R * cell + 40);
  cv.text(left, 20, title, 14);
  std::vector<cadenza::real> v = w.contiguous().to_vector();
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      double x = std::min(1.0, std::max(0.0, (double)v[(size_t)(r * C + c)]));
      if (x < 0.01) continue;  // white background shows through
      cv.rect(left + (double)c * cell, top + (double)r * cell, cell, cell, "#1f4e8c", x);
    }
  cv.text(left + (double)C * cell / 2, top + (double)R * cell + 28, col_label + " →", 12, "middle");
  cv.text(8, top + 12, row_label, 12);
  cv.text(8, top + 26, "↓", 12);
  return cv.str();
}
// [/doc]

}  // namespace outputs
