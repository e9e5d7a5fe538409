// phrases.h: two-track phrases, what the adversarial networks learn from: a few bars of 4/4
// on a sixteenth grid, a melody and its accompaniment as two binary rolls over one key range.
//
//   melody         the top voice of the track with the highest mean pitch (a file with one
//                  note track: the top voice of everything)
//   accompaniment  every other note: the chord track, where the file has one
//
// Bars are counted from the file's time signatures, a pickup bar with its own short time
// signature being a bar, so bar lines fall where the score has them. A phrase is `bars`
// consecutive bars of exactly `steps_per_bar` steps: 3/4 and 6/8 bars never enter one. A new
// phrase starts every `hop_bars` bars. Phrases whose melody is silent throughout are left out.
// Chapter: docs/12-adversarial-networks.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "music/pianoroll.h"

namespace music {

struct PhraseOptions {
  int bars = 4;
  int steps_per_bar = 16;         // 4/4 (or 2/2) at 4 steps per quarter note
  int lowest = 36, highest = 83;  // C2..B5, both tracks; notes outside are dropped and counted
  int hop_bars = 1;
};

struct Phrase {
  PianoRoll melody, accompaniment;  // bars * steps_per_bar steps each, keys lowest..highest
  std::string piece;                // the piece it comes from, so splits go by piece
  int64_t first_bar = 0;            // 0-based, counting a pickup bar
};

struct PhraseReport {
  int64_t bars = 0;           // bars in the file
  int64_t full_bars = 0;      // of them, bars of exactly steps_per_bar steps
  int64_t notes = 0;          // notes read (drums excluded)
  int64_t out_of_range = 0;   // notes dropped for lying outside lowest..highest
  std::string melody_source;  // "track 1" or "top voice"
};

// The phrases of one file. A file in SMPTE time (no bars) gives none, said in report->melody_source.
std::vector<Phrase> two_track_phrases(const MidiFile& m, const std::string& piece, const PhraseOptions& opt = {},
                                      PhraseReport* report = nullptr);

// A phrase as rolls of `bars * steps_per_bar` steps from a (2, T, K) array of 0/1 cells
// (track 0 the melody), and back. Onsets are dropped: a generator writes runs, not strikes.
Phrase phrase_from_cells(const std::vector<float>& cells, int64_t steps, int lowest, int highest);
std::vector<float> phrase_cells(const Phrase& p);

// The phrase as MIDI: a tempo track, the melody on channel 0 and the accompaniment on channel 1
// (General MIDI programs melody_program and accompaniment_program). A run of "on" steps is one note.
MidiFile phrase_to_midi(const Phrase& p, double qpm = 120, int melody_program = 0, int accompaniment_program = 0);
// Phrases one after another in one file (a gap of `gap_steps` silent steps between them).
MidiFile phrases_to_midi(const std::vector<Phrase>& ps, int64_t gap_steps, double qpm = 120);

}  // namespace music
