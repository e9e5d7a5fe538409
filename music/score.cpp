// score.cpp: the score notation's parser and its compiler to MIDI (see score.h).
// Chapter: docs/05-midi-and-piano-rolls.md ("The bundled corpus").
#include "music/score.h"

#include <algorithm>
#include <cstdlib>
#include <cerrno>
#include <cctype>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace music {

namespace {

[[noreturn]] void err(const std::string& name, int line, const std::string& msg, const std::string& hint = "") {
  throw ScoreError("[score] " + name + (line > 0 ? " line " + std::to_string(line) : "") + ": " + msg +
                   (hint.empty() ? "" : " — " + hint));
}

// A..G. (Not std::strchr("ABCDEFG", c): it also finds the terminating '\0', which the fuzzer
// put in a chord symbol, and pitch_class then threw map::at.)
bool note_letter(char c) { return c >= 'A' && c <= 'G'; }

int pitch_class(char letter, const std::string& acc) {
  static const std::map<char, int> base = {{'C', 0}, {'D', 2}, {'E', 4}, {'F', 5}, {'G', 7}, {'A', 9}, {'B', 11}};
  int pc = base.at(letter);
  for (char a : acc) pc += a == '#' ? 1 : -1;
  return (pc + 12) % 12;
}

// "q", "e.", "h" ... -> sixteenths; returns -1 on a bad code.
int duration(const std::string& code) {
  if (code.empty()) return 4;
  static const std::map<char, int> len = {{'w', 16}, {'h', 8}, {'q', 4}, {'e', 2}, {'s', 1}};
  auto it = len.find(code[0]);
  if (it == len.end() || code.size() > 2 || (code.size() == 2 && code[1] != '.')) return -1;
  return code.size() == 2 ? it->second * 3 / 2 : it->second;
}

// Chord symbols: root, accidental, quality, optional /bass.
Score::Chord chord(const std::string& sym, const std::string& name, int line) {
  Score::Chord c;
  if (sym.empty() || !note_letter(sym[0]))
    err(name, line, "bad chord '" + sym + "'", "a chord starts with A..G, e.g. D, Am, G7, Bb/D");
  size_t i = 1;
  std::string acc;
  while (i < sym.size() && (sym[i] == '#' || sym[i] == 'b')) acc += sym[i++];
  c.root = pitch_class(sym[0], acc);
  std::string rest = sym.substr(i), bass;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) bass = rest.substr(slash + 1), rest = rest.substr(0, slash);
  static const std::map<std::string, std::vector<int>> qualities = {
      {"", {0, 4, 7}},         {"m", {0, 3, 7}},    {"7", {0, 4, 7, 10}}, {"m7", {0, 3, 7, 10}},
      {"maj7", {0, 4, 7, 11}}, {"dim", {0, 3, 6}},  {"aug", {0, 4, 8}},   {"sus4", {0, 5, 7}},
      {"sus2", {0, 2, 7}},     {"6", {0, 4, 7, 9}}, {"m6", {0, 3, 7, 9}}, {"dim7", {0, 3, 6, 9}}};
  auto q = qualities.find(rest);
  if (q == qualities.end())
    err(name, line, "unknown chord quality in '" + sym + "'",
        "use one of: (major) m 7 m7 maj7 dim dim7 aug sus2 sus4 6 m6");
  for (int iv : q->second) c.pitch_classes.push_back((c.root + iv) % 12);
  c.bass = c.root;
  if (!bass.empty()) {
    if (!note_letter(bass[0]) || bass.find_first_not_of("#b", 1) != std::string::npos)
      err(name, line, "bad bass note in '" + sym + "'", "the bass after / is a note name, e.g. Bb/D or G/B");
    c.bass = pitch_class(bass[0], bass.substr(1));
  }
  return c;
}

}  // namespace

