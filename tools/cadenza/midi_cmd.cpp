// midi_cmd.cpp: `cadenza midi inspect|notes|events FILE`.
// Exit code 0: the file was read (diagnostics are printed, not fatal).
// Exit code 1: unreadable, with one line naming the file, the byte offset and the problem.
// Chapter: docs/05-midi-and-piano-rolls.md.
#include <cstdio>
#include <cstring>
#include <string>

#include "pipelines/flags.h"
#include "music/midi.h"

using namespace music;

static const char* kMidiUsage =
    "usage: cadenza midi COMMAND FILE [flags]\n"
    "  inspect FILE   format, tracks, tempo, duration, note counts, and every diagnostic\n"
    "  notes FILE     one note per line, tab-separated:\n"
    "                 track channel pitch velocity start_tick end_tick start_s end_s\n"
    "  events FILE    every event: track, tick, seconds, name, channel and data\n"
    "  write IN OUT   rewrite IN canonically (sorted, every track closed) to OUT; --running-status to compress\n"
    "flags: --strict (diagnostics become errors)  --pairing fifo|lifo|close_all (notes)\n";

int cmd_midi(int argc, char** argv) {
  if (argc < 3 || !std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h")) {
    std::printf("%s", kMidiUsage);
    return argc < 3 ? 2 : 0;
  }
  std::string sub = argv[2];
  if (sub != "inspect" && sub != "notes" && sub != "events" && sub != "write") {
    std::fprintf(stderr, "cadenza midi: unknown command '%s' — use inspect, notes, events or write\n", sub.c_str());
    return 2;
  }
  if (argc < 4 || argv[3][0] == '-') {
    if (argc >= 4 && (!std::strcmp(argv[3], "--help") || !std::strcmp(argv[3], "-h"))) {
      std::printf("%s", kMidiUsage);
      return 0;
    }
    std::fprintf(stderr, "cadenza midi %s: needs a FILE — e.g. cadenza midi %s song.mid\n", sub.c_str(), sub.c_str());
    return 2;
  }
  std::string path = argv[3], out_path;
  int first_flag = 4;
  if (sub == "write") {
    if (argc < 5 || argv[4][0] == '-') {
      std::fprintf(stderr, "cadenza midi write: needs IN and OUT — e.g. cadenza midi write in.mid out.mid\n");
      return 2;
    }
    out_path = argv[4], first_flag = 5;
  }
  flags::Parser args("cadenza midi " + sub, kMidiUsage);
  args.add_switch("running-status", "with write: omit repeated status bytes");
  args.add_switch("strict", "turn every diagnostic into an error");
  args.add("pairing", "fifo", "how overlapping notes on one pitch pair: fifo, lifo or close_all");
  args.parse(argc, argv, first_flag);
  ReadOptions opt;
  opt.strict = args.on("strict");
  NotePairing pairing = NotePairing::Fifo;
  std::string p = args.str("pairing");
  if (p == "lifo") pairing = NotePairing::Lifo;
  else if (p == "close_all") pairing = NotePairing::CloseAll;
  else if (p != "fifo") args.die("--pairing must be fifo, lifo or close_all, got '" + p + "'", "");

  MidiFile m;
  try {
    m = read_midi_file(path, opt);
  } catch (const MidiError& e) {
    std::fprintf(stderr, "%s: %s [%s]\n", path.c_str(), e.what(), e.code.c_str());  // what() starts "byte N: "
    return 1;
  }
  TempoMap tempo(m);
  if (sub == "write") {
    WriteOptions wo;
    wo.running_status = args.on("running-status");
    try {
      write_midi_file(out_path, m, wo);
    } catch (const MidiError& e) {
      std::fprintf(stderr, "%s: %s [%s]\n", out_path.c_str(), e.what(), e.code.c_str());
      return 1;
    }
    std::printf("wrote %s (%zu tracks, %zu diagnostics in the input)\n", out_path.c_str(), m.tracks.size(),
                m.diagnostics.size());
    return 0;
  }
  if (sub == "notes") {
    std::printf("track\tchannel\tpitch\tvelocity\tstart_tick\tend_tick\tstart_s\tend_s\n");
    for (const Note& n : extract_notes(m, pairing))
      std::printf("%d\t%d\t%d\t%d\t%lld\t%lld\t%.6f\t%.6f\n", n.track, n.channel, n.pitch, n.velocity,
                  (long long)n.start_tick, (long long)n.end_tick, n.start_s, n.end_s);
  } else if (sub == "events") {
    std::printf("track\ttick\tseconds\tevent\tchannel\tdata\n");
    for (size_t t = 0; t < m.tracks.size(); ++t)
      for (const Event& e : m.tracks[t].events) {
        std::string data;
        for (uint8_t b : e.data) {
          char h[4];
          std::snprintf(h, sizeof h, "%02x ", b);
          data += h;
        }
        if (!data.empty()) data.pop_back();
        std::printf("%zu\t%lld\t%.6f\t%s\t%s\t%s\n", t, (long long)e.tick, tempo.seconds(e.tick), event_name(e).c_str(),
                    e.is_channel() ? std::to_string(e.channel()).c_str() : "-", data.c_str());
      }
  } else {
    NoteStats st;
    auto notes = extract_notes(m, pairing, &st);
    size_t events = 0;
    for (auto& t : m.tracks) events += t.events.size();
    std::printf("file: %s\nformat: %d\ntracks: %zu\n", path.c_str(), m.format, m.tracks.size());
    if (m.smpte) std::printf("division: SMPTE %d fps x %d ticks per frame\n", m.smpte_fps, m.ticks_per_frame);
    else std::printf("division: %d ticks per quarter note\n", m.ticks_per_quarter);
    std::printf("events: %zu\nnotes: %zu (%lld stray note-offs, %lld closed at track end)\n", events, notes.size(),
                (long long)st.unmatched_note_offs, (long long)st.closed_at_track_end);
    std::printf("tempo at start: %.2f quarter notes per minute\nduration: %.3f s\n", tempo.qpm_at(0),
                duration_seconds(m));
    int lo = 128, hi = -1;
    for (auto& n : notes) lo = std::min(lo, n.pitch), hi = std::max(hi, n.pitch);
    if (hi >= 0) std::printf("pitch range: %s..%s\n", pitch_name(lo).c_str(), pitch_name(hi).c_str());
    std::printf("diagnostics: %zu\n", m.diagnostics.size());
    for (auto& d : m.diagnostics)
      std::printf("  %s at byte %zu%s: %s\n", d.code.c_str(), d.offset,
                  d.track >= 0 ? (" (track " + std::to_string(d.track) + ")").c_str() : "", d.detail.c_str());
  }
  return 0;
}
