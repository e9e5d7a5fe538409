// mlp_moons: the whole training loop on a toy task, before any music.
//
// Two interleaved half-moons of points, labelled 0 and 1; an MLP
// (2 -> 32 -> 32 -> 1, tanh) learns to separate them with BCE-with-logits and
// Adam. Everything the later chapters reuse is here: a seeded Generator, a
// Module, a loss, backward, an optimiser, a schedule, a progress bar, a
// checkpoint and pictures. Run it with `make mlp-demo`.
// Chapter: docs/04-modules-losses-optimisers.md ("The whole loop").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/cadenza.h"
#include "pipelines/flags.h"
#include "plot/svg.h"

using namespace cadenza;

// n points on two noisy half-moons: x (n, 2), y (n, 1) of 0/1 labels.
static std::pair<Tensor, Tensor> make_moons(int64_t n, double noise, Generator& gen) {
  std::vector<real> xs, ys;
  for (int64_t i = 0; i < n; ++i) {
    int label = (int)(i % 2);
    double t = M_PI * gen.uniform();
    double x = label ? 1 - std::cos(t) : std::cos(t);
    double y = label ? 0.5 - std::sin(t) : std::sin(t);
    xs.push_back((real)(x + noise * gen.normal()));
    xs.push_back((real)(y + noise * gen.normal()));
    ys.push_back((real)label);
  }
  return {Tensor::from_vector(xs, {n, 2}), Tensor::from_vector(ys, {n, 1})};
}

// [doc:mlp-model]
struct MLP : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2, fc3;
  MLP(int64_t hidden, Generator& gen) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(2, hidden, true, gen));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(hidden, hidden, true, gen));
    fc3 = register_module("fc3", std::make_shared<nn::Linear>(hidden, 1, true, gen));
  }
  Tensor forward(const Tensor& x) {  // x: (B, 2) -> logits (B, 1)
    return fc3->forward(tanh(fc2->forward(tanh(fc1->forward(x)))));
  }
};
// [/doc]

// The decision boundary: the model's probability on a grid, with the data on top.
static std::string boundary_svg(MLP& model, const Tensor& x, const Tensor& y) {
  const int cells = 60;
  const double lo_x = -1.6, hi_x = 2.6, lo_y = -1.2, hi_y = 1.7, size = 480;
  std::vector<real> grid;
  for (int r = 0; r < cells; ++r)
    for (int c = 0; c < cells; ++c) {
      grid.push_back((real)(lo_x + (c + 0.5) * (hi_x - lo_x) / cells));
      grid.push_back((real)(hi_y - (r + 0.5) * (hi_y - lo_y) / cells));
    }
  NoGradGuard no_grad;
  std::vector<real> p = sigmoid(model.forward(Tensor::from_vector(grid, {cells * cells, 2}))).to_vector();
  plot::Canvas canvas(size, size + 70);
  canvas.text(size / 2, 20, "Decision boundary: P(class 1) as colour", 14, "middle");
  auto colour = [](double v) {  // orange-ish for class 0, blue-ish for class 1
    char col[16];
    std::snprintf(col, sizeof col, "#%02x%02x%02x", (int)(255 - 80 * v), (int)(225 - 40 * std::fabs(v - 0.5)),
                  (int)(175 + 80 * v));
    return std::string(col);
  };
  double cw = size / cells;
  for (int r = 0; r < cells; ++r)
    for (int c = 0; c < cells; ++c) canvas.rect(c * cw, 30 + r * cw, cw + 0.5, cw + 0.5, colour(p[r * cells + c]));
  // The colour key: P(class 1) from 0 to 1, and the two kinds of dot.
  for (int k = 0; k < 100; ++k) canvas.rect(120 + 2.4 * k, size + 40, 2.5, 12, colour(k / 99.0));
  canvas.text(114, size + 50, "P(class 1) = 0", 11, "end");
  canvas.text(366, size + 50, "1", 11, "start");
  canvas.circle(400, size + 46, 3, "#D55E00", "white");
  canvas.text(406, size + 50, "class 0", 11);
  canvas.circle(400, size + 62, 3, "#0072B2", "white");
  canvas.text(406, size + 66, "class 1", 11);
  std::vector<real> xv = x.to_vector(), yv = y.to_vector();
  for (size_t i = 0; i < yv.size(); ++i) {
    double px = (xv[2 * i] - lo_x) / (hi_x - lo_x) * size, py = 30 + (hi_y - xv[2 * i + 1]) / (hi_y - lo_y) * size;
    canvas.circle(px, py, 2.5, yv[i] > 0.5 ? "#0072B2" : "#D55E00", "white");
  }
  return canvas.str();
}

// The optimiser --optimizer names (chapter 4 compares them).
static std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, std::vector<Tensor> params,
                                                        double lr) {
  if (name == "sgd") return std::make_unique<optim::SGD>(std::move(params), lr);
  if (name == "momentum") return std::make_unique<optim::SGD>(std::move(params), lr, 0.9);
  if (name == "rmsprop") return std::make_unique<optim::RMSprop>(std::move(params), lr);
  if (name == "adamw") return std::make_unique<optim::AdamW>(std::move(params), lr);
  return std::make_unique<optim::Adam>(std::move(params), lr);
}