// [doc:score-parse]
Score parse_score(const std::string& text, const std::string& name) {
  Score s;
  s.name = name;
  std::vector<std::pair<int, std::string>> melody, chords;  // (line number, text)
  std::istringstream in(text);
  std::string line;
  for (int ln = 1; std::getline(in, line); ++ln) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;  // blank line or comment
    size_t comment = line.find(" # ");                               // a comment after a field ('#' alone is a sharp)
    if (comment != std::string::npos) line = line.substr(0, comment);
    size_t colon = line.find(':');
    if (colon == std::string::npos)
      err(name, ln, "expected 'field: value'",
          "fields are title, composer, source, meter, key, tempo, style, pickup, program, melody, chords");
    std::string key = line.substr(0, colon), value = line.substr(colon + 1);
    key.erase(0, key.find_first_not_of(" \t"));
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.pop_back();
    if (key == "title") s.title = value;
    else if (key == "composer") s.composer = value;
    else if (key == "source") s.source = value;
    else if (key == "key") s.key = value;
    else if (key == "style") s.style = value;
    else if (key == "melody") melody.push_back({ln, value});
    else if (key == "chords") chords.push_back({ln, value});
    else if (key == "meter") {
      if (std::sscanf(value.c_str(), "%d/%d", &s.meter_num, &s.meter_den) != 2 || s.meter_num < 1 || s.meter_num > 16 ||
          (s.meter_den != 2 && s.meter_den != 4 && s.meter_den != 8))
        err(name, ln, "bad meter '" + value + "'", "write it like 4/4, 3/4 or 6/8");
    } else if (key == "tempo" || key == "pickup" || key == "program" || key == "accompaniment") {
      char* end = nullptr;  // not atoi: a huge number overflowed (found by make fuzz)
      errno = 0;
      long lv = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || errno == ERANGE || lv < -1000000 || lv > 1000000)
        err(name, ln, key + " must be a whole number, not '" + value + "'");
      int v = (int)lv;
      if (key == "tempo") {
        if (v < 20 || v > 400) err(name, ln, "tempo must be 20..400 quarter notes per minute");
        s.tempo = v;
      } else if (key == "pickup") s.pickup_beats = v;
      else if (key == "program") s.melody_program = std::clamp(v, 0, 127);
      else s.accompaniment_program = std::clamp(v, 0, 127);
    } else err(name, ln, "unknown field '" + key + "'");
  }
  if (s.pickup_beats < 0 || s.pickup_beats >= s.meter_num)
    err(name, 0, "pickup: " + std::to_string(s.pickup_beats) + " is not shorter than a bar",
        "a pickup of N beats has 0 < N < " + std::to_string(s.meter_num) + " in " + std::to_string(s.meter_num) + "/" +
            std::to_string(s.meter_den));
  if (s.title.empty()) err(name, 0, "missing 'title:'");
  if (melody.empty()) err(name, 0, "missing 'melody:'");
  static const std::vector<std::string> styles = {"block", "waltz", "march", "arpeggio", "alberti"};
  if (std::find(styles.begin(), styles.end(), s.style) == styles.end())
    err(name, 0, "unknown style '" + s.style + "'", "use block, waltz, march, arpeggio or alberti");

  // Melody: notes and rests; then every bar is checked against the meter. The
  // first bar may be a pickup of `pickup` beats; the last one may be short.
  const int bar_len = s.meter_num * 16 / s.meter_den;
  std::vector<std::pair<int, int>> bar_fill;  // (sixteenths, line) per bar
  int in_bar = 0, bar_line = 0;
  for (auto& [ln, txt] : melody) {
    std::istringstream toks(txt);
    std::string t;
    while (toks >> t) {
      if (t == "|") {
        if (in_bar > 0) bar_fill.push_back({in_bar, ln});
        in_bar = 0;
        continue;
      }
      int pitch = -1;
      size_t i = 0;
      if (t[0] == 'r') {
        i = 1;
      } else if (note_letter(t[0])) {
        std::string acc;
        i = 1;
        while (i < t.size() && (t[i] == '#' || t[i] == 'b')) acc += t[i++];
        if (i >= t.size() || !std::isdigit((unsigned char)t[i]))
          err(name, ln, "note '" + t + "' has no octave", "write C4 for middle C");
        int octave = t[i++] - '0';
        pitch = 12 * (octave + 1) + pitch_class(t[0], "") + (int)std::count(acc.begin(), acc.end(), '#') -
                (int)std::count(acc.begin(), acc.end(), 'b');
      } else {
        err(name, ln, "cannot read '" + t + "'", "notes look like F#4, Bb3q, C5h.; rests like rq; bars are '|'");
      }
      int d = duration(t.substr(i));
      if (d < 0) err(name, ln, "bad duration in '" + t + "'", "use w h q e s, optionally dotted: q.");
      s.melody.push_back({pitch, d, (int)bar_fill.size()});
      in_bar += d;
      bar_line = ln;
    }
  }
  if (in_bar > 0) bar_fill.push_back({in_bar, bar_line});
  // [doc:bar-check]
  for (size_t b = 0; b < bar_fill.size(); ++b) {
    int have = bar_fill[b].first;
    bool pickup = b == 0 && s.pickup_beats > 0 && have == s.pickup_beats * 16 / s.meter_den;
    bool last_short = b + 1 == bar_fill.size() && b > 0 && have < bar_len;
    if (have != bar_len && !pickup && !last_short)
      err(name, bar_fill[b].second,
          "bar " + std::to_string(b + 1) + " holds " + std::to_string(have) + " sixteenths but the meter " +
              std::to_string(s.meter_num) + "/" + std::to_string(s.meter_den) + " needs " + std::to_string(bar_len),
          "check the durations (w h q e s, '.' dotted) in that bar");
  }
  // [/doc]
  s.bars = (int)bar_fill.size();

  // Chords: one group per bar, dividing it equally.
  int cbar = 0;
  int pickup_len = s.pickup_beats * 16 / s.meter_den;
  auto bar_start = [&](int b) { return b == 0 ? 0 : (pickup_len ? pickup_len + (b - 1) * bar_len : b * bar_len); };
  auto bar_length = [&](int b) { return b == 0 && pickup_len ? pickup_len : bar_len; };
  for (auto& [ln, txt] : chords) {
    std::istringstream toks(txt + " |");
    std::string t;
    std::vector<std::string> syms;
    while (toks >> t) {
      if (t != "|") {
        syms.push_back(t);
        continue;
      }
      if (syms.empty()) continue;
      if (cbar >= s.bars) err(name, ln, "more chord bars than melody bars (" + std::to_string(s.bars) + ")");
      int len = bar_length(cbar), n = (int)syms.size();
      if (len % n)
        err(name, ln, "bar " + std::to_string(cbar + 1) + ": " + std::to_string(n) + " chords cannot share it equally");
      for (int k = 0; k < n; ++k) {
        Score::Chord c;
        if (syms[k] == "-") {
          if (s.chords.empty()) err(name, ln, "'-' with no chord before it");
          c = s.chords.back();
        } else {
          c = chord(syms[k], name, ln);
        }
        c.start = bar_start(cbar) + k * len / n;
        c.length = len / n;
        s.chords.push_back(c);
      }
      ++cbar;
      syms.clear();
    }
  }
  if (!chords.empty() && cbar != s.bars)
    err(name, chords.back().first, std::to_string(cbar) + " chord bars for " + std::to_string(s.bars) + " melody bars",
        "give every bar its chords ('-' repeats the previous one)");
  return s;
}
// [/doc]

