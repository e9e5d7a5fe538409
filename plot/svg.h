// svg.h: SVG pictures from plain C++ (the standard library only): a small canvas,
// line plots (loss curves) and heatmaps (attention maps). The piano-roll picture
// (music/roll_svg.h) builds on the same canvas. Output is a string; callers save it
// (atomically) where they like. Chapter: docs/04-modules-losses-optimisers.md
// (loss curves); chapters 5 and 9 use it for piano rolls and attention maps.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace plot {

class Canvas {
 public:
  Canvas(double width, double height);
  void rect(double x, double y, double w, double h, const std::string& fill, double opacity = 1.0);
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1.0);
  void circle(double cx, double cy, double r, const std::string& fill, const std::string& stroke = "none");
  void polyline(const std::vector<std::pair<double, double>>& pts, const std::string& stroke, double width = 1.5);
  void polygon(const std::vector<std::pair<double, double>>& pts, const std::string& fill,
               const std::string& stroke = "none");
  // A line with a filled arrowhead at (x2, y2).
  void arrow(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1.2);
  // A rectangle with a border (rect has none), and optional rounded corners.
  void box(double x, double y, double w, double h, const std::string& fill, const std::string& stroke,
           double radius = 0);
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

struct HeatmapOptions {
  std::string title, row_label, col_label;
  std::string color = "#1f4e8c";  // a cell of value 1 is this colour; 0 is the white background
  double max_size = 720;          // the longer side of the grid, in pixels (cells of 2 to 14 px)
};
// values (rows x cols, row-major) in [0, 1] as a grid of shaded cells; row 0 at the top.
std::string heatmap(const std::vector<double>& values, int64_t rows, int64_t cols, const HeatmapOptions& opt);

// Escapes &, <, > and quotes for SVG text.
std::string escape(const std::string& s);
// A colour from a fixed, colour-blind-friendly palette.
std::string palette(size_t i);

}  // namespace plot
