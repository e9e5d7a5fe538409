// dataset.cpp: see dataset.h. Chapter: docs/05-midi-and-piano-rolls.md.
#include "music/dataset.h"

#include <algorithm>
#include <cctype>
#include <dirent.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>

namespace music {

static void walk(const std::string& dir, std::vector<std::string>& out, int depth) {
  if (depth > 32) return;
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    std::string p = dir + "/" + n;
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      walk(p, out, depth + 1);
      continue;
    }
    std::string ext = n.substr(n.find_last_of('.') + 1);
    for (char& c : ext) c = (char)std::tolower((unsigned char)c);
    if (n.find('.') != std::string::npos && (ext == "mid" || ext == "midi" || ext == "kar" || ext == "rmi"))
      out.push_back(p);
  }
  closedir(d);
}

MidiFolder load_midi_folder(const std::string& dir, const ReadOptions& opt) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw MidiError("cannot_open", 0, "'" + dir + "' is not a folder — check the path given to --data");
  std::vector<std::string> paths;
  walk(dir, paths, 0);
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) throw MidiError("no_midi", 0, "no .mid/.midi/.kar/.rmi files under '" + dir + "'");
  MidiFolder f;
  for (const std::string& p : paths) {
    try {
      f.items.push_back({p, read_midi_file(p, opt)});
    } catch (const MidiError& e) { f.skipped.push_back({p, std::string(e.what()) + " [" + e.code + "]"}); }
  }
  return f;
}

std::string MidiFolder::summary() const {
  std::string s = std::to_string(items.size()) + " files read, " + std::to_string(skipped.size()) + " skipped";
  for (const Skipped& k : skipped) s += "\n  " + k.path + ": " + k.reason;
  return s;
}

// [doc:polyphonic-format]
std::vector<PianoRoll> parse_polyphonic(const std::string& text, const std::string& name) {
  std::vector<PianoRoll> pieces;
  std::vector<std::vector<int>> steps;
  auto flush = [&](int ln) {
    if (steps.empty())
      throw MidiError("bad_dataset", 0,
                      name + " line " + std::to_string(ln) + ": an empty piece (=== with no steps before it)");
    PianoRoll r;
    r.lowest = 21, r.highest = 108, r.steps_per_quarter = 1, r.steps = (int64_t)steps.size();
    r.data.assign((size_t)r.steps * 88, 0.0f);
    r.onset.assign(r.data.size(), 0);
    for (size_t t = 0; t < steps.size(); ++t)
      for (int p : steps[t]) r.data[t * 88 + (size_t)(p - 21)] = 1.0f;
    pieces.push_back(std::move(r));
    steps.clear();
  };
  std::istringstream in(text);
  std::string line;
  int ln = 0;
  while (std::getline(in, line)) {
    ++ln;
    if (line == "===") {
      flush(ln);
      continue;
    }
    std::vector<int> step;
    if (line != "-") {
      std::istringstream ps(line);
      std::string tok;
      while (ps >> tok) {
        char* end = nullptr;
        long p = std::strtol(tok.c_str(), &end, 10);
        if (*end || p < 21 || p > 108 || (!step.empty() && p <= step.back()))
          throw MidiError("bad_dataset", 0,
                          name + " line " + std::to_string(ln) + ": '" + tok +
                              "' is not an ascending MIDI pitch in 21..108 (a silent step is '-')");
        step.push_back((int)p);
      }
      if (step.empty())
        throw MidiError("bad_dataset", 0, name + " line " + std::to_string(ln) + ": empty line (a silent step is '-')");
    }
    steps.push_back(step);
  }
  if (!steps.empty()) flush(ln);
  return pieces;
}
// [/doc]

std::vector<PianoRoll> read_polyphonic(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw MidiError("cannot_open", 0, "cannot open '" + path + "' — check the path to the dataset");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_polyphonic(ss.str(), path);
}

Split split_indices(size_t n, double train_fraction, double valid_fraction, uint64_t seed) {
  if (!(train_fraction >= 0 && valid_fraction >= 0 && train_fraction + valid_fraction <= 1))
    throw MidiError("bad_split", 0, "split fractions must be >= 0 and sum to at most 1");
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);  // Fisher–Yates on raw engine output
  size_t a = (size_t)(train_fraction * (double)n + 0.5),
         b = std::min(n, a + (size_t)(valid_fraction * (double)n + 0.5));
  Split s;
  s.train.assign(idx.begin(), idx.begin() + a);
  s.valid.assign(idx.begin() + a, idx.begin() + b);
  s.test.assign(idx.begin() + b, idx.end());
  return s;
}

PianoRoll transpose(const PianoRoll& r, int semitones, int64_t* dropped) {
  PianoRoll out = r;
  std::fill(out.data.begin(), out.data.end(), 0.0f);
  std::fill(out.onset.begin(), out.onset.end(), 0);
  int K = r.keys();
  int64_t lost = 0;
  for (int64_t t = 0; t < r.steps; ++t)
    for (int k = 0; k < K; ++k) {
      float v = r.data[(size_t)t * K + k];
      if (v == 0) continue;
      int k2 = k + semitones;
      if (k2 < 0 || k2 >= K) {
        ++lost;
        continue;
      }
      out.data[(size_t)t * K + k2] = v;
      if (!r.onset.empty()) out.onset[(size_t)t * K + k2] = r.onset[(size_t)t * K + k];
    }
  if (dropped) *dropped = lost;
  return out;
}

std::pair<int, int> transpose_room(const PianoRoll& r, int limit) {
  int lo = r.keys(), hi = -1;  // the lowest and highest sounding key
  const int K = r.keys();
  for (int64_t t = 0; t < r.steps; ++t)
    for (int k = 0; k < K; ++k)
      if (r.data[(size_t)t * K + k] != 0) lo = std::min(lo, k), hi = std::max(hi, k);
  if (hi < 0) return {0, 0};
  return {std::min(limit, lo), std::min(limit, K - 1 - hi)};
}

std::vector<PianoRoll> windows(const PianoRoll& r, int64_t length, int64_t hop) {
  if (length <= 0 || hop <= 0) throw MidiError("bad_window", 0, "window length and hop must be positive");
  std::vector<PianoRoll> out;
  int K = r.keys();
  for (int64_t s = 0; s + length <= r.steps; s += hop) {
    PianoRoll w = r;
    w.steps = length;
    w.data.assign(r.data.begin() + s * K, r.data.begin() + (s + length) * K);
    if (!r.onset.empty()) w.onset.assign(r.onset.begin() + s * K, r.onset.begin() + (s + length) * K);
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<std::vector<size_t>> batches(size_t n, size_t batch_size, bool shuffle, uint64_t seed) {
  if (batch_size == 0) throw MidiError("bad_batch", 0, "batch size must be positive");
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  if (shuffle) {
    std::mt19937_64 rng(seed);
    for (size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
  }
  std::vector<std::vector<size_t>> out;
  for (size_t s = 0; s < n; s += batch_size)
    out.emplace_back(idx.begin() + s, idx.begin() + std::min(n, s + batch_size));
  return out;
}

}  // namespace music
