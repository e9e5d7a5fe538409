// wav.h: 16-bit PCM WAV files in and out (standard library only).
// The writer emits the canonical 44-byte header; the reader walks the RIFF
// chunks (skipping LIST, fact and the like) and accepts 8/16/24/32-bit PCM and
// 32-bit float, converting to float samples in [-1, 1].
// Chapter: docs/06-sound-from-numbers.md.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace music {

class WavError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Audio {
  int sample_rate = 44100;
  int channels = 1;
  std::vector<float> samples;  // interleaved frames, in [-1, 1]
  double seconds() const { return channels ? (double)samples.size() / channels / sample_rate : 0; }
};

std::vector<uint8_t> wav_bytes(const Audio& a);           // 16-bit PCM, samples clamped to [-1, 1]
void write_wav(const std::string& path, const Audio& a);  // atomic: temporary file, then rename
Audio read_wav_bytes(const std::vector<uint8_t>& bytes, const std::string& what);
Audio read_wav(const std::string& path);

}  // namespace music
