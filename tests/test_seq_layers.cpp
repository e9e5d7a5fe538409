// Chapters 8-10 tests: LSTM, GRU, Conv1d/TCN and multi-head attention against
// PyTorch fixtures (tests/fixtures/gen_seq_fixtures.py), the fused kernels against
// their references at 1 and N threads, and the error messages of bad shapes.
// docs/08-recurrent-networks.md, docs/09-attention-and-seq2seq.md, docs/10-convolutions-and-dilation.md.
#include <algorithm>

#include "tests/helpers.h"

using namespace cadenza;
using namespace testing;

namespace {
std::map<std::string, Tensor> load(const std::string& name) { return io::load_safetensors(fixture(name)).tensors; }
Tensor leaf_of(const Tensor& t) { return t.detach().clone().requires_grad_(); }
const double kAtol = 3e-5, kRtol = 3e-4;

// Loads "<prefix>param.*" into the module, runs it, backpropagates the fixture's
// upstream gradients and compares outputs and every gradient.
void check_rnn(const std::string& prefix, bool lstm, bool batch_first) {
  auto f = load("rnn.safetensors");
  nn::RNNOptions o;
  o.num_layers = 2;
  o.batch_first = batch_first;
  std::unique_ptr<nn::RNNBase> m;
  if (lstm) m = std::make_unique<nn::LSTM>(5, 4, o);
  else m = std::make_unique<nn::GRU>(5, 4, o);
  std::map<std::string, Tensor> sd;
  for (auto& [k, v] : f)
    if (k.rfind(prefix + "param.", 0) == 0) sd[k.substr(prefix.size() + 6)] = v;
  m->load_state_dict(sd);
  Tensor x = leaf_of(f[prefix + "x"]), h0 = leaf_of(f[prefix + "h0"]);
  Tensor c0 = lstm ? leaf_of(f[prefix + "c0"]) : Tensor();
  std::vector<int64_t> lengths;
  if (f.count(prefix + "lengths"))
    for (real v : f[prefix + "lengths"].to_vector()) lengths.push_back((int64_t)v);
  nn::RNNOutput out = m->forward(x, {h0, c0}, lengths);
  CHECK_TENSOR_CLOSE(out.output, f[prefix + "y"], kAtol, kRtol);
  CHECK_TENSOR_CLOSE(out.state.h, f[prefix + "hn"], kAtol, kRtol);
  Tensor loss = sum(out.output * f[prefix + "grad_y"]) + sum(out.state.h * f[prefix + "grad_hn"]);
  if (lstm) {
    CHECK_TENSOR_CLOSE(out.state.c, f[prefix + "cn"], kAtol, kRtol);
    loss = loss + sum(out.state.c * f[prefix + "grad_cn"]);
  }
  loss.backward();
  CHECK_TENSOR_CLOSE(x.grad(), f[prefix + "grad_x"], kAtol, kRtol);
  CHECK_TENSOR_CLOSE(h0.grad(), f[prefix + "grad_h0"], kAtol, kRtol);
  if (lstm) CHECK_TENSOR_CLOSE(c0.grad(), f[prefix + "grad_c0"], kAtol, kRtol);
  for (auto& named : m->named_parameters()) {
    const std::string& name =
        named.first;  // not a structured binding: INFO captures it, and C++17 lambdas cannot capture those
    Tensor& p = named.second;
    INFO(prefix << name);
    CHECK_TENSOR_CLOSE(p.grad(), f[prefix + "grad." + name], kAtol, kRtol);
  }
}
}  // namespace

