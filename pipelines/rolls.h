// rolls.h: the bridge between piano rolls (music/) and tensors (engine/), written once.
//
// Every model that reads or writes music goes through these: the frame models
// (LSTM, GRU, TCN, RNN-NADE) read next-step batches of 0/1 frames, the frame RBM
// reads stacked frames, the music RBM reads note-state windows, and the samplers
// write frames back into a roll. Chapters: docs/05-midi-and-piano-rolls.md (the
// encodings), docs/08-recurrent-networks.md (frame batches).
#pragma once
#include <cstdint>
#include <vector>

#include "engine/core/tensor.h"
#include "music/pianoroll.h"

namespace pipelines {

// A batch for next-step prediction, padded to the longest roll:
//   x[b, t] = frame t-1 of roll b (zeros at t = 0),  y[b, t] = frame t;  both (B, T, keys), 0/1.
struct FrameBatch {
  cadenza::Tensor x, y;
  std::vector<int64_t> lengths;  // steps of each roll; steps past a roll's length are zeros
};
// The rolls must have the same key range.
FrameBatch frame_batch(const std::vector<const music::PianoRoll*>& rolls);

// Every step of every roll, one after another, as a (total steps, keys) tensor of 0/1 frames.
cadenza::Tensor stacked_frames(const std::vector<music::PianoRoll>& rolls);

// Appends one 0/1 frame (keys values, any shape) as the roll's next step, with no onsets.
void append_frame(music::PianoRoll& roll, const cadenza::Tensor& frame);
// Marks an onset wherever a key sounds and did not sound one step before.
void mark_onsets(music::PianoRoll& roll);

// A piece as note-state rows (music::note_state_matrix): row t is
// [play x keys | articulate x keys] for the keys lowest .. lowest + keys - 1.
struct NoteStatePiece {
  int lowest = 24, keys = 78;
  std::vector<std::vector<uint8_t>> rows;
  int64_t steps() const { return (int64_t)rows.size(); }
};

// The four voices of a chorale, step by step, read off its roll: the soprano is the highest
// sounding key, the bass the lowest, the alto and tenor the second highest and second lowest
// (a step with fewer notes repeats them). MIDI pitches, -1 for a rest.
struct SATB {
  std::vector<int> s, a, t, b;
};
SATB satb_voices(const music::PianoRoll& roll);
// A roll of `voices` (each one MIDI pitch per step, -1 for a rest) on the keys lowest..highest:
// a note starts wherever a voice changes pitch. Pitches outside the keys are left out.
music::PianoRoll roll_from_voices(const std::vector<std::vector<int>>& voices, int steps_per_quarter, int lowest = 21,
                                  int highest = 108);

}  // namespace pipelines
