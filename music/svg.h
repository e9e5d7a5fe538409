// svg.h: SVG pictures from plain C++: a small canvas and a line plot (loss curves).
// The piano-roll picture builds on the same canvas. Output is a string; callers
// save it (atomically) where they like. Chapter: docs/04-modules-losses-optimisers.md
// (loss curves); the music chapters use it for piano rolls.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace music::svg {

class Canvas {
 public:
  Canvas(double width, double height);
  void rect(double x, double y, double w, double h, const std::string& fill, double opacity = 1.0);
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1.0);
  void circle(double cx, double cy, double r, const std::string& fill, const std::string& stroke = "none");
  void polyline(const std::vector<std::pair<double, double>>& pts, const std::string& stroke, double width = 1.5);
  // anchor: "start", "middle" or "end"
  void text(double x, double y, const std::string& s, double size = 12, const std::string& anchor = "start",
            const std::string& fill = "#222");
  std::string str() const;
  double width() const { return w_; }
  double height() const { return h_; }

 private:
  double w_, h_;
  std::string body_;
};

struct Series {
  std::string label;
  std::vector<double> x, y;
  std::string color;  // empty: picked from a palette
};

struct PlotOptions {
  std::string title, xlabel, ylabel;
  double width = 640, height = 400;
  bool log_y = false;
};

// A line plot with axes, ticks, a legend and a title.
std::string line_plot(const std::vector<Series>& series, const PlotOptions& opt);

// Escapes &, <, > and quotes for SVG text.
std::string escape(const std::string& s);
// A colour from a fixed, colour-blind-friendly palette.
std::string palette(size_t i);

}  // namespace music::svg
