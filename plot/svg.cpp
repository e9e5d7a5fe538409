// svg.cpp: see svg.h. Chapter: docs/04-modules-losses-optimisers.md (loss curves).
#include "plot/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace plot {

static std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string palette(size_t i) {
  static const char* colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                  "#E69F00", "#56B4E9", "#F0E442", "#000000"};
  return colours[i % 8];
}

Canvas::Canvas(double width, double height) : w_(width), h_(height) {}

void Canvas::rect(double x, double y, double w, double h, const std::string& fill, double opacity) {
  body_ += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h) +
           "\" fill=\"" + fill + "\"" + (opacity < 1 ? " fill-opacity=\"" + num(opacity) + "\"" : "") + "/>\n";
}
void Canvas::line(double x1, double y1, double x2, double y2, const std::string& stroke, double width) {
  body_ += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) +
           "\" stroke=\"" + stroke + "\" stroke-width=\"" + num(width) + "\"/>\n";
}
void Canvas::circle(double cx, double cy, double r, const std::string& fill, const std::string& stroke) {
  body_ += "<circle cx=\"" + num(cx) + "\" cy=\"" + num(cy) + "\" r=\"" + num(r) + "\" fill=\"" + fill +
           "\" stroke=\"" + stroke + "\"/>\n";
}
void Canvas::polyline(const std::vector<std::pair<double, double>>& pts, const std::string& stroke, double width) {
  std::string p;
  for (auto& [x, y] : pts) p += num(x) + "," + num(y) + " ";
  body_ +=
      "<polyline fill=\"none\" stroke=\"" + stroke + "\" stroke-width=\"" + num(width) + "\" points=\"" + p + "\"/>\n";
}
void Canvas::polygon(const std::vector<std::pair<double, double>>& pts, const std::string& fill,
                     const std::string& stroke) {
  std::string p;
  for (auto& [x, y] : pts) p += num(x) + "," + num(y) + " ";
  body_ += "<polygon fill=\"" + fill + "\" stroke=\"" + stroke + "\" points=\"" + p + "\"/>\n";
}
void Canvas::arrow(double x1, double y1, double x2, double y2, const std::string& stroke, double width) {
  double dx = x2 - x1, dy = y2 - y1, len = std::sqrt(dx * dx + dy * dy);
  if (len < 1e-9) return;
  double ux = dx / len, uy = dy / len, head = 4 + 2 * width;
  // The shaft stops where the head begins, so a thick line does not poke through the point.
  line(x1, y1, x2 - ux * head, y2 - uy * head, stroke, width);
  polygon({{x2, y2},
           {x2 - ux * head - uy * head * 0.5, y2 - uy * head + ux * head * 0.5},
           {x2 - ux * head + uy * head * 0.5, y2 - uy * head - ux * head * 0.5}},
          stroke);
}
void Canvas::box(double x, double y, double w, double h, const std::string& fill, const std::string& stroke,
                 double radius) {
  body_ += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h) + "\" rx=\"" +
           num(radius) + "\" fill=\"" + fill + "\" stroke=\"" + stroke + "\"/>\n";
}
void Canvas::text(double x, double y, const std::string& s, double size, const std::string& anchor,
                  const std::string& fill) {
  body_ += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(size) + "\" text-anchor=\"" + anchor +
           "\" fill=\"" + fill + "\">" + escape(s) + "</text>\n";
}
std::string Canvas::str() const {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(w_) + "\" height=\"" + num(h_) +
         "\" viewBox=\"0 0 " + num(w_) + " " + num(h_) +
         "\" font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" +
         body_ + "</svg>\n";
}

