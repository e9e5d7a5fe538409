// Chapter 10 tests: the transposed 1-d convolution and the 2-d convolutions (direct, and composed
// from conv1d and view ops) against each other and their loop references at 1 and N threads, against PyTorch
// fixtures (tests/fixtures/gen_gan_fixtures.py), and the layers' shapes and error messages.
// docs/10-convolutions-and-dilation.md.
#include <algorithm>
#include <array>
#include <cmath>

#include "tests/helpers.h"

using namespace cadenza;
using namespace testing;

namespace {
std::map<std::string, Tensor> load(const std::string& name) { return io::load_safetensors(fixture(name)).tensors; }
Tensor leaf_of(const Tensor& t) { return t.detach().clone().requires_grad_(); }
const double kAtol = 3e-5, kRtol = 3e-4;
}  // namespace

TEST_SUITE("ch10-conv") {
  TEST_CASE("golden: conv_transpose1d (stride, padding, output padding, dilation) matches F.conv_transpose1d") {
    auto f = load("conv_transpose.safetensors");
    for (const char* name : {"plain", "stride2", "outpad", "dilated"}) {
      const std::string p = std::string(name) + ".";
      INFO(name);
      Tensor x = leaf_of(f[p + "x"]), w = leaf_of(f[p + "weight"]);
      Tensor b = f.count(p + "bias") ? leaf_of(f[p + "bias"]) : Tensor();
      const Tensor& args = f[p + "args"];
      ConvTranspose1dArgs a;
      a.stride = (int64_t)args.at({0}), a.padding = (int64_t)args.at({1});
      a.output_padding = (int64_t)args.at({2}), a.dilation = (int64_t)args.at({3});
      Tensor y = conv_transpose1d(x, w, b, a);
      CHECK_TENSOR_CLOSE(y, f[p + "y"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(conv_transpose1d_ref(x, w, b, a), f[p + "y"], kAtol, kRtol);
      y.backward(f[p + "grad_out"]);
      CHECK_TENSOR_CLOSE(x.grad(), f[p + "grad_x"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(w.grad(), f[p + "grad_weight"], kAtol, kRtol);
      if (b.defined()) CHECK_TENSOR_CLOSE(b.grad(), f[p + "grad_bias"], kAtol, kRtol);
    }
  }

  TEST_CASE("conv_transpose1d equals its scatter reference on awkward shapes, at 1 and N threads") {
    Generator g(6);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      for (auto [B, Cin, L, Cout, K, s, p, op, d] :
           {std::array<int64_t, 9>{1, 1, 1, 1, 1, 1, 0, 0, 1},
            {2, 7, 33, 5, 4, 2, 1, 0, 1},
            {3, 3, 17, 9, 5, 3, 2, 2, 1},
            {1, 64, 7, 129, 2, 4, 0, 3, 1},
            {2, 4, 9, 3, 3, 1, 4, 1, 2},  // padding beyond dilation*(K-1): cropped
            {2, 3, 5, 2, 3, 2, 0, 1, 3}}) {
        Tensor x = randn({B, Cin, L}, g), w = randn({Cin, Cout, K}, g), b = randn({Cout}, g);
        ConvTranspose1dArgs a;
        a.stride = s, a.padding = p, a.output_padding = op, a.dilation = d;
        CHECK_TENSOR_CLOSE(conv_transpose1d(x, w, b, a), conv_transpose1d_ref(x, w, b, a), 1e-4, 1e-4);
        CHECK_TENSOR_CLOSE(conv_transpose1d(x, w, Tensor(), a), conv_transpose1d_ref(x, w, Tensor(), a), 1e-4, 1e-4);
      }
    }
    set_num_threads(2);
    // It is the adjoint of conv1d: <conv1d(y, W), x> = <y, conv_transpose1d(x, W)> for every x, y.
    Tensor x = randn({2, 4, 6}, g), y = randn({2, 3, 12}, g), w = randn({4, 3, 3}, g);
    ConvTranspose1dArgs t;
    t.stride = 2, t.padding = 1, t.output_padding = 1;
    Conv1dArgs c;
    c.stride = 2, c.pad_left = c.pad_right = 1;
    CHECK(conv_transpose1d(x, w, Tensor(), t).shape() == y.shape());
    CHECK(sum(conv1d(y, w, Tensor(), c) * x).item() ==
          doctest::Approx(sum(y * conv_transpose1d(x, w, Tensor(), t)).item()).epsilon(1e-4));
    // The comparison can fail: a reference with another stride differs.
    ConvTranspose1dArgs s1 = t;
    s1.stride = 1, s1.output_padding = 0;
    CHECK_FALSE(allclose(conv_transpose1d(x, w, Tensor(), t).slice(2, 0, 6), conv_transpose1d_ref(x, w, Tensor(), s1),
                         1e-3, 1e-3));
  }

  TEST_CASE("ConvTranspose1d: PyTorch's layout, init bound and output length; errors name the problem") {
    Generator g(7);
    ConvTranspose1dArgs a;
    a.stride = 2, a.padding = 1, a.output_padding = 1;
    nn::ConvTranspose1d up(4, 3, 4, a, true, g);
    CHECK(up.weight.shape() == Shape{4, 3, 4});
    CHECK(up.bias.shape() == Shape{3});
    CHECK(max(abs(up.weight)).item() <= 1 / std::sqrt(12.0));
    CHECK(up.forward(randn({2, 4, 8}, g)).shape() == Shape{2, 3, 17});  // (8-1)*2 - 2 + 3 + 1 + 1
    expect_error(
        [&] {
          up.forward(Tensor::zeros({2, 3, 8}));
        },
        {"[ConvTranspose1d]", "(2, 3, 8)", "(batch, 4, length)"});
    ConvTranspose1dArgs bad = a;
    bad.output_padding = 2;
    expect_error([&] { nn::ConvTranspose1d(4, 3, 4, bad); }, {"[ConvTranspose1d]", "output_padding"});
    expect_error(
        [&] {
          conv_transpose1d(Tensor::zeros({1, 4, 5}), Tensor::zeros({4, 3, 3}), Tensor(), bad);
        },
        {"[conv_transpose1d]", "output_padding 2 must be smaller than stride (2)"});
    expect_error(
        [&] {
          conv_transpose1d(Tensor::zeros({1, 4, 5}), Tensor::zeros({3, 4, 3}), Tensor());
        },
        {"[conv_transpose1d]", "(in_channels, out_channels, kernel_size)"});
    ConvTranspose1dArgs deep;
    deep.padding = 3;
    expect_error(
        [&] {
          conv_transpose1d(Tensor::zeros({1, 4, 1}), Tensor::zeros({4, 3, 3}), Tensor(), deep);
        },
        {"[conv_transpose1d]", "output of length -3"});
  }

  TEST_CASE("golden: conv2d and conv_transpose2d match F.conv2d and F.conv_transpose2d") {
    auto f = load("conv2d.safetensors");
    for (const char* name : {"conv", "conv_square", "tconv", "tconv_dilated"}) {
      const std::string p = std::string(name) + ".";
      INFO(name);
      Tensor x = leaf_of(f[p + "x"]), w = leaf_of(f[p + "weight"]);
      Tensor b = f.count(p + "bias") ? leaf_of(f[p + "bias"]) : Tensor();
      auto arg = [&](int i) { return (int64_t)f[p + "args"].at({i}); };
      Tensor y, ref;
      if (p[0] == 'c') {
        Conv2dArgs a;
        a.stride = {arg(0), arg(1)}, a.padding = {arg(2), arg(3)}, a.dilation = {arg(6), arg(7)};
        y = conv2d(x, w, b, a), ref = conv2d_ref(x, w, b, a);
      } else {
        ConvTranspose2dArgs a;
        a.stride = {arg(0), arg(1)}, a.padding = {arg(2), arg(3)}, a.output_padding = {arg(4), arg(5)};
        a.dilation = {arg(6), arg(7)};
        y = conv_transpose2d(x, w, b, a), ref = conv_transpose2d_ref(x, w, b, a);
      }
      CHECK_TENSOR_CLOSE(y, f[p + "y"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(ref, f[p + "y"], kAtol, kRtol);
      y.backward(f[p + "grad_out"]);
      CHECK_TENSOR_CLOSE(x.grad(), f[p + "grad_x"], kAtol, kRtol);
      CHECK_TENSOR_CLOSE(w.grad(), f[p + "grad_weight"], kAtol, kRtol);
      if (b.defined()) CHECK_TENSOR_CLOSE(b.grad(), f[p + "grad_bias"], kAtol, kRtol);
    }
  }

  TEST_CASE("conv2d and conv_transpose2d equal their loop references on awkward shapes, at 1 and N threads") {
    Generator g(8);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      for (auto [B, Cin, H, W, Cout, KH, KW, sh, sw, ph, pw, dh, dw] :
           {std::array<int64_t, 13>{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},
            {2, 3, 9, 17, 5, 3, 4, 2, 3, 1, 2, 1, 1},
            {1, 5, 6, 5, 3, 2, 2, 1, 1, 0, 3, 2, 2},
            {3, 2, 16, 4, 7, 4, 1, 4, 1, 2, 0, 1, 1}}) {
        Tensor x = randn({B, Cin, H, W}, g), b = randn({Cout}, g);
        Conv2dArgs c;
        c.stride = {sh, sw}, c.padding = {ph, pw}, c.dilation = {dh, dw};
        Tensor w = randn({Cout, Cin, KH, KW}, g);
        CHECK_TENSOR_CLOSE(conv2d(x, w, b, c), conv2d_ref(x, w, b, c), 1e-4, 1e-4);
        ConvTranspose2dArgs t;
        t.stride = {sh, sw}, t.padding = {ph, pw}, t.dilation = {dh, dw};
        t.output_padding = {std::max(sh, dh) - 1, 0};
        Tensor wt = randn({Cin, Cout, KH, KW}, g);
        CHECK_TENSOR_CLOSE(conv_transpose2d(x, wt, b, t), conv_transpose2d_ref(x, wt, b, t), 1e-4, 1e-4);
        CHECK_TENSOR_CLOSE(conv_transpose2d(x, wt, Tensor(), t), conv_transpose2d_ref(x, wt, Tensor(), t), 1e-4, 1e-4);
      }
    }
    set_num_threads(2);
    // The comparison can fail: a reference with the kernel's axes swapped differs.
    Tensor x = randn({1, 2, 6, 6}, g), w = randn({3, 2, 3, 3}, g);
    CHECK_FALSE(allclose(conv2d(x, w, Tensor()), conv2d_ref(x, w.transpose(2, 3).contiguous(), Tensor()), 1e-3, 1e-3));
  }

  TEST_CASE(
      "the direct conv2d and conv_transpose2d equal the composed ones, values and gradients, at 1 and N threads") {
    Generator g(10);
    // y and every gradient of sum(y * r), for one op on leaves x, w, b
    auto run = [](auto op, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& r) {
      Tensor lx = leaf_of(x), lw = leaf_of(w), lb = leaf_of(b);
      Tensor y = op(lx, lw, lb);
      sum(y * r).backward();
      return std::vector<Tensor>{y.detach(), lx.grad(), lw.grad(), lb.grad()};
    };
    std::vector<std::vector<Tensor>> at_one;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Generator gs(11);  // the same shapes and values at each thread count
      size_t k = 0;
      for (auto [B, Cin, H, W, Cout, KH, KW, sh, sw, ph, pw, dh, dw] :
           {std::array<int64_t, 13>{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},
            {2, 3, 9, 17, 5, 3, 4, 2, 3, 1, 2, 1, 1},
            {1, 5, 6, 5, 3, 2, 2, 1, 1, 0, 3, 2, 2},
            {3, 2, 16, 4, 7, 4, 1, 4, 1, 2, 0, 1, 1},
            {4, 2, 16, 12, 6, 4, 4, 2, 2, 1, 1, 1, 1}}) {  // the critic's and generator's kernel 4, stride 2
        Conv2dArgs c;
        c.stride = {sh, sw}, c.padding = {ph, pw}, c.dilation = {dh, dw};
        ConvTranspose2dArgs t;
        t.stride = {sh, sw}, t.padding = {ph, pw}, t.dilation = {dh, dw};
        t.output_padding = {std::max(sh, dh) - 1, 0};
        Tensor x = randn({B, Cin, H, W}, gs), w = randn({Cout, Cin, KH, KW}, gs), b = randn({Cout}, gs);
        Tensor wt = randn({Cin, Cout, KH, KW}, gs);
        Tensor y = conv2d(x, w, b, c), yt = conv_transpose2d(x, wt, b, t);
        Tensor r = randn(y.shape(), gs), rt = randn(yt.shape(), gs);
        auto direct = [c](const Tensor& a, const Tensor& w, const Tensor& b) { return conv2d(a, w, b, c); };
        auto composed = [c](const Tensor& a, const Tensor& w, const Tensor& b) { return conv2d_composed(a, w, b, c); };
        auto direct_t = [t](const Tensor& a, const Tensor& w, const Tensor& b) { return conv_transpose2d(a, w, b, t); };
        auto composed_t = [t](const Tensor& a, const Tensor& w, const Tensor& b) {
          return conv_transpose2d_composed(a, w, b, t);
        };
        for (auto pair : {std::make_pair(run(direct, x, w, b, r), run(composed, x, w, b, r)),
                          std::make_pair(run(direct_t, x, wt, b, rt), run(composed_t, x, wt, b, rt))}) {
          for (size_t i = 0; i < 4; ++i) CHECK_TENSOR_CLOSE(pair.first[i], pair.second[i], 1e-4, 1e-4);
          if (threads == 1) at_one.push_back(pair.first);
          else  // the same bits at any thread count
            for (size_t i = 0; i < 4; ++i) CHECK(pair.first[i].to_vector() == at_one[k][i].to_vector());
          ++k;
        }
      }
    }
    set_num_threads(2);
    {  // only the bias needs a gradient: the backward builds no column matrix, and still gives it
      Tensor x = randn({2, 3, 8, 6}, g), w = randn({4, 3, 3, 3}, g), wt = randn({3, 4, 3, 3}, g);
      Tensor b = leaf_of(randn({4}, g)), bt = leaf_of(b);
      sum(conv2d(x, w, b) * conv2d(x, w, b)).backward();
      sum(conv_transpose2d(x, wt, bt)).backward();
      Tensor y = conv2d_composed(x, w, b.detach());
      CHECK_TENSOR_CLOSE(b.grad(), sum(y * 2, {0, 2, 3}), 1e-4, 1e-4);
      CHECK_TENSOR_CLOSE(bt.grad(), Tensor::full({4}, 2.0 * 10 * 8), 1e-4, 1e-4);
    }
    // The comparison can fail: the composed form with the kernel's axes swapped differs.
    Tensor x = randn({1, 2, 6, 6}, g), w = randn({3, 2, 3, 3}, g);
    CHECK_FALSE(
        allclose(conv2d(x, w, Tensor()), conv2d_composed(x, w.transpose(2, 3).contiguous(), Tensor()), 1e-3, 1e-3));
  }

  TEST_CASE("Conv2d and ConvTranspose2d: PyTorch's layout and shapes; errors name the problem") {
    Generator g(9);
    Conv2dArgs down;
    down.stride = {2, 2}, down.padding = {1, 1};
    nn::Conv2d conv(1, 4, {4, 4}, down, true, g);
    CHECK(conv.weight.shape() == Shape{4, 1, 4, 4});
    CHECK(max(abs(conv.weight)).item() <= 0.25);
    Tensor roll = randn({2, 1, 16, 84}, g);  // a batch of 16-step, 84-pitch rolls with one channel
    Tensor h = conv.forward(roll);
    CHECK(h.shape() == Shape{2, 4, 8, 42});
    ConvTranspose2dArgs up;
    up.stride = {2, 2}, up.padding = {1, 1};
    nn::ConvTranspose2d tconv(4, 1, {4, 4}, up, true, g);
    CHECK(tconv.weight.shape() == Shape{4, 1, 4, 4});
    CHECK(tconv.forward(h).shape() == roll.shape());  // the generator's step undoes the critic's
    expect_error([&] { conv.forward(randn({2, 16, 84}, g)); }, {"[Conv2d]", "(2, 16, 84)", "unsqueeze(1)"});
    expect_error(
        [&] {
          conv2d(roll, randn({4, 2, 3, 3}, g), Tensor());
        },
        {"[conv2d]", "(out_channels, in_channels, kernel_h, kernel_w)"});
    expect_error(
        [&] {
          conv2d(randn({1, 1, 2, 9}, g), randn({1, 1, 3, 3}, g), Tensor());
        },
        {"[conv2d]", "height 2", "span 3"});
    ConvTranspose2dArgs bad = up;
    bad.output_padding = {0, 2};
    expect_error([&] { conv_transpose2d(h, tconv.weight, Tensor(), bad); },
                 {"[conv_transpose2d]", "output_padding 2 on axis 3"});
  }
}  // TEST_SUITE
