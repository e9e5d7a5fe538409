// Chapter 7 tests: the RBM music pipeline of `make rbm-demo` (pipelines/rbm_music.cpp):
// the faithful recipe's dataset numbers from ../shared/notes/seed-rbm-demo.md, and the
// improved pipeline end to end on a few tunes. docs/07-rbm.md.
#include "tests/helpers.h"

#include "pipelines/rbm_music.h"
#include "music/corpus.h"

#include <sys/stat.h>

using namespace cadenza;
using testing::expect_error;

TEST_SUITE("ch07-rbm") {
  TEST_CASE("faithful recipe: 122 songs, 1,291 examples of 2,340 values, 122 batches using 1,169 of them") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      testing::skip_or_fail("../shared/data (the seed demo's pop MIDI files)");
      return;
    }
    std::string summary;
    auto songs = rbm_music::load_songs(root + "/midi/music_generator_demo_pop", &summary);
    CHECK(summary.rfind("126 files read, 0 skipped", 0) == 0);
    rbm_music::Examples ex = rbm_music::make_examples(songs, rbm_music::Recipe::seed_demo());
    CHECK(ex.songs == 122);
    CHECK(ex.x.shape() == Shape{1291, 2340});
    CHECK(ex.batches.size() == 122);
    size_t used = 0;
    for (auto& b : ex.batches) used += b.size();
    CHECK(used == 1169);
  }

  TEST_CASE("improved pipeline: train briefly on three tunes, sample, and the samples decode to music") {
    std::vector<music::MidiFile> songs;
    for (const char* t : {"ode_to_joy", "twinkle_twinkle", "minuet_in_g"})
      songs.push_back(music::score_to_midi(music::read_score_file(std::string("music/corpus/") + t + ".tune")));
    rbm_music::Recipe r;
    r.hidden = 32, r.epochs = 8, r.transpose = 0, r.batch = 8, r.lr = 0.05;
    rbm_music::Examples ex = rbm_music::make_examples(songs, r);
    CHECK(ex.x.size(1) == 16 * 156);
    CHECK(ex.x.size(0) > 20);
    Generator gen(1);
    models::RBM rbm(ex.x.size(1), r.hidden, {}, gen);
    rbm.init_visible_bias(ex.x);
    double before = rbm.reconstruction_error(ex.x);
    auto opt = rbm_music::make_optimizer(rbm, r);
    rbm_music::TrainLog log = rbm_music::train(rbm, *opt, ex, r, gen, nullptr);
    CHECK(log.epoch.size() == 8);
    CHECK(rbm.reconstruction_error(ex.x) < 0.8 * before);
    r.gibbs_steps = 20;
    auto pieces = rbm_music::generate(rbm, ex, r, 2, 3, gen);
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0].steps() == 16 + 2 * 12);  // the first window whole, then 12 new steps per window
    for (auto& row : pieces[0].rows) CHECK(row.size() == 156);
    CHECK(pieces[0].lowest == 24);
    CHECK(pieces[0].keys == 78);
    // The history a checkpoint carries comes back whole; without one, sample writes no empty curve.
    io::Metadata m;
    rbm_music::log_to_metadata(log, 12.5, m);
    double seconds = 0;
    rbm_music::TrainLog back = rbm_music::log_from_metadata(m, &seconds);
    CHECK(back.epoch == log.epoch);
    CHECK(back.recon == log.recon);
    CHECK(back.pll == log.pll);
    CHECK(seconds == 12.5);
    const std::string dir = testing::tmpdir() + "/no-history";
    ::mkdir(dir.c_str(), 0755);
    auto files = rbm_music::write_outputs(dir, pieces, songs, rbm_music::log_from_metadata({}, &seconds), r, "t", 0);
    for (const std::string& f : files) CHECK(f.find("loss.") == std::string::npos);
    CHECK(io::read_file(dir + "/report.md", "t").find("training: not recorded in the checkpoint") != std::string::npos);
  }

  TEST_CASE("resume is exact: 2 epochs, saved, resumed to 4 equal 4 straight, bit for bit (CD-1 and PCD)") {
    std::vector<music::MidiFile> songs;
    for (const char* t : {"ode_to_joy", "twinkle_twinkle"})
      songs.push_back(music::score_to_midi(music::read_score_file(std::string("music/corpus/") + t + ".tune")));
    const int threads = num_threads();
    set_num_threads(1);  // the promise is for one machine and one thread count
    for (bool pcd : {false, true}) {
      rbm_music::Recipe r;
      r.hidden = 16, r.epochs = 4, r.transpose = 0, r.batch = 8, r.persistent = pcd;
      rbm_music::Examples ex = rbm_music::make_examples(songs, r);
      auto fresh = [&](Generator& g) {
        auto rbm = std::make_unique<models::RBM>(ex.x.size(1), r.hidden, rbm_music::rbm_options(r), g);
        rbm->init_visible_bias(ex.x);
        return rbm;
      };
      Generator g1(3);
      auto straight = fresh(g1);
      auto o1 = rbm_music::make_optimizer(*straight, r);
      rbm_music::train(*straight, *o1, ex, r, g1, nullptr);

      Generator g2(3);
      auto first = fresh(g2);
      auto o2 = rbm_music::make_optimizer(*first, r);
      rbm_music::Recipe half = r;
      half.epochs = 2;
      rbm_music::train(*first, *o2, ex, half, g2, nullptr);
      const std::string path = testing::tmpdir() + "/resume.safetensors";
      rbm_music::save_run(path, *first, *o2, g2, {{"epochs_done", "2"}});

      auto resumed_at = [&](bool restore_generator) {
        Generator g3(99);  // another seed: the checkpoint's generator state replaces it
        auto rbm = fresh(g3);
        auto o3 = rbm_music::make_optimizer(*rbm, r);
        rbm_music::load_run(path, *rbm, *o3, g3);
        if (!restore_generator) g3 = Generator(3);  // what resume used to do
        rbm_music::train(*rbm, *o3, ex, r, g3, nullptr, 3);
        return rbm->W.to_vector();
      };
      INFO((pcd ? "PCD" : "CD-1"));
      CHECK(resumed_at(true) == straight->W.to_vector());
      CHECK(resumed_at(false) != straight->W.to_vector());  // the check can fail: without the generator's state
    }
    set_num_threads(threads);
  }

  TEST_CASE("the generator's state: a round trip continues the stream; edited text is refused") {
    Generator g(5);
    for (int i = 0; i < 400; ++i) g.next_u64();  // past a twist, mid-block
    std::string s = g.get_state();
    Generator h(1);
    h.set_state(s);
    for (int i = 0; i < 1000; ++i) REQUIRE(h.next_u64() == g.next_u64());
    CHECK(h.initial_seed() == 5);
    std::string bad = s;
    bad[bad.size() - 1] = 'z';
    expect_error([&] { h.set_state(bad); }, {"[Generator.set_state]", "not a generator state"});
    expect_error([&] { h.set_state("mt19937_64:1:2:abc"); }, {"[Generator.set_state]"});
  }

}  // TEST_SUITE
