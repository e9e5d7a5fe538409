// roll_svg.h: a piano-roll picture of a MIDI file, as SVG.
// Time runs left to right in musical time with bar lines from the time
// signature; pitch runs bottom to top, labelled at every C; each track has its
// own colour and velocity sets the shading. Chapter: docs/05-midi-and-piano-rolls.md.
#pragma once
#include <string>

#include "music/midi.h"

namespace music {

struct RollSvgOptions {
  std::string title;
  double width = 960, height = 420;
  double max_seconds = 0;  // 0: the whole piece; otherwise only the start
};

std::string piano_roll_svg(const MidiFile& midi, const RollSvgOptions& opt = {});

}  // namespace music