TEST_SUITE("ch08-rnn") {
  TEST_CASE("golden: LSTM (2 layers, padded batch, initial states) matches torch.nn.LSTM") {
    check_rnn("lstm.", true, false);
  }
  TEST_CASE("golden: LSTM batch_first without lengths matches torch.nn.LSTM") { check_rnn("lstm_bf.", true, true); }
  TEST_CASE("golden: GRU (2 layers, padded batch, initial state) matches torch.nn.GRU") {
    check_rnn("gru.", false, false);
  }
  TEST_CASE("golden: GRU batch_first without lengths matches torch.nn.GRU") { check_rnn("gru_bf.", false, true); }

  TEST_CASE("the fused LSTM layer equals step-by-step lstm_cell, forward and backward, at 1 and N threads") {
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Generator g(11);
      for (auto [T, B, H] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 3, 5}, {4, 63, 7}, {3, 2, 129}}) {
        Tensor xp = randn({T, B, 4 * H}, g).requires_grad_(), w = randn({4 * H, H}, g).requires_grad_();
        Tensor h0 = randn({B, H}, g), c0 = randn({B, H}, g), up = randn({T, B, 2 * H}, g);
        Tensor fused = lstm_layer(xp, w, h0, c0);
        sum(fused * up).backward();
        Tensor gx = xp.grad(), gw = w.grad();
        xp.zero_grad(), w.zero_grad();
        std::vector<Tensor> steps;
        Tensor h = h0, c = c0;
        for (int64_t t = 0; t < T; ++t) {
          Tensor hc = lstm_cell(xp.select(0, t) + matmul(h, w.t()), c);
          h = hc.slice(1, 0, H), c = hc.slice(1, H, 2 * H);
          steps.push_back(hc);
        }
        Tensor ref = stack(steps, 0);
        sum(ref * up).backward();
        CHECK_TENSOR_CLOSE(fused, ref, 1e-5, 1e-4);
        CHECK_TENSOR_CLOSE(gx, xp.grad(), 1e-4, 1e-3);
        CHECK_TENSOR_CLOSE(gw, w.grad(), 1e-4, 1e-3);
      }
    }
    set_num_threads(2);
  }

  TEST_CASE("the fused lstm_cell equals the LSTM cell composed from ops, forward and backward, at 1 and N threads") {
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Generator g(21);
      for (auto [B, I, H] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {3, 5, 7}, {63, 4, 129}}) {
        // Copies: a lambda (inside INFO) may not capture a structured binding in C++17.
        const int64_t b_ = B, i_ = I, h_ = H;
        INFO("B=" << b_ << " I=" << i_ << " H=" << h_ << ", " << threads << " thread(s)");
        Tensor x = randn({B, I}, g).requires_grad_(), h = randn({B, H}, g).requires_grad_();
        Tensor c = randn({B, H}, g).requires_grad_(), w_ih = randn({4 * H, I}, g).requires_grad_();
        Tensor w_hh = randn({4 * H, H}, g).requires_grad_(), b_ih = randn({4 * H}, g).requires_grad_();
        Tensor b_hh = randn({4 * H}, g).requires_grad_(), up_h = randn({B, H}, g), up_c = randn({B, H}, g);
        std::vector<Tensor> leaves = {x, h, c, w_ih, w_hh, b_ih, b_hh};
        nn::LSTMCellState ref = nn::lstm_cell_composed(x, h, c, w_ih, w_hh, b_ih, b_hh);
        sum(ref.h * up_h + ref.c * up_c).backward();
        std::vector<Tensor> want;
        for (Tensor& t : leaves) want.push_back(t.grad()), t.zero_grad();
        Tensor hc = lstm_cell(matmul(x, w_ih.t()) + matmul(h, w_hh.t()) + b_ih + b_hh, c);
        Tensor fh = hc.slice(1, 0, H), fc = hc.slice(1, H, 2 * H);
        sum(fh * up_h + fc * up_c).backward();
        CHECK_TENSOR_CLOSE(fh, ref.h, 1e-5, 1e-4);
        CHECK_TENSOR_CLOSE(fc, ref.c, 1e-5, 1e-4);
        for (size_t k = 0; k < leaves.size(); ++k) {
          INFO("gradient of input " << k);
          CHECK_TENSOR_CLOSE(leaves[k].grad(), want[k], 1e-4, 1e-3);
        }
      }
    }
    set_num_threads(2);
  }

  TEST_CASE("the fused cells are checked: a deliberately wrong reference is caught") {
    // A cell whose forget gate is ignored differs from lstm_cell: the comparison above can fail.
    Tensor a = Tensor::from_vector({0.1, 2.0, -0.3, 0.5}, {1, 4}), c = Tensor::from_vector({1.5}, {1, 1});
    Tensor hc = lstm_cell(a, c);
    real i = 1 / (1 + std::exp(-0.1)), g = std::tanh(-0.3), o = 1 / (1 + std::exp(-0.5));
    real wrong_c = c.item() + i * g;  // f = 1
    CHECK(std::fabs(hc.at({0, 1}) - wrong_c) > 1e-3);
    CHECK(std::fabs(hc.at({0, 0}) - o * std::tanh(hc.at({0, 1}))) < 1e-6);
  }

  TEST_CASE("nade_logits equals the composed reference, forward and backward, at 1 and N threads") {
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Generator g(21);
      for (auto [N, K, Hn] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 5, 3}, {63, 88, 17}, {129, 9, 33}}) {
        Tensor b = randn({N, K}, g).requires_grad_(), c = randn({N, Hn}, g).requires_grad_();
        Tensor W = randn({Hn, K}, g).requires_grad_(), V = randn({K, Hn}, g).requires_grad_();
        Tensor v = bernoulli(Tensor::full({N, K}, 0.3), g), up = randn({N, K}, g);
        Tensor fused = nade_logits(b, c, W, V, v);
        sum(fused * up).backward();
        std::vector<Tensor> fg = {b.grad(), c.grad(), W.grad(), V.grad()};
        for (Tensor* t : {&b, &c, &W, &V}) t->zero_grad();
        Tensor ref = models::nade_logits_composed(b, c, W, V, v);
        sum(ref * up).backward();
        CHECK_TENSOR_CLOSE(fused, ref, 1e-4, 1e-4);
        std::vector<Tensor> rg = {b.grad(), c.grad(), W.grad(), V.grad()};
        for (size_t i = 0; i < 4; ++i) CHECK_TENSOR_CLOSE(fg[i], rg[i], 1e-3, 1e-3);
      }
    }
    set_num_threads(2);
  }

  TEST_CASE("RNN errors name the layer, the shapes and a hint") {
    nn::LSTM lstm(5, 4);
    expect_error([&] { lstm.forward(Tensor::zeros({6, 3, 7})); }, {"[LSTM]", "(6, 3, 7)", "time, batch, 5"});
    expect_error([&] { lstm.forward(Tensor::zeros({6, 3, 5}), {}, {6, 7, 1}); }, {"[RNN]", "lengths[1] = 7", "1..6"});
    expect_error([&] { lstm.forward(Tensor::zeros({6, 3, 5}), {}, {6, 1}); }, {"2 lengths", "batch of 3"});
    expect_error(
        [&] {
          lstm.forward(Tensor::zeros({6, 3, 5}), {Tensor::zeros({1, 2, 4}), Tensor()});
        },
        {"initial h", "(1, 2, 4)", "expected (1, 3, 4)"});
    nn::GRU gru(5, 4, {2});
    expect_error(
        [&] {
          gru.forward(Tensor::zeros({6, 3, 5}), {Tensor::zeros({1, 3, 4}), Tensor()});
        },
        {"[GRU]", "expected (2, 3, 4)"});
    expect_error([] { lstm_cell(Tensor::zeros({2, 7}), Tensor::zeros({2, 1})); }, {"[lstm_cell]", "4*hidden"});
  }

  TEST_CASE("dropout between layers acts only while training, and is reproducible from the seed") {
    auto run = [](bool train) {
      Generator g(3);
      nn::RNNOptions o;
      o.num_layers = 2, o.dropout = 0.5;
      nn::LSTM m(3, 8, o, g);
      m.train(train);
      return m.forward(Tensor::ones({4, 2, 3})).output;
    };
    CHECK(allclose(run(true), run(true)));
    CHECK_FALSE(allclose(run(true), run(false)));
  }

}  // TEST_SUITE

