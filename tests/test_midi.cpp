// Chapter 5 tests: the MIDI reader and writer. One hex-dump case per edge case
// in ../shared/notes/midi-robustness.md (§3.3), then timing and round trips.
// docs/05-midi-and-piano-rolls.md.
#include <doctest/doctest.h>

#include "tests/midi_helpers.h"

using namespace music;
using namespace testing;

namespace {
const char* kScale = "00 90 3c 40  60 80 3c 40  00 90 3e 40  60 80 3e 40  00 ff 2f 00";  // C4, D4
MidiError read_error(const std::vector<uint8_t>& b, ReadOptions o = {}) {
  try {
    read_midi(b, o);
  } catch (const MidiError& e) { return e; }
  FAIL("expected a MidiError");
  return MidiError("", 0, "");
}
}  // namespace

TEST_SUITE("ch05-midi") {
  TEST_CASE("a minimal file: header, one track, two notes") {
    MidiFile m = read_midi(smf(0, 96, {kScale}));
    CHECK(m.format == 0);
    CHECK(m.ticks_per_quarter == 96);
    REQUIRE(m.tracks.size() == 1);
    CHECK(m.tracks[0].events.size() == 5);
    CHECK(m.diagnostics.empty());
    auto notes = extract_notes(m);
    REQUIRE(notes.size() == 2);
    CHECK(notes[1].pitch == 62);
    CHECK(notes[1].start_tick == 0x60);
    CHECK(notes[1].end_s == doctest::Approx(1.0));  // 192 ticks at 96 tpq, 120 qpm
  }

  TEST_CASE("running status continues across meta events, and (with a diagnostic) across SysEx") {
    MidiFile m = read_midi(smf(0, 96, {"00 90 3c 40  10 ff 01 01 41  10 3e 40  10 3c 00  00 3e 00  00 ff 2f 00"}));
    CHECK(m.diagnostics.empty());
    CHECK(extract_notes(m).size() == 2);
    MidiFile s = read_midi(smf(0, 96, {"00 90 3c 40  10 f0 02 7e f7  10 3e 40  00 ff 2f 00"}));
    CHECK(has(s, "running_status_after_sysex"));
    CHECK(s.tracks[0].events[2].status == 0x90);
    CHECK(s.tracks[0].events[1].data == std::vector<uint8_t>{0x7e, 0xf7});  // SysEx kept raw
  }

  TEST_CASE("a data byte with no running status: diagnostic, rest of the track skipped") {
    MidiFile m = read_midi(smf(0, 96, {"00 3c 40  00 ff 2f 00"}));
    CHECK(has(m, "no_running_status"));
    CHECK(read_error(smf(0, 96, {"00 3c 40  00 ff 2f 00"}), {true}).code == "no_running_status");
  }

  TEST_CASE("SMPTE division: 25 fps x 40 ticks per frame is one millisecond per tick") {
    MidiFile m = read_midi(smf(0, 0xE728, {"00 90 3c 40  87 68 80 3c 40  00 ff 51 03 0f 42 40  00 ff 2f 00"}));
    CHECK(m.smpte);
    CHECK(m.smpte_fps == 25);
    CHECK(m.ticks_per_frame == 40);
    auto notes = extract_notes(m);
    CHECK(notes[0].end_tick == 1000);
    CHECK(notes[0].end_s == doctest::Approx(1.0));  // tempo events do not apply
  }

  TEST_CASE("header and chunk oddities are read with diagnostics") {
    std::vector<uint8_t> long_header = hex("4d 54 68 64 00 00 00 08 00 00 00 01 00 60 ab cd");
    std::vector<uint8_t> track = smf(0, 96, {kScale});
    long_header.insert(long_header.end(), track.begin() + 14, track.end());
    MidiFile a = read_midi(long_header);
    CHECK(has(a, "header_length"));
    CHECK(extract_notes(a).size() == 2);

    std::vector<uint8_t> junk = hex("4d 54 68 64 00 00 00 06 00 00 00 01 00 60  4a 75 6e 6b 00 00 00 02 01 02");
    junk.insert(junk.end(), track.begin() + 14, track.end());
    MidiFile b = read_midi(junk);
    CHECK(has(b, "unknown_chunk"));
    CHECK(b.tracks.size() == 1);

    std::vector<uint8_t> cut = smf(0, 96, {kScale});
    cut.resize(cut.size() - 3);  // the chunk says more bytes than remain
    MidiFile c = read_midi(cut);
    CHECK(has(c, "truncated_chunk"));
    CHECK(has(c, "missing_end_of_track"));

    MidiFile d = read_midi(smf(1, 96, {kScale}, 3));
    CHECK(has(d, "track_count_mismatch"));
    MidiFile e = read_midi(smf(0, 96, {kScale, kScale}));
    CHECK(has(e, "format0_multiple_tracks"));
    std::vector<uint8_t> extra = smf(0, 96, {kScale});
    extra.push_back(0x00);
    CHECK(has(read_midi(extra), "trailing_bytes"));
    CHECK(has(read_midi(smf(0, 96, {"00 90 3c 40 00 80 3c 40"})), "missing_end_of_track"));
    CHECK(has(read_midi(smf(0, 96, {"00 ff 2f 00 00 90 3c 40"})), "events_after_end_of_track"));
  }

  TEST_CASE("unreadable files throw MidiError with a code and an offset") {
    CHECK(read_error({}).code == "empty");
    CHECK(read_error(hex("68 65 6c 6c 6f 20 77 6f 72 6c 64")).code == "not_midi");
    CHECK(read_error(hex("4d 54 68 64 00 00 00 06 00 00")).code == "truncated_header");
    CHECK(read_error(hex("4d 54 68 64 00 00 00 04 00 00 00 01 00 60")).code == "bad_header");
    CHECK(read_error(smf(0, 0, {kScale})).code == "bad_division");
    MidiError e = read_error(smf(0, 96, {"ff ff ff ff 7f 90 3c 40"}));
    CHECK(e.code == "vlq_too_long");
    CHECK(e.offset == 22);
  }

  TEST_CASE("a folder or a missing path given as a MIDI file is refused by name") {
    for (std::string path : {std::string("tests"), std::string("tests/no-such-file.mid")}) {
      INFO(path);
      try {
        read_midi_file(path);
        FAIL("read_midi_file accepted " << path);
      } catch (const MidiError& err) {
        CHECK(err.code == "cannot_open");
        CHECK(std::string(err.what()).find(path) != std::string::npos);
      }
    }
  }

  TEST_CASE("bad bytes inside tracks: data > 127, system common and real-time statuses") {
    MidiFile a = read_midi(smf(0, 96, {"00 90 3c 90 3e 40  00 ff 2f 00"}));
    CHECK(has(a, "bad_data_byte"));
    CHECK(extract_notes(a).size() == 1);  // resynchronised on the 0x90
    ReadOptions clip;
    clip.clip_data_bytes = true;
    CHECK(has(read_midi(smf(0, 96, {"00 90 3c c0  00 ff 2f 00"}), clip), "data_byte_clipped"));
    MidiFile b = read_midi(smf(0, 96, {"00 f4  00 f2 01 02  00 f8  00 90 3c 40  00 ff 2f 00"}));
    CHECK(has(b, "illegal_system_common"));
    CHECK(has(b, "illegal_realtime"));
    CHECK(b.tracks[0].events.size() == 2);
    CHECK(read_error(smf(0, 96, {"00 f4 00 ff 2f 00"}), {true}).code == "illegal_system_common");
  }

  TEST_CASE("meta events: typed checks keep bad ones raw instead of crashing") {
    MidiFile a = read_midi(smf(0, 96, {"00 ff 51 02 07 a1  00 ff 59 02 08 00  00 ff 58 04 03 02 18 08  00 ff 2f 00"}));
    CHECK(has(a, "bad_meta"));
    CHECK(a.tracks[0].events[0].data.size() == 2);  // the short tempo is kept raw
    CHECK(TempoMap(a).tempo_at(0) == 500000);       // and ignored by the tempo map
    MidiFile b = read_midi(smf(0, 96, {"00 f7 02 f3 01  00 ff 00 00  00 ff 21 00  00 ff 2f 00"}));
    CHECK(b.diagnostics.empty());
    CHECK(b.tracks[0].events[0].status == 0xF7);
    CHECK(has(read_midi(smf(0, 96, {"00 ff 01 7f 41"})), "truncated_event"));  // length past the chunk
  }

  TEST_CASE("RIFF RMID files are unwrapped") {
    std::vector<uint8_t> inner = smf(0, 96, {kScale});
    std::vector<uint8_t> riff = hex("52 49 46 46 00 00 00 00 52 4d 49 44 64 61 74 61");
    for (int i = 0; i < 4; ++i) riff.push_back((uint8_t)(inner.size() >> (8 * i)));
    riff.insert(riff.end(), inner.begin(), inner.end());
    MidiFile m = read_midi(riff);
    CHECK(has(m, "riff_container"));
    CHECK(extract_notes(m).size() == 2);
  }

  TEST_CASE("note pairing: velocity-0 note-ons, overlaps (FIFO, LIFO, close-all), open notes, stray note-offs") {
    // C4 struck at 0 and again at 10; note-offs at 20 and 30 (one as note-on velocity 0); stray off for D4.
    MidiFile m = read_midi(
        smf(0, 96, {"00 90 3c 40  0a 90 3c 50  0a 80 3c 00  0a 90 3c 00  00 80 3e 00  00 90 40 40  0a ff 2f 00"}));
    NoteStats st;
    auto fifo = extract_notes(m, NotePairing::Fifo, &st);
    REQUIRE(fifo.size() == 3);
    CHECK(fifo[0].start_tick == 0);
    CHECK(fifo[0].end_tick == 20);
    CHECK(fifo[1].end_tick == 30);
    CHECK(fifo[2].pitch == 64);
    CHECK(fifo[2].end_tick == 40);  // closed at the end of the track
    CHECK(st.unmatched_note_offs == 1);
    CHECK(st.closed_at_track_end == 1);
    auto lifo = extract_notes(m, NotePairing::Lifo);
    CHECK(lifo[0].end_tick == 30);
    auto all = extract_notes(m, NotePairing::CloseAll);
    CHECK(all[0].end_tick == 20);
    CHECK(all[1].end_tick == 20);
  }

  TEST_CASE("tempo map: several tempi, tempo on another track, exact sums") {
    // 96 tpq; 120 qpm until tick 96, then 60 qpm (track 0); 240 qpm from tick 288 (track 1).
    MidiFile m = read_midi(smf(1, 96, {"60 ff 51 03 0f 42 40  00 ff 2f 00", "82 20 ff 51 03 03 d0 90  00 ff 2f 00"}));
    CHECK(has(m, "tempo_outside_track0"));
    TempoMap t(m);
    CHECK(t.seconds(96) == doctest::Approx(0.5));
    CHECK(t.seconds(192) == doctest::Approx(1.5));
    CHECK(t.seconds(288) == doctest::Approx(2.5));
    CHECK(t.seconds(384) == doctest::Approx(2.75));
    CHECK(t.qpm_at(300) == doctest::Approx(240));
    // Exactness: a million ticks at an awkward tempo lands exactly where the integer sum says.
    MidiFile odd = read_midi(smf(0, 480, {"00 ff 51 03 07 a1 23  00 ff 2f 00"}));
    CHECK(TempoMap(odd).seconds(1000000) == (double)(1000000LL * 500003) / (480 * 1e6));
  }

  TEST_CASE("VLQ boundaries round-trip through the writer; too-large deltas are refused") {
    for (uint32_t delta : {0u, 0x7Fu, 0x80u, 0x3FFFu, 0x4000u, 0x1FFFFFu, 0x200000u, 0x0FFFFFFFu}) {
      MidiFile m;
      m.format = 0;
      m.ticks_per_quarter = 96;
      m.tracks.resize(1);
      m.tracks[0].events.push_back({(int64_t)delta, 0x90, 0, {60, 64}});
      MidiFile back = read_midi(write_midi(m));
      CHECK(back.tracks[0].events[0].tick == delta);
    }
    MidiFile big;
    big.format = 0;
    big.tracks.resize(1);
    big.tracks[0].events.push_back({0x10000000, 0x90, 0, {60, 64}});
    CHECK_THROWS_AS(write_midi(big), MidiError);
  }

  TEST_CASE("the writer is canonical and idempotent; running status is optional and equivalent") {
    MidiFile m = read_midi(
        smf(1, 96,
            {"00 ff 51 03 07 a1 20  00 ff 58 04 04 02 18 08  00 ff 2f 00",
             "00 c0 05  00 90 3c 40  00 90 40 40  60 90 3c 00  00 90 3c 40  00 80 40 00  60 80 3c 00  00 ff 2f 00"}));
    std::vector<uint8_t> w1 = write_midi(m);
    std::vector<uint8_t> w2 = write_midi(read_midi(w1));
    CHECK(w1 == w2);
    MidiFile r = read_midi(w1);
    // At tick 96 the note-offs come first, so the re-struck C4 is released before it sounds again.
    const auto& ev = r.tracks[1].events;
    CHECK(ev[3].is_note_off());
    CHECK(ev[4].is_note_off());
    CHECK(ev[5].is_note_on());
    WriteOptions rs;
    rs.running_status = true;
    std::vector<uint8_t> w3 = write_midi(m, rs);
    CHECK(w3.size() < w1.size());
    CHECK(write_midi(read_midi(w3)) == w1);
  }

}  // TEST_SUITE