Score read_score_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScoreError("[score] cannot open '" + path + "' — check the path");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string stem = path.substr(path.find_last_of('/') + 1);
  return parse_score(ss.str(), stem.substr(0, stem.find('.')));
}

namespace {
// The pitch with class pc closest to (at or above) `floor`.
int place(int pc, int floor) { return floor + ((pc - floor) % 12 + 12) % 12; }

int key_signature_sharps(const std::string& key, bool& minor) {
  minor = key.size() > 1 && key.back() == 'm';
  std::string root = minor ? key.substr(0, key.size() - 1) : key;
  static const std::map<std::string, int> major = {{"Cb", -7}, {"Gb", -6}, {"Db", -5}, {"Ab", -4}, {"Eb", -3},
                                                   {"Bb", -2}, {"F", -1},  {"C", 0},   {"G", 1},   {"D", 2},
                                                   {"A", 3},   {"E", 4},   {"B", 5},   {"F#", 6},  {"C#", 7}};
  static const std::map<std::string, int> minors = {{"Ab", -7}, {"Eb", -6}, {"Bb", -5}, {"F", -4}, {"C", -3},
                                                    {"G", -2},  {"D", -1},  {"A", 0},   {"E", 1},  {"B", 2},
                                                    {"F#", 3},  {"C#", 4},  {"G#", 5},  {"D#", 6}, {"A#", 7}};
  const auto& table = minor ? minors : major;
  auto it = table.find(root);
  return it == table.end() ? 0 : it->second;
}
}  // namespace

