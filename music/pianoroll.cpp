// pianoroll.cpp: see pianoroll.h. Chapter: docs/05-midi-and-piano-rolls.md.
#include "music/pianoroll.h"

#include <algorithm>
#include <cmath>

namespace music {

// The grid step of a note time: nearest step, in musical time (ticks), or at
// 120 qpm for SMPTE files, which have no beats.
namespace {
struct Grid {
  double ticks_per_step;
  const TempoMap* tempo;
  bool smpte;
  int spq;
  int64_t step(int64_t tick) const {
    if (smpte) return std::llround(tempo->seconds(tick) * 2.0 * spq);
    return std::llround((double)tick / ticks_per_step);
  }
};

// A MidiFile with a tempo track and one note track, ready for notes.
MidiFile skeleton(const DecodeOptions& opt, const std::string& name) {
  MidiFile m;
  m.format = 1;
  m.ticks_per_quarter = opt.ticks_per_quarter;
  m.tracks.resize(2);
  int64_t tempo = std::llround(60e6 / opt.qpm);
  m.tracks[0].events.push_back({0, 0xFF, kTrackName, std::vector<uint8_t>(name.begin(), name.end())});
  m.tracks[0].events.push_back({0, 0xFF, kSetTempo, {(uint8_t)(tempo >> 16), (uint8_t)(tempo >> 8), (uint8_t)tempo}});
  m.tracks[0].events.push_back({0, 0xFF, kTimeSignature, {4, 2, 24, 8}});
  m.tracks[1].events.push_back({0, (uint8_t)(0xC0 | opt.channel), 0, {(uint8_t)(opt.program & 0x7F)}});
  return m;
}

void add_note(MidiFile& m, const DecodeOptions& opt, int64_t on, int64_t off, int pitch, int vel) {
  uint8_t ch = (uint8_t)opt.channel;
  m.tracks[1].events.push_back({on, (uint8_t)(0x90 | ch), 0, {(uint8_t)pitch, (uint8_t)std::clamp(vel, 1, 127)}});
  m.tracks[1].events.push_back({off, (uint8_t)(0x80 | ch), 0, {(uint8_t)pitch, 0}});
}

void sort_track(Track& t) {  // by tick; the writer puts note-offs first within a tick
  std::stable_sort(t.events.begin(), t.events.end(), [](const Event& a, const Event& b) { return a.tick < b.tick; });
}
}  // namespace

// [doc:to-piano-roll]
PianoRoll to_piano_roll(const MidiFile& midi, const RollOptions& opt) {
  if (opt.steps_per_quarter <= 0 || opt.lowest < 0 || opt.highest > 127 || opt.lowest > opt.highest)
    throw MidiError("bad_options", 0, "piano roll needs steps_per_quarter > 0 and 0 <= lowest <= highest <= 127");
  TempoMap tempo(midi);
  Grid grid{midi.smpte ? 1.0 : (double)midi.ticks_per_quarter / opt.steps_per_quarter, &tempo, midi.smpte,
            opt.steps_per_quarter};
  PianoRoll roll;
  roll.lowest = opt.lowest, roll.highest = opt.highest, roll.steps_per_quarter = opt.steps_per_quarter;
  roll.has_velocity = opt.velocity;
  struct Span {
    int64_t a, b;
    int pitch;
    float v;
  };
  std::vector<Span> spans;
  for (const Note& n : extract_notes(midi)) {
    if (n.end_tick <= n.start_tick) continue;            // zero-length: nothing to hear
    if (n.channel == 9 && !opt.include_drums) continue;  // General MIDI drums
    if (n.pitch < opt.lowest || n.pitch > opt.highest) continue;
    int64_t a = grid.step(n.start_tick), b = std::max(grid.step(n.end_tick), a + 1);  // at least one step
    spans.push_back({a, b, n.pitch, opt.velocity ? n.velocity / 127.0f : 1.0f});
    roll.steps = std::max(roll.steps, b);
  }
  if (roll.steps > (int64_t)1 << 24) throw MidiError("too_long", 0, "the piano roll would exceed 16M steps");
  roll.data.assign((size_t)roll.steps * roll.keys(), 0.0f);
  roll.onset.assign(roll.data.size(), 0);
  for (const Span& s : spans) {
    size_t k = (size_t)(s.pitch - opt.lowest);
    for (int64_t t = s.a; t < s.b; ++t)
      roll.data[(size_t)t * roll.keys() + k] = std::max(roll.data[(size_t)t * roll.keys() + k], s.v);
    roll.onset[(size_t)s.a * roll.keys() + k] = 1;
  }
  return roll;
}
// [/doc]

MidiFile from_piano_roll(const PianoRoll& roll, const DecodeOptions& opt) {
  MidiFile m = skeleton(opt, "Cadenza piano roll");
  int64_t tps = opt.ticks_per_quarter / roll.steps_per_quarter;
  int K = roll.keys();
  for (int k = 0; k < K; ++k) {
    int64_t start = -1;
    float vel = 0;
    for (int64_t t = 0; t <= roll.steps; ++t) {
      bool on = t < roll.steps && roll.data[(size_t)t * K + k] > 0;
      bool strike = on && (start < 0 || (!roll.onset.empty() && roll.onset[(size_t)t * K + k]));
      if (start >= 0 && (!on || strike)) {  // the running note ends here
        add_note(m, opt, start * tps, t * tps, roll.lowest + k,
                 roll.has_velocity ? (int)std::lround(vel * 127) : opt.velocity);
        start = -1;
      }
      if (strike) start = t, vel = roll.data[(size_t)t * K + k];
    }
  }
  sort_track(m.tracks[1]);
  return m;
}

std::vector<std::vector<uint8_t>> note_state_matrix(const MidiFile& midi, int spq, int lowest, int highest) {
  RollOptions o;
  o.steps_per_quarter = spq, o.lowest = lowest, o.highest = highest;
  PianoRoll r = to_piano_roll(midi, o);
  int K = r.keys();
  std::vector<std::vector<uint8_t>> rows((size_t)r.steps, std::vector<uint8_t>(2 * K, 0));
  for (int64_t t = 0; t < r.steps; ++t)
    for (int k = 0; k < K; ++k) {
      rows[t][k] = r.data[(size_t)t * K + k] > 0;
      rows[t][K + k] = r.onset[(size_t)t * K + k];
    }
  return rows;
}

MidiFile note_state_to_midi(const std::vector<std::vector<uint8_t>>& rows, int lowest, const DecodeOptions& opt) {
  PianoRoll r;
  r.steps = (int64_t)rows.size();
  int K = rows.empty() ? 1 : (int)rows[0].size() / 2;
  r.lowest = lowest, r.highest = lowest + K - 1, r.steps_per_quarter = 4;
  r.data.assign((size_t)r.steps * K, 0);
  r.onset.assign(r.data.size(), 0);
  for (int64_t t = 0; t < r.steps; ++t) {
    if ((int)rows[t].size() != 2 * K)
      throw MidiError("bad_rows", 0, "note-state rows must all have the same even length");
    for (int k = 0; k < K; ++k) {
      r.data[(size_t)t * K + k] = rows[t][k] ? 1.0f : 0.0f;
      r.onset[(size_t)t * K + k] = rows[t][k] && rows[t][K + k];  // articulation only counts on a sounding key
    }
  }
  return from_piano_roll(r, opt);  // every note is closed at the end
}

// ---------------- melody tokens ----------------
std::vector<int> melody_tokens(const MidiFile& midi, int spq) {
  RollOptions o;
  o.steps_per_quarter = spq, o.lowest = 0, o.highest = 127;
  PianoRoll r = to_piano_roll(midi, o);
  std::vector<int> out;
  int prev = -1;
  for (int64_t t = 0; t < r.steps; ++t) {
    int top = -1;
    for (int p = 127; p >= 0 && top < 0; --p)
      if (r.data[(size_t)t * 128 + p] > 0) top = p;
    if (top < 0) out.push_back(kMelodyRest);
    else if (top == prev && !r.onset[(size_t)t * 128 + top]) out.push_back(kMelodyHold);
    else out.push_back(top);
    prev = top;
  }
  return out;
}

MidiFile melody_to_midi(const std::vector<int>& tokens, int spq, const DecodeOptions& opt) {
  MidiFile m = skeleton(opt, "Cadenza melody");
  int64_t tps = opt.ticks_per_quarter / spq;
  int pitch = -1;
  int64_t start = 0;
  for (size_t t = 0; t <= tokens.size(); ++t) {
    int tok = t < tokens.size() ? tokens[t] : kMelodyRest;
    if (tok < 0 || tok >= kMelodyVocab)
      throw MidiError("bad_token", t, "melody token " + std::to_string(tok) + " is outside 0..129");
    if (tok == kMelodyHold && pitch >= 0) continue;
    if (pitch >= 0) add_note(m, opt, start * tps, (int64_t)t * tps, pitch, opt.velocity);
    pitch = tok < 128 ? tok : -1;
    start = (int64_t)t;
  }
  sort_track(m.tracks[1]);
  return m;
}

// ---------------- performance events ----------------
std::vector<int> performance_events(const MidiFile& midi) {
  struct Ev {
    int64_t cs;
    int kind;
    int pitch;
    int vel;
  };  // time in 10 ms steps; kind 0 off, 1 on
  std::vector<Ev> evs;
  for (const Note& n : extract_notes(midi)) {
    if (n.channel == 9 || n.end_tick <= n.start_tick) continue;
    evs.push_back({std::llround(n.start_s * 100), 1, n.pitch, n.velocity});
    evs.push_back({std::max(std::llround(n.end_s * 100), std::llround(n.start_s * 100) + 1), 0, n.pitch, 0});
  }
  std::stable_sort(evs.begin(), evs.end(),
                   [](const Ev& a, const Ev& b) { return a.cs != b.cs ? a.cs < b.cs : a.kind < b.kind; });
  std::vector<int> out;
  int64_t now = 0;
  int vel_bin = -1;
  for (const Ev& e : evs) {
    for (int64_t gap = e.cs - now; gap > 0; gap -= 100)
      out.push_back(kEventShift + (int)std::min<int64_t>(gap, 100) - 1);
    now = e.cs;
    if (e.kind == 1) {
      int bin = std::min(31, e.vel / 4);
      if (bin != vel_bin) out.push_back(kEventVelocity + bin), vel_bin = bin;
      out.push_back(kEventNoteOn + e.pitch);
    } else {
      out.push_back(kEventNoteOff + e.pitch);
    }
  }
  return out;
}

MidiFile events_to_midi(const std::vector<int>& tokens, const DecodeOptions& opt) {
  DecodeOptions o = opt;
  o.qpm = 120;  // 10 ms = 0.02 quarter notes at 120 qpm
  MidiFile m = skeleton(o, "Cadenza performance");
  const double ticks_per_cs = opt.ticks_per_quarter * 2.0 / 100.0;
  int64_t now = 0;
  int vel = opt.velocity;
  std::vector<int64_t> open_at(128, -1);
  std::vector<int> open_vel(128, 0);
  for (size_t i = 0; i < tokens.size(); ++i) {
    int tok = tokens[i];
    if (tok < 0 || tok >= kEventVocab)
      throw MidiError("bad_token", i, "event token " + std::to_string(tok) + " is outside 0..387");
    if (tok >= kEventVelocity) vel = std::max(1, (tok - kEventVelocity) * 4 + 2);
    else if (tok >= kEventShift) now += tok - kEventShift + 1;
    else if (tok >= kEventNoteOff) {
      int p = tok - kEventNoteOff;
      if (open_at[p] >= 0)
        add_note(m, o, std::llround(open_at[p] * ticks_per_cs), std::llround(now * ticks_per_cs), p, open_vel[p]);
      open_at[p] = -1;
    } else {
      int p = tok;
      if (open_at[p] >= 0)
        add_note(m, o, std::llround(open_at[p] * ticks_per_cs), std::llround(now * ticks_per_cs), p, open_vel[p]);
      open_at[p] = now, open_vel[p] = vel;
    }
  }
  for (int p = 0; p < 128; ++p)  // close what is still sounding
    if (open_at[p] >= 0)
      add_note(m, o, std::llround(open_at[p] * ticks_per_cs), std::llround((now + 1) * ticks_per_cs), p, open_vel[p]);
  sort_track(m.tracks[1]);
  return m;
}

std::string event_token_name(int t) {
  if (t < 0 || t >= kEventVocab) return "?";
  if (t >= kEventVelocity) return "VELOCITY(" + std::to_string(t - kEventVelocity) + ")";
  if (t >= kEventShift) return "TIME_SHIFT(" + std::to_string((t - kEventShift + 1) * 10) + "ms)";
  if (t >= kEventNoteOff) return "NOTE_OFF(" + pitch_name(t - kEventNoteOff) + ")";
  return "NOTE_ON(" + pitch_name(t) + ")";
}

}  // namespace music
