// fuzz_wav.cpp: libFuzzer target for the WAV reader (`make fuzz`). Chapter: docs/06-sound-from-numbers.md.
// Invariants: no crash, no sanitizer report; samples in [-1, 1]; what reads can be written again.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "music/wav.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  try {
    music::Audio a = music::read_wav_bytes(bytes, "fuzz.wav");
    for (float x : a.samples)
      if (!(x >= -1.0f && x <= 1.0f)) std::abort();
    music::wav_bytes(a);
  } catch (const music::WavError&) {}
  return 0;
}
