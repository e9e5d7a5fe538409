// Chapter 6 tests: the synthesiser, WAV files and the piano-roll picture.
// docs/06-sound-from-numbers.md.
#include <doctest/doctest.h>

#include <cmath>

#include "music/roll_svg.h"
#include "music/synth.h"
#include "tests/helpers.h"

#include <cstring>
#include "tests/midi_helpers.h"
#include "plot/svg.h"

using namespace music;
using testing::smf;

namespace {
// Power of `x` at frequency f (Goertzel), over samples [a, b).
double power_at(const Audio& x, double f, size_t a, size_t b) {
  double w = 2 * M_PI * f / x.sample_rate, c = 2 * std::cos(w), s1 = 0, s2 = 0;
  for (size_t i = a; i < b && i < x.samples.size(); ++i) {
    double s0 = x.samples[i] + c * s1 - s2;
    s2 = s1, s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}
double rms(const Audio& x, double from_s, double to_s) {
  size_t a = (size_t)(from_s * x.sample_rate), b = std::min(x.samples.size(), (size_t)(to_s * x.sample_rate));
  double s = 0;
  for (size_t i = a; i < b; ++i) s += (double)x.samples[i] * x.samples[i];
  return b > a ? std::sqrt(s / (double)(b - a)) : 0;
}
// One note: program, pitch, velocity, from beat 1 for 2 beats at 120 qpm (0.5 s to 1.5 s), 96 tpq.
MidiFile one_note(int program, int pitch, int vel = 100) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "00 c0 %02x  60 90 %02x %02x  81 40 80 %02x 00  00 ff 2f 00", program, pitch, vel,
                pitch);
  return read_midi(smf(0, 96, {buf}));
}
}  // namespace

