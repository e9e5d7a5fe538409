// bench.cpp: Cadenza's side of `make bench`. Each case mirrors a script in
// ../shared/peers exactly (its docstring gives the workload) and prints one line
// in the peers' key=value format with peer=cadenza, so ../shared/peers/summarize.py
// can put both in one table. Timing follows the peers' harness: warm up for at
// least 0.5 s and 3 steps, size a repeat to >= 0.2 s, time 7 repeats, report the
// median. Usage: bench [--simd LEVEL] (--list | --case NAME | --steps). It times engine/kernels/gemm.cpp, the RBM
// (docs/07-rbm.md), an LSTM training step (docs/08), a WaveNet/TCN stack (docs/10), attention (docs/09)
// and the GANs of docs/12 (an MLP pair and the MuseGAN-style one); docs/11-making-it-fast.md explains the kernels and shows the table this prints.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "engine/cadenza.h"
#include "engine/core/cpu.h"
#include "engine/kernels/gemm.h"
#include "engine/models/gan.h"
#include "engine/nn/adversarial.h"

using namespace cadenza;

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double peak_rss_mb() {  // VmHWM, as the peers report it
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return 0;
}

struct Timing {
  double median, min, max;
  int repeats, inner;
};
Timing time_it(const std::function<void()>& step) {
  double t0 = now();
  for (int i = 0; i < 3 || now() - t0 < 0.5; ++i) step();  // warm-up, discarded
  int inner = 1;
  for (;;) {  // steps that fill >= 0.2 s
    double s = now();
    for (int i = 0; i < inner; ++i) step();
    if (now() - s >= 0.2) break;
    inner *= 2;
  }
  std::vector<double> per_step;
  for (int r = 0; r < 7; ++r) {
    double s = now();
    for (int i = 0; i < inner; ++i) step();
    per_step.push_back((now() - s) / inner);
  }
  std::vector<double> sorted = per_step;
  std::sort(sorted.begin(), sorted.end());
  return {sorted[3], sorted.front(), sorted.back(), 7, inner};
}

void report(const std::string& head, const Timing& t, const char* unit, double flop) {
  std::printf(
      "peer=cadenza %s threads=%d kernel=%s %s=%.4g ms_min=%.4g ms_max=%.4g", head.c_str(), num_threads(),
      std::string(kernels::gemm_kernel_name()).substr(0, std::string(kernels::gemm_kernel_name()).find(' ')).c_str(),
      unit, t.median * 1e3, t.min * 1e3, t.max * 1e3);
  if (flop > 0) std::printf(" gflops=%.2f gflops_best=%.2f", flop / t.median / 1e9, flop / t.min / 1e9);
  std::printf(" repeats=%dx%d peak_rss_mb=%.1f\n", t.repeats, t.inner, peak_rss_mb());
  std::fflush(stdout);
}

// ---- (a) sgemm: C[M,N] = A[M,K] @ B[K,N], row-major, no transposes (sgemm.py) ----
const std::map<std::string, std::array<int64_t, 3>> kShapes = {  // name: M, N, K
    {"sq64", {64, 64, 64}},
    {"sq128", {128, 128, 128}},
    {"sq256", {256, 256, 256}},
    {"sq512", {512, 512, 512}},
    {"sq1024", {1024, 1024, 1024}},
    {"sq2048", {2048, 2048, 2048}},
    {"lstm256_fwd", {64, 1024, 344}},
    {"lstm256_bwd_data", {64, 344, 1024}},
    {"lstm256_bwd_weight", {344, 1024, 64}},
    {"lstm256_inproj", {2048, 1024, 88}},
    {"lstm512_fwd", {64, 2048, 600}},
    {"lstm512_bwd_weight", {600, 2048, 64}}};

