// fuzz_midi_read.cpp: libFuzzer target for the MIDI reader (`make fuzz`).
// Chapter: docs/05-midi-and-piano-rolls.md.
// Invariants: no crash, no sanitizer report, diagnostic offsets inside the
// input, and anything that reads also writes and reads back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "music/midi.h"
#include "music/pianoroll.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  try {
    music::ReadOptions opt;
    opt.max_ticks = 1 << 24;  // keep piano rolls small under the fuzzer
    music::MidiFile m = music::read_midi(bytes, opt);
    for (const auto& d : m.diagnostics)
      if (d.offset > size) std::abort();
    music::extract_notes(m);
    music::to_piano_roll(m);
    if (!m.tracks.empty() && !(m.format == 0 && m.tracks.size() != 1)) {
      std::vector<uint8_t> w = music::write_midi(m);
      if (music::write_midi(music::read_midi(w)) != w) std::abort();  // the writer must be idempotent
    }
  } catch (const music::MidiError&) {}
  return 0;
}
