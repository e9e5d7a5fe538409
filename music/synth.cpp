// synth.cpp: see synth.h. Each timbre is a few lines of maths in voice_sample().
// Chapter: docs/06-sound-from-numbers.md.
#include "music/synth.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace music {

Timbre timbre_for(int program, int channel) {
  if (channel == 9) return Timbre::Drums;
  static const Timbre family[16] = {Timbre::Piano, Timbre::Mallet,  Timbre::Organ,   Timbre::Guitar,
                                    Timbre::Bass,  Timbre::Strings, Timbre::Strings, Timbre::Brass,
                                    Timbre::Reed,  Timbre::Pipe,    Timbre::Synth,   Timbre::Synth,
                                    Timbre::Synth, Timbre::Guitar,  Timbre::Mallet,  Timbre::Drums};
  return family[std::clamp(program, 0, 127) / 8];
}

const char* timbre_name(Timbre t) {
  static const char* names[] = {"piano", "mallet", "organ", "guitar", "bass", "strings",
                                "brass", "reed",   "pipe",  "synth",  "drums"};
  return names[(int)t];
}

namespace {
constexpr double kTwoPi = 6.283185307179586;
}  // namespace

// [doc:adsr]
// Attack (linear), decay (exponential towards the sustain level), sustain, and a
// release that starts from whatever level the note had reached when it was let go.
double Envelope::held(double t) const {
  // [exercise:6.3] the ADSR envelope: linear attack, exponential decay to the sustain level
  if (t < attack) return t / attack;
  return sustain + (1 - sustain) * std::exp(-(t - attack) / decay);
  // [/exercise]
}
double Envelope::level(double t, double off) const {
  // [exercise:6.3] ... and the release, from the level the note had reached at `off`
  if (t < off) return held(t);
  double r = t - off;
  return r >= release ? 0 : held(off) * (1 - r / release);
  // [/exercise]
}
// [/doc]

// Equal temperament: A4 (pitch 69) is 440 Hz, and each semitone multiplies by 2^(1/12).
double midi_to_hz(int pitch) {
  // [exercise:6.4] a MIDI pitch's frequency in equal temperament
  return 440.0 * std::pow(2.0, (pitch - 69) / 12.0);
  // [/exercise]
}

Envelope envelope_for(Timbre t, double f) {
  switch (t) {
    case Timbre::Piano:
      return {0.005, 0.9 * std::sqrt(440.0 / f), 0.0, 0.25};
    case Timbre::Mallet:
      return {0.002, 0.6, 0.0, 0.3};
    case Timbre::Organ:
      return {0.01, 0.1, 0.9, 0.06};
    case Timbre::Guitar:
      return {0.003, 1.2, 0.0, 0.12};
    case Timbre::Bass:
      return {0.006, 0.4, 0.5, 0.08};
    case Timbre::Strings:
      return {0.08, 0.3, 0.85, 0.25};
    case Timbre::Brass:
      return {0.04, 0.2, 0.75, 0.12};
    case Timbre::Reed:
      return {0.03, 0.2, 0.8, 0.08};
    case Timbre::Pipe:
      return {0.05, 0.2, 0.85, 0.1};
    case Timbre::Synth:
      return {0.01, 0.3, 0.7, 0.15};
    case Timbre::Drums:
      return {0.001, 0.15, 0.0, 0.05};
  }
  return {0.01, 0.2, 0.7, 0.1};
}

namespace {

// Sum of harmonics k = 1..n with amplitude amp(k), skipping any above Nyquist.
template <class Amp>
double additive(double f, double t, int n, double nyquist, Amp amp) {
  double s = 0, norm = 0;
  for (int k = 1; k <= n && k * f < nyquist; ++k) {
    double a = amp(k);
    s += a * std::sin(kTwoPi * k * f * t);
    norm += a;
  }
  return norm > 0 ? s / norm : 0;
}

// A deterministic noise source (xorshift), seeded per voice.
struct Noise {
  uint64_t s;
  double next() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return (double)(s >> 11) * 0x1.0p-52 - 1.0;
  }
};

