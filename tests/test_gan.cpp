// Tests of the adversarial networks chapter's pieces: two-track phrases from MIDI (music/phrases.h),
// the measures a GAN paper reports on hand-made phrases with known answers (pipelines/gan.h), the
// MLP and MuseGAN-style networks (engine/models/gan.h), and a GAN run: its losses, its resume.
// docs/12-adversarial-networks.md.
#include <cmath>

#include "tests/helpers.h"

#include "music/corpus.h"
#include "pipelines/gan.h"

using namespace cadenza;
using namespace testing;

namespace {
// A MIDI file at 480 ticks per quarter from (track, pitch, start quarter, quarters) notes and
// time signatures (tick, numerator, denominator exponent) on track 0.
music::MidiFile midi(const std::vector<std::array<int, 4>>& notes, const std::vector<std::array<int, 3>>& sigs,
                     int tracks = 3) {
  music::MidiFile m;
  m.ticks_per_quarter = 480;
  m.tracks.resize((size_t)tracks);
  for (auto& s : sigs)
    m.tracks[0].events.push_back({s[0], 0xFF, music::kTimeSignature, {(uint8_t)s[1], (uint8_t)s[2], 24, 8}});
  for (auto& n : notes) {
    m.tracks[(size_t)n[0]].events.push_back({n[2] * 480, 0x90, 0, {(uint8_t)n[1], 90}});
    m.tracks[(size_t)n[0]].events.push_back({(n[2] + n[3]) * 480 - 60, 0x80, 0, {(uint8_t)n[1], 0}});
  }
  for (auto& t : m.tracks)
    std::stable_sort(t.events.begin(), t.events.end(), [](auto& a, auto& b) { return a.tick < b.tick; });
  return m;
}
bool on(const music::PianoRoll& r, int64_t t, int pitch) { return r.at(t, pitch) > 0; }

// A phrase of 4 bars of 16 steps over C2..B5, silent.
music::Phrase blank() {
  music::Phrase p = music::phrase_from_cells(std::vector<float>(2 * 64 * 48, 0.f), 64, 36, 83);
  return p;
}
void fill(music::PianoRoll& r, int64_t t0, int64_t t1, int pitch) {
  for (int64_t t = t0; t < t1; ++t) r.data[(size_t)(t * r.keys() + pitch - r.lowest)] = 1;
}
}  // namespace

