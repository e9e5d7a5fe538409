// engine_figures.cpp: the figures drawn from the engine (tensors, autograd, optimisers,
// attention) and the diagrams (RBM, LSTM cell, dilation, gemm blocking). See figures.h.
// Chapters 1-4 and 7-11.
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/cadenza.h"
#include "plot/svg.h"
#include "tools/figures/figures.h"

using namespace cadenza;
using plot::Canvas;

namespace figures {

const char *const kInk = "#222", *const kGrid = "#999", *const kBlue = "#0072B2", *const kOrange = "#D55E00",
                  *const kGreen = "#009E73", *const kLight = "#e8f0fa", *const kPale = "#fdf1e6";

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// ---- chapter 1: storage and strides; broadcasting ----
std::string strides_figure() {
  Canvas c(640, 300);
  c.text(320, 24, "One storage, two views: a (2, 3) tensor and its transpose", 15, "middle");
  c.text(20, 62, "storage", 12);
  for (int i = 0; i < 6; ++i) {
    c.box(90 + 44.0 * i, 44, 40, 28, plot::palette((size_t)i), "white");
    c.text(110 + 44.0 * i, 63, std::to_string(i), 13, "middle", "white");
  }
  auto grid = [&](double x, double y, int rows, int cols, int s0, int s1, const std::string& title,
                  const std::string& sub) {
    c.text(x, y - 26, title, 13);
    c.text(x, y - 10, sub, 11, "start", "#555");
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < cols; ++k) {
        int idx = r * s0 + k * s1;
        c.box(x + 44.0 * k, y + 34.0 * r, 40, 30, plot::palette((size_t)idx), "white");
        c.text(x + 44.0 * k + 20, y + 34.0 * r + 20, std::to_string(idx), 13, "middle", "white");
      }
  };
  grid(60, 130, 2, 3, 3, 1, "a: shape (2, 3), strides (3, 1)", "a[i, j] = storage[3i + j]");
  grid(360, 130, 3, 2, 1, 3, "a.t(): shape (3, 2), strides (1, 3)", "a.t()[i, j] = storage[i + 3j]; no copy");
  c.text(320, 285, "Each cell shows the storage index it reads; the colours match the storage row.", 11, "middle",
         "#555");
  return c.str();
}

std::string broadcast_figure() {
  Canvas c(640, 250);
  c.text(320, 24, "Broadcasting (3, 1) + (1, 4) -> (3, 4): size-1 axes stretch, with stride 0", 15, "middle");
  Tensor col = Tensor::from_vector({0, 10, 20}, {3, 1}), row = Tensor::from_vector({1, 2, 3, 4}, {1, 4});
  std::vector<real> sum = (col + row).to_vector();
  auto cell = [&](double x, double y, double v, bool real_cell, const char* fill) {
    c.box(x, y, 34, 30, real_cell ? fill : "white", real_cell ? "white" : fill);
    c.text(x + 17, y + 20, fmt("%g", v), 12, "middle", real_cell ? "white" : fill);
  };
  const double y0 = 70;
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) cell(30 + 36.0 * k, y0 + 32.0 * r, 10.0 * r, k == 0, kBlue);
  c.text(100, y0 + 118, "col (3, 1): strides (1, 0)", 11, "middle");
  c.text(190, y0 + 52, "+", 22, "middle");
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) cell(215 + 36.0 * k, y0 + 32.0 * r, k + 1.0, r == 0, kOrange);
  c.text(285, y0 + 118, "row (1, 4): strides (0, 1)", 11, "middle");
  c.text(375, y0 + 52, "=", 22, "middle");
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) cell(400 + 36.0 * k, y0 + 32.0 * r, sum[(size_t)(r * 4 + k)], true, kGreen);
  c.text(470, y0 + 118, "(3, 4): a new tensor", 11, "middle");
  c.text(320, 230, "Outlined cells are not stored: expand() reads the same element again.", 11, "middle", "#555");
  return c.str();
}