// [doc:voices]
// One sample of one voice at time t (seconds since the note-on), before the envelope.
double voice_sample(Timbre tb, double f, double t, double nyq, Noise& noise) {
  switch (tb) {
    case Timbre::Piano:  // bright attack whose upper harmonics fade first
      return additive(f, t, 8, nyq, [&](int k) { return std::exp(-t * 2.0 * (k - 1)) / std::pow(k, 1.3); });
    case Timbre::Mallet: {  // FM bell: carrier : modulator = 1 : 3.5, index decays
      double index = 2.5 * std::exp(-t * 4);
      return std::sin(kTwoPi * f * t + index * std::sin(kTwoPi * 3.5 * f * t));
    }
    case Timbre::Organ:  // drawbars 8', 4', 2 2/3', 2'
      return additive(f, t, 4, nyq, [](int k) { return k == 1 ? 1.0 : k == 2 ? 0.6 : k == 3 ? 0.4 : 0.3; });
    case Timbre::Guitar:  // plucked: many harmonics, the high ones dying fast
      return additive(f, t, 10, nyq, [&](int k) { return std::exp(-t * 3.0 * k) / k; });
    case Timbre::Bass:
      return additive(f, t, 6, nyq, [](int k) { return 1.0 / (k * k); });
    case Timbre::Strings: {  // sawtooth with a 5 Hz vibrato
      double ft = f * t + 0.003 * f / (kTwoPi * 5) * (1 - std::cos(kTwoPi * 5 * t));
      return additive(1.0, ft, 12, nyq / f, [](int k) { return 1.0 / k; });
    }
    case Timbre::Brass: {  // FM 1:1, brighter while loud
      double index = 1.0 + 2.0 * std::exp(-t * 6);
      return std::sin(kTwoPi * f * t + index * std::sin(kTwoPi * f * t));
    }
    case Timbre::Reed:  // odd harmonics: clarinet-like
      return additive(f, t, 9, nyq, [](int k) { return k % 2 ? 1.0 / k : 0.05; });
    case Timbre::Pipe:
      return 0.9 * std::sin(kTwoPi * f * t) + 0.1 * std::sin(kTwoPi * 2 * f * t) + 0.02 * noise.next();
    case Timbre::Synth:
      return additive(f, t, 16, nyq, [](int k) { return 1.0 / k; });
    case Timbre::Drums:
      return 0;  // see drum_sample
  }
  return 0;
}
// [/doc]

// Percussion from the General MIDI drum map, by key: kick, snare, hats, cymbals, toms.
double drum_sample(int key, double t, Noise& noise) {
  if (key == 35 || key == 36) {  // kick: a falling sine
    double f = 50 + 70 * std::exp(-t * 30);
    return std::sin(kTwoPi * f * t) * std::exp(-t * 9);
  }
  if (key == 38 || key == 40) return (0.7 * noise.next() + 0.3 * std::sin(kTwoPi * 185 * t)) * std::exp(-t * 18);
  if (key == 42 || key == 44) return noise.next() * std::exp(-t * 60);  // closed hi-hat
  if (key == 46) return noise.next() * std::exp(-t * 12);               // open hi-hat
  if (key == 49 || key == 51 || key == 52 || key == 55 || key == 57 || key == 59)
    return noise.next() * std::exp(-t * 3);
  double f = 80 + 6.0 * (key - 41);  // toms and the rest: pitched thumps
  return std::sin(kTwoPi * f * t) * std::exp(-t * 10);
}

// Sustain pedal: for each channel, the ticks where CC64 goes down and up.
struct Pedal {
  std::map<int, std::vector<std::pair<int64_t, bool>>> changes;  // channel -> (tick, down)
  explicit Pedal(const MidiFile& m) {
    for (const Track& t : m.tracks)
      for (const Event& e : t.events)
        if (e.is_channel() && e.type() == 0xB0 && e.data[0] == 64)
          changes[e.channel()].push_back({e.tick, e.data[1] >= 64});
    for (auto& [ch, v] : changes)
      std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });
  }
  // The tick a note released at `tick` really stops sounding: if the pedal is
  // down then, the first time it comes up afterwards.
  int64_t release(int ch, int64_t tick) const {
    auto it = changes.find(ch);
    if (it == changes.end()) return tick;
    bool down = false;
    for (auto& [t, d] : it->second) {
      if (t <= tick) {
        down = d;
        continue;
      }
      if (!down) return tick;
      if (!d) return t;
    }
    return tick;  // never released: stop at the note-off rather than ring forever
  }
};
}  // namespace