TEST_SUITE("ch12-gan") {
  TEST_CASE("phrases: bar lines from the time signatures, a pickup bar counted, melody from the higher track") {
    std::vector<std::array<int, 4>> notes;
    notes.push_back({1, 67, 0, 1});                                       // the pickup: one quarter
    for (int q = 1; q < 17; ++q) notes.push_back({1, 72 + q % 3, q, 1});  // 4 bars of quarters
    for (int b = 0; b < 4; ++b)
      for (int p : {48, 52, 55}) notes.push_back({2, p, 1 + 4 * b, 4});  // a C major triad each bar
    music::PhraseReport rep;
    auto ps = music::two_track_phrases(midi(notes, {{0, 1, 2}, {480, 4, 2}}), "tune", {}, &rep);
    CHECK(rep.bars == 5);
    CHECK(rep.full_bars == 4);
    CHECK(rep.melody_source == "track 1");
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].first_bar == 1);
    CHECK(ps[0].piece == "tune");
    CHECK(on(ps[0].melody, 0, 73));  // quarter 1 is the first beat of bar 1
    CHECK_FALSE(on(ps[0].melody, 0, 67));
    CHECK(on(ps[0].accompaniment, 0, 48));
    CHECK(on(ps[0].accompaniment, 63, 55));
    CHECK(ps[0].melody.onset[(size_t)(4 * 48 + 74 - 36)]);
  }

  TEST_CASE("phrases: a one-track file gives the top voice as melody and the rest as accompaniment") {
    std::vector<std::array<int, 4>> notes;
    for (int b = 0; b < 4; ++b) {
      notes.push_back({0, 76, 4 * b, 4});
      for (int p : {60, 64, 67}) notes.push_back({0, p, 4 * b, 4});
    }
    music::PhraseReport rep;
    auto ps = music::two_track_phrases(midi(notes, {{0, 4, 2}}, 1), "one", {}, &rep);
    CHECK(rep.melody_source == "top voice");
    REQUIRE(ps.size() == 1);
    CHECK(on(ps[0].melody, 10, 76));
    CHECK_FALSE(on(ps[0].melody, 10, 67));
    CHECK(on(ps[0].accompaniment, 10, 67));
    CHECK(on(ps[0].accompaniment, 10, 60));
    CHECK_FALSE(on(ps[0].accompaniment, 10, 76));
  }

  TEST_CASE("phrases: 3/4 bars never enter a phrase; out-of-range notes are counted; MIDI round trip keeps cells") {
    std::vector<std::array<int, 4>> notes;
    for (int q = 0; q < 24; ++q) notes.push_back({1, 72, q, 1});
    music::PhraseReport rep;
    CHECK(music::two_track_phrases(midi(notes, {{0, 3, 2}}), "waltz", {}, &rep).empty());
    CHECK(rep.full_bars == 0);
    notes.push_back({2, 20, 0, 4});  // below C2
    notes.push_back({2, 50, 0, 8});
    auto ps = music::two_track_phrases(midi(notes, {{0, 4, 2}}), "reel", {}, &rep);
    CHECK(rep.out_of_range == 1);
    REQUIRE(ps.size() == 3);  // 6 bars of 4/4, a phrase at every bar
    auto back = music::two_track_phrases(music::phrase_to_midi(ps[0]), "again", {}, nullptr);
    REQUIRE(back.size() == 1);
    CHECK(music::phrase_cells(back[0]) == music::phrase_cells(ps[0]));
    CHECK_THROWS_WITH_AS(music::phrase_from_cells(std::vector<float>(10), 64, 36, 83),
                         doctest::Contains("needs 6144 cells, not 10"), music::MidiError);
  }

  TEST_CASE("measures on hand-made phrases: one empty bar in 4 is EB 25%; a C major triad bar is UPC 3") {
    music::Phrase p = blank();
    for (int b = 0; b < 3; ++b) fill(p.melody, 16 * b, 16 * b + 8, 72), fill(p.melody, 16 * b + 8, 16 * b + 9, 74);
    for (int b = 0; b < 4; ++b)
      for (int k : {48, 52, 55}) fill(p.accompaniment, 16 * b, 16 * b + 16, k);
    gan::PhraseMetrics m = gan::measure({p}, {}, 16);
    CHECK(m.eb[0] == doctest::Approx(0.25));
    CHECK(m.eb[1] == doctest::Approx(0));
    CHECK(m.upc[1] == doctest::Approx(3));
    CHECK(m.upc[0] == doctest::Approx(2));   // C and D in each sounding bar
    CHECK(m.qn[0] == doctest::Approx(0.5));  // 3 notes of 8 steps, 3 of 1 step
    CHECK(m.polyphony == doctest::Approx(3));
    CHECK(m.in_scale == doctest::Approx(1));
    CHECK(m.distinct == doctest::Approx(1000));
  }

  TEST_CASE("measures: a transposed training phrase is a copy; a repeated sample is not distinct") {
    music::Phrase p = blank(), q = blank(), other = blank();
    fill(p.melody, 0, 64, 72), fill(p.accompaniment, 0, 64, 48);
    fill(q.melody, 0, 64, 74), fill(q.accompaniment, 0, 64, 50);  // p up a tone
    fill(other.melody, 0, 32, 72), fill(other.accompaniment, 0, 64, 48);
    gan::PhraseMetrics m = gan::measure({q, q, other, other}, {p}, 16);
    CHECK(m.copies == doctest::Approx(0.5));
    CHECK(m.distinct == doctest::Approx(500));
    const std::string table = gan::metrics_table(m, m);
    CHECK(table.find("| EB, melody (empty bars) |") != std::string::npos);
    CHECK(table.find("distinct phrases per 1,000") != std::string::npos);
  }

  TEST_CASE("tonal distance: real phrases' melody and accompaniment are closer than with bars shuffled") {
    gan::Data d = gan::load("", {});
    std::vector<music::Phrase> all = d.train;
    all.insert(all.end(), d.test.begin(), d.test.end());
    REQUIRE(all.size() > 50);
    std::vector<music::Phrase> shuffled = all;  // each accompaniment bar from another phrase, 17 further on
    for (size_t i = 0; i < all.size(); ++i)
      for (int b = 0; b < 4; ++b) {
        const music::PianoRoll& from = all[(i + 17 * (b + 1)) % all.size()].accompaniment;
        std::copy(from.data.begin() + b * 16 * 48, from.data.begin() + (b + 1) * 16 * 48,
                  shuffled[i].accompaniment.data.begin() + b * 16 * 48);
      }
    const double real = gan::measure(all, {}, 16).td, mixed = gan::measure(shuffled, {}, 16).td;
    CHECK_MESSAGE(mixed > real * 1.1, "TD real " << real << ", bars shuffled " << mixed);
  }

  TEST_CASE("the networks: shapes, errors that name the shape, and a gradient penalty through each critic") {
    Generator gen(3);
    models::PhraseShape s;
    for (const char* family : {"mlp", "musegan"}) {
      CAPTURE(family);
      auto g = models::make_generator(family, s, 8, family == std::string("mlp") ? 32 : 4, gen);
      auto d = models::make_discriminator(family, s, family == std::string("mlp") ? 32 : 4, gen);
      Tensor x = g->forward(randn({3, g->latent_size()}, gen));
      CHECK(x.shape() == Shape{3, 2, 64, 48});
      CHECK(min(x).item() > 0);
      CHECK(max(x).item() < 1);
      CHECK(d->forward(x).shape() == Shape{3, 1});
      expect_error(
          [&] {
            d->forward(Tensor::zeros({3, 2, 64, 40}));
          },
          {"input has shape (3, 2, 64, 40)", "expected (B, 2, 64, 48)"});
      expect_error([&] { g->forward(Tensor::zeros({3, 5})); }, {"latent has shape (3, 5)"});
      // WGAN-GP differentiates D's gradient: every op of the critic needs a graph backward.
      Tensor real = bernoulli(Tensor::full({3, 2, 64, 48}, 0.1), gen), fake = x.detach();
      Tensor gp = nn::gradient_penalty([&](const Tensor& v) { return d->forward(v); }, real, fake, gen);
      gp.backward();
      double norm = 0;
      for (const Tensor& p : d->parameters()) norm += p.grad().defined() ? sum(abs(p.grad())).item() : 0;
      CHECK(std::isfinite(gp.item()));
      CHECK(norm > 0);
    }
    expect_error([&] { models::make_generator("dcgan", s, 8, 8, gen); },
                 {"'dcgan' is not a GAN family", "mlp or musegan"});
  }

  TEST_CASE("a GAN run: both losses finite, and stopping after epoch 1 then resuming gives the same parameters") {
    gan::Data d = gan::load("", {});
    d.train.resize(96);
    gan::Recipe r = gan::default_recipe("mlp", "lsgan");
    r.hidden = 32, r.latent = 8, r.batch = 32, r.epochs = 2;
    auto run_for = [&](int epochs, gan::RunState* from) {
      Generator gen(5);
      gan::Models m = gan::build(r, {}, gen);
      gan::Recipe rr = r;
      rr.epochs = epochs;
      gan::RunState local = from ? *from : gan::RunState{};
      gan::TrainLog log = gan::train(m, d, rr, gen, nullptr, &local);
      for (double v : log.d_loss) CHECK(std::isfinite(v));
      for (double v : log.g_loss) CHECK(std::isfinite(v));
      CHECK(log.d_loss.size() == (size_t)epochs);
      return local;
    };
    gan::RunState straight = run_for(2, nullptr), half = run_for(1, nullptr);
    gan::RunState resumed = run_for(2, &half);
    REQUIRE(straight.params.size() == resumed.params.size());
    for (const auto& kv : straight.params) {
      const std::string name = kv.first;  // a plain variable: doctest's lambdas cannot capture a structured binding
      CHECK_MESSAGE(tensor_mismatch(kv.second, resumed.params[name], 0, 0).empty(), name);
    }
    CHECK(resumed.g_loss == straight.g_loss);
    expect_error([] { gan::default_recipe("mlp", "wasserstein"); }, {"wasserstein", "wgan-gp"});
  }

  TEST_CASE("to_phrases: the melody is one voice, its most probable key above the threshold; chords stay chords") {
    const int64_t T = 2, K = 48;
    Tensor cells = Tensor::zeros({1, 2, T, K});
    real* c = cells.data();
    c[0 * K + 10] = 0.3f, c[0 * K + 14] = 0.45f;           // melody, step 0: unsure between two keys
    c[1 * K + 20] = 0.9f, c[1 * K + 22] = 0.7f;            // melody, step 1: two keys above 0.5
    c[(2 + 0) * K + 5] = 0.6f, c[(2 + 0) * K + 9] = 0.6f;  // accompaniment, step 0: a dyad
    auto sounding = [&](const music::PianoRoll& r, int64_t t) {
      std::vector<int> keys;
      for (int k = 0; k < r.keys(); ++k)
        if (r.data[(size_t)(t * r.keys() + k)] > 0) keys.push_back(k);
      return keys;
    };
    music::Phrase at_half = gan::to_phrases(cells, 36, 83, 0.5)[0], at_04 = gan::to_phrases(cells, 36, 83, 0.4)[0];
    CHECK(sounding(at_half.melody, 0).empty());                  // neither key is above 0.5
    CHECK(sounding(at_04.melody, 0) == std::vector<int>{14});    // the more probable one, alone
    CHECK(sounding(at_half.melody, 1) == std::vector<int>{20});  // one voice: the top key only
    CHECK(sounding(at_half.accompaniment, 0) == std::vector<int>{5, 9});
  }

  TEST_CASE("valid_gap: each measure's gap in units of its goal, averaged over the seven") {
    gan::PhraseMetrics real, gen;
    real.upc[0] = gen.upc[0] = 3, real.upc[1] = gen.upc[1] = 4, real.qn[0] = real.qn[1] = gen.qn[0] = gen.qn[1] = 1;
    real.td = gen.td = 1.2;
    CHECK(gan::valid_gap(real, gen) == 0);
    gen.eb[0] = 0.02;  // two points more empty bars: one goal's width
    CHECK(gan::valid_gap(real, gen) == doctest::Approx(1.0 / 7));
    gen.upc[1] = 3.4, gen.td = 1.26;  // then 0.6 more pitch classes (2 widths) and TD 5% off (1 width)
    CHECK(gan::valid_gap(real, gen) == doctest::Approx(4.0 / 7));
  }

  TEST_CASE("selection on valid: the kept generator is the best epoch's, and a resume file keeps it") {
    gan::Data d = gan::load("", {});
    REQUIRE(!d.valid.empty());
    d.train.resize(96);
    gan::Recipe r = gan::default_recipe("mlp", "wgan-gp");
    r.hidden = 32, r.latent = 8, r.batch = 32, r.n_critic = 1, r.lr_g = r.lr_d = 3e-3;
    auto run_for = [&](int epochs, gan::RunState* from, gan::TrainLog* log) {
      Generator gen(3);
      gan::Models m = gan::build(r, {}, gen);
      gan::Recipe rr = r;
      rr.epochs = epochs;
      gan::RunState local = from ? *from : gan::RunState{};
      *log = gan::train(m, d, rr, gen, nullptr, &local);
      return std::make_pair(m, local);
    };
    gan::TrainLog log;
    auto straight = run_for(4, nullptr, &log);
    gan::Models& m = straight.first;
    REQUIRE(log.valid_gap.size() == 4);
    REQUIRE(log.best_epoch >= 1);
    const double best = log.valid_gap[(size_t)log.best_epoch - 1];
    for (double v : log.valid_gap) CHECK(v > best - 1e-4);  // fit's rule: better by at least 1e-4
    // The melody threshold: the one of those tried with the smallest gap.
    REQUIRE(log.thresholds.size() == std::size(gan::kMelodyThresholds));
    double least = 1e30;
    for (const auto& tg : log.thresholds) least = std::min(least, tg.second);
    for (const auto& tg : log.thresholds)
      if (tg.first == log.melody_threshold) CHECK(tg.second == least);
    CHECK(m.melody_threshold == log.melody_threshold);
    // The generator m holds gives that epoch's gap again: the same latents, the same parameters, and
    // the threshold epochs are compared at.
    m.melody_threshold = 0.5;
    Generator same_noise(0);
    const music::PianoRoll& like = d.valid.front().melody;
    std::vector<music::Phrase> ps = gan::sample(m, r.valid_samples, like.lowest, like.highest, same_noise);
    CHECK(gan::valid_gap(gan::measure(d.valid, {}, 16), gan::measure(ps, {}, 16)) == best);
    CHECK(gan::kept_epoch(log).find(str("epoch ", log.best_epoch, " of 4")) != std::string::npos);
    // Stopped after 2 epochs, written and read back, then resumed: the same epoch and generator.
    gan::TrainLog half_log, resumed_log;
    gan::RunState half = run_for(2, nullptr, &half_log).second;
    const std::string path = tmpdir() + "/gan-resume.safetensors";
    gan::save_run(path, half, io::Metadata{{"model", "gan"}});
    gan::RunState from_file = gan::load_run(path, nullptr);
    CHECK(from_file.fit.best.size() == half.fit.best.size());
    auto resumed = run_for(4, &from_file, &resumed_log);
    CHECK(resumed_log.best_epoch == log.best_epoch);
    for (auto& kv : m.g->state_dict()) {
      const std::string name = kv.first;
      CHECK_MESSAGE(tensor_mismatch(kv.second, resumed.first.g->state_dict()[name], 0, 0).empty(), name);
    }
  }
}