int main(int argc, char** argv) {
  flags::Parser args(
      "mlp_moons",
      "Train an MLP to separate two half-moons; writes a loss curve, a decision boundary and a checkpoint.");
  flags::SharedFlags sf;  // no --data: the two moons are made here
  sf.epochs = "150", sf.epochs_help = "passes over the training set";
  sf.out = "out/mlp-demo";
  args.add_shared(sf);
  args.add_real("lr", "0.01", "learning rate (the peak of the warm-up + cosine schedule)", 1e-6, 10);
  args.add("optimizer", "adam", "adam, adamw, sgd, momentum (SGD with momentum 0.9) or rmsprop");
  args.parse(argc, argv);
  const std::string optimizer = args.str("optimizer");
  if (optimizer != "adam" && optimizer != "adamw" && optimizer != "sgd" && optimizer != "momentum" &&
      optimizer != "rmsprop")
    args.die("--optimizer " + optimizer + " is not one this demo knows", "use adam, adamw, sgd, momentum or rmsprop");
  int64_t epochs = args.integer("epochs", 1, 1000000);
  const uint64_t seed = args.apply_shared();
  double lr = args.number("lr", 1e-6, 10);
  std::string out = args.str("out");
  args.make_output_dir(out);

  try {
    Generator gen(seed);
    auto [x, y] = make_moons(512, 0.2, gen);
    auto [x_val, y_val] = make_moons(256, 0.2, gen);
    MLP model(32, gen);
    std::printf("mlp_moons: %lld parameters, %d thread(s), seed %llu\n", (long long)model.num_parameters(),
                num_threads(), (unsigned long long)seed);
    std::fflush(stdout);

    // [doc:training-loop]
    std::unique_ptr<optim::Optimizer> owned = make_optimizer(optimizer, model.parameters(), lr);
    optim::Optimizer& opt = *owned;
    const int64_t batch = 64, steps_per_epoch = x.size(0) / batch;
    // One epoch of warm-up (less when there is only one epoch: the schedule needs steps after it).
    optim::CosineWithWarmup schedule(opt, std::min(steps_per_epoch, epochs * steps_per_epoch - 1),
                                     epochs * steps_per_epoch, lr * 0.05);
    ProgressBar bar("epoch", epochs);
    std::vector<double> epoch_axis, train_loss, val_loss;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      std::vector<int64_t> order = randperm(x.size(0), gen);  // shuffle every epoch
      double total = 0;
      for (int64_t s = 0; s < steps_per_epoch; ++s) {
        std::vector<real> idx(order.begin() + s * batch, order.begin() + (s + 1) * batch);
        Tensor rows = Tensor::from_vector(idx, {batch});
        Tensor xb = index_select(x, 0, rows), yb = index_select(y, 0, rows);
        opt.zero_grad();                                                        // 1. forget old gradients
        Tensor loss = binary_cross_entropy_with_logits(model.forward(xb), yb);  // 2. forward
        loss.backward();                                                        // 3. backward
        opt.step();                                                             // 4. update
        schedule.step();
        total += loss.item();
      }
      NoGradGuard no_grad;
      double v = binary_cross_entropy_with_logits(model.forward(x_val), y_val).item();
      epoch_axis.push_back((double)epoch);
      train_loss.push_back(total / steps_per_epoch);
      val_loss.push_back(v);
      char info[64];
      std::snprintf(info, sizeof info, "loss %.4f  val %.4f", train_loss.back(), v);
      bar.update(epoch, info);
    }
    // [/doc]
    NoGradGuard no_grad;
    double acc = mean(eq(gt(model.forward(x_val), Tensor::scalar(0)), y_val)).item();
    char info[64];
    std::snprintf(info, sizeof info, "val loss %.4f  val accuracy %.1f%%", val_loss.back(), 100 * acc);
    bar.finish(info);

    std::string loss_svg =
        plot::line_plot({{"train", epoch_axis, train_loss, ""}, {"validation", epoch_axis, val_loss, ""}},
                        {"MLP on two moons: BCE loss", "epoch", "loss", 640, 400, true});
    io::write_file_atomic(out + "/loss.svg", loss_svg, "mlp_moons");
    io::write_file_atomic(out + "/boundary.svg", boundary_svg(model, x_val, y_val), "mlp_moons");
    std::string csv = "epoch,train_loss,val_loss\n";
    for (size_t i = 0; i < epoch_axis.size(); ++i)
      csv += str(epoch_axis[i], ",", train_loss[i], ",", val_loss[i], "\n");
    io::write_file_atomic(out + "/loss.csv", csv, "mlp_moons");
    io::save_checkpoint(out + "/model.safetensors", model,
                        {{"example", "mlp_moons"}, {"epochs", std::to_string(epochs)}});
    std::printf(
        "validation accuracy %.1f%%\nwrote:\n  %s/loss.svg          loss curve (open in a browser)\n"
        "  %s/boundary.svg      what the network learned\n  %s/loss.csv          the numbers behind the curve\n"
        "  %s/model.safetensors checkpoint (numpy/safetensors can read it)\n",
        100 * acc, out.c_str(), out.c_str(), out.c_str(), out.c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "mlp_moons: %s\n", e.what());
    return 1;
  }
  return 0;
}
