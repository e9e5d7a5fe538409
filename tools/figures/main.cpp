// figures: draws the chapters' figures (docs/figures/*.svg) with Cadenza's own plotting code
// (plot/svg.h), from the engine and the music code themselves where a figure shows data: the
// gradients in the autograd graph, the optimisers' loss curves, a corpus tune's piano roll, the
// synthesiser's envelopes, attention weights. `make figures` writes them; `make figures-check`
// (run by CI) fails when a committed figure differs from what the code draws now.
//   figures write DIR      write every figure into DIR
//   figures check DIR      compare with DIR: numbers may differ by 0.5 (a half pixel, or a float
//                          printed in a label), anything else must be equal
// Chapter: docs/README.md (the course map); each figure is explained where its chapter shows it.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/core/parallel.h"
#include "engine/io/file.h"
#include "tools/figures/figures.h"

using namespace figures;

namespace {

struct Figure {
  const char* file;
  std::function<std::string()> draw;
};
const std::vector<Figure>& all_figures() {
  static const std::vector<Figure> all = {
      {"01-strides.svg", strides_figure},
      {"01-broadcast.svg", broadcast_figure},
      {"02-graph.svg", graph_figure},
      {"03-step-size.svg", fd_error_figure},
      {"04-optimisers.svg", optimisers_figure},
      {"05-pianoroll.svg", pianoroll_figure},
      {"06-envelopes.svg", envelope_figure},
      {"07-rbm.svg", rbm_figure},
      {"08-lstm-cell.svg", lstm_figure},
      {"09-attention.svg", attention_figure},
      {"10-dilation.svg", dilation_figure},
      {"11-gemm-blocking.svg", gemm_figure},
      {"12-generator-gradient.svg", gan_gradient_figure},
  };
  return all;
}

// Splits an SVG into numbers and the text between them.
void tokens(const std::string& s, std::vector<std::string>& text, std::vector<double>& nums) {
  static const std::regex number(R"(-?\d+(\.\d+)?(e[-+]?\d+)?)");
  size_t last = 0;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), number); it != std::sregex_iterator(); ++it) {
    text.push_back(s.substr(last, (size_t)it->position() - last));
    nums.push_back(std::stod(it->str()));
    last = (size_t)(it->position() + it->length());
  }
  text.push_back(s.substr(last));
}

bool same(const std::string& a, const std::string& b) {
  std::vector<std::string> ta, tb;
  std::vector<double> na, nb;
  tokens(a, ta, na), tokens(b, tb, nb);
  if (ta != tb || na.size() != nb.size()) return false;
  for (size_t i = 0; i < na.size(); ++i)
    if (std::fabs(na[i] - nb[i]) > 0.5) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc == 3 ? argv[1] : "";
  if (mode != "write" && mode != "check") {
    std::fprintf(stderr, "usage: figures write DIR | figures check DIR   (make figures, make figures-check)\n");
    return 2;
  }
  cadenza::set_num_threads(1);  // one thread: the same sums in the same order on every run
  std::string dir = argv[2];
  int bad = 0;
  try {
    for (const Figure& f : all_figures()) {
      std::string svg = f.draw(), path = dir + "/" + f.file;
      if (mode == "write") {
        cadenza::io::write_file_atomic(path, svg, "figures");
        continue;
      }
      std::ifstream in(path);
      std::stringstream old;
      old << in.rdbuf();
      if (!in || !same(old.str(), svg)) {
        std::fprintf(stderr, "figures: %s differs from what tools/figures/ draws; run make figures\n", path.c_str());
        ++bad;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "figures: %s\n", e.what());
    return 1;
  }
  if (mode == "write") std::printf("figures: wrote %zu figures to %s/\n", all_figures().size(), dir.c_str());
  if (mode == "check" && !bad) std::printf("figures: all %zu figures match their code\n", all_figures().size());
  return bad ? 1 : 0;
}
