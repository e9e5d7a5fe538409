// seed_compat.h: a faithful port of the seed tutorial's MIDI code
// (Music_Generator_Demo's midi_manipulation.py), quirks included, so its RBM
// demo can be reproduced exactly. Specified in ../shared/notes/seed-rbm-demo.md;
// the improved encoding sits beside it in pianoroll.h.
//
// Reader quirks kept on purpose: pitches 24..101 only; channels, velocities and
// tempo ignored; all tracks merged; nearest-16th windows with state mutated in
// place (a note on and off inside one window is lost); the whole file stops at
// the first time signature whose numerator is not 2 or 4; Python 2 integer
// division for the grid. Writer: 220 ticks per quarter, 55 ticks a row, note-ons
// at velocity 40, python-midi running status, and notes still on at the end are
// never released. Chapter: docs/05-midi-and-piano-rolls.md ("The seed demo's format").
#pragma once
#include <cstdint>
#include <vector>

#include "music/midi.h"

namespace music::seed {

constexpr int kLowerBound = 24, kUpperBound = 102, kSpan = 78;  // pitches [24, 102)

using Row = std::vector<uint8_t>;  // 156 values: play[0..78), articulate[0..78)

// midiToNoteStateMatrix. Throws MidiError("division_too_small") below 8 ticks per quarter.
std::vector<Row> note_state_matrix(const MidiFile& midi);
// noteStateMatrixToMidi: the exact bytes the original wrote.
std::vector<uint8_t> note_state_to_midi_bytes(const std::vector<Row>& rows);

}  // namespace music::seed