// The operands are laid out as the peer lays out its own (sgemm_openblas.c): each in a
// 64-byte-aligned block with 16 floats to spare, so both libraries read the same layout.
// (Three Tensors back to back, 16 bytes off a cache line, made sq64 1-2% slower for
// Cadenza and 1% for OpenBLAS: measured.)
// Filled in place, N(0, 1) or zeros: no temporary Tensor to raise the peak memory.
struct AlignedBuffer {
  float* p;
  AlignedBuffer(int64_t n, Generator* g)
      : p(static_cast<float*>(std::aligned_alloc(64, ((n + 16) * sizeof(float) + 63) / 64 * 64))) {
    if (!p) throw std::bad_alloc();
    for (int64_t i = 0; i < n; ++i) p[i] = g ? (float)g->normal() : 0.0f;
  }
  ~AlignedBuffer() { std::free(p); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};

void sgemm(const std::string& shape) {
  auto [M, N, K] = kShapes.at(shape);
  Generator g(0);
  AlignedBuffer A(M * K, &g), B(K * N, &g), C(M * N, nullptr);
  Timing t = time_it([&] { kernels::gemm(M, N, K, A.p, K, 1, B.p, N, 1, C.p, N, false); });
  report(str("bench=sgemm shape=", shape, " M=", M, " N=", N, " K=", K), t, "ms_per_call", 2.0 * M * N * K);
}

// ---- (c) RBM CD-k update as in the seed demo (rbm_cd.py): V=2340, H=50, B=100, lr 0.005 ----
void rbm_cd(int k) {
  const int64_t V = 2340, H = 50, B = 100;
  Generator g(0);
  Tensor x = bernoulli(Tensor::full({B, V}, 0.05), g);
  models::RBMOptions o = models::RBMOptions::faithful();
  o.init_mean = 0, o.init_std = 0.01, o.cd_k = k;
  models::RBM rbm(V, H, o, g);
  optim::SGD sgd(rbm.parameters(), 0.005);
  Timing t = time_it([&] {
    rbm.contrastive_divergence(x, g, /*monitor=*/false);  // the peer computes no reconstruction error
    sgd.step();
  });
  double flop = (2.0 * k + 2) * 2 * B * V * H + 2 * 2.0 * B * V * H;
  report(str("bench=rbm_cd k=", k, " n_visible=", V, " n_hidden=", H, " B=", B), t, "ms_per_update", flop);
}

// ---- (b) LSTM training step (lstm_train.py): 1-layer LSTM(88 -> H, batch_first) -> Linear(H, 88),
// BCE-with-logits (mean) against the next frame, Adam(1e-3); B=64, T=32, keys on with p=0.05 ----
void lstm_train_step(int64_t H) {
  const int64_t B = 64, T = 32, I = 88;
  Generator g(0);
  Tensor roll = bernoulli(Tensor::full({B, T + 1, I}, 0.05), g);
  Tensor x = roll.slice(1, 0, T).contiguous(), y = roll.slice(1, 1, T + 1).contiguous();
  nn::LSTM lstm(I, H, nn::RNNOptions{1, 0, true}, g);
  nn::Linear head(H, I, true, g);
  std::vector<Tensor> params = lstm.parameters();
  for (const Tensor& p : head.parameters()) params.push_back(p);
  optim::Adam opt(params, 1e-3);
  Timing t = time_it([&] {
    opt.zero_grad();
    Tensor loss = binary_cross_entropy_with_logits(head.forward(lstm.forward(x).output), y);
    loss.backward();
    opt.step();
  });
  double fwd = 2.0 * B * T * (I + H) * 4 * H + 2.0 * B * T * H * I;
  report(str("bench=lstm_train_step B=", B, " T=", T, " I=", I, " H=", H), t, "ms_per_step", 3 * fwd);
}

// ---- (e) WaveNet/TCN-style stack (tcn_wavenet.py): B=4, C=64, T=4096, K=2, 8 layers, dilations 1..128,
// causal; plain: x + relu(conv(x)); gated: x + conv1x1(tanh(f) * sigmoid(g)); MSE; forward + backward ----
void tcn_fwd_bwd(bool gated) {
  const int64_t B = 4, C = 64, T = 4096, K = 2, L = 8;
  Generator g(0);
  Tensor x = randn({B, C, T}, g), target = randn({B, C, T}, g);
  std::vector<std::shared_ptr<nn::Conv1d>> convs, res;
  std::vector<Tensor> params;
  for (int64_t i = 0; i < L; ++i) {
    nn::Conv1dOptions o;
    o.causal = true, o.dilation = (int64_t)1 << i;
    convs.push_back(std::make_shared<nn::Conv1d>(C, gated ? 2 * C : C, K, o, g));
    for (const Tensor& p : convs.back()->parameters()) params.push_back(p);
    if (gated) {
      res.push_back(std::make_shared<nn::Conv1d>(C, C, 1, nn::Conv1dOptions{}, g));
      for (const Tensor& p : res.back()->parameters()) params.push_back(p);
    }
  }
  Timing t = time_it([&] {
    for (Tensor& p : params) p.zero_grad();
    Tensor h = x;
    for (int64_t i = 0; i < L; ++i) {
      Tensor c = convs[(size_t)i]->forward(h);
      h = gated ? h + res[(size_t)i]->forward(tanh(c.slice(1, 0, C)) * sigmoid(c.slice(1, C, 2 * C))) : h + relu(c);
    }
    mse_loss(h, target).backward();
  });
  double macs = gated ? 2.0 * C * C * K + C * C : (double)C * C * K;
  report(str("bench=tcn_fwd_bwd variant=", gated ? "gated" : "plain", " B=", B, " C=", C, " T=", T, " K=", K,
             " layers=", L),
         t, "ms_per_step", 3 * 2.0 * B * T * macs * L);
}

// ---- (d) MLP GAN step on one-bar piano rolls (gan_mlp.py): G 100->256->512->1408 (ReLU, ReLU, sigmoid),
// D 1408->512->256->1 (LeakyReLU 0.2), BCE-with-logits, non-saturating G loss, Adam(2e-4, 0.5, 0.999) each;
// B=64, real = one fixed batch with cells on at p=0.05; one step = one D update + one G update ----
void gan_step() {
  const int64_t B = 64, Z = 100, X = 16 * 88;
  Generator g(0);
  Tensor real_bars = bernoulli(Tensor::full({B, X}, 0.05), g);
  nn::Linear g1(Z, 256, true, g), g2(256, 512, true, g), g3(512, X, true, g);
  nn::Linear d1(X, 512, true, g), d2(512, 256, true, g), d3(256, 1, true, g);
  auto G = [&](const Tensor& z) { return sigmoid(g3.forward(relu(g2.forward(relu(g1.forward(z)))))); };
  auto D = [&](const Tensor& x) { return d3.forward(leaky_relu(d2.forward(leaky_relu(d1.forward(x), 0.2)), 0.2)); };
  auto params = [](std::initializer_list<nn::Linear*> ls) {
    std::vector<Tensor> p;
    for (nn::Linear* l : ls)
      for (const Tensor& t : l->parameters()) p.push_back(t);
    return p;
  };
  optim::Adam opt_g(params({&g1, &g2, &g3}), 2e-4, 0.5, 0.999), opt_d(params({&d1, &d2, &d3}), 2e-4, 0.5, 0.999);
  Tensor ones = Tensor::ones({B, 1}), zeros = Tensor::zeros({B, 1});
  Timing t = time_it([&] {
    opt_d.zero_grad();
    Tensor fake = G(randn({B, Z}, g)).detach();
    Tensor loss_d =
        binary_cross_entropy_with_logits(D(real_bars), ones) + binary_cross_entropy_with_logits(D(fake), zeros);
    loss_d.backward();
    opt_d.step();
    opt_g.zero_grad();
    binary_cross_entropy_with_logits(D(G(randn({B, Z}, g))), ones).backward();
    opt_g.step();
  });
  report(str("bench=gan_mlp_step B=", B, " z=", Z, " bar=16x88"), t, "ms_per_step", 0);
}

// ---- the MuseGAN-style pair of chapter 12 (engine/models/gan.h; its PyTorch twin is
// tests/bench/gan_conv.py): 2-track phrases of 64 steps x 48 keys, latent 2 x 64, 16 base channels,
// B=64, real = one fixed batch with cells on at p=0.05. One step = one D update + one G update,
// Adam each: nonsat with BCE-with-logits and betas (0.5, 0.999), lr 2e-4; wgan_gp with the critic's
// gradient penalty (lambda 10, a double backward) and betas (0.5, 0.9), lr 1e-4 ----
void gan_conv_step(bool wgan) {
  const int64_t B = 64;
  models::PhraseShape shape;  // 2 tracks, 4 bars of 16 steps, 48 keys
  Generator g(0);
  models::MuseGenerator G(shape, 64, 16, g);
  models::MuseDiscriminator D(shape, 16, g);
  Tensor real_batch = bernoulli(Tensor::full({B, shape.tracks, shape.steps(), shape.keys}, 0.05), g);
  const double lr = wgan ? 1e-4 : 2e-4, beta2 = wgan ? 0.9 : 0.999;
  optim::Adam opt_g(G.parameters(), lr, 0.5, beta2), opt_d(D.parameters(), lr, 0.5, beta2);
  const nn::GanLoss loss = wgan ? nn::GanLoss::Wasserstein : nn::GanLoss::NonSaturating;
  auto critic = [&](const Tensor& x) { return D.forward(x); };
  Timing t = time_it([&] {
    opt_d.zero_grad();
    Tensor fake;
    {
      NoGradGuard ng;
      fake = G.forward(randn({B, G.latent_size()}, g));
    }
    Tensor loss_d = nn::discriminator_loss(loss, D.forward(real_batch), D.forward(fake));
    if (wgan) loss_d = loss_d + nn::gradient_penalty(critic, real_batch, fake, g, 10);
    loss_d.backward();
    opt_d.step();
    opt_g.zero_grad();
    nn::generator_loss(loss, D.forward(G.forward(randn({B, G.latent_size()}, g)))).backward();
    opt_g.step();
  });
  report(str("bench=gan_conv_step variant=", wgan ? "wgan_gp" : "nonsat", " B=", B, " phrase=2x64x48"), t,
         "ms_per_step", 0);
}

// ---- (f) attention.py sdpa / sdpa_causal: O = softmax(Q K^T / sqrt(d)) V, Q, K, V (32, 128, 64) leaves,
// backward from a fixed random dO; causal: the future masked out ----
void sdpa(bool causal) {
  const int64_t B = 32, T = 128, d = 64;
  Generator g(0);
  Tensor q = randn({B, T, d}, g).requires_grad_(), k = randn({B, T, d}, g).requires_grad_(),
         v = randn({B, T, d}, g).requires_grad_(), grad_out = randn({B, T, d}, g);
  Tensor mask = causal ? nn::causal_mask(T) : Tensor();
  Timing t = time_it([&] {
    for (Tensor* p : {&q, &k, &v}) p->zero_grad();
    nn::scaled_dot_product_attention(q, k, v, mask).output.backward(grad_out);
  });
  report(str("bench=sdpa_fwd_bwd causal=", causal ? 1 : 0, " B=", B, " T=", T, " d=", d), t, "ms_per_step",
         6 * 2.0 * B * T * T * d);
}

// ---- chapter 11's four steps on one product, C = A·B at 512: reference -> blocked -> SIMD -> threads ----
void steps(int64_t n) {
  Generator g(0);
  Tensor A = randn({n, n}, g), B = randn({n, n}, g), C = Tensor::empty({n, n});
  const double flop = 2.0 * n * n * n;
  const int all = num_threads();
  // reference: gemm_ref; blocked: gemm_blocked (plain loops, one thread); simd: gemm with its
  // packed panels and register tiles on one thread; threads: gemm on every core.
  struct Step {
    const char* name;
    int rung;
    int threads;
  };
  for (Step st : {Step{"reference", 0, 1}, Step{"blocked", 1, 1}, Step{"simd", 2, 1}, Step{"threads", 2, all}}) {
    set_num_threads(st.threads);
    Timing t = time_it([&] {
      if (st.rung == 2) kernels::gemm(n, n, n, A.data(), n, 1, B.data(), n, 1, C.data(), n, false);
      else if (st.rung == 1) kernels::gemm_blocked(n, n, n, A.data(), n, 1, B.data(), n, 1, C.data(), n, false);
      else kernels::gemm_ref(n, n, n, A.data(), n, 1, B.data(), n, 1, C.data(), n, false);
    });
    std::printf("peer=cadenza bench=gemm_steps step=%s shape=sq%lld threads=%d ms_per_call=%.4g gflops=%.2f\n", st.name,
                (long long)n, st.threads, t.median * 1e3, flop / t.median / 1e9);
    std::fflush(stdout);
  }
  set_num_threads(all);
}

std::map<std::string, std::function<void()>> cases() {
  std::map<std::string, std::function<void()>> c;
  for (auto& [name, s] : kShapes) c["sgemm/" + name] = [name = name] { sgemm(name); };
  c["rbm_cd/cd1"] = [] { rbm_cd(1); };
  c["rbm_cd/cd15"] = [] { rbm_cd(15); };
  c["lstm_train/H256"] = [] { lstm_train_step(256); };
  c["lstm_train/H512"] = [] { lstm_train_step(512); };
  c["gan_mlp/step"] = [] { gan_step(); };
  c["gan_conv/nonsat"] = [] { gan_conv_step(false); };
  c["gan_conv/wgan_gp"] = [] { gan_conv_step(true); };
  c["attention/sdpa"] = [] { sdpa(false); };
  c["attention/sdpa_causal"] = [] { sdpa(true); };
  c["tcn_wavenet/plain"] = [] { tcn_fwd_bwd(false); };
  c["tcn_wavenet/gated"] = [] { tcn_fwd_bwd(true); };
  return c;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    cpu_capability();  // CADENZA_ISA (make bench CADENZA_ISA=avx2): a bad value stops here, before any timing
  } catch (const Error& e) {
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 2;
  }
  auto all = cases();
  // --simd LEVEL first: run the kernels of a lower level than this CPU's best (chapter 11's exercise)
  if (argc >= 3 && !std::strcmp(argv[1], "--simd")) {
    const std::string want = argv[2];
    bool known = false;
    for (auto level : {CpuCapability::portable, CpuCapability::avx2, CpuCapability::avx512})
      if (want == cpu_capability_name(level)) set_cpu_capability_limit(level), known = true;
    if (!known) {
      std::fprintf(stderr, "bench: unknown SIMD level '%s' — use portable, avx2 or avx512\n", argv[2]);
      return 2;
    }
    if (want != cpu_capability_name(cpu_capability()))
      std::fprintf(stderr, "bench: this CPU has no %s; running %s\n", argv[2], cpu_capability_name(cpu_capability()));
    argc -= 2, argv += 2;
  }
  if (argc == 2 && !std::strcmp(argv[1], "--list")) {
    for (auto& [name, f] : all) std::printf("%s\n", name.c_str());
    return 0;
  }
  if (argc == 2 && !std::strcmp(argv[1], "--steps")) {
    steps(512);
    return 0;
  }
  if (argc == 3 && !std::strcmp(argv[1], "--case")) {
    auto it = all.find(argv[2]);
    if (it == all.end()) {
      std::fprintf(stderr, "bench: unknown case '%s' — see bench --list\n", argv[2]);
      return 2;
    }
    it->second();
    return 0;
  }
  std::fprintf(stderr,
               "usage: bench [--simd portable|avx2|avx512] (--list | --case NAME | --steps)\n"
               "  make bench runs every case at 1 and 2 threads beside the peers; --steps times chapter 11's\n"
               "  reference -> blocked -> SIMD -> threads on one 512 x 512 product; --simd caps the kernels at a\n"
               "  lower level than this CPU's best\n");
  return 2;
}
