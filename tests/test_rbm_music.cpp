// Chapter 7 tests: the RBM music pipeline of `make rbm-demo` (pipelines/rbm_music.cpp):
// the faithful recipe's dataset numbers from ../shared/notes/seed-rbm-demo.md, and the
// improved pipeline end to end on a few tunes. docs/07-rbm.md.
#include "tests/helpers.h"

#include "pipelines/rbm_music.h"
#include "music/corpus.h"

using namespace cadenza;

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
    auto pieces = rbm_music::generate(rbm, ex, r, 2, 3, 20, gen);
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0].steps() == 16 + 2 * 12);  // the first window whole, then 12 new steps per window
    for (auto& row : pieces[0].rows) CHECK(row.size() == 156);
    CHECK(pieces[0].lowest == 24);
    CHECK(pieces[0].keys == 78);
  }

}  // TEST_SUITE
