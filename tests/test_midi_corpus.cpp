// Chapter 5 tests over real files: every MIDI file in ../shared/data/midi is
// read (no crash, the expected outcome), round-trips through the writer, and
// survives 10,000 seeded mutations. docs/05-midi-and-piano-rolls.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <tuple>

#include "tests/helpers.h"
#include "tests/midi_helpers.h"

using namespace music;
using testing::skip_or_fail;

namespace {

std::vector<std::string> corpus_files(const std::string& root) {
  std::vector<std::string> files;
  std::ifstream manifest(root + "/midi/manifest.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  while (std::getline(manifest, line)) files.push_back(line.substr(0, line.find('\t')));
  return files;
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The content a canonical write must preserve: per track, every event other than
// notes and End-of-Track as (tick, status, meta type, data) in order; and the
// notes, as extract_notes pairs them (open notes end at their track's end, where
// the writer closes them).
using Key = std::tuple<int64_t, int, int, std::vector<uint8_t>>;
std::vector<std::vector<Key>> content(const MidiFile& m) {
  std::vector<std::vector<Key>> out;
  for (const Track& t : m.tracks) {
    std::vector<Key> keys;
    std::vector<Event> ev;
    for (const Event& e : t.events)
      if (!(e.is_meta() && e.meta_type == kEndOfTrack) && !(e.is_channel() && (e.type() == 0x80 || e.type() == 0x90)))
        ev.push_back(e);
    std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.tick < b.tick; });
    for (const Event& e : ev) keys.emplace_back(e.tick, e.status, e.meta_type, e.data);
    out.push_back(keys);
  }
  std::vector<Key> notes;
  for (const Note& n : extract_notes(m))
    notes.emplace_back(n.start_tick, n.track * 16 + n.channel, n.pitch, std::vector<uint8_t>{(uint8_t)n.velocity});
  std::sort(notes.begin(), notes.end());
  out.push_back(notes);
  return out;
}

// Round-trip laws: read(write(m)) has m's content; write is idempotent; no note is left open.
void check_round_trip(const MidiFile& m, const std::string& name) {
  if (m.tracks.empty() || (m.format == 0 && m.tracks.size() != 1)) return;  // not writable as is
  std::vector<uint8_t> w1 = write_midi(m);
  MidiFile back = read_midi(w1);
  CHECK_MESSAGE(content(back) == content(m), name << ": content changed in a write/read round trip");
  CHECK_MESSAGE(write_midi(back) == w1, name << ": the writer is not idempotent");
  NoteStats st;
  extract_notes(back, NotePairing::Fifo, &st);
  CHECK_MESSAGE(st.closed_at_track_end == 0, name << ": the writer left a note open");
}

}  // namespace

