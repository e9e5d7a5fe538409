// Chapter 4 tests: modules, layers, initialisers, optimisers, schedules.
// docs/04-modules-losses-optimisers.md.
#include <cmath>

#include "tests/helpers.h"

using namespace cadenza;
using namespace testing;

namespace {
struct TwoLayer : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2;
  std::shared_ptr<nn::LayerNorm> norm;
  explicit TwoLayer(Generator& g) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(4, 8, true, g));
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(8));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(8, 2, false, g));
  }
  Tensor forward(const Tensor& x) { return fc2->forward(relu(norm->forward(fc1->forward(x)))); }
};
}  // namespace

TEST_SUITE("ch04-modules") {
  TEST_CASE("named parameters use PyTorch's dotted names") {
    Generator g(0);
    TwoLayer m(g);
    std::vector<std::string> names;
    for (auto& [n, t] : m.named_parameters()) names.push_back(n);
    CHECK(names == std::vector<std::string>{"fc1.weight", "fc1.bias", "norm.weight", "norm.bias", "fc2.weight"});
    CHECK(m.num_parameters() == 4 * 8 + 8 + 8 + 8 + 8 * 2);
    CHECK(m.fc1->weight.shape() == Shape{8, 4});
    CHECK(m.summary().find("fc2.weight (2, 8)") != std::string::npos);
    nn::Sequential seq;
    seq.add(std::make_shared<nn::Linear>(2, 3))
        .add(std::make_shared<nn::ReLU>())
        .add(std::make_shared<nn::Linear>(3, 1));
    CHECK(seq.named_parameters()[2].first == "2.weight");
  }

  TEST_CASE("train/eval propagate; Dropout only acts in training and keeps the mean") {
    Generator g(1);
    nn::Sequential seq;
    auto drop = std::make_shared<nn::Dropout>(0.25, g);
    seq.add(drop);
    Tensor x = Tensor::ones({20000});
    double m = mean(seq.forward(x)).item();
    CHECK(m == doctest::Approx(1.0).epsilon(0.03));
    CHECK(sum(eq(seq.forward(x), Tensor::scalar(0))).item() > 4000);
    seq.eval();
    CHECK(!drop->training());
    CHECK(seq.forward(x).to_vector() == x.to_vector());
    expect_error([] { nn::Dropout d(1.0); }, {"[Dropout]", "[0, 1)"});
  }

  TEST_CASE("layers check their input shapes and name themselves") {
    nn::Linear lin(4, 2);
    expect_error(
        [&] {
          lin.forward(Tensor::zeros({3, 5}));
        },
        {"[Linear] input has shape (3, 5)", "expects 4 features"});
    nn::LayerNorm ln(4);
    expect_error([&] { ln.forward(Tensor::zeros({2, 3})); }, {"[LayerNorm]", "(2, 3)"});
    nn::Embedding emb(10, 3);
    CHECK(emb.forward(Tensor::from_vector({1, 2, 9, 0}, {2, 2})).shape() == Shape{2, 2, 3});
    expect_error([&] { emb.forward(Tensor::from_vector({10}, {1})); }, {"[index_select]", "index 10"});
  }

  TEST_CASE("BatchNorm: clear errors, buffers in the state_dict, eval is per example") {
    nn::BatchNorm1d bn(3);
    expect_error([&] { bn.forward(Tensor::zeros({4, 2, 5})); }, {"[BatchNorm1d]", "(4, 2, 5)", "C = 3"});
    expect_error([&] { bn.forward(Tensor::zeros({4, 3, 2, 2})); }, {"[BatchNorm1d]", "(N, C) or (N, C, L)"});
    expect_error([&] { bn.forward(Tensor::zeros({1, 3})); }, {"[BatchNorm1d]", "more than one value", "eval()"});
    nn::BatchNormOptions bad_eps, bad_momentum, untracked;
    bad_eps.eps = 0, bad_momentum.momentum = 1.5, untracked.track_running_stats = false;
    expect_error([&] { nn::BatchNorm2d(2, bad_eps); }, {"[BatchNorm2d]", "eps"});
    expect_error([&] { nn::BatchNorm2d(2, bad_momentum); }, {"[BatchNorm2d]", "momentum"});
    auto sd = bn.state_dict();
    for (const char* k : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
      CHECK_MESSAGE(sd.count(k), k);
    CHECK(bn.parameters().size() == 2);  // the running statistics are buffers, not trained

    Generator g(5);
    Tensor x = randn({8, 3, 4}, g) * 3 + 1;
    bn.forward(x);  // training: the running statistics move by momentum 0.1 from (0, 1)
    Tensor m = mean(x, {0, 2});
    CHECK_TENSOR_CLOSE(bn.running_mean, m * (real)0.1, 1e-6, 1e-5);
    CHECK_TENSOR_CLOSE(bn.running_var, var(x, {0, 2}, true) * (real)0.1 + (real)0.9, 1e-5, 1e-5);
    bn.eval();  // one example alone gives what it gives inside the batch
    Tensor all = bn.forward(x);
    Tensor one = bn.forward(x.slice(0, 2, 3));
    CHECK_TENSOR_CLOSE(one, all.slice(0, 2, 3), 0, 0);
    CHECK(bn.num_batches_tracked.item() == 1);  // eval leaves the statistics alone

    nn::BatchNorm1d free_bn(3, untracked);  // no buffers: batch statistics always
    free_bn.eval();
    CHECK(free_bn.state_dict().size() == 2);
    Tensor y = free_bn.forward(x);
    CHECK_TENSOR_CLOSE(mean(y, {0, 2}), Tensor::zeros({3}), 1e-5, 0);
  }

  TEST_CASE("GAN losses: each formula on known outputs, and the names the CLI takes") {
    using nn::GanLoss;
    Tensor dr = Tensor::from_vector({2, -1}, {2}), df = Tensor::from_vector({0.5, -3}, {2});
    auto sp = [](double x) { return std::log1p(std::exp(x)); };  // softplus: -log s(-x) = sp(x)
    auto close = [](const Tensor& t, double want) { CHECK(t.item() == doctest::Approx(want).epsilon(1e-5)); };
    // -log s(d_real) = sp(-d_real); -log(1 - s(d_fake)) = sp(d_fake)
    const double d_bce = (sp(-2) + sp(1)) / 2 + (sp(0.5) + sp(-3)) / 2;
    close(nn::discriminator_loss(GanLoss::Minimax, dr, df), d_bce);
    close(nn::discriminator_loss(GanLoss::NonSaturating, dr, df), d_bce);
    close(nn::generator_loss(GanLoss::Minimax, df), -(sp(0.5) + sp(-3)) / 2);
    close(nn::generator_loss(GanLoss::NonSaturating, df), (sp(-0.5) + sp(3)) / 2);
    close(nn::discriminator_loss(GanLoss::LeastSquares, dr, df), 0.5 * (1 + 4) / 2 + 0.5 * (0.25 + 9) / 2);
    close(nn::generator_loss(GanLoss::LeastSquares, df), 0.5 * (0.25 + 16) / 2);
    close(nn::discriminator_loss(GanLoss::Wasserstein, dr, df), (0.5 - 3) / 2 - (2 - 1) / 2.0);
    close(nn::generator_loss(GanLoss::Wasserstein, df), (3 - 0.5) / 2);
    close(nn::discriminator_loss(GanLoss::Hinge, dr, df), (0 + 2) / 2.0 + (1.5 + 0) / 2);
    close(nn::generator_loss(GanLoss::Hinge, df), (3 - 0.5) / 2);
    // Near D's confident rejection the minimax generator's gradient vanishes; the non-saturating one's does not.
    Tensor rejected = Tensor::from_vector({-8}, {1}).requires_grad_();
    nn::generator_loss(GanLoss::Minimax, rejected).backward();
    const double g_minimax = std::fabs(rejected.grad().item());
    rejected.zero_grad();
    nn::generator_loss(GanLoss::NonSaturating, rejected).backward();
    CHECK(g_minimax < 1e-3);
    CHECK(std::fabs(rejected.grad().item()) > 0.99);
    for (const char* name : {"minimax", "nonsat", "lsgan", "wgan-gp", "hinge"})
      CHECK(nn::gan_loss_name(nn::parse_gan_loss(name)) == name);
    expect_error([] { nn::parse_gan_loss("wgan"); }, {"[gan loss]", "unknown loss 'wgan'", "wgan-gp"});
    expect_error([&] { nn::discriminator_loss(GanLoss::Hinge, Tensor(), df); }, {"[discriminator_loss]", "undefined"});
  }

  TEST_CASE("gradient_penalty: lambda (||w|| - 1)^2 for a linear critic, and its gradient for w") {
    // D(x) = sum(x * w) over each example's features: dD/dx = w wherever x is, so the penalty is
    // exact, lambda (||w|| - 1)^2, and d/dw of it is 2 lambda (||w|| - 1) w / ||w||.
    Tensor w = Tensor::from_vector({0.6, -1.2, 2, 0.3, 0.5, -0.1}, {1, 2, 3}).requires_grad_();
    auto critic = [&](const Tensor& x) { return sum(x * w, {1, 2}); };
    Generator g(3);
    Tensor real_x = randn({4, 2, 3}, g), fake_x = randn({4, 2, 3}, g).requires_grad_();
    Tensor gp = nn::gradient_penalty(critic, real_x, fake_x, g, 10);
    const double n = std::sqrt(0.36 + 1.44 + 4 + 0.09 + 0.25 + 0.01);
    CHECK(gp.item() == doctest::Approx(10 * (n - 1) * (n - 1)).epsilon(1e-5));
    gp.backward();
    CHECK_TENSOR_CLOSE(w.grad(), w.detach() * (real)(20 * (n - 1) / n), 1e-5, 1e-5);
    CHECK_FALSE(fake_x.grad().defined());  // the penalty trains the critic, not the generator
    expect_error(
        [&] {
          nn::gradient_penalty(critic, real_x, randn({3, 2, 3}, g), g);
        },
        {"[gradient_penalty]", "(4, 2, 3) and (3, 2, 3)"});
  }

  TEST_CASE("state_dict round trip and clear errors on mismatch") {
    Generator g(2);
    TwoLayer a(g), b(g);
    CHECK(a.fc1->weight.to_vector() != b.fc1->weight.to_vector());
    b.load_state_dict(a.state_dict());
    CHECK(a.fc1->weight.to_vector() == b.fc1->weight.to_vector());
    Tensor x = randn({3, 4}, g);
    CHECK(a.forward(x).to_vector() == b.forward(x).to_vector());
    auto sd = a.state_dict();
    sd.erase("fc2.weight");
    expect_error([&] { b.load_state_dict(sd); }, {"[load_state_dict] missing tensor 'fc2.weight'"});
    b.load_state_dict(sd, /*strict=*/false);
    sd = a.state_dict();
    sd["fc1.weight"] = Tensor::zeros({8, 5});
    expect_error([&] { b.load_state_dict(sd); }, {"'fc1.weight' has shape (8, 5)", "(8, 4) in the model"});
    sd = a.state_dict();
    sd["extra.thing"] = Tensor::zeros({1});
    expect_error([&] { b.load_state_dict(sd); }, {"unexpected tensor 'extra.thing'"});
  }

  TEST_CASE("initialisers have the variances they promise") {
    Generator g(3);
    Tensor w = Tensor::zeros({400, 300});
    nn::init::xavier_uniform_(w, 1.0, g);
    CHECK(var(w, {}, false).item() == doctest::Approx(2.0 / 700).epsilon(0.05));
    nn::init::kaiming_normal_(w, 0, g);
    CHECK(var(w, {}, false).item() == doctest::Approx(2.0 / 300).epsilon(0.05));
    nn::init::kaiming_uniform_(w, 0, g);
    CHECK(var(w, {}, false).item() == doctest::Approx(2.0 / 300).epsilon(0.05));
    nn::init::xavier_normal_(w, 1.0, g);
    CHECK(var(w, {}, false).item() == doctest::Approx(2.0 / 700).epsilon(0.05));
    Tensor q = Tensor::zeros({6, 4});
    nn::init::orthogonal_(q, 1.0, g);
    CHECK_TENSOR_CLOSE(matmul(q.t(), q), Tensor::from_vector({1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, {4, 4}),
                       1e-5, 0);
    Tensor r = Tensor::zeros({3, 5});
    nn::init::orthogonal_(r, 1.0, g);
    CHECK_TENSOR_CLOSE(matmul(r, r.t()), Tensor::from_vector({1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3}), 1e-5, 0);
    expect_error(
        [&] {
          Tensor b = Tensor::zeros({3});
          nn::init::xavier_uniform_(b);
        },
        {"[init]", "at least 2 dims"});
  }

  TEST_CASE("optimisers read only .grad: a hand-written gradient works") {
    Tensor w = Tensor::full({2}, 1).requires_grad_();
    optim::SGD sgd({w}, 0.5);
    w.set_grad(Tensor::from_vector({2, -2}, {2}));
    sgd.step();
    CHECK(w.to_vector() == std::vector<real>{0, 2});
    sgd.zero_grad();
    CHECK(!w.grad().defined());
    sgd.step();  // no grad: parameters untouched
    CHECK(w.to_vector() == std::vector<real>{0, 2});
    // A gradient set as a view (a transpose, as a hand-written rule might give) is read in its
    // logical order by every optimiser, not in its storage order: the same step as its compact copy.
    Tensor gt = Tensor::from_vector({1, -2, 3, -4, 5, -6}, {3, 2}).t();  // (2, 3): 1 3 5 / -2 -4 -6
    for (int which = 0; which < 3; ++which) {
      INFO("optimiser " << which);
      std::vector<real> after[2];
      for (int compact = 0; compact < 2; ++compact) {
        Tensor m = Tensor::zeros({2, 3}).requires_grad_();
        std::unique_ptr<optim::Optimizer> opt;
        if (which == 0) opt = std::make_unique<optim::SGD>(std::vector<Tensor>{m}, 1.0);
        if (which == 1) opt = std::make_unique<optim::RMSprop>(std::vector<Tensor>{m}, 1.0);
        if (which == 2) opt = std::make_unique<optim::Adam>(std::vector<Tensor>{m}, 1.0);
        m.set_grad(compact ? gt.contiguous() : gt);
        opt->step();
        after[compact] = m.to_vector();
      }
      CHECK(after[0] == after[1]);
    }
    expect_error([] { optim::SGD bad({Tensor::zeros({1})}, 0.1); }, {"[optimizer]", "does not require grad"});
  }

  TEST_CASE("SGD on a large parameter: the same bits at 1 and 2 threads as the update written out") {
    // Above the parallel threshold (32768 elements), each thread updates its block; the
    // update is element by element in double, so the split cannot change a bit.
    Generator g(41);
    const int before = num_threads();
    for (double momentum : {0.0, 0.9})
      for (int threads : {1, 2}) {
        INFO("momentum=" << momentum << " threads=" << threads);
        set_num_threads(threads);
        Tensor w = randn({300, 257}, g).requires_grad_();
        std::vector<real> p = w.to_vector(), buf(p.size(), 0);
        optim::SGD sgd({w}, 0.1, momentum, /*weight_decay=*/0.01);
        for (int step = 0; step < 2; ++step) {
          Tensor grad = randn({300, 257}, g);
          const std::vector<real> gv = grad.to_vector();
          for (size_t k = 0; k < p.size(); ++k) {  // torch.optim.SGD, dampening 0
            double d = gv[k] + 0.01 * p[k];
            if (momentum > 0) buf[k] = (real)(step == 0 ? d : momentum * buf[k] + d), d = buf[k];
            p[k] -= (real)(0.1 * d);
          }
          w.set_grad(grad);
          sgd.step();
          CHECK(w.to_vector() == p);
        }
      }
    set_num_threads(before);
  }

  TEST_CASE("ema_update_: Polyak averaging with a warm-up, checked against the formula") {
    Tensor avg = Tensor::from_vector({0, 10}, {2}), p = Tensor::from_vector({1, 20}, {2});
    // step 0: d = min(0.99, 1/10) = 0.1, so the average moves 90% of the way
    optim::ema_update_({avg}, {p}, 0.99, 0);
    CHECK(avg.to_vector()[0] == doctest::Approx(0.9));
    CHECK(avg.to_vector()[1] == doctest::Approx(19.0));
    // late in training d = decay: a small step toward the parameter
    Tensor late = Tensor::zeros({1});
    optim::ema_update_({late}, {Tensor::full({1}, 1)}, 0.99, 1000000);
    CHECK(late.item() == doctest::Approx(0.01).epsilon(1e-3));
    // decay 0 copies the parameter; a wrong pairing is a clear error
    optim::ema_update_({avg}, {Tensor::full({2}, 3)}, 0, 5);
    CHECK(avg.to_vector() == std::vector<real>{3, 3});
    expect_error([&] { optim::ema_update_({avg}, {Tensor::zeros({3})}, 0.9, 0); },
                 {"[ema_update_]", "shape", "same module"});
    expect_error([&] { optim::ema_update_({avg}, {}, 0.9, 0); }, {"[ema_update_]", "1 averaged tensors for 0"});
  }

  TEST_CASE("optimiser state round-trips for resuming") {
    Tensor p = Tensor::full({3}, 1).requires_grad_(), q = Tensor::full({3}, 1).requires_grad_();
    optim::Adam a({p}, 0.1), b({q}, 0.1);
    for (int i = 0; i < 3; ++i) {
      p.set_grad(Tensor::full({3}, (real)i));
      a.step();
    }
    b.load_state_dict(a.state_dict());
    {
      NoGradGuard ng;
      q.copy_(p);
    }
    p.set_grad(Tensor::full({3}, 1));
    a.step();
    q.set_grad(Tensor::full({3}, 1));
    b.step();
    CHECK(p.to_vector() == q.to_vector());
    CHECK(b.steps() == 4);
  }

  TEST_CASE("clip_grad_norm_ scales all gradients together") {
    Tensor a = Tensor::zeros({2}).requires_grad_(), b = Tensor::zeros({1}).requires_grad_();
    a.set_grad(Tensor::from_vector({3, 0}, {2}));
    b.set_grad(Tensor::from_vector({4}, {1}));
    double norm = optim::clip_grad_norm_({a, b}, 1.0);
    CHECK(norm == doctest::Approx(5));
    CHECK(a.grad().to_vector()[0] == doctest::Approx(0.6).epsilon(1e-4));
    CHECK(b.grad().to_vector()[0] == doctest::Approx(0.8).epsilon(1e-4));
  }

  TEST_CASE("learning-rate schedules: step and cosine with warm-up") {
    Tensor w = Tensor::zeros({1}).requires_grad_();
    optim::SGD opt({w}, 1.0);
    optim::StepLR step(opt, 2, 0.5);
    std::vector<double> lrs;
    for (int i = 0; i < 5; ++i) {
      step.step();
      lrs.push_back(opt.lr);
    }
    CHECK(lrs == std::vector<double>{1, 0.5, 0.5, 0.25, 0.25});
    optim::SGD opt2({w}, 1.0);
    optim::CosineWithWarmup cos(opt2, 2, 10, 0.1);
    CHECK(opt2.lr == doctest::Approx(0.5));  // warm-up step 1 of 2
    CHECK(cos.lr_at(1) == doctest::Approx(1.0));
    CHECK(cos.lr_at(6) == doctest::Approx(0.55));  // halfway down the cosine
    CHECK(cos.lr_at(10) == doctest::Approx(0.1));
    expect_error([&] { optim::CosineWithWarmup bad(opt2, 5, 5); }, {"[CosineWithWarmup]", "warmup < total"});
  }

  TEST_CASE("an MLP learns XOR with Adam (the whole loop)") {
    Generator g(4);
    nn::Sequential mlp;
    mlp.add(std::make_shared<nn::Linear>(2, 8, true, g))
        .add(std::make_shared<nn::Tanh>())
        .add(std::make_shared<nn::Linear>(8, 1, true, g));
    Tensor x = Tensor::from_vector({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
    Tensor y = Tensor::from_vector({0, 1, 1, 0}, {4, 1});
    optim::Adam opt(mlp.parameters(), 0.05);
    double loss = 0;
    for (int step = 0; step < 300; ++step) {
      opt.zero_grad();
      Tensor l = binary_cross_entropy_with_logits(mlp.forward(x), y);
      l.backward();
      opt.step();
      loss = l.item();
    }
    CHECK(loss < 0.05);
    CHECK(gt(mlp.forward(x), Tensor::scalar(0)).to_vector() == std::vector<real>{0, 1, 1, 0});
  }

}  // TEST_SUITE

TEST_SUITE("ch04-modules") {
  TEST_CASE("reproducible: the same seed gives bit-identical training at 1 and at 2 threads") {
    auto train = [](int threads) {
      set_num_threads(threads);
      Generator g(11);
      nn::Sequential m;
      m.add(std::make_shared<nn::Linear>(16, 64, true, g))
          .add(std::make_shared<nn::GELU>())
          .add(std::make_shared<nn::Dropout>(0.1, g))
          .add(std::make_shared<nn::Linear>(64, 8, true, g));
      Tensor x = randn({256, 16}, g), y = randint(8, {256}, g);
      optim::AdamW opt(m.parameters(), 0.01);
      for (int s = 0; s < 5; ++s) {
        opt.zero_grad();
        Tensor l = cross_entropy(m.forward(x), y) + 0.1 * mean(softmax(m.forward(x), 1));
        l.backward();
        opt.step();
      }
      std::vector<real> out;
      for (auto& p : m.parameters())
        for (real v : p.to_vector()) out.push_back(v);
      return out;
    };
    int before = num_threads();
    std::vector<real> a = train(1), b = train(1), c = train(2);
    set_num_threads(before);
    CHECK(a == b);
    CHECK(a == c);  // each output is computed by one thread in a fixed order
  }

}  // TEST_SUITE
