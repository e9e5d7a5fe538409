// phrases.cpp: two-track phrases from MIDI (see phrases.h): which notes are the melody,
// where the bar lines are, and the phrases back to MIDI.
// Chapter: docs/12-adversarial-networks.md.
#include "music/phrases.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace music {

namespace {

// The notes, split into the melody's source and the rest; `source` names which rule chose.
void split_tracks(const std::vector<Note>& notes, std::vector<const Note*>& lead, std::vector<const Note*>& rest,
                  std::string& source) {
  std::map<int, std::pair<double, int64_t>> by_track;  // track -> (pitch sum, count)
  for (const Note& n : notes) by_track[n.track].first += n.pitch, by_track[n.track].second++;
  int melody_track = -1;
  double best = -1;
  if (by_track.size() >= 2)
    for (auto& [t, s] : by_track)
      if (s.first / (double)s.second > best) best = s.first / (double)s.second, melody_track = t;
  source = melody_track >= 0 ? "track " + std::to_string(melody_track) : "top voice";
  for (const Note& n : notes) (melody_track < 0 || n.track == melody_track ? lead : rest).push_back(&n);
}

PianoRoll empty_roll(int64_t steps, const PhraseOptions& o) {
  PianoRoll r;
  r.steps = steps, r.lowest = o.lowest, r.highest = o.highest, r.steps_per_quarter = 4;
  r.data.assign((size_t)(steps * r.keys()), 0.f);
  r.onset.assign(r.data.size(), 0);
  return r;
}

}  // namespace

std::vector<Phrase> two_track_phrases(const MidiFile& m, const std::string& piece, const PhraseOptions& opt,
                                      PhraseReport* report) {
  PhraseReport rep;
  std::vector<Phrase> out;
  if (m.smpte || m.ticks_per_quarter < 4) {
    rep.melody_source = "none: SMPTE time has no bars";
    if (report) *report = rep;
    return out;
  }
  std::vector<Note> notes;
  for (const Note& n : extract_notes(m))
    if (n.channel != 9) notes.push_back(n);
  rep.notes = (int64_t)notes.size();
  const double step_ticks = m.ticks_per_quarter / 4.0;
  int64_t end_tick = 0;
  for (const Note& n : notes) end_tick = std::max(end_tick, n.end_tick);
  const int64_t steps = (int64_t)std::lround(end_tick / step_ticks) + 1;
  std::vector<const Note*> lead, rest;
  split_tracks(notes, lead, rest, rep.melody_source);

  // Both sources as rolls over the whole piece (nearest step, at least one step long).
  PianoRoll top = empty_roll(steps, opt), acc = empty_roll(steps, opt);
  const int K = top.keys();
  auto place = [&](PianoRoll& r, const Note* n) {
    if (n->pitch < opt.lowest || n->pitch > opt.highest) {
      rep.out_of_range++;
      return;
    }
    int64_t a = std::lround(n->start_tick / step_ticks), b = std::lround(n->end_tick / step_ticks);
    b = std::min(steps, std::max(b, a + 1));
    for (int64_t t = a; t < b; ++t) r.data[(size_t)(t * K + n->pitch - opt.lowest)] = 1;
    if (a < steps) r.onset[(size_t)(a * K + n->pitch - opt.lowest)] = 1;
  };
  for (const Note* n : lead) place(top, n);
  for (const Note* n : rest) place(acc, n);
  // The melody is the top voice of its source; what lies under it joins the accompaniment. A note
  // that becomes the top voice when a higher one ends is struck there.
  int prev_top = -1;
  for (int64_t t = 0; t < steps; ++t) {
    int hi = -1;
    for (int k = K - 1; k >= 0 && hi < 0; --k)
      if (top.data[(size_t)(t * K + k)] > 0) hi = k;
    for (int k = 0; k < hi; ++k) {
      size_t i = (size_t)(t * K + k);
      if (top.data[i] > 0) {
        acc.data[i] = 1, acc.onset[i] = acc.onset[i] || top.onset[i] || t == 0 || top.data[i - K] == 0;
        top.data[i] = 0, top.onset[i] = 0;
      }
    }
    if (hi >= 0 && hi != prev_top) top.onset[(size_t)(t * K + hi)] = 1;
    prev_top = hi;
  }

  std::vector<BarLine> bars = bar_lines(m, end_tick);
  rep.bars = (int64_t)bars.size();
  const int64_t bar_ticks = (int64_t)std::llround(opt.steps_per_bar * step_ticks);
  auto full = [&](size_t b) {
    return bars[b].length_ticks == bar_ticks && std::fmod((double)bars[b].start_tick, step_ticks) == 0;  // on the grid
  };
  for (size_t b = 0; b < bars.size(); ++b) rep.full_bars += full(b);
  const int64_t T = (int64_t)opt.bars * opt.steps_per_bar;
  for (size_t b = 0; b + (size_t)opt.bars <= bars.size(); b += (size_t)std::max(1, opt.hop_bars)) {
    bool ok = true;
    for (size_t j = b; j < b + (size_t)opt.bars && ok; ++j) ok = full(j);
    if (!ok) continue;
    const int64_t s0 = (int64_t)std::llround(bars[b].start_tick / step_ticks);
    Phrase p;
    p.piece = piece, p.first_bar = (int64_t)b;
    p.melody = empty_roll(T, opt), p.accompaniment = empty_roll(T, opt);
    bool any = false;
    for (int64_t t = 0; t < T && s0 + t < steps; ++t)
      for (int k = 0; k < K; ++k) {
        size_t from = (size_t)((s0 + t) * K + k), to = (size_t)(t * K + k);
        p.melody.data[to] = top.data[from], p.accompaniment.data[to] = acc.data[from];
        p.melody.onset[to] = top.onset[from] || (t == 0 && top.data[from] > 0);
        p.accompaniment.onset[to] = acc.onset[from] || (t == 0 && acc.data[from] > 0);
        any = any || top.data[from] > 0;
      }
    if (any) out.push_back(std::move(p));
  }
  if (report) *report = rep;
  return out;
}