TEST_SUITE("ch10-conv") {
  TEST_CASE("golden: conv1d (stride 2, padding 2, dilation 2) matches F.conv1d") {
    auto f = load("conv.safetensors");
    Tensor x = leaf_of(f["x"]), w = leaf_of(f["w"]), b = leaf_of(f["b"]);
    Conv1dArgs a;
    a.stride = 2, a.pad_left = a.pad_right = 2, a.dilation = 2;
    Tensor y = conv1d(x, w, b, a);
    CHECK_TENSOR_CLOSE(y, f["y"], kAtol, kRtol);
    y.backward(f["grad_y"]);
    CHECK_TENSOR_CLOSE(x.grad(), f["grad_x"], kAtol, kRtol);
    CHECK_TENSOR_CLOSE(w.grad(), f["grad_w"], kAtol, kRtol);
    CHECK_TENSOR_CLOSE(b.grad(), f["grad_b"], kAtol, kRtol);
  }

  TEST_CASE("golden: TemporalBlock (weight norm, causal, dilation 2) matches locuslab/TCN's block in PyTorch") {
    auto f = load("conv.safetensors");
    nn::TemporalBlock blk(3, 5, 3, 2, 0.0);
    std::map<std::string, Tensor> sd;
    for (auto& [k, v] : f)
      if (k.rfind("block.", 0) == 0 && k.find("grad") == std::string::npos && k != "block.x" && k != "block.y")
        sd[k.substr(6)] = v;
    blk.load_state_dict(sd);
    Tensor x = leaf_of(f["block.x"]);
    Tensor y = blk.forward(x);
    CHECK_TENSOR_CLOSE(y, f["block.y"], kAtol, kRtol);
    y.backward(f["block.grad_y"]);
    CHECK_TENSOR_CLOSE(x.grad(), f["block.grad_x"], kAtol, kRtol);
    for (auto& named : blk.named_parameters()) {
      const std::string& name =
          named.first;  // not a structured binding: INFO captures it, and C++17 lambdas cannot capture those
      Tensor& p = named.second;
      INFO(name);
      CHECK_TENSOR_CLOSE(p.grad(), f["grad.block." + name], kAtol, kRtol);
    }
  }

  TEST_CASE("conv1d equals the seven-loop reference on awkward shapes, at 1 and N threads") {
    Generator g(5);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      for (auto [B, Cin, L, Cout, K, s, pl, pr, d] :
           {std::array<int64_t, 9>{1, 1, 1, 1, 1, 1, 0, 0, 1},
            {2, 7, 63, 5, 3, 1, 4, 0, 2},
            {3, 3, 129, 7, 5, 3, 2, 2, 1},
            {1, 64, 7, 129, 2, 1, 1, 0, 1},
            {2, 4, 20, 3, 3, 2, 0, 0, 4},
            {2, 3, 4, 2, 3, 1, 6, 2, 3},
            {2, 2, 2, 3, 2, 1, 3, 0, 1}}) {  // the last: outputs 0 and 1 see only padding (no tap writes them)
        Tensor x = randn({B, Cin, L}, g), w = randn({Cout, Cin, K}, g), b = randn({Cout}, g);
        Conv1dArgs a;
        a.stride = s, a.pad_left = pl, a.pad_right = pr, a.dilation = d;
        CHECK_TENSOR_CLOSE(conv1d(x, w, b, a), conv1d_ref(x, w, b, a), 1e-4, 1e-4);
        CHECK_TENSOR_CLOSE(conv1d(x, w, Tensor(), a), conv1d_ref(x, w, Tensor(), a), 1e-4, 1e-4);
      }
    }
    set_num_threads(2);
    // The comparison can fail: a reference with the wrong dilation differs.
    Tensor x = randn({1, 2, 10}, g), w = randn({2, 2, 3}, g);
    Conv1dArgs a2, a1;
    a2.dilation = 2;
    CHECK_FALSE(
        allclose(conv1d(x, w, Tensor(), a2).slice(2, 0, 4), conv1d_ref(x, w, Tensor(), a1).slice(2, 0, 4), 1e-3, 1e-3));
  }

  TEST_CASE("causal convolution: output t never depends on inputs after t") {
    Generator g(9);
    nn::Conv1dOptions o;
    o.causal = true, o.dilation = 3;
    nn::Conv1d c(2, 2, 3, o, g);
    Tensor x = randn({1, 2, 12}, g), y = c.forward(x);
    CHECK(y.size(2) == 12);
    Tensor x2 = x.clone();
    for (int64_t t = 8; t < 12; ++t) x2.data()[t] = x2.data()[12 + t] = 100;  // change the future
    Tensor y2 = c.forward(x2);
    CHECK(allclose(y.slice(2, 0, 8), y2.slice(2, 0, 8)));
    CHECK_FALSE(allclose(y.slice(2, 8, 12), y2.slice(2, 8, 12)));
  }

  TEST_CASE("TCN receptive field and shapes") {
    nn::TCN tcn(88, {150, 150}, 3, 0.5);
    CHECK(tcn.receptive_field() == 13);  // published-results.md: TCN JSB (k3, n2) sees 13 steps
    nn::TCN big(88, {150, 150, 150, 150}, 6, 0.2);
    CHECK(big.receptive_field() == 151);
    tcn.eval();
    CHECK(tcn.forward(Tensor::zeros({2, 88, 20})).shape() == Shape{2, 150, 20});
  }

  TEST_CASE("pooling: values, and errors that name the problem") {
    Tensor x = Tensor::from_vector({1, 5, 2, 4, 3, 0}, {1, 1, 6});
    CHECK(max_pool1d(x, 2).to_vector() == std::vector<real>{5, 4, 3});
    CHECK(avg_pool1d(x, 3).to_vector() == std::vector<real>{(real)(8.0 / 3), (real)(7.0 / 3)});
    expect_error([&] { max_pool1d(x, 7); }, {"[max_pool1d]", "shorter than the kernel"});
    expect_error([&] { conv1d(x, Tensor::zeros({1, 2, 3}), Tensor()); }, {"[conv1d]", "in_channels"});
    expect_error(
        [&] {
          conv1d(x, Tensor::zeros({1, 1, 9}), Tensor());
        },
        {"[conv1d]", "shorter than the kernel's span"});
    nn::Conv1d c(3, 4, 2);
    expect_error([&] { c.forward(Tensor::zeros({2, 10, 3})); }, {"[Conv1d]", "(2, 10, 3)", "transpose(1, 2)"});
  }

}  // TEST_SUITE

