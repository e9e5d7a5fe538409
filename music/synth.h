// synth.h: a small deterministic synthesiser: MIDI in, audio out.
//
// Each note becomes a voice with a timbre chosen by its General MIDI program
// family (piano, mallets, organ, guitar, bass, strings, brass, reeds, pipes,
// synths), an ADSR envelope, and a velocity gain of (v/127)^2. Channel 10 is a
// percussion voice (kick, snare, hats from pitch). Timing follows the tempo
// map to the sample; the sustain pedal (CC64) holds notes. The mix is scaled
// down when needed so it never clips. Same input, same samples.
// Chapter: docs/06-sound-from-numbers.md.
#pragma once
#include <functional>
#include "music/midi.h"
#include "music/wav.h"

namespace music {

// Voice samples one core computes per second, roughly: only for the estimate in render's refusal
// and the default budget below (docs/06-sound-from-numbers.md has the measurement and the CPU).
constexpr double kVoiceSamplesPerSecond = 1.5e7;

struct SynthOptions {
  int sample_rate = 44100;
  double headroom_db = -12;   // level of a single full-velocity voice
  double peak = 0.89;         // the mix is scaled down when it would exceed this
  bool sustain_pedal = true;  // CC64 extends note-offs
  // At most this many notes sound at once, as on a hardware synthesiser: a new note beyond it
  // takes the voice of the one that started longest ago, which fades out in 10 ms.
  int max_voices = 64;
  // Refuse a file whose voices would need more than this many samples computed, saying how long
  // it would take, instead of running for minutes: kVoiceSamplesPerSecond seconds' worth of ten.
  double max_voice_samples = 10 * kVoiceSamplesPerSecond;  // 0: no limit
  std::function<void(double done)> progress;               // called now and then with the fraction done (0..1)
};

// What render did beyond the samples: how many notes lost their voice to a newer one.
struct RenderReport {
  int64_t notes = 0, voices_stolen = 0;
};

// The instrument family for a General MIDI program 0..127.
enum class Timbre { Piano, Mallet, Organ, Guitar, Bass, Strings, Brass, Reed, Pipe, Synth, Drums };
Timbre timbre_for(int program, int channel);
const char* timbre_name(Timbre t);

// A note's loudness over time: a linear attack, an exponential decay towards the sustain
// level, and a linear release from whatever level the note had reached when let go.
struct Envelope {
  double attack, decay, sustain, release;    // seconds, seconds, level 0..1, seconds
  double held(double t) const;               // level t seconds after the key went down
  double level(double t, double off) const;  // ... when the key came up at `off`
};

// The envelope each instrument family plays a note of frequency f (Hz) with.
Envelope envelope_for(Timbre t, double f);

// A4 (pitch 69) = 440 Hz; each semitone multiplies by 2^(1/12).
double midi_to_hz(int pitch);

Audio render(const MidiFile& midi, const SynthOptions& opt = {}, RenderReport* report = nullptr);

}  // namespace music