// ---- chapter 2: a graph with its forward values and backward gradients ----
std::string graph_figure() {
  Tensor w = Tensor::scalar(0.5).requires_grad_(), b = Tensor::scalar(-0.2).requires_grad_();
  Tensor x = Tensor::scalar(1.5);
  Tensor u = w * x, z = u + b, y = tanh(z);
  y.backward();
  // The gradients at the inner nodes, from the same graph cut there: u and z made leaves.
  Tensor u_leaf = Tensor::scalar(u.item()).requires_grad_(), z_leaf = Tensor::scalar(z.item()).requires_grad_();
  tanh(u_leaf + b.detach()).backward();
  tanh(z_leaf).backward();
  Canvas c(640, 400);
  c.text(320, 24, "y = tanh(w x + b): values go up, gradients come back down", 15, "middle");
  struct N {
    double x, y;
    std::string label, value, grad;
    bool op;
  };
  std::vector<N> n = {
      {90, 330, "x (constant)", "1.5", "", false},
      {250, 330, "w (leaf)", fmt("%.2f", w.item()), "dy/dw = " + fmt("%.4f", w.grad().item()), false},
      {170, 235, "mul", "u = " + fmt("%.2f", u.item()), "dy/du = " + fmt("%.4f", u_leaf.grad().item()), true},
      {420, 235, "b (leaf)", fmt("%.2f", b.item()), "dy/db = " + fmt("%.4f", b.grad().item()), false},
      {300, 145, "add", "z = " + fmt("%.2f", z.item()), "dy/dz = " + fmt("%.4f", z_leaf.grad().item()), true},
      {300, 60, "tanh", "y = " + fmt("%.4f", y.item()), "dy/dy = 1", true},
  };
  auto edge = [&](int a, int bb) {
    c.arrow(n[(size_t)a].x, n[(size_t)a].y - 22, n[(size_t)bb].x, n[(size_t)bb].y + 22, kGrid);
  };
  edge(0, 2), edge(1, 2), edge(2, 4), edge(3, 4), edge(4, 5);
  for (const N& k : n) {
    c.box(k.x - 70, k.y - 22, 140, 44, k.op ? kLight : kPale, k.op ? kBlue : kOrange, k.op ? 4 : 20);
    c.text(k.x, k.y - 5, k.label, 12, "middle");
    c.text(k.x, k.y + 12, k.value, 11, "middle", "#444");
    if (!k.grad.empty()) c.text(k.x + 76, k.y + 4, k.grad, 11, "start", kOrange);
  }
  c.text(20, 388,
         "Square boxes are ops, rounded ones leaf tensors; orange: the gradient backward() carries to each (leaves "
         "keep it in .grad).",
         11, "start", "#555");
  return c.str();
}

// ---- chapter 3: the central difference's error against its step ----
std::string fd_error_figure() {
  plot::Series s64{"float64", {}, {}, kBlue}, s32{"float32", {}, {}, kOrange};
  for (int e = -1; e >= -12; --e) {
    double h = std::pow(10.0, e);
    double d64 = (std::exp(1 + h) - std::exp(1 - h)) / (2 * h);
    float hf = (float)h, d32 = (std::exp(1.0f + hf) - std::exp(1.0f - hf)) / (2 * hf);
    s64.x.push_back(e), s64.y.push_back(std::max(1e-16, std::fabs(d64 - M_E)));
    s32.x.push_back(e), s32.y.push_back(std::max(1e-16, std::fabs((double)d32 - M_E)));
  }
  plot::PlotOptions o;
  o.title = "Error of (f(x+h) - f(x-h)) / 2h for f = exp at x = 1";
  o.xlabel = "log10 of the step h", o.ylabel = "absolute error", o.log_y = true;
  return plot::line_plot({s64, s32}, o);
}