TEST_SUITE("ch09-attention") {
  TEST_CASE("golden: MultiheadAttention with a causal mask matches torch.nn.MultiheadAttention") {
    auto f = load("attention.safetensors");
    nn::MultiheadAttention mha(8, 2);
    std::map<std::string, Tensor> sd;
    for (auto& [k, v] : f)
      if (k.rfind("param.", 0) == 0) sd[k.substr(6)] = v;
    mha.load_state_dict(sd);
    Tensor x = leaf_of(f["x"]);
    nn::Attended a = mha.forward(x, x, x, nn::causal_mask(5));
    CHECK_TENSOR_CLOSE(a.output, f["y"], kAtol, kRtol);
    CHECK_TENSOR_CLOSE(a.weights, f["weights"], kAtol, kRtol);
    a.output.backward(f["grad_y"]);
    CHECK_TENSOR_CLOSE(x.grad(), f["grad_x"], kAtol, kRtol);
    for (auto& named : mha.named_parameters()) {
      const std::string& name =
          named.first;  // not a structured binding: INFO captures it, and C++17 lambdas cannot capture those
      Tensor& p = named.second;
      INFO(name);
      CHECK_TENSOR_CLOSE(p.grad(), f["grad." + name], kAtol, kRtol);
    }
  }

  TEST_CASE("attention weights: rows sum to 1, masked keys get exactly 0") {
    Generator g(2);
    nn::BahdanauAttention bah(4, 3, 5, g);
    Tensor mask = Tensor::from_vector({1, 1, 0, 1, 0, 0}, {2, 3});
    nn::Attended a = bah.forward(randn({2, 4}, g), randn({2, 3, 3}, g), mask);
    CHECK_TENSOR_CLOSE(sum(a.weights, {1}), Tensor::ones({2}), 1e-6, 1e-6);
    CHECK(a.weights.at({0, 2}) == 0);
    CHECK(a.weights.at({1, 1}) == 0);
    CHECK(a.weights.at({1, 0}) == doctest::Approx(1));
    nn::LuongAttention dot(nn::LuongAttention::Score::Dot, 3);
    Tensor keys = Tensor::from_vector({1, 0, 0, 0, 1, 0}, {1, 2, 3});
    nn::Attended d = dot.forward(Tensor::from_vector({10, 0, 0}, {1, 3}), keys);
    CHECK(d.weights.at({0, 0}) > 0.999);
    Tensor pe = nn::positional_encoding(4, 6);
    CHECK(pe.at({0, 1}) == doctest::Approx(1));  // cos 0
    CHECK(pe.at({1, 0}) == doctest::Approx(std::sin(1.0)));
    expect_error(
        [&] {
          dot.forward(Tensor::zeros({2, 4}), Tensor::zeros({2, 3, 3}));
        },
        {"[LuongAttention]", "4 != key size 3"});
  }

}  // TEST_SUITE

