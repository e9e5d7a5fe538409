// pianoroll.h: from notes to matrices a model can read, and back to MIDI.
//
//   PianoRoll      (T, P): step t, key p; 1/0 (binary) or velocity/127. T steps
//                  on a grid of `steps_per_quarter` (default 4: sixteenth notes).
//   NoteState      (T, 2P): [play..., articulate...] per step, the representation
//                  of the seed tutorial's RBM demo; articulate marks a (re)strike.
//   Melody tokens  one token per step: a pitch (note-on), HOLD or REST.
//   Events         performance tokens: NOTE_ON(p), NOTE_OFF(p), TIME_SHIFT(k steps), VELOCITY(bin).
// Every encoding decodes back to a MidiFile that plays.
// Chapter: docs/05-midi-and-piano-rolls.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "music/midi.h"

namespace music {

struct RollOptions {
  int steps_per_quarter = 4;
  int lowest = 21, highest = 108;  // inclusive: 88 piano keys by default
  bool velocity = false;           // store velocity/127 instead of 1
  bool include_drums = false;      // channel 10 (index 9)
};

struct PianoRoll {
  int64_t steps = 0;
  int lowest = 21, highest = 108;
  int steps_per_quarter = 4;
  bool has_velocity = false;   // data holds velocity/127 rather than 1
  std::vector<float> data;     // steps x keys, row-major
  std::vector<uint8_t> onset;  // steps x keys: 1 where a note starts (so repeated notes survive decoding)
  int keys() const { return highest - lowest + 1; }
  float at(int64_t t, int pitch) const { return data[(size_t)t * keys() + (pitch - lowest)]; }
};

// Notes are snapped to the nearest grid step; a note shorter than a step keeps one
// step; zero-length notes are dropped; pitches outside [lowest, highest] are dropped.
PianoRoll to_piano_roll(const MidiFile& midi, const RollOptions& opt = {});

struct DecodeOptions {
  int ticks_per_quarter = 480;
  double qpm = 120;
  int program = 0;    // General MIDI program (0: acoustic grand piano)
  int velocity = 80;  // for binary rolls
  int channel = 0;
};
// One track (plus a tempo track); a note is a run of "on" steps, split at onsets.
MidiFile from_piano_roll(const PianoRoll& roll, const DecodeOptions& opt = {});

// ---- the seed demo's (play, articulate) note-state matrix, improved default ----
// Built from extract_notes: every non-drum channel, nearest-step quantisation,
// no early stop on 3/4 time, every note closed. Row t: [play[0..P), artic[0..P)].
std::vector<std::vector<uint8_t>> note_state_matrix(const MidiFile& midi, int steps_per_quarter = 4, int lowest = 24,
                                                    int highest = 101);
MidiFile note_state_to_midi(const std::vector<std::vector<uint8_t>>& rows, int lowest = 24,
                            const DecodeOptions& opt = {});

// ---- monophonic melody tokens ----
constexpr int kMelodyRest = 128, kMelodyHold = 129, kMelodyVocab = 130;
// The highest sounding note at each step; onsets become the pitch token.
std::vector<int> melody_tokens(const MidiFile& midi, int steps_per_quarter = 4);
MidiFile melody_to_midi(const std::vector<int>& tokens, int steps_per_quarter = 4, const DecodeOptions& opt = {});

// ---- performance events (Oore et al. style) ----
// Tokens: 0..127 NOTE_ON(p), 128..255 NOTE_OFF(p), 256..355 TIME_SHIFT(1..100 steps of 10 ms),
// 356..387 VELOCITY(32 bins).
constexpr int kEventNoteOn = 0, kEventNoteOff = 128, kEventShift = 256, kEventVelocity = 356, kEventVocab = 388;
std::vector<int> performance_events(const MidiFile& midi);
MidiFile events_to_midi(const std::vector<int>& tokens, const DecodeOptions& opt = {});
std::string event_token_name(int token);

}  // namespace music