// ---- chapter 4: three optimisers on one small problem ----
std::string optimisers_figure() {
  std::vector<plot::Series> series;
  const char* names[] = {"SGD, lr 0.5", "momentum 0.9", "Adam, lr 0.05"};
  for (int k = 0; k < 3; ++k) {
    Generator gen(0);
    nn::Linear fc1(2, 8, true, gen), fc2(8, 1, true, gen);
    std::vector<Tensor> params = {fc1.weight, fc1.bias, fc2.weight, fc2.bias};
    std::unique_ptr<optim::Optimizer> opt;
    if (k == 0) opt = std::make_unique<optim::SGD>(params, 0.5);
    if (k == 1) opt = std::make_unique<optim::SGD>(params, 0.5, 0.9);
    if (k == 2) opt = std::make_unique<optim::Adam>(params, 0.05);
    Tensor x = Tensor::from_vector({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2}), y = Tensor::from_vector({0, 1, 1, 0}, {4, 1});
    plot::Series s{names[k], {}, {}, plot::palette((size_t)k)};
    for (int step = 0; step <= 300; ++step) {
      opt->zero_grad();
      Tensor loss = binary_cross_entropy_with_logits(fc2.forward(tanh(fc1.forward(x))), y);
      loss.backward();
      opt->step();
      s.x.push_back(step), s.y.push_back(loss.item());
    }
    series.push_back(s);
  }
  plot::PlotOptions o;
  o.title = "XOR with a 2-8-1 network: the same start, three optimisers";
  o.xlabel = "step", o.ylabel = "binary cross-entropy", o.log_y = true;
  return plot::line_plot(series, o);
}

// ---- chapter 7: the RBM's bipartite graph ----
std::string rbm_figure() {
  Canvas c(640, 330);
  c.text(320, 24, "An RBM: each visible unit joins each hidden unit; none within a layer", 15, "middle");
  const int V = 8, H = 5;
  auto vx = [](int i) { return 110 + 60.0 * i; };
  auto hx = [](int j) { return 170 + 75.0 * j; };
  for (int i = 0; i < V; ++i)
    for (int j = 0; j < H; ++j) c.line(vx(i), 240, hx(j), 90, "#bbb", 0.8);
  for (int j = 0; j < H; ++j) {
    c.circle(hx(j), 90, 16, kPale, kOrange);
    c.text(hx(j), 95, "h" + std::to_string(j + 1), 11, "middle");
  }
  for (int i = 0; i < V; ++i) {
    c.circle(vx(i), 240, 16, kLight, kBlue);
    c.text(vx(i), 245, "v" + std::to_string(i + 1), 11, "middle");
  }
  c.text(20, 95, "hidden h", 12);
  c.text(20, 245, "visible v", 12);
  c.text(555, 170, "W (V x H)", 12, "middle", "#555");
  c.text(170, 290, "p(h = 1 | v) = sigmoid(v W + b_h)", 12, "middle");
  c.text(470, 290, "p(v = 1 | h) = sigmoid(h W^T + b_v)", 12, "middle");
  c.text(320, 312, "E(v, h) = -v b_v^T - h b_h^T - v W h^T   (v, h row vectors)", 12, "middle", "#555");
  return c.str();
}

