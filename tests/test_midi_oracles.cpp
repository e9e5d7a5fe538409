// Chapter 5 differential tests: our reader against independent ones over the
// whole corpus: Debian's python3-mido (event by event) and midicsv (notes).
// CI installs both; locally the test skips with a message when they are absent.
// docs/05-midi-and-piano-rolls.md.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "tests/helpers.h"
#include "tests/midi_helpers.h"

using namespace music;

namespace {
std::string run(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}
bool have(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// Our events in the oracle's line format.
std::vector<std::string> our_lines(const MidiFile& m) {
  std::vector<std::string> out;
  char buf[64];
  for (size_t t = 0; t < m.tracks.size(); ++t)
    for (const Event& e : m.tracks[t].events) {
      std::string payload;
      const char* kind = e.is_meta() ? "meta" : e.is_sysex() ? "sysex" : "ch";
      if (e.is_meta()) payload = std::to_string(e.meta_type);
      else if (e.is_sysex()) payload = "-";
      else {
        std::snprintf(buf, sizeof buf, "%02x", e.status);
        payload = buf;
        for (uint8_t d : e.data) {
          std::snprintf(buf, sizeof buf, " %02x", d);
          payload += buf;
        }
      }
      std::snprintf(buf, sizeof buf, "E\t%zu\t%lld\t", t, (long long)e.tick);
      out.push_back(buf + std::string(kind) + "\t" + payload);
    }
  return out;
}
}  // namespace

TEST_SUITE("ch05-midi") {
  TEST_CASE("differential: every event matches python3-mido wherever mido reads the file") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      testing::skip_or_fail("../shared/data (the MIDI corpus)");
      return;
    }
    if (!have("/usr/bin/python3 -c 'import mido'")) {
      testing::skip_or_fail("python3-mido (Debian: apt-get install python3-mido)");
      return;
    }
    std::istringstream dump(run("/usr/bin/python3 tests/oracles/mido_dump.py " + root + "/midi"));
    // Files mido refuses by design, where we read with a diagnostic (../shared/notes/midi-robustness.md §3.2).
    const std::set<std::string> mido_wrong_by_design = {
        "jazzsoft_test_midi_files/test-corrupt-file-missing-byte.mid",  // EOFError; we read what is there
        "jazzsoft_test_midi_files/test-running-status-sysex.mid",       // mido misparses running status after SysEx
        "jazzsoft_test_midi_files/test-non-midi-track.mid",       // mido rejects an unknown chunk the spec says to skip
        "jazzsoft_test_midi_files/test-illegal-message-all.mid",  // illegal system bytes: we skip them
        "jazzsoft_test_midi_files/test-illegal-message-f4.mid",
        "jazzsoft_test_midi_files/test-illegal-message-f5.mid",
        "jazzsoft_test_midi_files/test-illegal-message-f9.mid",
        "jazzsoft_test_midi_files/test-illegal-message-fd.mid",
    };
    // Files mido reads differently by design: it ignores MTrk chunks beyond the header's
    // count (we read them, with track_count_mismatch), and it keeps F1..FE system bytes
    // as messages (we skip them with a diagnostic): both are filtered out below.
    // mido 1.2.10 also reads no tracks at all from a header declaring 65535.
    const std::set<std::string> mido_reads_no_tracks = {"shkyrockett_unit_cases/tracks/empty-65535-tracks.mid"};
    std::string line, file, status;
    std::vector<std::string> theirs;
    int mido_tracks = 0;
    int compared = 0, mido_failed = 0, both_failed = 0;
    auto finish = [&]() {
      if (file.empty()) return;
      bool ours_ok = true;
      MidiFile m;
      try {
        m = read_midi_file(root + "/midi/" + file);
      } catch (const MidiError&) { ours_ok = false; }
      if (status != "ok") {
        ++mido_failed;
        if (!ours_ok) {
          ++both_failed;
          return;
        }
        CHECK_MESSAGE(mido_wrong_by_design.count(file),
                      file << ": mido says " << status
                           << " but we read it; add it to the allow-list only if mido is wrong by design");
        return;
      }
      CHECK_MESSAGE(ours_ok, file << ": mido reads it but we refuse it");
      if (!ours_ok) return;
      if (mido_reads_no_tracks.count(file)) {
        CHECK(mido_tracks == 0);
        return;
      }
      std::vector<std::string> ours;
      for (const std::string& l : our_lines(m))  // only the tracks mido read
        if (std::stoi(l.substr(2)) < mido_tracks) ours.push_back(l);
      std::vector<std::string> filtered;
      for (const std::string& l : theirs) {  // drop system bytes mido keeps and we skip
        size_t k = l.find("\tch\tf");
        if (k == std::string::npos) filtered.push_back(l);
      }
      theirs = filtered;
      if (ours != theirs) {
        size_t k = 0;
        while (k < ours.size() && k < theirs.size() && ours[k] == theirs[k]) ++k;
        FAIL_CHECK(file << ": event " << k << " differs: ours '" << (k < ours.size() ? ours[k] : "(end)") << "' mido '"
                        << (k < theirs.size() ? theirs[k] : "(end)") << "'");
      }
      ++compared;
    };
    while (std::getline(dump, line)) {
      if (line.rfind("F\t", 0) == 0) {
        finish();
        size_t a = line.find('\t', 2);
        file = line.substr(2, a - 2), status = line.substr(a + 1);
        theirs.clear();
        mido_tracks = 0;
      } else if (line.rfind("T\t", 0) == 0) {
        mido_tracks = std::stoi(line.substr(2));
      } else {
        theirs.push_back(line);
      }
    }
    finish();
    MESSAGE("mido: " << compared << " files identical event by event; mido refused " << mido_failed << " ("
                     << both_failed << " refused by both)");
    CHECK(compared > 1500);
  }

  TEST_CASE("differential: note-ons and note-offs match midicsv") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      testing::skip_or_fail("../shared/data (the MIDI corpus)");
      return;
    }
    if (!have("command -v midicsv")) {
      testing::skip_or_fail("midicsv (Debian: apt-get install midicsv)");
      return;
    }
    int compared = 0;
    for (const char* f :
         {"music_generator_demo_pop/Hot N Cold - Chorus.midi", "music21_test_midi/test09.mid",
          "pretty_midi_example/example.mid", "nottingham_jukedeck/jigs1.mid", "music21_test_midi/omr_k525MIDIMvt1.mid",
          "jazzsoft_test_midi_files/test-running-status-metaevent.mid"}) {
      std::string path = root + "/midi/" + f;
      std::istringstream csv(run("midicsv '" + path + "' 2>/dev/null"));
      std::vector<std::string> theirs, ours;
      std::string line;
      while (std::getline(csv, line)) {
        int track, channel, note, vel;
        long long time;
        char type[32];
        if (std::sscanf(line.c_str(), "%d, %lld, %31[^,], %d, %d, %d", &track, &time, type, &channel, &note, &vel) ==
                6 &&
            (std::string(type) == "Note_on_c" || std::string(type) == "Note_off_c"))
          theirs.push_back(std::to_string(track - 1) + " " + std::to_string(time) + " " + type + " " +
                           std::to_string(channel) + " " + std::to_string(note) + " " + std::to_string(vel));
      }
      MidiFile m = read_midi_file(path);
      for (size_t t = 0; t < m.tracks.size(); ++t)
        for (const Event& e : m.tracks[t].events)
          if (e.is_channel() && (e.type() == 0x80 || e.type() == 0x90))
            ours.push_back(std::to_string(t) + " " + std::to_string(e.tick) + " " +
                           (e.type() == 0x90 ? "Note_on_c" : "Note_off_c") + " " + std::to_string(e.channel()) + " " +
                           std::to_string(e.data[0]) + " " + std::to_string(e.data[1]));
      CHECK_MESSAGE(ours == theirs, f << ": " << ours.size() << " note events vs midicsv's " << theirs.size());
      ++compared;
    }
    CHECK(compared == 6);
  }

}  // TEST_SUITE
