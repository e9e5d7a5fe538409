// Graded exercises of chapter 10 (docs/10-convolutions-and-dilation.md): the convolution's
// definition, pooling, weight normalisation and the TCN's receptive field. The expected
// values are written out here in plain loops.
#include "engine/nn/conv.h"
#include "tests/grade/grade.h"
#include "tests/helpers.h"

using namespace testing;

GRADE("10.1", 3, 30, "conv1d from its definition: stride, padding on either side, dilation") {
  Generator g(41);
  struct Case {
    int64_t B, Cin, L, Cout, K;
    Conv1dArgs a;
  };
  for (Case c : {Case{1, 1, 5, 1, 1, {}}, Case{2, 3, 11, 4, 3, {2, 1, 3, 2}}, Case{1, 2, 9, 3, 2, {1, 4, 0, 3}}}) {
    CAPTURE(c.L);
    Tensor x = randn({c.B, c.Cin, c.L}, g), w = randn({c.Cout, c.Cin, c.K}, g), b = randn({c.Cout}, g);
    const Conv1dArgs& a = c.a;
    int64_t Lout = (c.L + a.pad_left + a.pad_right - a.dilation * (c.K - 1) - 1) / a.stride + 1;
    std::vector<real> want;
    for (int64_t n = 0; n < c.B; ++n)
      for (int64_t o = 0; o < c.Cout; ++o)
        for (int64_t t = 0; t < Lout; ++t) {
          double s = b.at({o});
          for (int64_t i = 0; i < c.Cin; ++i)
            for (int64_t k = 0; k < c.K; ++k) {
              int64_t p = t * a.stride - a.pad_left + k * a.dilation;
              if (p >= 0 && p < c.L) s += (double)w.at({o, i, k}) * x.at({n, i, p});
            }
          want.push_back((real)s);
        }
    CHECK_TENSOR_CLOSE(conv1d_ref(x, w, b, a), T(want, {c.B, c.Cout, Lout}), 1e-5, 1e-4);
  }
}

GRADE("10.2", 2, 20, "max_pool1d's forward, and where each maximum came from") {
  Tensor x = T({1, 5, 2, 8, 3, 3, 0, -1, -4, 6, 2, 2}, {1, 2, 6}).requires_grad_();
  Tensor y = max_pool1d(x, 2, 2);
  CHECK_TENSOR_CLOSE(y, T({5, 8, 3, 0, 6, 2}, {1, 2, 3}), 0, 0);
  sum(y * T({1, 2, 3, 4, 5, 6}, {1, 2, 3})).backward();  // the gradient goes to each window's (first) maximum
  CHECK_TENSOR_CLOSE(x.grad(), T({0, 1, 0, 2, 3, 0, 4, 0, 0, 5, 6, 0}, {1, 2, 6}), 0, 0);
  CHECK_TENSOR_CLOSE(max_pool1d(x.detach(), 3, 1).slice(2, 0, 2), T({5, 8, 3, 0, 6, 6}, {1, 2, 3}).slice(2, 0, 2), 0,
                     0);
}

GRADE("10.3", 2, 15, "weight normalisation: w = g v / ||v||, one norm per output channel") {
  nn::Conv1dOptions o;
  o.weight_norm = true;
  Generator g(42);
  nn::Conv1d conv(2, 3, 2, o, g);
  {
    NoGradGuard no_grad;
    conv.weight_v.copy_(T({3, 0, 0, 4, 1, 1, 1, 1, 0, 0, 0, 2}, {3, 2, 2}));
    conv.weight_g.copy_(T({10, 2, -1}, {3, 1, 1}));
  }
  CHECK_TENSOR_CLOSE(conv.effective_weight(), T({6, 0, 0, 8, 1, 1, 1, 1, 0, 0, 0, -1}, {3, 2, 2}), 1e-6, 1e-6);
}

GRADE("10.4", 1, 10, "the TCN's receptive field") {
  Generator g(43);
  CHECK(nn::TCN(1, {4}, 2, 0, g).receptive_field() == 3);                    // one block, dilation 1, two convs
  CHECK(nn::TCN(1, {4, 4, 4}, 3, 0, g).receptive_field() == 1 + 2 * 2 * 7);  // dilations 1, 2, 4
  CHECK(nn::TCN(88, {150, 150, 150, 150}, 5, 0, g).receptive_field() == 121);
}