Phrase phrase_from_cells(const std::vector<float>& cells, int64_t steps, int lowest, int highest) {
  PhraseOptions o;
  o.lowest = lowest, o.highest = highest;
  Phrase p;
  p.melody = empty_roll(steps, o), p.accompaniment = empty_roll(steps, o);
  p.melody.onset.clear(), p.accompaniment.onset.clear();
  const size_t n = (size_t)(steps * p.melody.keys());
  if (cells.size() != 2 * n)
    throw MidiError("bad_phrase", 0,
                    "a two-track phrase of " + std::to_string(steps) + " steps and " + std::to_string(p.melody.keys()) +
                        " keys needs " + std::to_string(2 * n) + " cells, not " + std::to_string(cells.size()) +
                        " — check the generator's output shape");
  for (size_t i = 0; i < n; ++i) {
    p.melody.data[i] = cells[i] > 0.5f ? 1.f : 0.f;
    p.accompaniment.data[i] = cells[n + i] > 0.5f ? 1.f : 0.f;
  }
  return p;
}

std::vector<float> phrase_cells(const Phrase& p) {
  std::vector<float> c(p.melody.data);
  c.insert(c.end(), p.accompaniment.data.begin(), p.accompaniment.data.end());
  return c;
}

MidiFile phrase_to_midi(const Phrase& p, double qpm, int melody_program, int accompaniment_program) {
  DecodeOptions d;
  d.qpm = qpm, d.channel = 0, d.program = melody_program, d.velocity = 90;
  MidiFile m = from_piano_roll(p.melody, d);
  d.channel = 1, d.program = accompaniment_program, d.velocity = 70;
  MidiFile a = from_piano_roll(p.accompaniment, d);
  m.tracks.push_back(a.tracks.back());
  return m;
}

MidiFile phrases_to_midi(const std::vector<Phrase>& ps, int64_t gap_steps, double qpm) {
  if (ps.empty()) return phrase_to_midi(Phrase{}, qpm);
  const Phrase& first = ps[0];
  const int K = first.melody.keys();
  int64_t total = 0;
  for (const Phrase& p : ps) total += p.melody.steps + gap_steps;
  PhraseOptions o;
  o.lowest = first.melody.lowest, o.highest = first.melody.highest;
  Phrase all;
  all.melody = empty_roll(total, o), all.accompaniment = empty_roll(total, o);
  int64_t at = 0;
  for (const Phrase& p : ps) {
    for (int part = 0; part < 2; ++part) {
      const PianoRoll& from = part ? p.accompaniment : p.melody;
      PianoRoll& to = part ? all.accompaniment : all.melody;
      std::copy(from.data.begin(), from.data.end(), to.data.begin() + at * K);
      if (!from.onset.empty()) std::copy(from.onset.begin(), from.onset.end(), to.onset.begin() + at * K);
    }
    at += p.melody.steps + gap_steps;
  }
  return phrase_to_midi(all, qpm);
}

}  // namespace music