// "Nice" tick step: 1, 2 or 5 times a power of ten, giving about n ticks.
static double nice_step(double span, int n) {
  double raw = span / std::max(n, 1);
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

std::string line_plot(const std::vector<Series>& series, const PlotOptions& opt) {
  Canvas c(opt.width, opt.height);
  const double left = 70, right = 20, top = 52, bottom = 50;  // top: the title, then the y label above the axis
  double pw = opt.width - left - right, ph = opt.height - top - bottom;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  auto ty = [&](double y) { return opt.log_y ? std::log10(std::max(y, 1e-12)) : y; };
  for (auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, ty(s.y[i])), y1 = std::max(y1, ty(s.y[i]));
    }
  if (!(x0 <= x1)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1, y0 -= 1;
  double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  auto X = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto Y = [&](double y) { return top + (1 - (ty(y) - y0) / (y1 - y0)) * ph; };
  c.text(opt.width / 2, 24, opt.title, 15, "middle");
  c.line(left, top + ph, left + pw, top + ph, "#444");
  c.line(left, top, left, top + ph, "#444");
  double xs = nice_step(x1 - x0, 6);
  for (double x = std::ceil(x0 / xs) * xs; x <= x1 + 1e-9; x += xs) {
    c.line(X(x), top + ph, X(x), top + ph + 5, "#444");
    char b[32];
    std::snprintf(b, sizeof b, "%g", x);
    c.text(X(x), top + ph + 18, b, 11, "middle");
  }
  std::vector<double> yticks;  // in plotted units (log10 of the value when log_y)
  if (opt.log_y) {
    bool dense = y1 - y0 < 3;  // within three decades also mark 2x and 5x
    for (double k = std::floor(y0); k <= std::ceil(y1); ++k)
      for (double m : {1.0, 2.0, 5.0})
        if ((m == 1.0 || dense) && k + std::log10(m) >= y0 && k + std::log10(m) <= y1)
          yticks.push_back(k + std::log10(m));
  } else {
    double ys = nice_step(y1 - y0, 5);
    for (double y = std::ceil(y0 / ys) * ys; y <= y1 + 1e-9; y += ys) yticks.push_back(y);
  }
  for (double y : yticks) {
    double py = top + (1 - (y - y0) / (y1 - y0)) * ph;
    c.line(left - 5, py, left + pw, py, "#e5e5e5");
    char b[32];
    std::snprintf(b, sizeof b, "%g", opt.log_y ? std::pow(10.0, y) : (std::fabs(y) < 1e-12 ? 0.0 : y));
    c.text(left - 8, py + 4, b, 11, "end");
  }
  c.text(left + pw / 2, opt.height - 10, opt.xlabel, 12, "middle");
  c.text(left, top - 8, opt.ylabel + (opt.log_y ? " (log scale)" : ""), 12, "start");
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    std::string col = s.color.empty() ? palette(k) : s.color;
    std::vector<std::pair<double, double>> pts;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.y[i])) pts.push_back({X(s.x[i]), Y(s.y[i])});
    c.polyline(pts, col);
    if (pts.size() == 1) c.circle(pts[0].first, pts[0].second, 3.5, col);  // one epoch: a point, not nothing
    c.rect(left + pw - 150, top + 8 + 18 * k, 12, 4, col);
    c.text(left + pw - 132, top + 14 + 18 * k, s.label, 11);
  }
  return c.str();
}

// [doc:heatmap]
std::string heatmap(const std::vector<double>& v, int64_t R, int64_t C, const HeatmapOptions& opt) {
  const double cell = std::max(2.0, std::min(14.0, opt.max_size / (double)std::max<int64_t>(1, std::max(R, C))));
  const double left = 60, top = 40;
  // Wide enough for the title too (about 0.55 em per character at 14 px), not only the grid.
  const double title_w = left + 0.55 * 14 * (double)opt.title.size() + 20;
  Canvas cv(std::max(left + (double)C * cell + 20, title_w), top + (double)R * cell + 40);
  cv.text(left, 20, opt.title, 14);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      double x = std::min(1.0, std::max(0.0, v[(size_t)(r * C + c)]));
      if (x < 0.01) continue;  // white background shows through
      cv.rect(left + (double)c * cell, top + (double)r * cell, cell, cell, opt.color, x);
    }
  cv.text(left + (double)C * cell / 2, top + (double)R * cell + 28, opt.col_label + " →", 12, "middle");
  cv.text(8, top + 12, opt.row_label, 12);
  cv.text(8, top + 26, "↓", 12);
  return cv.str();
}
// [/doc]

}  // namespace plot