TEST_SUITE("ch09-attention") {
  TEST_CASE("sampling: greedy, temperature, top-k and top-p shape the distribution as documented") {
    std::vector<real> logits = {2.0, 1.0, 0.5, -1.0};
    models::SamplingOptions o;
    o.temperature = 0;
    CHECK(models::sampling_distribution(logits, o) == std::vector<double>{1, 0, 0, 0});
    o.temperature = 1;
    auto p = models::sampling_distribution(logits, o);
    double z = std::exp(2.0) + std::exp(1.0) + std::exp(0.5) + std::exp(-1.0);
    CHECK(p[1] == doctest::Approx(std::exp(1.0) / z));
    o.top_k = 2;
    p = models::sampling_distribution(logits, o);
    CHECK(p[2] == 0);
    CHECK(p[3] == 0);
    CHECK(p[0] == doctest::Approx(std::exp(1.0) / (std::exp(1.0) + 1)));
    o.top_k = 0, o.top_p = 0.5;  // the top token alone holds 0.61 of the mass
    p = models::sampling_distribution(logits, o);
    CHECK(p[0] == 1);
    o.top_p = 1, o.temperature = 100;  // nearly uniform
    p = models::sampling_distribution(logits, o);
    CHECK(p[3] > 0.24);
    Generator g(1);
    o.temperature = 1, o.top_k = 1;
    for (int i = 0; i < 20; ++i) CHECK(models::sample_token(logits, o, g) == 0);
    o.top_k = -1;
    expect_error([&] { models::sampling_distribution(logits, o); }, {"[sample_token]", "top_k >= 0"});
  }

  namespace {
  // Two steps over tokens {0, 1}: greedy picks 0 first (0.6) but then faces 0.5/0.5;
  // token 1 first (0.4) is followed by a sure 1.0, so the best sequence is (1, 1) with 0.4.
  class ToyModel : public models::BeamModel {
   public:
    Tensor log_probs(const std::vector<int64_t>& last) override {
      std::vector<real> lp;
      for (int64_t tok : last) {
        std::vector<double> p = tok == 9   ? std::vector<double>{0.6, 0.4}
                                : tok == 0 ? std::vector<double>{0.5, 0.5}
                                           : std::vector<double>{0.0001, 0.9999};
        for (double x : p) lp.push_back((real)std::log(x));
      }
      return Tensor::from_vector(lp, {(int64_t)last.size(), 2});
    }
    void reorder(const std::vector<int64_t>&) override {}
  };
  }  // namespace

  TEST_CASE("beam search finds the sequence greedy decoding misses") {
    ToyModel m;
    auto greedy = models::beam_search(m, 9, -1, 2, 1);
    CHECK(greedy[0].tokens[0] == 0);
    auto best = models::beam_search(m, 9, -1, 2, 2);
    CHECK(best[0].tokens == std::vector<int64_t>{1, 1});
    CHECK(best[0].log_prob == doctest::Approx(std::log(0.4 * 0.9999)).epsilon(1e-4));
    CHECK(best[0].log_prob >= best[1].log_prob);
  }

  TEST_CASE("Seq2Seq with attention learns to reverse sequences; greedy, beam and primers decode them") {
    set_num_threads(1);
    Generator g(0);
    models::Seq2SeqConfig c;
    c.src_vocab = 8, c.tgt_vocab = 9, c.embed = 16, c.hidden = 32, c.dropout = 0;  // token 8: start
    models::Seq2Seq m(c, g);
    optim::Adam opt(m.parameters(), 1e-2);
    const int64_t B = 16, S = 5;
    auto batch = [&](Tensor& src, Tensor& tin, Tensor& tout) {
      std::vector<real> s, ti, to;
      for (int64_t b = 0; b < B; ++b) {
        std::vector<real> seq;
        for (int64_t t = 0; t < S; ++t) seq.push_back((real)(g.next_u64() % 8));
        s.insert(s.end(), seq.begin(), seq.end());
        ti.push_back(8);
        for (int64_t t = 0; t < S; ++t) to.push_back(seq[S - 1 - t]);
        for (int64_t t = 0; t + 1 < S; ++t) ti.push_back(seq[S - 1 - t]);
      }
      src = Tensor::from_vector(s, {B, S}), tin = Tensor::from_vector(ti, {B, S}),
      tout = Tensor::from_vector(to, {B * S});
    };
    for (int it = 0; it < 250; ++it) {
      Tensor src, tin, tout;
      batch(src, tin, tout);
      models::Seq2Seq::Output o = m.forward(src, {}, tin);
      Tensor loss = cross_entropy(o.logits.reshape({B * S, 9}), tout);
      loss.backward();
      opt.step();
      opt.zero_grad();
    }
    Tensor src = Tensor::from_vector({3, 1, 4, 1, 5}, {1, 5});
    models::SamplingOptions greedy;
    greedy.temperature = 0;
    models::Seq2Seq::Decoded d = m.sample(src, 8, 5, greedy, {}, g);
    CHECK(d.tokens == std::vector<int64_t>{5, 1, 4, 1, 3});
    CHECK(d.attention.shape() == Shape{5, 5});
    CHECK(argmax(d.attention.select(0, 0), 0).item() == 4);  // the first output looks at the last input
    CHECK(m.beam(src, 8, 5, 3, {}).tokens == std::vector<int64_t>{5, 1, 4, 1, 3});
    CHECK(m.beam(src, 8, 5, 3, {7}).tokens[0] == 7);  // the primer is forced
    CHECK(m.sample(src, 8, 5, greedy, {7, 7}, g).tokens[1] == 7);
    set_num_threads(2);
  }

  TEST_CASE("Seq2Seq, aligned and bidirectional: two tokens per source step, one needing the step after") {
    // Target for source step t: slot 0 copies src[t], slot 1 is src[t + 1] (the last step repeats
    // itself). Slot 1 needs the backward encoder: a forward-only key at t has not seen t + 1.
    set_num_threads(1);
    Generator g(1);
    models::Seq2SeqConfig c;
    c.src_vocab = 8, c.tgt_vocab = 9, c.embed = 16, c.hidden = 32, c.dropout = 0;  // token 8: start
    c.bidirectional = true, c.aligned = 2;
    models::Seq2Seq m(c, g);
    optim::Adam opt(m.parameters(), 1e-2);
    const int64_t B = 16, S = 6, L = 2 * S;
    auto target = [&](const std::vector<real>& seq) {
      std::vector<real> t;
      for (int64_t i = 0; i < S; ++i) t.push_back(seq[(size_t)i]), t.push_back(seq[(size_t)std::min(S - 1, i + 1)]);
      return t;
    };
    for (int it = 0; it < 600; ++it) {
      std::vector<real> s, ti, to;
      for (int64_t b = 0; b < B; ++b) {
        std::vector<real> seq;
        for (int64_t t = 0; t < S; ++t) seq.push_back((real)(g.next_u64() % 8));
        std::vector<real> y = target(seq);
        s.insert(s.end(), seq.begin(), seq.end());
        ti.push_back(8);
        ti.insert(ti.end(), y.begin(), y.end() - 1);
        to.insert(to.end(), y.begin(), y.end());
      }
      models::Seq2Seq::Output o = m.forward(Tensor::from_vector(s, {B, S}), {}, Tensor::from_vector(ti, {B, L}));
      Tensor loss = cross_entropy(o.logits.reshape({B * L, 9}), Tensor::from_vector(to, {B * L}));
      loss.backward();
      opt.step();
      opt.zero_grad();
    }
    std::vector<real> seq = {3, 1, 4, 1, 5, 2};
    std::vector<real> want = target(seq);
    std::vector<int64_t> expect(want.begin(), want.end());
    models::SamplingOptions greedy;
    greedy.temperature = 0;
    Tensor src = Tensor::from_vector(seq, {1, S});
    CHECK(m.sample(src, 8, L, greedy, {}, g).tokens == expect);
    CHECK(m.beam(src, 8, L, 3, {}).tokens == expect);
    // The aligned step gets most of the attention (the location prior, then what training made of it).
    Tensor att = m.beam(src, 8, L, 3, {}).attention;
    double aligned = 0;
    for (int64_t t = 0; t < L; ++t) aligned += att.at({t, t / 2});
    CHECK(aligned / (double)L > 0.5);
    // A rule in the beam: forbid the right first token; each hypothesis's prefix reaches the rule.
    std::vector<int64_t> seen;
    models::Seq2Seq::TokenRule rule = [&](const std::vector<int64_t>& prefix, real* lp, int64_t vocab) {
      CHECK(vocab == 9);
      if (prefix.empty()) lp[3] = -1e9;
      if (prefix.size() == 1) seen.push_back(prefix[0]);
    };
    std::vector<int64_t> ruled = m.beam(src, 8, L, 3, {}, rule).tokens;
    CHECK(ruled[0] != 3);
    REQUIRE(!seen.empty());
    CHECK(std::find(seen.begin(), seen.end(), ruled[0]) != seen.end());
    CHECK(std::find(seen.begin(), seen.end(), 3) == seen.end());
    CHECK_THROWS_WITH_AS(m.encode(src, {6}), doctest::Contains("unpadded"), std::exception);
    c.aligned = -1;
    CHECK_THROWS_WITH_AS(models::Seq2Seq(c, g), doctest::Contains("aligned"), std::exception);
    set_num_threads(2);
  }

}  // TEST_SUITE