// [doc:score-compile]
MidiFile score_to_midi(const Score& s) {
  const int tpq = 480, t16 = tpq / 4;
  MidiFile m;
  m.format = 1;
  m.ticks_per_quarter = tpq;
  m.tracks.resize(3);
  auto meta = [&](int track, uint8_t type, std::vector<uint8_t> data) {
    m.tracks[track].events.push_back({0, 0xFF, type, std::move(data)});
  };
  meta(0, kTrackName, std::vector<uint8_t>(s.title.begin(), s.title.end()));
  int us = 60000000 / s.tempo;
  meta(0, kSetTempo, {(uint8_t)(us >> 16), (uint8_t)(us >> 8), (uint8_t)us});
  int den_pow = s.meter_den == 2 ? 1 : s.meter_den == 4 ? 2 : 3;
  // A pickup bar gets its own (short) time signature, as notation programs write it, so a reader
  // that counts bars from the time signatures puts every later bar line where the score has it.
  const int pickup16 = s.pickup_beats * 16 / s.meter_den;
  if (pickup16 > 0) meta(0, kTimeSignature, {(uint8_t)s.pickup_beats, (uint8_t)den_pow, 24, 8});
  else meta(0, kTimeSignature, {(uint8_t)s.meter_num, (uint8_t)den_pow, 24, 8});
  bool minor;
  int sf = key_signature_sharps(s.key, minor);
  meta(0, kKeySignature, {(uint8_t)(int8_t)sf, (uint8_t)minor});
  if (pickup16 > 0)
    m.tracks[0].events.push_back(
        {(int64_t)pickup16 * t16, 0xFF, kTimeSignature, {(uint8_t)s.meter_num, (uint8_t)den_pow, 24, 8}});
  meta(1, kTrackName, {'M', 'e', 'l', 'o', 'd', 'y'});
  meta(2, kTrackName, {'A', 'c', 'c', 'o', 'm', 'p', 'a', 'n', 'i', 'm', 'e', 'n', 't'});
  m.tracks[1].events.push_back({0, 0xC0, 0, {(uint8_t)s.melody_program}});
  m.tracks[2].events.push_back({0, 0xC1, 0, {(uint8_t)s.accompaniment_program}});
  auto note = [&](int track, int ch, int64_t on, int64_t off, int pitch, int vel) {
    m.tracks[track].events.push_back({on, (uint8_t)(0x90 | ch), 0, {(uint8_t)pitch, (uint8_t)vel}});
    m.tracks[track].events.push_back({off, (uint8_t)(0x80 | ch), 0, {(uint8_t)pitch, 0}});
  };
  int64_t at = 0;
  for (const Score::Item& it : s.melody) {  // melody, slightly detached so repeated notes are heard
    if (it.pitch >= 0) note(1, 0, at * t16, (at + it.sixteenths) * t16 - t16 / 8, it.pitch, 92);
    at += it.sixteenths;
  }
  for (const Score::Chord& c : s.chords) {  // accompaniment: bass in E2..D#3, chord tones from G3 up
    int bass = place(c.bass, 40);
    std::vector<int> tones;
    for (int pc : c.pitch_classes) tones.push_back(place(pc, 55));
    std::sort(tones.begin(), tones.end());
    int64_t a = c.start, len = c.length, beat = 16 / s.meter_den * (s.meter_den == 8 ? 3 : 1);
    if (s.style == "block") {
      note(2, 1, a * t16, (a + len) * t16 - t16 / 4, bass, 70);
      for (int p : tones) note(2, 1, a * t16, (a + len) * t16 - t16 / 4, p, 58);
    } else if (s.style == "waltz" || s.style == "march") {  // bass on the first beat, chords on the others
      for (int64_t b = 0; b < len; b += beat) {
        int64_t on = (a + b) * t16, off = (a + std::min(len, b + beat)) * t16 - t16 / 2;
        if (b == 0 || (s.style == "march" && b == 2 * beat))
          note(2, 1, on, off,
               b == 0 ? bass : place(c.pitch_classes[std::min<size_t>(2, c.pitch_classes.size() - 1)], 40), 72);
        else
          for (int p : tones) note(2, 1, on, off, p, 55);
      }
    } else {  // arpeggio (eighths: bass, up and down the chord) or alberti (low-high-middle-high)
      std::vector<int> pattern;
      if (s.style == "arpeggio") {
        pattern = {bass};
        for (int p : tones) pattern.push_back(p);
        for (int k = (int)tones.size() - 2; k > 0; --k) pattern.push_back(tones[k]);
      } else pattern = {tones.front(), tones.back(), tones[tones.size() / 2], tones.back()};
      const int step = 2;  // eighth notes
      for (int64_t b = 0, k = 0; b < len; b += step, ++k) {
        int p = pattern[(size_t)k % pattern.size()];
        note(2, 1, (a + b) * t16, (a + std::min<int64_t>(len, b + step)) * t16 - t16 / 8, p, k == 0 ? 66 : 54);
      }
      if (s.style == "alberti") note(2, 1, a * t16, (a + len) * t16 - t16 / 4, bass, 64);
    }
  }
  for (Track& t : m.tracks)
    std::stable_sort(t.events.begin(), t.events.end(), [](const Event& x, const Event& y) { return x.tick < y.tick; });
  return m;
}
// [/doc]

}  // namespace music
