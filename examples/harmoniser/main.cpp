// harmoniser: `make harmoniser-demo`. A Seq2Seq model with attention reads the
// soprano line of a Bach chorale and writes alto, tenor and bass under it, trained
// on JSB Chorales. Writes the harmonised chorale as MIDI, WAV and SVG, Bach's own
// version beside it, and the attention map (which soprano step each voice looked at).
// Chapter: docs/09-attention-and-seq2seq.md.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <sys/stat.h>

#include "pipelines/flags.h"
#include "pipelines/outputs.h"
#include "pipelines/poly.h"
#include "pipelines/rolls.h"
#include "pipelines/train_loop.h"
#include "pipelines/run.h"
#include "music/dataset.h"
#include "music/part_writing.h"

using namespace cadenza;

static volatile bool g_stop = false;

namespace {
// Source tokens: the soprano's MIDI pitch, or 128 for a rest (vocabulary 129).
// Target tokens: each lower voice as its distance in semitones below the soprano
// (0..63), 64 for a rest, 65 = start (vocabulary 66); three per step: alto, tenor, bass.
const char* const kJSB = "../shared/data/jsb_chorales";
const int kSrcRest = 128, kGapRest = 64, kStart = 65;
using Voices = pipelines::SATB;  // MIDI pitches, -1 = rest
int gap_token(int s, int x) { return s < 0 || x < 0 ? kGapRest : std::min(63, s - x); }

struct Example {
  std::vector<real> src, tgt;
};  // src: T tokens, tgt: 3T tokens
Example make_example(const Voices& v, size_t start, size_t T) {
  Example e;
  for (size_t t = start; t < start + T; ++t) {
    e.src.push_back((real)(v.s[t] < 0 ? kSrcRest : v.s[t]));
    for (int x : {v.a[t], v.t[t], v.b[t]}) e.tgt.push_back((real)gap_token(v.s[t], x));
  }
  return e;
}

std::string fixed(double x, int digits) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", digits, x);
  return b;
}

// Soprano, then alto, tenor and bass from their gap tokens.
music::FourVoices voices_of(const std::vector<int>& s, const std::vector<int64_t>& gaps) {
  music::FourVoices voices = {s, {}, {}, {}};
  for (size_t t = 0; t < s.size(); ++t)
    for (int v = 0; v < 3; ++v) {
      int64_t g = gaps[3 * t + (size_t)v];
      voices[(size_t)v + 1].push_back(s[t] < 0 || g >= kGapRest ? -1 : s[t] - (int)g);
    }
  return voices;
}

music::MidiFile to_midi(const music::FourVoices& v) {
  // The benchmark's chorales have one step per quarter note (its README).
  music::PianoRoll r = pipelines::roll_from_voices({v[0], v[1], v[2], v[3]}, /*steps_per_quarter=*/1);
  music::DecodeOptions d;
  d.qpm = 80, d.program = 19;  // church organ
  return music::from_piano_roll(r, d);
}
// [doc:harmoniser-rule]
// Beam search under a rule of four-part writing: a voice that would move in parallel fifths or
// octaves with a voice already written at this step (the soprano, or a voice above it) loses
// `penalty` nats. Three tokens per step (alto, tenor, bass), each a gap below the soprano `s`.
models::Seq2Seq::TokenRule no_parallels(const std::vector<int>& s, double penalty) {
  return [&s, penalty](const std::vector<int64_t>& prefix, real* log_probs, int64_t vocab) {
    const size_t t = prefix.size() / 3, voice = prefix.size() % 3 + 1;  // writing voice 1, 2 or 3 of step t
    auto pitch = [&](size_t step, size_t v) -> int {                    // v = 0: the soprano
      if (s[step] < 0) return -1;
      int64_t g = v == 0 ? 0 : prefix[3 * step + v - 1];
      return g >= kGapRest ? -1 : s[step] - (int)g;
    };
    if (t == 0 || t >= s.size() || s[t] < 0 || pitch(t - 1, voice) < 0) return;
    for (int64_t g = 0; g < std::min<int64_t>(kGapRest, vocab); ++g)
      for (size_t above = 0; above < voice; ++above) {
        int a0 = pitch(t - 1, above), a1 = pitch(t, above);
        if (a0 >= 0 && a1 >= 0 && music::parallel_perfect(a0, a1, pitch(t - 1, voice), s[t] - (int)g)) {
          log_probs[g] -= (real)penalty;
          break;
        }
      }
  };
}
// [/doc]
}  // namespace

