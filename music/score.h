// score.h: Cadenza's small text notation for tunes with chords, compiled to MIDI.
//
//   title: Ode to Joy
//   composer: Ludwig van Beethoven (1824)
//   meter: 4/4          key: D          tempo: 112        style: block
//   melody: F#4 F#4 G4 A4 | A4 G4 F#4 E4 | D4 D4 E4 F#4 | F#4q. E4e E4h |
//   chords: D | A | D | D A |
//
// Notes are NAME[#|b]OCTAVE plus a duration: w h q e s (whole .. sixteenth,
// default q), '.' for dotted; rests are r plus a duration (rq, rh). '|' marks
// bars, and every bar must fill the meter (a 'pickup: N' bar of N beats, a beat
// being the meter's lower number, may open the tune; the last bar may be short). Chords divide their
// bar equally; '-' continues the previous chord. The compiler writes three
// tracks: a conductor (tempo, meter, key), the melody, and an accompaniment in
// the chosen style (block, waltz, march, arpeggio, alberti) with a bass line.
// The full grammar is in music/corpus/README.md. Chapter: docs/05-midi-and-piano-rolls.md.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "music/midi.h"

namespace music {

class ScoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Score {
  std::string name;  // file stem
  std::string title, composer, source, key = "C", style = "block";
  int meter_num = 4, meter_den = 4, tempo = 100, pickup_beats = 0;
  int melody_program = 0, accompaniment_program = 0;
  struct Item {
    int pitch;
    int sixteenths;
    int bar;
  };  // pitch -1: rest
  struct Chord {
    std::vector<int> pitch_classes;
    int root = 0, bass = 0;
    int start = 0, length = 0;
  };  // in sixteenths
  std::vector<Item> melody;
  std::vector<Chord> chords;
  int bars = 0;
};

// Parses score text; `name` is used in error messages ("[score] NAME line 12, bar 5: ...").
Score parse_score(const std::string& text, const std::string& name);
Score read_score_file(const std::string& path);
// Three tracks at 480 ticks per quarter: conductor, melody (channel 0), accompaniment (channel 1).
MidiFile score_to_midi(const Score& score);

}  // namespace music
