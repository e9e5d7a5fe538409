// dataset.h: collections of pieces for training: a folder of MIDI files, the
// polyphonic benchmark's text format, splits, transposition, windows, batches.
// Randomness comes from an explicit seed (std::mt19937_64, whose output the C++
// standard fixes), so splits and batches are the same on every machine.
// Chapter: docs/05-midi-and-piano-rolls.md ("Datasets").
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "music/pianoroll.h"

namespace music {

// ---- a folder of MIDI files, read recursively ----
struct MidiItem {
  std::string path;
  MidiFile midi;
};
struct Skipped {
  std::string path;
  std::string reason;
};
struct MidiFolder {
  std::vector<MidiItem> items;   // sorted by path
  std::vector<Skipped> skipped;  // unreadable files, with the reason for each
  std::string summary() const;   // "126 files read, 2 skipped:\n  a.mid: ..."
};
// Reads *.mid, *.midi, *.kar, *.rmi (any case) below `dir`. Throws MidiError if
// `dir` cannot be opened or holds no MIDI file at all.
MidiFolder load_midi_folder(const std::string& dir, const ReadOptions& opt = {});

// ---- the polyphonic benchmark (Boulanger-Lewandowski et al. 2012) ----
// One line per step: ascending MIDI pitches 21..108, or "-" for silence; "===" between pieces.
// Rolls are binary, 88 keys from A0 (21), with steps_per_quarter = 1 (right for JSB Chorales;
// the other three corpora step in eighth notes, which the file does not say). Errors name the file and line.
std::vector<PianoRoll> read_polyphonic(const std::string& path);
std::vector<PianoRoll> parse_polyphonic(const std::string& text, const std::string& name);

// ---- splits, augmentation, windows, batches ----
struct Split {
  std::vector<size_t> train, valid, test;
};
// Shuffles 0..n-1 with `seed` and cuts it by the two fractions (the rest is test).
Split split_indices(size_t n, double train_fraction, double valid_fraction, uint64_t seed);
// Shifts every note by `semitones`; notes pushed outside the roll's range are dropped
// and counted in *dropped when given.
PianoRoll transpose(const PianoRoll& roll, int semitones, int64_t* dropped = nullptr);
// How far the roll can move without losing a note, at most `limit` each way: {down, up}
// semitones ({0, 0} for a silent roll). Augmentation draws its shifts from [-down, up].
std::pair<int, int> transpose_room(const PianoRoll& roll, int limit);
// Windows of `length` steps every `hop` steps (the last partial window is dropped).
std::vector<PianoRoll> windows(const PianoRoll& roll, int64_t length, int64_t hop);
// Mini-batches of indices 0..n-1, shuffled with `seed` when shuffle is true; the last may be smaller.
std::vector<std::vector<size_t>> batches(size_t n, size_t batch_size, bool shuffle, uint64_t seed);

}  // namespace music