int main(int argc, char** argv) {
  flags::Parser a(
      "harmoniser",
      "Seq2Seq with attention: write alto, tenor and bass under a chorale soprano (trained on JSB Chorales).");
  flags::SharedFlags sf;
  sf.data = kJSB,
  sf.data_help =
      "the JSB Chorales folder of the polyphonic benchmark (train/valid/test.txt), or a MIDI folder; when the "
      "default is missing, the bundled corpus (its melodies over their chord accompaniment)";
  sf.epochs = "24", sf.epochs_help = "passes over the training windows";
  sf.out = "out/harmoniser";
  a.add_shared(sf);
  a.add_int("beam", "4", "beam width for decoding (1: greedy)", 1, 64);
  a.add_real("parallels-penalty", "3", "nats taken from a voice that moves in parallel fifths or octaves (0: off)", 0,
             1000);
  a.parse(argc, argv);
  const uint64_t seed = a.apply_shared();
  std::string out = a.str("out");
  std::signal(SIGINT, [](int) { g_stop = true; });
  return pipelines::run_main("harmoniser", [&]() -> int {
    std::string data = a.str("data"), summary;
    struct stat st;
    if (data == kJSB && ::stat(data.c_str(), &st) != 0) {
      std::printf(
          "harmoniser: JSB Chorales not found at %s (docs/README.md says where to get it); training on the bundled\n"
          "  corpus instead: its melodies as soprano, their accompaniment as alto, tenor and bass.\n"
          "  It learns to voice chord symbols under a tune, not Bach's counterpoint.\n",
          data.c_str());
      data.clear();
    }
    // One step per quarter note, as the benchmark's chorales are (its README); MIDI transposed by up to 3.
    poly::Data d = poly::load_any(data, 1, 3, &summary);
    std::printf("harmoniser: %s\n", summary.c_str());
    // Bach's chorales are named as such; other pieces (the corpus, a MIDI folder) generically.
    const bool jsb = d.name == "jsb_chorales";
    const std::string piece = jsb ? "chorale" : "piece", original = jsb ? "bach" : "original";
    a.make_output_dir(out);
    Generator gen(seed);
    const size_t T = 32;  // steps per training window (quarter notes, 8 bars): 96 decoder tokens
    std::vector<Example> train;
    for (const music::PianoRoll& r : d.train) {
      Voices v = pipelines::satb_voices(r);
      for (size_t s = 0; s + T <= v.s.size(); s += T / 2) train.push_back(make_example(v, s, T));
    }
    // [doc:harmoniser-train]
    models::Seq2SeqConfig cfg;
    cfg.src_vocab = 129, cfg.tgt_vocab = 66, cfg.embed = 48, cfg.hidden = 256, cfg.dropout = 0.2;
    cfg.bidirectional = true, cfg.aligned = 3;  // three voices per soprano note: the decoder knows which note
    models::Seq2Seq model(cfg, gen);
    optim::Adam opt(model.parameters(), 3e-3);
    int epochs = (int)a.integer("epochs", 1, 1000000);
    std::printf("harmoniser: %zu windows of %zu steps from %zu %ss; %lld parameters\n", train.size(), T, d.train.size(),
                piece.c_str(), (long long)model.num_parameters());
    // The shared loop (pipelines/train_loop.h): each epoch shuffles the windows into batches of 32.
    double sum = 0;
    int64_t done = 0;
    pipelines::FitHooks h;
    h.batches = [&](int) {
      sum = 0, done = 0;
      return music::batches(train.size(), 32, true, gen.next_u64());
    };
    h.step = [&](const std::vector<size_t>& batch) {
      std::vector<real> src, tin, tout;
      for (size_t j : batch) {
        src.insert(src.end(), train[j].src.begin(), train[j].src.end());
        tin.push_back(kStart);  // teacher forcing: the decoder reads the true previous token
        tin.insert(tin.end(), train[j].tgt.begin(), train[j].tgt.end() - 1);
        tout.insert(tout.end(), train[j].tgt.begin(), train[j].tgt.end());
      }
      int64_t B = (int64_t)batch.size(), L = 3 * (int64_t)T;
      models::Seq2Seq::Output o =
          model.forward(Tensor::from_vector(src, {B, (int64_t)T}), {}, Tensor::from_vector(tin, {B, L}));
      Tensor loss = cross_entropy(o.logits.reshape({B * L, cfg.tgt_vocab}), Tensor::from_vector(tout, {B * L}));
      pipelines::backward_and_step(loss, opt, /*max_norm=*/1.0);
      sum += loss.item();
      return str("loss ", sum / (double)++done);
    };
    h.train_loss = [&] { return sum / (double)done; };
    pipelines::FitOptions fo;
    fo.epochs = epochs, fo.stop = &g_stop;
    std::vector<double> curve = pipelines::fit(h, fo).train_loss;
    // [/doc]
    // Harmonise the opening of a few test chorales; score agreement with Bach note by note.
    std::vector<std::string> files;
    int64_t agree[3] = {}, total = 0;
    double aligned = 0;  // attention on the soprano step each token harmonises
    music::PartWriting ours, theirs;
    const double penalty = a.number("parallels-penalty", 0, 1000);
    for (size_t c = 0; c < d.test.size() && !g_stop; ++c) {
      Voices v = pipelines::satb_voices(d.test[c]);
      size_t n = std::min<size_t>(v.s.size(), 32);
      Example e = make_example(v, 0, n);
      Tensor src = Tensor::from_vector(e.src, {1, (int64_t)n});
      std::vector<int> s(v.s.begin(), v.s.begin() + (long)n);
      models::Seq2Seq::Decoded dec = model.beam(src, kStart, 3 * (int64_t)n, a.integer("beam", 1, 64), {},
                                                penalty > 0 ? no_parallels(s, penalty) : nullptr);
      for (size_t i = 0; i < dec.tokens.size(); ++i) {
        agree[i % 3] += dec.tokens[i] == (int64_t)e.tgt[i];
        aligned += dec.attention.at({(int64_t)i, (int64_t)(i / 3)});
      }
      total += (int64_t)n;
      std::vector<int64_t> bach(e.tgt.begin(), e.tgt.end());
      music::FourVoices mine = voices_of(s, dec.tokens), orig = voices_of(s, bach);
      ours.add(music::part_writing(mine));
      theirs.add(music::part_writing(orig));
      if (c < 3) {
        std::string base = out + "/" + piece + "_" + std::to_string(c + 1);
        auto f1 = outputs::write_piece(base + "_cadenza", to_midi(mine),
                                       str("test ", piece, " ", c + 1, ": its soprano, alto/tenor/bass by Cadenza"));
        auto f2 = outputs::write_piece(base + "_" + original, to_midi(orig),
                                       str("test ", piece, " ", c + 1, ": the original harmonisation"));
        files.insert(files.end(), f1.begin(), f1.end());
        files.insert(files.end(), f2.begin(), f2.end());
        io::write_file_atomic(
            base + "_attention.svg",
            outputs::attention_svg(dec.attention,
                                   str("attention, test ", piece, " ", c + 1, " (rows: alto, tenor, bass tokens)"),
                                   "output token", "soprano step"),
            "harmoniser");
        files.push_back(base + "_attention.svg");
      }
    }
    files.push_back(outputs::write_curve(out + "/loss.svg", "harmoniser: cross-entropy per token", curve, {}));
    io::save_checkpoint(out + "/model.safetensors", model, {{"model", "harmoniser"}});
    const double steps = (double)std::max<int64_t>(1, total);
    const double acc = (double)(agree[0] + agree[1] + agree[2]) / (3 * steps);
    auto row = [](const char* who, const music::PartWriting& p) {
      return str("| ", who, " | ", fixed(100 * p.in_key_ratio(), 1), "% | ", fixed(p.parallels_per_100(), 2), " | ",
                 fixed(100 * p.crossing_rate(), 1), "% | ", fixed(100 * p.top_shape_share(), 1), "% | ",
                 fixed(100 * p.distinct_shape_share(), 1), "% |\n");
    };
    std::string report = str(
        "# Harmoniser on ", summary, "\n\n- ", epochs, " epochs; beam ", a.integer("beam", 1, 64),
        "; the first 32 steps of ", d.test.size(), " test ", piece, "s (", total,
        " steps), the soprano given\n\n## Voice by voice against the original\n\n",
        "| alto | tenor | bass | all three | attention on the aligned soprano step |\n|---|---|---|---|---|\n| ",
        fixed(100 * agree[0] / steps, 1), "% | ", fixed(100 * agree[1] / steps, 1), "% | ",
        fixed(100 * agree[2] / steps, 1), "% | ", fixed(100 * acc, 1), "% | ", fixed(aligned / (3 * steps), 3),
        " |\n\n",
        "## Four-part writing\n\n| | in key | parallel 5ths/8ves per 100 moving pairs | voice crossings | "
        "commonest chord shape | distinct shapes |\n|---|---|---|---|---|---|\n",
        row("Cadenza", ours), row(jsb ? "Bach" : "original", theirs),
        "\nIn key: notes in the piece's best major or minor key. Parallels: pairs of voices that both move, a fifth "
        "or octave into the same, the same way. Chord shape: the alto, tenor and bass as semitones below the soprano; "
        "the commonest one's share of the steps, and distinct shapes per step.\n");
    io::write_file_atomic(out + "/report.md", report, "harmoniser");
    files.push_back(out + "/report.md");
    std::printf("\nvoices equal to the original's on the test pieces' openings: %.1f%% of %lld notes (beam %lld)\n",
                100.0 * acc, (long long)(3 * total), (long long)a.integer("beam", 1, 64));
    std::printf("attention on the aligned soprano step %.3f; commonest chord shape %.1f%% of steps (original %.1f%%)\n",
                aligned / (3 * steps), 100 * ours.top_shape_share(), 100 * theirs.top_shape_share());
    std::printf("wrote %zu files to %s/:\n", files.size() + 1, out.c_str());
    for (const std::string& f : files) std::printf("  %s\n", f.c_str());
    std::printf("\nlisten: %s/%s_1_cadenza.wav beside %s_1_%s.wav    look: %s/%s_1_attention.svg\n", out.c_str(),
                piece.c_str(), piece.c_str(), original.c_str(), out.c_str(), piece.c_str());
    return g_stop ? 130 : 0;
  });
}
