// main.cpp (grading): runs every graded exercise on its own and prints the score table.
// Chapter: docs/teaching.md. Run through `make grade` (or `make grade CH=07`).
//
//   run_grade [--chapter 7,8] [--regions FILE] [--expect-stubs]
// --regions FILE: the ids `student list` found; each needs a test, each test a region.
// --expect-stubs: succeed only if every exercise fails on its own stub (the student edition).
#define DOCTEST_CONFIG_IMPLEMENT
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/grade/grade.h"

namespace {

std::string chapter_of(const std::string& id) { return id.substr(0, id.find('.')); }

bool id_less(const grade::Exercise& a, const grade::Exercise& b) {
  int ca = std::stoi(chapter_of(a.id)), cb = std::stoi(chapter_of(b.id));
  if (ca != cb) return ca < cb;
  return std::stoi(a.id.substr(a.id.find('.') + 1)) < std::stoi(b.id.substr(b.id.find('.') + 1));
}

// The id of the first stub a test ran into, or "".
std::string stub_hit(const std::string& out) {
  const std::string key = "not implemented: exercise ";
  size_t at = out.find(key);
  if (at == std::string::npos) return "";
  size_t end = out.find_first_of(" )\n", at + key.size());
  return out.substr(at + key.size(), end - at - key.size());
}

// The first failure doctest printed, on one line, for the table.
std::string first_error(const std::string& out) {
  size_t e = out.find("ERROR: ");
  if (e == std::string::npos) return "failed";
  std::string msg = out.substr(e + 7, out.find('\n', e) - e - 7);
  return msg.size() > 90 ? msg.substr(0, 87) + "..." : msg;
}

int usage() {
  std::fprintf(stderr, "usage: run_grade [--chapter 7,8] [--regions FILE] [--expect-stubs] [--verbose]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::set<std::string> chapters;
  std::string regions_file;
  bool expect_stubs = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--chapter" && i + 1 < argc) {
      std::istringstream in(argv[++i]);
      for (std::string c; std::getline(in, c, ',');) {
        while (c.size() > 1 && c[0] == '0') c.erase(0, 1);
        chapters.insert(c);
      }
    } else if (a == "--regions" && i + 1 < argc) {
      regions_file = argv[++i];
    } else if (a == "--expect-stubs") {
      expect_stubs = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else {
      return usage();
    }
  }
  std::vector<grade::Exercise> all = grade::registry();
  std::sort(all.begin(), all.end(), id_less);
  std::vector<grade::Exercise> chosen;
  for (const auto& e : all)
    if (chapters.empty() || chapters.count(chapter_of(e.id))) chosen.push_back(e);
  for (const std::string& c : chapters)
    if (std::none_of(all.begin(), all.end(), [&](const grade::Exercise& e) { return chapter_of(e.id) == c; }))
      return std::fprintf(stderr, "run_grade: chapter %s has no graded exercises (CH=07 grades chapter 7)\n",
                          c.c_str()),
             2;

  int problems = 0;
  if (!regions_file.empty()) {  // every region graded, every grading test tied to a region
    std::ifstream in(regions_file);
    if (!in) return std::fprintf(stderr, "run_grade: cannot read %s\n", regions_file.c_str()), 2;
    std::set<std::string> marked, tested;
    for (std::string line; std::getline(in, line);) marked.insert(line.substr(0, line.find('\t')));
    for (const auto& e : all) tested.insert(e.id);
    for (const auto& id : marked)
      if (!tested.count(id))
        std::printf("exercise %s is marked in the source but has no grading test\n", id.c_str()), ++problems;
    for (const auto& id : tested)
      if (!marked.count(id))
        std::printf("exercise %s has a grading test but no // [exercise:%s] region\n", id.c_str(), id.c_str()),
            ++problems;
  }

  std::printf("%-9s %-52s %6s %7s  %s\n", "exercise", "what you implement", "time", "points", "result");
  int got = 0, total = 0, passed = 0;
  std::vector<std::string> not_own;
  for (const auto& e : chosen) {
    std::ostringstream out;
    doctest::Context ctx;
    ctx.setOption("test-case", ("exercise " + e.id + ": *").c_str());
    ctx.setOption("no-version", true);
    ctx.setCout(&out);
    int rc = ctx.run();
    std::string text = out.str(), result;
    int ran = 0, passed_cases = 0;  // doctest's summary line: "test cases: 1 | 1 passed | 0 failed | ..."
    size_t at = text.find("test cases:");
    if (at != std::string::npos) std::sscanf(text.c_str() + at, "test cases: %d | %d passed", &ran, &passed_cases);
    bool ok = rc == 0 && ran == 1 && passed_cases == 1;
    std::string hit = stub_hit(text);
    if (ok) {
      result = "passed", got += e.points, ++passed;
    } else if (hit == e.id) {
      result = "not implemented yet (the stub throws)";
    } else if (!hit.empty()) {
      result = "blocked: it uses exercise " + hit + ", not implemented yet";
    } else {
      result = "FAILED: " + first_error(text);
    }
    if (expect_stubs && hit != e.id) not_own.push_back(e.id);
    total += e.points;
    std::string title = e.title.size() > 52 ? e.title.substr(0, 49) + "..." : e.title;
    std::printf("%-9s %-52s %3d min %3d/%-3d  %s\n", e.id.c_str(), title.c_str(), e.minutes, ok ? e.points : 0,
                e.points, result.c_str());
    if (verbose && !ok) std::printf("%s\n", text.c_str());
  }
  std::printf("score: %d/%d points, %d of %zu exercises passed\n", got, total, passed, chosen.size());
  if (problems) return 1;
  if (expect_stubs) {
    if (not_own.empty()) {
      std::printf("ok: every grading test fails on its own stub\n");
      return 0;
    }
    for (const auto& id : not_own) std::printf("exercise %s did not fail on its own stub\n", id.c_str());
    return 1;
  }
  return passed == (int)chosen.size() ? 0 : 1;
}
