// midi_helpers.h: build MIDI bytes from annotated hex dumps in tests (chapter 5,
// docs/05-midi-and-piano-rolls.md), e.g.
//   hex("4d 54 68 64  00 00 00 06  # MThd, length 6")
#pragma once
#include <cctype>
#include <string>
#include <vector>

#include "music/midi.h"

namespace testing {

inline std::vector<uint8_t> hex(const std::string& text) {
  std::vector<uint8_t> out;
  int nibble = -1;
  bool comment = false;
  for (char c : text) {
    if (c == '#') comment = true;
    if (c == '\n') comment = false;
    if (comment || !std::isxdigit((unsigned char)c)) continue;
    int v = std::isdigit((unsigned char)c) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (nibble < 0) nibble = v;
    else {
      out.push_back((uint8_t)(nibble * 16 + v));
      nibble = -1;
    }
  }
  return out;
}

// An SMF with one header and the given track bodies (each gets its MTrk length).
inline std::vector<uint8_t> smf(int format, int division, const std::vector<std::string>& tracks, int declared = -1) {
  std::vector<uint8_t> out = hex("4d 54 68 64 00 00 00 06");
  out.push_back(0), out.push_back((uint8_t)format);
  int n = declared < 0 ? (int)tracks.size() : declared;
  out.push_back((uint8_t)(n >> 8)), out.push_back((uint8_t)n);
  out.push_back((uint8_t)(division >> 8)), out.push_back((uint8_t)division);
  for (const std::string& t : tracks) {
    std::vector<uint8_t> body = hex(t);
    out.insert(out.end(), {'M', 'T', 'r', 'k'});
    for (int i = 3; i >= 0; --i) out.push_back((uint8_t)(body.size() >> (8 * i)));
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

inline bool has(const music::MidiFile& m, const std::string& code) { return m.has_diagnostic(code); }

}  // namespace testing
