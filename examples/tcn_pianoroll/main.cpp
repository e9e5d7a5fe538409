// tcn_pianoroll: `make tcn-demo`. A TCN (causal dilated convolutions) learns
// 88-key piano rolls of the bundled corpus (or a polyphonic benchmark folder),
// then continues primers frame by frame. Writes MIDI, WAV and SVG per sample and
// the learning curve. Chapter: docs/10-convolutions-and-dilation.md.
#include <csignal>
#include <cstdio>

#include "pipelines/flags.h"
#include "pipelines/outputs.h"
#include "pipelines/poly.h"
#include "pipelines/run.h"
#include "music/dataset.h"

using namespace cadenza;

static volatile bool g_stop = false;

int main(int argc, char** argv) {
  flags::Parser a("tcn_pianoroll", "Train a TCN on piano rolls and continue primers; writes MIDI, WAV and SVG.");
  flags::SharedFlags sf;
  sf.data_help = "a MIDI folder or a polyphonic benchmark folder (default: the bundled corpus)";
  sf.epochs = "15", sf.epochs_help = "maximum epochs (early stopping on the valid split)";
  sf.out = "out/tcn-pianoroll";
  a.add_shared(sf);
  a.add_int("samples", "3", "pieces to write", 1, 50);
  a.add_int("length", "96", "steps (16th notes) per sample, the 16-step primer included", 17, 4096);
  a.parse(argc, argv);
  const uint64_t seed = a.apply_shared();
  std::string out = a.str("out"), data = a.str("data");
  a.make_output_dir(out);
  std::signal(SIGINT, [](int) { g_stop = true; });
  return pipelines::run_main("tcn_pianoroll", [&]() -> int {
    Generator gen(seed);
    // A benchmark folder as it is; MIDI (the bundled corpus by default) as 88-key rolls at
    // 4 steps per quarter, split 80/10/10, the training pieces transposed by up to 3 semitones.
    std::string summary;
    poly::Data d = poly::load_any(data, 4, 3, &summary);
    std::printf("tcn_pianoroll: %s\n", summary.c_str());
    // [doc:tcn-demo]
    poly::Recipe r = poly::default_recipe("tcn", d.name);
    r.channels = {96, 96, 96, 96}, r.kernel = 3, r.dropout = 0.2, r.batch = 8, r.chunk = 128, r.patience = 4;
    r.epochs = (int)a.integer("epochs", 1, 1000000);
    std::unique_ptr<models::FrameModel> m = poly::build(r, gen);
    std::printf(
        "tcn_pianoroll: %zu train / %zu valid rolls; TCN of %zu levels, receptive field %lld steps, %lld parameters\n",
        d.train.size(), d.valid.size(), r.channels.size(),
        (long long)static_cast<models::FrameTCN&>(*m).tcn->receptive_field(), (long long)m->num_parameters());
    std::fflush(stdout);
    poly::TrainLog log = poly::train(*m, d, r, gen, &g_stop);
    // [/doc]
    std::vector<std::string> files;
    std::vector<music::MidiFile> written;
    music::DecodeOptions dec;
    dec.qpm = 100;
    const std::vector<music::PianoRoll>& pool = d.test.empty() ? d.train : d.test;
    int64_t length = a.integer("length", 17, 4096);
    m->eval();
    for (int s = 0; s < (int)a.integer("samples", 1, 50); ++s) {
      const music::PianoRoll& primer = pool[(size_t)(gen.next_u64() % pool.size())];
      music::PianoRoll piece = primer;
      piece.steps = std::min<int64_t>(16, primer.steps);
      piece.data.resize((size_t)(piece.steps * piece.keys()));
      piece.onset.assign(piece.data.size(), 0);
      // [doc:tcn-sample]
      while (piece.steps < length) {  // feed everything so far, draw the next frame key by key
        pipelines::FrameBatch b = pipelines::frame_batch({&piece});
        Tensor next = concat({b.x.slice(1, 1, piece.steps), b.y.slice(1, piece.steps - 1, piece.steps)}, 1);
        Tensor frame = m->predict(next, {}, -1, gen).select(1, -1).reshape({-1});
        pipelines::append_frame(piece, frame);
      }
      // [/doc]
      pipelines::mark_onsets(piece);  // a note starts where a key was off one step before
      written.push_back(music::from_piano_roll(piece, dec));
      auto f = outputs::write_piece(out + "/sample_" + std::to_string(s + 1), written.back(),
                                    str("TCN sample ", s + 1, " (first 16 steps: primer)"));
      files.insert(files.end(), f.begin(), f.end());
    }
    std::vector<music::MidiFile> training;
    for (const music::PianoRoll& roll : d.train) training.push_back(music::from_piano_roll(roll, dec));
    files.push_back(outputs::write_report(
        out + "/report.md",
        str("# TCN on ", summary, "\n\n- best valid NLL ", log.best_valid, " nats per step at epoch ", log.best_epoch,
            "\n- samples: ", written.size(), " of ", length, " steps, each primed on 16 steps of a ",
            d.test.empty() ? "training" : "test", " piece\n\n"),
        training, written, 16));
    files.push_back(outputs::write_curve(out + "/loss.svg", "TCN: NLL per step (nats)", log.train_nll, log.valid_nll));
    io::save_checkpoint(out + "/model.safetensors", *m, poly::recipe_metadata(r));
    std::printf("\nbest valid NLL %.3f nats/step at epoch %d\nwrote %zu files to %s/:\n", log.best_valid,
                log.best_epoch, files.size() + 1, out.c_str());
    for (const std::string& f : files) std::printf("  %s\n", f.c_str());
    std::printf("\nlisten: %s/sample_1.wav    look: %s/sample_1.svg and %s/loss.svg\n", out.c_str(), out.c_str(),
                out.c_str());
    return g_stop ? 130 : 0;
  });
}