// [doc:render]
Audio render(const MidiFile& midi, const SynthOptions& opt, RenderReport* report) {
  if (opt.sample_rate < 1000 || opt.sample_rate > 192000)
    throw WavError("[render] sample rate must be 1000..192000 Hz");
  if (opt.max_voices < 1) throw WavError("[render] max_voices must be at least 1");
  TempoMap tempo(midi);
  Pedal pedal(midi);
  std::vector<Note> notes = extract_notes(midi);
  const double sr = opt.sample_rate, nyq = sr / 2;
  double end_s = 0;
  for (Note& n : notes) {
    if (opt.sustain_pedal) n.end_s = tempo.seconds(pedal.release(n.channel, n.end_tick));
    Envelope env = envelope_for(timbre_for(n.program, n.channel), 440);
    end_s = std::max(end_s, n.end_s + env.release + (n.channel == 9 ? 0.6 : 0));
  }
  if (end_s > 3600) throw WavError("[render] the piece lasts over an hour; render a shorter excerpt");
  // Each note sounds from its start for its length plus release (drums: 0.6 s), unless a note
  // beyond max_voices takes its voice: then it stops at that note's start, after a 10 ms fade.
  std::vector<size_t> order(notes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return notes[a].start_s < notes[b].start_s; });
  std::vector<double> until(notes.size()), fade(notes.size(), 0.0);  // seconds after its start; fade start
  for (size_t i = 0; i < notes.size(); ++i) {
    const Note& n = notes[i];
    Timbre tb = timbre_for(n.program, n.channel);
    until[i] =
        tb == Timbre::Drums ? 0.6 : std::max(n.end_s - n.start_s, 0.0) + envelope_for(tb, midi_to_hz(n.pitch)).release;
    fade[i] = until[i];
  }
  std::vector<size_t> sounding;  // in order of starting
  int64_t stolen = 0;
  const double kFade = 0.010;
  for (size_t i : order) {
    const double t = notes[i].start_s;
    sounding.erase(
        std::remove_if(sounding.begin(), sounding.end(), [&](size_t j) { return notes[j].start_s + until[j] <= t; }),
        sounding.end());
    if ((int)sounding.size() >= opt.max_voices) {  // steal the voice that started longest ago
      size_t j = sounding.front();
      sounding.erase(sounding.begin());
      fade[j] = std::max(0.0, t - notes[j].start_s);
      until[j] = std::min(until[j], fade[j] + kFade);
      ++stolen;
    }
    sounding.push_back(i);
  }
  double work = 0;
  for (size_t i = 0; i < notes.size(); ++i) work += until[i] * sr;
  if (opt.max_voice_samples > 0 && work > opt.max_voice_samples)
    throw WavError("[render] this file would take about " + std::to_string((long long)(work / kVoiceSamplesPerSecond)) +
                   " s to render: its " + std::to_string(notes.size()) + " notes sound for " +
                   std::to_string((long long)(work / sr)) +
                   " voice-seconds in all — render a shorter excerpt (cadenza render --no-limit renders it anyway)");
  if (report) report->notes = (int64_t)notes.size(), report->voices_stolen = stolen;
  std::vector<double> mix((size_t)std::ceil(end_s * sr), 0.0);
  const double voice_gain = std::pow(10.0, opt.headroom_db / 20);
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  double done = 0, next_report = 0.02 * work;
  for (size_t k = 0; k < notes.size(); ++k) {
    const Note& n = notes[k];
    if (n.end_tick <= n.start_tick && n.channel != 9) continue;  // zero-length: silent
    Timbre tb = timbre_for(n.program, n.channel);
    double f = midi_to_hz(n.pitch);
    Envelope env = envelope_for(tb, f);
    double dur = std::max(n.end_s - n.start_s, 0.0);
    double gain = voice_gain * std::pow(n.velocity / 127.0, 2);
    Noise noise{seed += 0x9E3779B97F4A7C15ull};
    size_t n0 = (size_t)std::llround(n.start_s * sr);
    size_t len = (size_t)std::ceil(until[k] * sr);
    for (size_t i = 0; i < len && n0 + i < mix.size(); ++i) {
      double t = i / sr;
      double s =
          tb == Timbre::Drums ? drum_sample(n.pitch, t, noise) : voice_sample(tb, f, t, nyq, noise) * env.level(t, dur);
      if (t > fade[k]) s *= std::max(0.0, 1 - (t - fade[k]) / kFade);  // a stolen voice fades out
      mix[n0 + i] += gain * s;
    }
    done += until[k] * sr;
    if (opt.progress && done >= next_report) opt.progress(done / work), next_report = done + 0.02 * work;
  }
  if (opt.progress) opt.progress(1.0);
  double peak = 0;
  for (double x : mix) peak = std::max(peak, std::fabs(x));
  double scale = peak > opt.peak ? opt.peak / peak : 1.0;  // never clip: scale the whole mix down
  Audio out;
  out.sample_rate = opt.sample_rate;
  out.samples.resize(mix.size());
  for (size_t i = 0; i < mix.size(); ++i) out.samples[i] = (float)(mix[i] * scale);
  return out;
}
// [/doc]

}  // namespace music