// ---- chapter 8: the LSTM cell ----
std::string lstm_figure() {
  Canvas c(680, 400);
  c.text(340, 24, "The LSTM cell: four gates from [x_t, h_t-1], one cell state carried along", 15, "middle");
  c.box(60, 50, 520, 250, "#fafafa", "#ccc", 10);
  // The cell state runs along the top.
  c.text(22, 84, "c_t-1", 12);
  c.line(60, 80, 190, 80, kInk, 2);
  c.arrow(210, 80, 318, 80, kInk, 2);
  c.arrow(342, 80, 660, 80, kInk, 2);
  c.text(620, 70, "c_t", 12);
  auto op = [&](double x, double y, const std::string& s) {
    c.circle(x, y, 12, "white", kInk);
    c.text(x, y + 5, s, 14, "middle");
  };
  op(200, 80, "x");
  op(330, 80, "+");
  // Gates.
  struct G {
    double x;
    const char *name, *fn;
  };
  const G gates[] = {{200, "f", "sigmoid"}, {280, "i", "sigmoid"}, {360, "g", "tanh"}, {450, "o", "sigmoid"}};
  for (const G& g : gates) {
    c.box(g.x - 30, 215, 60, 30, kLight, kBlue, 4);
    c.text(g.x, 234, g.fn, 11, "middle");
    c.text(g.x + 34, 212, g.name, 12, "start", kBlue);
  }
  // [x_t, h_t-1] feeds every gate.
  c.text(22, 280, "h_t-1", 12);
  c.line(60, 275, 470, 275, kInk, 1.5);
  c.text(118, 322, "x_t", 12);
  c.line(110, 325, 110, 275, kInk, 1.5);
  for (const G& g : gates) c.arrow(g.x, 275, g.x, 247, kInk);
  c.arrow(200, 213, 200, 94, kInk);  // f scales the old cell state
  op(320, 160, "x");                 // i * g
  c.arrow(280, 213, 312, 170, kInk);
  c.arrow(360, 213, 328, 170, kInk);
  c.arrow(320, 148, 330, 94, kInk);
  // Output: h_t = o * tanh(c_t).
  c.box(500, 120, 56, 26, kPale, kOrange, 13);
  c.text(528, 137, "tanh", 11, "middle");
  c.arrow(528, 80, 528, 118, kInk);
  op(528, 200, "x");
  c.arrow(528, 148, 528, 188, kInk);
  c.arrow(480, 230, 516, 206, kInk);
  c.line(528, 212, 528, 255, kInk, 1.5);
  c.arrow(528, 255, 660, 255, kInk, 1.5);
  c.text(620, 247, "h_t", 12);
  c.text(230, 355, "c_t = f * c_t-1 + i * g", 12, "middle");
  c.text(450, 355, "h_t = o * tanh(c_t)", 12, "middle");
  c.text(340, 380, "[f, i, g, o] = [sigmoid, sigmoid, tanh, sigmoid](W_ih x_t + W_hh h_t-1 + b)", 12, "middle", "#555");
  return c.str();
}

// ---- chapter 9: causal attention over positional encodings ----
std::string attention_figure() {
  const int64_t T = 32, d = 32;
  Tensor pe = nn::positional_encoding(T, d) * 1.5;  // a little sharper than plain dot products
  Tensor w = nn::scaled_dot_product_attention(pe, pe, pe, nn::causal_mask(T)).weights;
  std::vector<real> wv = w.to_vector();
  std::vector<double> shown(wv.size());
  for (int64_t r = 0; r < T; ++r) {  // each row scaled to its largest weight, so every row is visible
    double m = 0;
    for (int64_t k = 0; k < T; ++k) m = std::max(m, (double)wv[(size_t)(r * T + k)]);
    for (int64_t k = 0; k < T; ++k) shown[(size_t)(r * T + k)] = wv[(size_t)(r * T + k)] / m;
  }
  plot::HeatmapOptions o;
  o.title = "Causal attention, positional encodings as queries and keys";
  o.row_label = "query step", o.col_label = "key step";
  o.max_size = 420;
  return plot::heatmap(shown, T, T, o);
}

// ---- chapter 10: a dilated causal stack ----
std::string dilation_figure() {
  const int steps = 16, K = 3;
  const int dil[] = {1, 2, 4};
  Canvas c(680, 330);
  c.text(340, 24, "Causal convolutions, kernel 3, dilations 1, 2, 4: the last output sees 15 steps", 15, "middle");
  auto X = [](int t) { return 60 + 36.0 * t; };
  auto Y = [](int level) { return 270 - 70.0 * level; };
  // Which nodes feed the last output, level by level from the top.
  std::vector<std::vector<bool>> used(4, std::vector<bool>(steps, false));
  used[3][steps - 1] = true;
  for (int l = 3; l >= 1; --l)
    for (int t = 0; t < steps; ++t)
      if (used[(size_t)l][(size_t)t])
        for (int k = 0; k < K; ++k)
          if (t - k * dil[l - 1] >= 0) used[(size_t)l - 1][(size_t)(t - k * dil[l - 1])] = true;
  for (int l = 1; l <= 3; ++l)
    for (int t = 0; t < steps; ++t)
      for (int k = 0; k < K; ++k) {
        int src = t - k * dil[l - 1];
        if (src < 0) continue;
        bool on = used[(size_t)l][(size_t)t];
        c.line(X(src), Y(l - 1) - 7, X(t), Y(l) + 7, on ? kOrange : "#e2e2e2", on ? 1.6 : 0.7);
      }
  for (int l = 0; l <= 3; ++l) {
    for (int t = 0; t < steps; ++t) {
      bool on = used[(size_t)l][(size_t)t];
      c.circle(X(t), Y(l), 7, on ? kOrange : "white", on ? kOrange : kGrid);
    }
    c.text(X(steps - 1) + 22, Y(l) + 4, l == 0 ? "input" : "dilation " + std::to_string(dil[l - 1]), 11);
  }
  c.text(340, 315, "receptive field = 1 + (K - 1)(1 + 2 + 4) = 15; no output reads a later step", 12, "middle");
  return c.str();
}

