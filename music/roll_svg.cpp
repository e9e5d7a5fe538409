// roll_svg.cpp: see roll_svg.h. Chapter: docs/05-midi-and-piano-rolls.md ("Pictures").
#include "music/roll_svg.h"

#include <algorithm>
#include <cmath>

#include "plot/svg.h"

namespace music {

// [doc:roll-svg]
std::string piano_roll_svg(const MidiFile& midi, const RollSvgOptions& opt) {
  std::vector<Note> notes = extract_notes(midi);
  TempoMap tempo(midi);
  int lo = 60, hi = 72;
  double end = 1;
  for (const Note& n : notes) {
    lo = std::min(lo, n.pitch), hi = std::max(hi, n.pitch);
    end = std::max(end, n.end_s);
  }
  if (opt.max_seconds > 0) end = std::min(end, opt.max_seconds);
  lo = std::max(0, lo - 2), hi = std::min(127, hi + 2);
  const double left = 44, top = opt.title.empty() ? 10 : 34, right = 10, bottom = 26;
  double pw = opt.width - left - right, ph = opt.height - top - bottom, row = ph / (hi - lo + 1);
  auto X = [&](double s) { return left + s / end * pw; };
  auto Y = [&](int p) { return top + (hi - p) * row; };
  plot::Canvas c(opt.width, opt.height);
  if (!opt.title.empty()) c.text(opt.width / 2, 22, opt.title, 14, "middle");
  for (int p = lo; p <= hi; ++p) {  // black keys get a darker lane
    int pc = p % 12;
    bool black = pc == 1 || pc == 3 || pc == 6 || pc == 8 || pc == 10;
    c.rect(left, Y(p), pw, row, black ? "#eef0f3" : "#fafbfc");
    if (pc == 0) {
      c.line(left, Y(p) + row, left + pw, Y(p) + row, "#c9ced6", 0.6);
      c.text(left - 4, Y(p) + row - 1, pitch_name(p), std::min(10.0, std::max(7.0, row * 1.6)), "end", "#555");
    }
  }
  // Bar lines from the time signatures (4/4 when there is none; a pickup is a short bar), drawn at their time.
  {
    int64_t end_tick = 0;
    for (const Track& t : midi.tracks)
      if (!t.events.empty()) end_tick = std::max(end_tick, t.events.back().tick);
    const std::vector<BarLine> bars = bar_lines(midi, end_tick + 1);
    const double typical = bars.empty() ? 1 : tempo.seconds(bars[bars.size() > 1 ? 1 : 0].length_ticks);
    int shown = 0;
    for (const BarLine& b : bars) {
      if (tempo.seconds(b.start_tick) > end || shown >= 2000) break;
      double x = X(tempo.seconds(b.start_tick));
      c.line(x, top, x, top + ph, "#b5bcc7", 0.7);
      if (shown % std::max(1, (int)(end / (typical * 16)) + 1) == 0)
        c.text(x + 2, top + ph + 14, std::to_string(shown + 1), 9, "start", "#777");
      ++shown;
    }
  }
  for (const Note& n : notes) {
    if (n.start_s >= end) continue;
    double x0 = X(n.start_s), x1 = X(std::min(n.end_s, end));
    double shade = 0.35 + 0.65 * n.velocity / 127.0;                               // louder notes are darker
    size_t colour = midi.tracks.size() > 1 ? (size_t)n.track : (size_t)n.channel;  // one-track files: by channel
    c.rect(x0, Y(n.pitch) + 0.5, std::max(x1 - x0, 1.5), std::max(row - 1, 1.0), plot::palette(colour), shade);
  }
  c.text(left, opt.height - 6,
         midi.tracks.size() > 1 ? "bars from the time signature · colour = track · shade = velocity"
                                : "bars from the time signature · colour = channel · shade = velocity",
         9, "start", "#777");
  return c.str();
}
// [/doc]

}  // namespace music
