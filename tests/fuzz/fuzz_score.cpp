// fuzz_score.cpp: libFuzzer target for the tune notation's parser (`make fuzz`).
// Chapter: docs/05-midi-and-piano-rolls.md ("The bundled corpus").
// Invariants: no crash, no sanitizer report; a tune that parses compiles to a MIDI file that the
// reader reads back without an error.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "music/midi.h"
#include "music/score.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    music::Score s = music::parse_score(text, "fuzz.tune");
    music::MidiFile m = music::score_to_midi(s);
    music::read_midi(music::write_midi(m));
  } catch (const music::ScoreError&) {
  } catch (const music::MidiError&) {
    std::abort();  // a tune that parsed must compile to a readable file
  }
  return 0;
}