// ---- chapter 11: the blocked matrix product ----
std::string gemm_figure() {
  Canvas c(560, 440);
  c.text(280, 24, "Blocking C += A B: panels that fit the caches, a tile in registers", 15, "middle");
  // A (M x K) on the left, B (K x N) above C (M x N).
  const double ax = 40, ay = 130, aw = 160, ah = 170, bx = 240, by = 50, bw = 220, bh = 60;
  c.box(ax, ay, aw, ah, "#f4f4f4", kGrid);
  c.text(ax + aw / 2, ay + ah + 18, "A (M x K)", 12, "middle");
  c.box(bx, by, bw, bh, "#f4f4f4", kGrid);
  c.text(bx + bw + 8, by + 34, "B (K x N)", 12);
  c.box(bx, ay, bw, ah, "#f4f4f4", kGrid);
  c.text(bx + bw / 2, ay + ah + 18, "C (M x N)", 12, "middle");
  // The KC x NC panel of B (L2/L3), the MC x KC block of A (L2), the MR x NR tile of C (registers).
  c.box(bx + 40, by, 120, 22, "#cde3f7", kBlue);
  c.text(bx + 100, by + 15, "KC x NC panel", 10, "middle", kBlue);
  c.box(ax + 50, ay + 40, 50, 70, "#fbe1cc", kOrange);
  c.text(ax + 75, ay + 30, "MC x KC", 10, "middle", kOrange);
  c.box(bx + 40, ay + 40, 120, 70, "#e6f4ee", kGreen);
  c.box(bx + 64, ay + 56, 24, 16, kGreen, kGreen);
  c.text(bx + 100, ay + 128, "MR x NR tile", 10, "middle", kGreen);
  c.arrow(bx + 90, ay + 120, bx + 78, ay + 74, kGreen);
  const char* lines[] = {
      "1. pack a KC x NC panel of B (it stays in L3/L2)", "2. pack an MC x KC block of A (it stays in L2)",
      "3. each MR x NR tile of C lives in registers:", "   KC fused multiply-adds per element, then one store",
      "MC, KC, NC come from the cache sizes; MR x NR from the SIMD width"};
  for (int i = 0; i < 5; ++i) c.text(40, 345 + 20.0 * i, lines[i], 12, "start", i == 4 ? "#555" : kInk);
  return c.str();
}

// ---- chapter 12: the generator's gradient under the minimax and non-saturating losses ----
// Drawn with autograd through nn::generator_loss: the gradient of G's loss with respect to D's logit
// on a fake, the signal that flows back into G, as D(G(z)) goes from "surely fake" to "surely real".
std::string gan_gradient_figure() {
  plot::Series mm{"minimax: log(1 - D(G(z)))", {}, {}, kOrange}, ns{"non-saturating: -log D(G(z))", {}, {}, kBlue};
  for (int i = 1; i < 200; ++i) {
    const double p = i / 200.0;
    for (plot::Series* s : {&mm, &ns}) {
      Tensor logit = Tensor::full({1}, std::log(p / (1 - p))).requires_grad_();
      nn::generator_loss(s == &mm ? nn::GanLoss::Minimax : nn::GanLoss::NonSaturating, logit).backward();
      s->x.push_back(p), s->y.push_back(std::fabs(logit.grad().item()));
    }
  }
  plot::PlotOptions o;
  o.title = "How hard the generator is pushed, by how surely D rejects its fake";
  o.xlabel = "D(G(z)): the discriminator's probability that the fake is real";
  o.ylabel = "|dL_G / d logit|";
  return plot::line_plot({mm, ns}, o);
}

}  // namespace figures