TEST_SUITE("ch05-midi") {
  TEST_CASE("corpus: every file in ../shared/data/midi has its expected outcome, and round-trips") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      skip_or_fail("../shared/data (the MIDI corpus)");
      return;
    }
    // Files that must be refused, with the error code; every other file must be read.
    const std::map<std::string, std::string> must_fail = {
        {"jazzsoft_test_midi_files/test-empty-file.mid", "empty"},
        {"jazzsoft_test_midi_files/test-not-a-midi-file.mid", "not_midi"},
    };
    // Files read with a specific diagnostic (the broken ones the corpus was built for).
    const std::map<std::string, std::string> must_diagnose = {
        {"jazzsoft_test_midi_files/test-corrupt-file-extra-byte.mid", "trailing_bytes"},
        {"jazzsoft_test_midi_files/test-corrupt-file-missing-byte.mid", "missing_end_of_track"},
        {"jazzsoft_test_midi_files/test-non-midi-track.mid", "unknown_chunk"},
        {"jazzsoft_test_midi_files/test-running-status-sysex.mid", "running_status_after_sysex"},
        {"jazzsoft_test_midi_files/test-2-tracks-type-0.mid", "format0_multiple_tracks"},
        {"jazzsoft_test_midi_files/test-illegal-message-f4.mid", "illegal_system_common"},
        {"jazzsoft_test_midi_files/test-illegal-message-f9.mid", "illegal_realtime"},
        {"music21_test_midi/test04.mid", "track_count_mismatch"},
        {"shkyrockett_unit_cases/header/header-type-00-single.mid", "no_tracks"},
    };
    std::vector<std::string> files = corpus_files(root);
    CHECK(files.size() > 1500);
    int read = 0, refused = 0, with_diagnostics = 0;
    std::map<std::string, bool> diagnosed_seen;
    for (const std::string& f : files) {
      std::vector<uint8_t> bytes = slurp(root + "/midi/" + f);
      auto fail_it = must_fail.find(f);
      try {
        MidiFile m = read_midi(bytes);
        ++read;
        with_diagnostics += !m.diagnostics.empty();
        CHECK_MESSAGE(fail_it == must_fail.end(), f << " was read but should be refused as " << fail_it->second);
        for (const Diagnostic& d : m.diagnostics)
          CHECK_MESSAGE(d.offset <= bytes.size(), f << ": diagnostic offset past the end");
        auto diag_it = must_diagnose.find(f);
        if (diag_it != must_diagnose.end()) {
          diagnosed_seen[f] = true;
          CHECK_MESSAGE(m.has_diagnostic(diag_it->second), f << " should report " << diag_it->second);
        }
        extract_notes(m);
        check_round_trip(m, f);
      } catch (const MidiError& e) {
        ++refused;
        CHECK_MESSAGE(fail_it != must_fail.end(), f << " was refused: " << e.what() << " [" << e.code << "]");
        if (fail_it != must_fail.end()) CHECK_MESSAGE(e.code == fail_it->second, f << ": got " << e.code);
      }
    }
    CHECK(diagnosed_seen.size() == must_diagnose.size());  // the table names files that exist
    MESSAGE("corpus: " << read << " read (" << with_diagnostics << " with diagnostics), " << refused << " refused");
  }

  TEST_CASE("corpus spot checks: music21's and the seed demo's known facts") {
    std::string root = testing::shared_data();
    if (root.empty()) {
      skip_or_fail("../shared/data (the MIDI corpus)");
      return;
    }
    MidiFile t04 = read_midi_file(root + "/midi/music21_test_midi/test04.mid");
    CHECK(t04.ticks_per_quarter == 480);
    MidiFile t09 = read_midi_file(root + "/midi/music21_test_midi/test09.mid");
    CHECK(t09.diagnostics.size() == 0);
    MidiFile t07 = read_midi_file(root + "/midi/music21_test_midi/test07.mid");
    CHECK(TempoMap(t07).qpm_at(0) == doctest::Approx(180));
    MidiFile pop = read_midi_file(root + "/midi/music_generator_demo_pop/All The Small Things - Chorus.midi");
    CHECK(pop.format == 1);
    CHECK(pop.ticks_per_quarter == 128);
    CHECK(pop.tracks.size() == 3);
    MidiFile nott = read_midi_file(root + "/midi/nottingham_jukedeck/jigs1.mid");
    CHECK(nott.ticks_per_quarter == 1024);
    CHECK(TempoMap(nott).tempo_at(0) == 500000);  // no tempo events: the default 120 qpm
  }

  TEST_CASE("fuzz: 10,000 seeded mutations never crash, and what reads also round-trips") {
    std::vector<std::vector<uint8_t>> seeds = {
        testing::smf(1, 96,
                     {"00 ff 51 03 07 a1 20  00 ff 58 04 04 02 18 08  00 ff 2f 00",
                      "00 c0 05  00 90 3c 40  60 3e 40  00 f0 03 7e 01 f7  60 80 3c 00  00 3e 00  00 ff 2f 00"}),
        testing::smf(0, 0xE728, {"00 90 3c 40  83 60 80 3c 40  00 ff 2f 00"}),
    };
    std::string root = testing::shared_data();
    if (!root.empty())
      for (const char* f :
           {"/midi/jazzsoft_test_midi_files/test-running-status-metaevent.mid", "/midi/music21_test_midi/test09.mid",
            "/midi/music_generator_demo_pop/Hot N Cold - Chorus.midi"})
        seeds.push_back(slurp(root + f));
    std::mt19937_64 rng(20261121);
    int ok = 0, refused = 0;
    for (int i = 0; i < 10000; ++i) {
      std::vector<uint8_t> b = seeds[rng() % seeds.size()];
      int edits = 1 + (int)(rng() % 4);
      for (int k = 0; k < edits && !b.empty(); ++k) {
        size_t at = rng() % b.size();
        switch (rng() % 6) {
          case 0:
            b[at] ^= (uint8_t)(1u << (rng() % 8));
            break;  // bit flip
          case 1:
            b[at] = (uint8_t)rng();
            break;  // random byte
          case 2:
            b.insert(b.begin() + at, (uint8_t)rng());
            break;  // insertion
          case 3:
            b.erase(b.begin() + at);
            break;  // deletion
          case 4:
            b.resize(at);
            break;  // truncation
          case 5:
            if (at + 4 <= b.size())
              for (int j = 0; j < 4; ++j) b[at + j] = (uint8_t)rng();
            break;  // a length field
        }
      }
      try {
        MidiFile m = read_midi(b);
        ++ok;
        for (const Diagnostic& d : m.diagnostics) REQUIRE(d.offset <= b.size());
        extract_notes(m);
        if (i % 10 == 0) check_round_trip(m, "mutation " + std::to_string(i));
      } catch (const MidiError&) { ++refused; }
    }
    MESSAGE("fuzz: " << ok << " mutated files read, " << refused << " refused, none crashed");
    CHECK(ok + refused == 10000);
  }

}  // TEST_SUITE
