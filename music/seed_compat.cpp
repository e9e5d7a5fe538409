// seed_compat.cpp: see seed_compat.h. Chapter: docs/05-midi-and-piano-rolls.md
// ("The seed demo's format, faithfully"). The loops below mirror the Python line by
// line, so the two can be read side by side.
#include "music/seed_compat.h"

namespace music::seed {

// [doc:seed-reader]
std::vector<Row> note_state_matrix(const MidiFile& midi) {
  if (midi.smpte || midi.ticks_per_quarter < 8)
    throw MidiError("division_too_small", 12, "the seed reader needs a PPQ division of at least 8 ticks");
  const int64_t q = midi.ticks_per_quarter / 4, half = midi.ticks_per_quarter / 8;  // Python 2 integer division
  std::vector<const Track*> tracks;
  for (const Track& t : midi.tracks)
    if (!t.events.empty()) tracks.push_back(&t);  // the original crashes on an empty track; we skip it
  size_t n = tracks.size();
  std::vector<int64_t> timeleft(n);
  std::vector<size_t> pos(n, 0);
  std::vector<bool> done(n, false);
  for (size_t i = 0; i < n; ++i) timeleft[i] = tracks[i]->events[0].tick;  // first delta
  Row state(2 * kSpan, 0);
  std::vector<Row> rows = {state};
  for (int64_t time = 0;; ++time) {
    if (time % q == half) {  // crossed a grid boundary: holds carry over, articulation clears
      for (int p = 0; p < kSpan; ++p) state[kSpan + p] = 0;
      rows.push_back(state);
    }
    for (size_t i = 0; i < n; ++i) {
      while (!done[i] && timeleft[i] == 0) {
        const Event& e = tracks[i]->events[pos[i]];
        if (e.is_channel() && (e.type() == 0x80 || e.type() == 0x90)) {
          int p = e.data[0];
          if (p >= kLowerBound && p < kUpperBound) {
            bool on = e.type() == 0x90 && e.data[1] != 0;
            state[p - kLowerBound] = on;
            state[kSpan + p - kLowerBound] = on;
            rows.back() = state;  // rows hold a reference to `state` in Python: keep them in step
          }
        } else if (e.is_meta() && e.meta_type == kTimeSignature && !e.data.empty() && e.data[0] != 2 &&
                   e.data[0] != 4) {
          return rows;  // "bail": the whole file stops here
        }
        if (pos[i] + 1 < tracks[i]->events.size()) {
          timeleft[i] = tracks[i]->events[pos[i] + 1].tick - e.tick;
          ++pos[i];
        } else {
          done[i] = true;
        }
      }
      if (!done[i]) timeleft[i] -= 1;
    }
    bool all_done = true;
    for (size_t i = 0; i < n; ++i) all_done = all_done && done[i];
    if (all_done) break;
  }
  return rows;
}
// [/doc]

static void put_vlq(std::vector<uint8_t>& out, uint64_t v) {
  uint8_t buf[5];
  int k = 0;
  do {
    buf[k++] = v & 0x7F;
    v >>= 7;
  } while (v);
  while (k--) out.push_back(buf[k] | (k ? 0x80 : 0));
}

// [doc:seed-writer]
std::vector<uint8_t> note_state_to_midi_bytes(const std::vector<Row>& rows) {
  const int64_t tickscale = 55;
  std::vector<uint8_t> body;
  int64_t last = 0;
  int running = -1;  // python-midi omits a repeated status byte (status and channel equal)
  auto emit = [&](int64_t t, uint8_t status, uint8_t pitch, uint8_t vel) {
    put_vlq(body, (uint64_t)((t - last) * tickscale));
    last = t;
    if (status != running) body.push_back(status);
    running = status;
    body.push_back(pitch);
    body.push_back(vel);
  };
  Row prev(2 * kSpan, 0);
  for (int64_t t = 0; t < (int64_t)rows.size(); ++t) {
    const Row& cur = rows[t];
    for (int p = 0; p < kSpan; ++p)  // offs, ascending pitch
      if (prev[p] && (!cur[p] || cur[kSpan + p])) emit(t, 0x80, (uint8_t)(kLowerBound + p), 0);
    for (int p = 0; p < kSpan; ++p)  // ons, ascending pitch
      if ((!prev[p] && cur[p]) || (prev[p] && cur[p] && cur[kSpan + p])) emit(t, 0x90, (uint8_t)(kLowerBound + p), 40);
    prev = cur;
  }
  // The original meant to append an all-off row here, but numpy's + added zeros instead:
  // notes still on are never released.
  body.insert(body.end(), {0x01, 0xFF, 0x2F, 0x00});
  std::vector<uint8_t> out = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 1, 0, 220};
  out.insert(out.end(), {'M', 'T', 'r', 'k'});
  for (int i = 3; i >= 0; --i) out.push_back((uint8_t)(body.size() >> (8 * i)));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
// [/doc]

}  // namespace music::seed
