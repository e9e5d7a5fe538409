// Tests of judging a generator without a likelihood: the feature distributions (music/features.h)
// on hand-made rolls with known answers, the kernel densities against closed forms and SciPy, the
// classifier two-sample tests (pipelines/two_sample.h) on sets that differ and sets that do not,
// and both on real phrases (gan::judge). docs/12-adversarial-networks.md.
#include <cmath>

#include "tests/helpers.h"

#include "music/features.h"
#include "pipelines/gan.h"
#include "pipelines/two_sample.h"

using namespace cadenza;

namespace {
music::PianoRoll roll(int64_t steps) {
  music::PianoRoll r;
  r.steps = steps, r.lowest = 36, r.highest = 83;
  r.data.assign((size_t)(steps * r.keys()), 0.f);
  return r;
}
void note(music::PianoRoll& r, int64_t t0, int64_t t1, int pitch) {
  for (int64_t t = t0; t < t1; ++t) r.data[(size_t)(t * r.keys() + pitch - r.lowest)] = 1;
}
double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
std::vector<double> normals(Generator& gen, size_t n, double mean) {
  std::vector<double> v(n);
  for (double& x : v) x = mean + gen.normal();
  return v;
}
}  // namespace

TEST_SUITE("ch12-gan-eval") {
  TEST_CASE("features of C4 E4 (quarters) then G4 (a half): counts, histograms, transitions, intervals") {
    music::PianoRoll r = roll(16);
    note(r, 0, 4, 60), note(r, 4, 8, 64), note(r, 8, 16, 67);
    const music::Features f = music::roll_features(r);
    CHECK(f[music::kPitchCount][0] == 3);
    CHECK(f[music::kNoteCount][0] == 3);
    CHECK(f[music::kPitchClassHistogram][0] == doctest::Approx(1.0 / 3));
    CHECK(f[music::kPitchClassHistogram][4] == doctest::Approx(1.0 / 3));
    CHECK(f[music::kPitchClassHistogram][7] == doctest::Approx(1.0 / 3));
    CHECK(f[music::kPitchClassTransitions][0 * 12 + 4] == doctest::Approx(0.5));
    CHECK(f[music::kPitchClassTransitions][4 * 12 + 7] == doctest::Approx(0.5));
    CHECK(f[music::kPitchRange][0] == 7);
    CHECK(f[music::kPitchInterval][0] == doctest::Approx(3.5));
    CHECK(f[music::kInterOnsetInterval][0] == doctest::Approx(4));
    CHECK(f[music::kNoteLengthHistogram][3] == doctest::Approx(2.0 / 3));  // quarters
    CHECK(f[music::kNoteLengthHistogram][5] == doctest::Approx(1.0 / 3));  // a half
    CHECK(f[music::kNoteLengthTransitions][3 * 8 + 3] == doctest::Approx(0.5));
    CHECK(f[music::kNoteLengthTransitions][3 * 8 + 5] == doctest::Approx(0.5));
  }

  TEST_CASE("features: a chord is one onset, an onset splits a held key, an empty roll is all zeros") {
    music::PianoRoll r = roll(16);
    for (int p : {48, 52, 55}) note(r, 0, 8, p);
    note(r, 8, 16, 48);
    r.onset.assign(r.data.size(), 0);
    r.onset[(size_t)(8 * r.keys() + 48 - r.lowest)] = 1;  // C3 struck again at step 8
    const auto notes = music::grid_notes(r);
    REQUIRE(notes.size() == 4);
    CHECK(notes[0].pitch == 48);
    CHECK(notes[0].length == 8);
    CHECK(notes[3].start == 8);
    const music::Features f = music::roll_features(r);
    CHECK(f[music::kInterOnsetInterval][0] == doctest::Approx(8));  // onsets at 0 and 8
    CHECK(f[music::kNoteCount][0] == 4);
    const music::Features e = music::roll_features(roll(16));
    for (int k = 0; k < music::kFeatures; ++k)
      for (double v : e[(size_t)k]) CHECK(v == 0);
  }

  TEST_CASE("note-length classes on a sixteenth grid: nearest by ratio, longer than a whole is a whole") {
    CHECK(music::note_length_class(1, 4) == 0);
    CHECK(music::note_length_class(2, 4) == 1);
    CHECK(music::note_length_class(3, 4) == 2);
    CHECK(music::note_length_class(5, 4) == 4);  // 5/4 is nearer 6 than 4 by ratio
    CHECK(music::note_length_class(16, 4) == 7);
    CHECK(music::note_length_class(40, 4) == 7);
    CHECK_THROWS(music::note_length_class(0, 4));
  }

  TEST_CASE("kernel densities of two unit Gaussians d apart: overlap 2 Phi(-d / 2s), KL d^2 / 2s^2") {
    Generator gen(7);
    const size_t n = 2000;
    const auto a = normals(gen, n, 0);
    for (double d : {0.5, 1.0, 2.0}) {
      const auto b = normals(gen, n, d);
      const music::KernelDensity p = music::kernel_density(a), q = music::kernel_density(b);
      // Each density is the data's Gaussian widened by its kernel: variance 1 + h^2.
      const double s2 = 1 + p.bandwidth * p.bandwidth;
      CHECK(p.bandwidth == doctest::Approx(std::pow((double)n, -0.2)).epsilon(0.05));
      CHECK(music::overlap_area(p, q) == doctest::Approx(2 * phi(-d / (2 * std::sqrt(s2)))).epsilon(0.05));
      CHECK(music::kl_divergence(p, q) == doctest::Approx(d * d / (2 * s2)).epsilon(0.12));
    }
    const music::KernelDensity p = music::kernel_density(a);
    CHECK(music::overlap_area(p, p) == doctest::Approx(1).epsilon(1e-9));
    CHECK(music::kl_divergence(p, p) == doctest::Approx(0).epsilon(1e-9));
    const music::KernelDensity far = music::kernel_density(normals(gen, n, 50));
    CHECK(music::overlap_area(p, far) < 1e-6);
    CHECK(music::kl_divergence(p, far) > 10);
    // Identical samples (every distance 0) still make a density, and two such agree.
    const music::KernelDensity zeros = music::kernel_density(std::vector<double>(10, 0.0));
    CHECK(zeros.bandwidth > 0);
    CHECK(music::overlap_area(zeros, zeros) == doctest::Approx(1).epsilon(1e-9));
    CHECK_THROWS(music::kernel_density({}));
  }

  TEST_CASE("golden: bandwidth, overlap area and KL match scipy.stats.gaussian_kde on a fine grid") {
    auto f = io::load_safetensors(testing::fixture("kde.safetensors")).tensors;
    auto doubles = [](const Tensor& t) {
      std::vector<double> v;
      for (real x : t.to_vector()) v.push_back((double)x);
      return v;
    };
    for (const char* name : {"gamma", "counts"}) {
      const std::string k = name;
      const music::KernelDensity p = music::kernel_density(doubles(f[k + ".a"]));
      const music::KernelDensity q = music::kernel_density(doubles(f[k + ".b"]));
      const std::vector<double> h = doubles(f[k + ".bandwidth"]);
      CHECK_MESSAGE(p.bandwidth == doctest::Approx(h[0]).epsilon(1e-5), name);
      CHECK_MESSAGE(q.bandwidth == doctest::Approx(h[1]).epsilon(1e-5), name);
      CHECK_MESSAGE(music::overlap_area(p, q) == doctest::Approx(f[k + ".overlap"].item()).epsilon(1e-4), name);
      CHECK_MESSAGE(music::kl_divergence(p, q) == doctest::Approx(f[k + ".kl"].item()).epsilon(1e-3), name);
    }
  }

  TEST_CASE("comparing sets: a set against itself overlaps fully; against a shifted copy, less") {
    Generator gen(3);
    std::vector<std::vector<double>> a, same, shifted;
    for (int i = 0; i < 80; ++i) a.push_back({gen.normal()});
    for (int i = 0; i < 80; ++i) same.push_back({gen.normal()});
    for (const auto& x : a) shifted.push_back({x[0] + 3});
    const music::FeatureComparison c_same = music::compare_feature(a, same);
    const music::FeatureComparison c_shift = music::compare_feature(a, shifted);
    CHECK(c_same.overlap > 0.85);
    CHECK(c_same.kl < 0.1);
    CHECK(c_shift.overlap < 0.5);
    CHECK(c_shift.kl > 0.5);
    CHECK(c_shift.mean_b - c_shift.mean_a == doctest::Approx(3));
    CHECK(c_shift.std_b == doctest::Approx(c_shift.std_a));
    CHECK_THROWS(music::compare_feature({{1.0}}, same));
    CHECK_THROWS(music::compare_feature(a, {{1.0, 2.0}}));
  }

  TEST_CASE("two-sample tests: chance on one distribution, near 1 on two; whole groups on one side") {
    Generator gen(5);
    const int64_t n = 400;
    Tensor a = randn({n, 6}, gen), same = randn({n, 6}, gen),
           moved = randn({n, 6}, gen) + 2.0;  // Bayes accuracy Phi(sqrt(6)) = 0.99
    std::vector<int64_t> groups((size_t)n);
    for (int64_t i = 0; i < n; ++i) groups[(size_t)i] = i / 4;  // 100 groups of 4
    pipelines::TwoSampleOptions lo;
    const pipelines::TwoSampleResult r_same = pipelines::two_sample_test(a, groups, same, lo, gen);
    const pipelines::TwoSampleResult r_moved = pipelines::two_sample_test(a, groups, moved, lo, gen);
    CHECK(r_same.train == 200);
    CHECK(r_same.test == 200);
    CHECK(std::fabs(r_same.accuracy - 0.5) < 0.1);
    CHECK(r_moved.accuracy > 0.95);
    CHECK(r_moved.ci95 < 0.05);
    // The CNN on (N, 1, 16, 16) planes: sparse cells against dense ones.
    pipelines::TwoSampleOptions co;
    co.model = "cnn", co.epochs = 15;
    Tensor sparse = gt(rand({n, 1, 16, 16}, gen), Tensor::full({}, 0.8)),
           sparse2 = gt(rand({n, 1, 16, 16}, gen), Tensor::full({}, 0.8)),
           dense = gt(rand({n, 1, 16, 16}, gen), Tensor::full({}, 0.5));
    CHECK(std::fabs(pipelines::two_sample_test(sparse, groups, sparse2, co, gen).accuracy - 0.5) < 0.12);
    CHECK(pipelines::two_sample_test(sparse, groups, dense, co, gen).accuracy > 0.9);
    testing::expect_error([&] { pipelines::two_sample_test(a, groups, same, co, gen); },
                          {"two_sample_test", "(400, 6)", "(N, C, H, W)"});
    testing::expect_error(
        [&] {
          pipelines::two_sample_test(a, {1, 2}, same, lo, gen);
        },
        {"two_sample_test", "2 groups for 400 rows"});
    testing::expect_error([&] { pipelines::two_sample_test(a, std::vector<int64_t>((size_t)n, 0), same, lo, gen); },
                          {"two_sample_test", "at least 2 groups"});
  }

  TEST_CASE("judging real phrases: training phrases beside held-out ones score high; one phrase repeated, low") {
    gan::Data d = gan::load("", {});
    REQUIRE(d.test.size() >= 8);
    Generator gen(2);
    gan::JudgeOptions o;
    o.per_set = 60, o.classifier_rows = 300, o.cnn = false;
    const gan::Judgement real = gan::judge(d.test, d.train, gen, o);
    const gan::Judgement collapsed =
        gan::judge(d.test, std::vector<music::Phrase>(200, d.train[0]), gen, o);  // mode collapse
    CHECK(real.features.size() == (size_t)music::kFeatures);
    CHECK(real.overlap > 0.7);
    CHECK(collapsed.overlap < real.overlap - 0.1);
    CHECK(collapsed.kl > real.kl);
    CHECK(collapsed.logistic.accuracy > 0.9);
    CHECK(real.logistic.accuracy < collapsed.logistic.accuracy);
    const std::string table = gan::judgement_table(collapsed, real);
    CHECK(table.find("pitch-class transitions") != std::string::npos);
    CHECK(table.find("logistic regression") != std::string::npos);
  }
}
