// Graded exercises of chapter 6 (docs/06-sound-from-numbers.md): WAV bytes both ways,
// the ADSR envelope and equal temperament. The reader's test builds its files by hand,
// so it does not lean on the writer (exercise 6.1).
#include <cmath>
#include <cstring>

#include "music/synth.h"
#include "music/wav.h"
#include "tests/grade/grade.h"

using namespace music;

namespace {
uint32_t le32(const std::vector<uint8_t>& b, size_t p) {
  return (uint32_t)b[p] | (uint32_t)b[p + 1] << 8 | (uint32_t)b[p + 2] << 16 | (uint32_t)b[p + 3] << 24;
}
uint32_t le16(const std::vector<uint8_t>& b, size_t p) { return (uint32_t)b[p] | (uint32_t)b[p + 1] << 8; }
void put(std::vector<uint8_t>& o, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) o.push_back((uint8_t)(v >> (8 * i)));
}
// A RIFF/WAVE file: an extra chunk of odd length first (it must be skipped, with its pad byte).
std::vector<uint8_t> wav_by_hand(int format, int channels, int rate, int bits, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> o = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E',
                            'L', 'I', 'S', 'T', 3, 0, 0, 0, 'a', 'b', 'c', 0};
  o.insert(o.end(), {'f', 'm', 't', ' '});
  put(o, 16, 4), put(o, (uint32_t)format, 2), put(o, (uint32_t)channels, 2), put(o, (uint32_t)rate, 4);
  put(o, (uint32_t)(rate * channels * bits / 8), 4), put(o, (uint32_t)(channels * bits / 8), 2),
      put(o, (uint32_t)bits, 2);
  o.insert(o.end(), {'d', 'a', 't', 'a'});
  put(o, (uint32_t)data.size(), 4);
  o.insert(o.end(), data.begin(), data.end());
  uint32_t riff = (uint32_t)o.size() - 8;
  std::memcpy(&o[4], &riff, 4);
  return o;
}
}  // namespace

GRADE("6.1", 2, 25, "write a 16-bit PCM WAV file") {
  Audio a;
  a.sample_rate = 22050, a.channels = 2;
  a.samples = {0.0f, 0.5f, -0.5f, 1.0f, -1.0f, 2.0f, -3.0f, NAN};
  std::vector<uint8_t> b = wav_bytes(a);
  REQUIRE(b.size() == 44 + 16);
  CHECK(std::memcmp(b.data(), "RIFF", 4) == 0);
  CHECK(le32(b, 4) == 36 + 16);
  CHECK(std::memcmp(b.data() + 8, "WAVEfmt ", 8) == 0);
  CHECK(le32(b, 16) == 16);
  CHECK(le16(b, 20) == 1);  // PCM
  CHECK(le16(b, 22) == 2);
  CHECK(le32(b, 24) == 22050);
  CHECK(le32(b, 28) == 22050 * 4);  // bytes a second
  CHECK(le16(b, 32) == 4);          // bytes a frame
  CHECK(le16(b, 34) == 16);
  CHECK(std::memcmp(b.data() + 36, "data", 4) == 0);
  CHECK(le32(b, 40) == 16);
  std::vector<int16_t> want = {0, 16384, -16384, 32767, -32767, 32767, -32767, 0};  // clipped; NaN is silence
  for (size_t i = 0; i < want.size(); ++i) CHECK((int16_t)le16(b, 44 + 2 * i) == want[i]);
}

GRADE("6.2", 3, 40, "read WAV files: walk the chunks, decode PCM and float samples") {
  Audio a = read_wav_bytes(wav_by_hand(1, 1, 8000, 16, {0x00, 0x40, 0x00, 0xC0, 0xFF, 0x7F}), "16-bit");
  CHECK(a.sample_rate == 8000);
  CHECK(a.channels == 1);
  REQUIRE(a.samples.size() == 3);
  CHECK(a.samples[0] == doctest::Approx(0.5));
  CHECK(a.samples[1] == doctest::Approx(-0.5));
  CHECK(a.samples[2] == doctest::Approx(32767.0 / 32768));
  Audio b = read_wav_bytes(wav_by_hand(1, 2, 44100, 8, {128, 0, 192, 255}), "8-bit");
  REQUIRE(b.samples.size() == 4);
  CHECK(b.channels == 2);
  CHECK(b.samples[0] == 0);
  CHECK(b.samples[1] == -1);
  CHECK(b.samples[2] == doctest::Approx(0.5));
  Audio c = read_wav_bytes(wav_by_hand(1, 1, 48000, 24, {0x00, 0x00, 0xC0, 0x00, 0x00, 0x40}), "24-bit");
  REQUIRE(c.samples.size() == 2);
  CHECK(c.samples[0] == doctest::Approx(-0.5));
  CHECK(c.samples[1] == doctest::Approx(0.5));
  float f[2] = {0.25f, -0.75f};
  std::vector<uint8_t> fl(8);
  std::memcpy(fl.data(), f, 8);
  Audio d = read_wav_bytes(wav_by_hand(3, 1, 16000, 32, fl), "float");
  REQUIRE(d.samples.size() == 2);
  CHECK(d.samples[1] == -0.75f);
  CHECK_THROWS_AS(read_wav_bytes({'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'A', 'V', 'E'}, "empty"), WavError);
  CHECK_THROWS_AS(read_wav_bytes(wav_by_hand(2, 1, 8000, 4, {0, 0}), "ADPCM"), WavError);
}

GRADE("6.3", 2, 20, "the ADSR envelope, and a release from wherever the note was") {
  Envelope e{0.1, 0.5, 0.25, 0.2};
  CHECK(e.held(0) == 0);
  CHECK(e.held(0.05) == doctest::Approx(0.5));
  CHECK(e.held(0.1) == doctest::Approx(1.0));
  CHECK(e.held(0.6) == doctest::Approx(0.25 + 0.75 * std::exp(-1.0)));
  CHECK(e.held(100) == doctest::Approx(0.25));
  CHECK(e.level(0.05, 1.0) == doctest::Approx(0.5));         // still held
  CHECK(e.level(0.15, 0.05) == doctest::Approx(0.5 * 0.5));  // let go during the attack, halfway released
  CHECK(e.level(1.1, 1.0) == doctest::Approx(e.held(1.0) / 2));
  CHECK(e.level(1.2, 1.0) == doctest::Approx(0).epsilon(1e-9));
  CHECK(e.level(1.21, 1.0) == 0);
  CHECK(e.level(5.0, 1.0) == 0);
}

GRADE("6.4", 1, 10, "equal temperament: a MIDI pitch's frequency") {
  CHECK(midi_to_hz(69) == doctest::Approx(440.0));
  CHECK(midi_to_hz(81) == doctest::Approx(880.0));
  CHECK(midi_to_hz(60) == doctest::Approx(261.6255653));
  CHECK(midi_to_hz(21) == doctest::Approx(27.5));
  CHECK(midi_to_hz(70) / midi_to_hz(69) == doctest::Approx(std::pow(2.0, 1.0 / 12)));
}