TEST_SUITE("ch06-sound") {
  TEST_CASE("an A4 note's spectrum peaks at 440 +- 1 Hz, for every timbre") {
    for (int program : {0, 8, 16, 24, 32, 40, 56, 64, 72, 80}) {
      Audio a = render(one_note(program, 69));
      size_t from = (size_t)(0.6 * a.sample_rate), to = (size_t)(1.4 * a.sample_rate);
      double best_f = 0, best = -1;
      for (double f = 420; f <= 460; f += 0.25) {
        double p = power_at(a, f, from, to);
        if (p > best) best = p, best_f = f;
      }
      INFO("program " << program << " (" << timbre_name(timbre_for(program, 0)) << ")");
      CHECK(std::fabs(best_f - 440) <= 1.0);
      CHECK(power_at(a, 440, from, to) > 20 * power_at(a, 415.3, from, to));  // A4, not G#4
    }
  }

  TEST_CASE("timing follows the tempo map; silence before the first note and after the release") {
    Audio a = render(one_note(0, 60));
    CHECK(rms(a, 0.0, 0.49) == 0);  // silence until the note-on at 0.5 s
    CHECK(rms(a, 0.51, 0.6) > 0.01);
    double release = 0.25;  // piano release
    CHECK(a.seconds() == doctest::Approx(1.5 + release).epsilon(0.002));
    // The same note at 60 qpm (a tempo event) starts at 1.0 s instead.
    MidiFile slow = read_midi(smf(0, 96, {"00 ff 51 03 0f 42 40  60 90 3c 64  81 40 80 3c 00  00 ff 2f 00"}));
    Audio b = render(slow);
    CHECK(rms(b, 0.0, 0.99) == 0);
    CHECK(rms(b, 1.01, 1.1) > 0.01);
    CHECK(b.seconds() == doctest::Approx(3.0 + release).epsilon(0.002));
  }

  TEST_CASE("the sustain pedal holds a released note") {
    // Pedal down at 0; note 0.5..1.0 s; pedal up at 2.0 s.
    MidiFile m = read_midi(smf(0, 96, {"00 b0 40 7f  60 90 45 64  60 80 45 00  81 40 b0 40 00  00 ff 2f 00"}));
    CHECK(render(m).seconds() > 2.0);
    SynthOptions no_pedal;
    no_pedal.sustain_pedal = false;
    CHECK(render(m, no_pedal).seconds() < 1.5);
  }

  TEST_CASE("a loud cluster never clips, drums sound, and renders are deterministic") {
    std::string body;
    for (int p = 40; p < 80; ++p) {
      char b[16];
      std::snprintf(b, sizeof b, "00 90 %02x 7f ", p);
      body += b;
    }
    body += "60 99 24 7f  00 99 26 7f  60 89 24 00  00 89 26 00  00 ff 2f 00";
    MidiFile m = read_midi(smf(0, 96, {body}));
    Audio a = render(m), b = render(m);
    float peak = 0;
    for (float s : a.samples) peak = std::max(peak, std::fabs(s));
    CHECK(peak <= 0.9f);
    CHECK(peak > 0.5f);
    CHECK(a.samples == b.samples);
    CHECK(timbre_for(0, 9) == Timbre::Drums);
    CHECK(rms(a, 0.5, 0.7) > 0);
  }

  TEST_CASE("voices: beyond max_voices the oldest note is cut short; a huge render is refused before it starts") {
    // 100 notes starting one tick apart and held for a second: at most 64 sound at once.
    std::string body;
    for (int i = 0; i < 100; ++i) {
      char b[24];
      std::snprintf(b, sizeof b, "%s 90 %02x 50 ", i ? "01" : "00", 30 + i % 60);
      body += b;
    }
    body += "81 40 b0 7b 00  00 ff 2f 00";  // then all notes off (CC123) after 192 ticks
    MidiFile m = read_midi(smf(0, 96, {body}));
    RenderReport rep;
    Audio a = render(m, {}, &rep);
    CHECK(rep.notes == 100);
    CHECK(rep.voices_stolen == 100 - 64);
    for (float x : a.samples) REQUIRE(std::isfinite(x));
    SynthOptions all;
    all.max_voices = 1000;
    RenderReport none;
    Audio b = render(m, all, &none);
    CHECK(none.voices_stolen == 0);
    CHECK(a.samples != b.samples);  // the cap changed what was heard
    // A piece with no more than max_voices at once renders exactly as without the cap.
    MidiFile small = read_midi(smf(0, 96, {"00 90 45 64  60 90 48 64  60 80 45 00  00 80 48 00  00 ff 2f 00"}));
    CHECK(render(small).samples == render(small, all).samples);
    // The work budget: refused with the time it would take, and --no-limit's hint.
    SynthOptions tight;
    tight.max_voice_samples = 1000;
    try {
      render(m, tight);
      FAIL("a render over budget was accepted");
    } catch (const WavError& e) {
      CHECK(std::string(e.what()).find("would take about") != std::string::npos);
      CHECK(std::string(e.what()).find("--no-limit") != std::string::npos);
    }
    // Progress reaches 1, in order.
    SynthOptions watched;
    std::vector<double> seen;
    watched.progress = [&](double f) { seen.push_back(f); };
    render(m, watched);
    REQUIRE(!seen.empty());
    CHECK(seen.back() == 1.0);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
  }

  TEST_CASE("WAV: header fields, round trip, foreign chunks skipped, bad files refused") {
    Audio a;
    a.sample_rate = 22050;
    a.samples = {0.0f, 0.5f, -0.5f, 1.5f, -1.0f};
    std::vector<uint8_t> w = wav_bytes(a);
    CHECK(w.size() == 44 + 10);
    CHECK(std::string(w.begin(), w.begin() + 4) == "RIFF");
    CHECK((w[24] | w[25] << 8) == 22050);
    CHECK((w[34] | w[35] << 8) == 16);
    Audio back = read_wav_bytes(w, "test");
    CHECK(back.sample_rate == 22050);
    REQUIRE(back.samples.size() == 5);
    CHECK(back.samples[1] == doctest::Approx(0.5).epsilon(1e-3));
    CHECK(back.samples[3] == doctest::Approx(1.0).epsilon(1e-3));  // clamped, not wrapped
    // A LIST chunk before "data" is skipped.
    std::vector<uint8_t> with_list(w.begin(), w.begin() + 36);
    for (char c : std::string("LIST\x04\x00\x00\x00INFO", 12)) with_list.push_back((uint8_t)c);
    with_list.insert(with_list.end(), w.begin() + 36, w.end());
    CHECK(read_wav_bytes(with_list, "list").samples.size() == 5);
    CHECK_THROWS_AS(read_wav_bytes({'R', 'I', 'F', 'F'}, "short"), WavError);
    std::vector<uint8_t> no_fmt = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 'd', 'a', 't', 'a', 0, 0, 0, 0};
    CHECK_THROWS_AS(read_wav_bytes(no_fmt, "no fmt"), WavError);
    // Found by make fuzz: a float WAV's NaN or out-of-range samples reached Audio as they were.
    std::vector<uint8_t> flt = w;
    flt[20] = 3, flt[34] = 32, flt[32] = 4;  // format 3 (IEEE float), 32 bits, 4-byte frames
    const float odd[] = {std::nanf(""), 2.5f, -7.0f, 0.25f};
    flt.resize(44);
    for (float v : odd) {
      uint8_t bytes[4];
      std::memcpy(bytes, &v, 4);
      flt.insert(flt.end(), bytes, bytes + 4);
    }
    flt[40] = 16, flt[41] = flt[42] = flt[43] = 0;  // the data chunk's length
    Audio f = read_wav_bytes(flt, "float");
    REQUIRE(f.samples.size() == 4);
    CHECK(f.samples[0] == 0.0f);
    CHECK(f.samples[1] == 1.0f);
    CHECK(f.samples[2] == -1.0f);
    CHECK(f.samples[3] == 0.25f);
    for (size_t n = 0; n < w.size(); n += 3) {  // every truncation: an error or a shorter file, never a crash
      try {
        read_wav_bytes(std::vector<uint8_t>(w.begin(), w.begin() + n), "cut");
      } catch (const WavError&) {}
    }
  }

  TEST_CASE("the piano-roll SVG names pitches, draws bars and one box per note") {
    MidiFile m = read_midi(smf(
        1, 96,
        {"00 ff 58 04 03 02 18 08  00 ff 2f 00", "00 90 3c 64  60 80 3c 00  00 90 48 20  60 80 48 00  00 ff 2f 00"}));
    std::string svg = piano_roll_svg(m, {"test", 600, 300, 0});
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find(">C4<") != std::string::npos);
    CHECK(svg.find(">C5<") != std::string::npos);
    CHECK(svg.find(">test<") != std::string::npos);
    CHECK(svg.find("fill-opacity") != std::string::npos);  // velocity shading
  }

  TEST_CASE("plots: a one-epoch curve shows its point; a heatmap is wide enough for its title") {
    plot::PlotOptions o;
    o.title = "one epoch";
    std::string one = plot::line_plot({{"train", {1}, {0.5}, ""}}, o);
    CHECK(one.find("<circle") != std::string::npos);
    std::string two = plot::line_plot({{"train", {1, 2}, {0.5, 0.4}, ""}}, o);
    CHECK(two.find("<circle") == std::string::npos);  // a line needs no markers
    plot::HeatmapOptions h;
    h.title = std::string(60, 'x');  // 60 characters over a 4 x 4 grid
    std::string svg = plot::heatmap(std::vector<double>(16, 0.5), 4, 4, h);
    double width = std::stod(svg.substr(svg.find("width=\"") + 7));
    CHECK(width >= 60 + 0.55 * 14 * 60);
  }

}  // TEST_SUITE
