// lint_layers: fails when a file includes a folder its layer may not include.
//
// The rules are the table between <!-- layers --> and <!-- /layers --> in
// docs/STYLE.md: one row per folder, the folder in the first cell, the folders it
// may include in the last (its own is always allowed). A file belongs to the longest folder that
// matches its path; a file under no row is an error, so a new folder needs a rule.
// One more rule, the house's: outside pipelines/, no file includes both engine/
// and music/ (pipelines/ is the one layer that joins them).
//
//   lint_layers ROOT      checks ROOT/{engine,music,plot,pipelines,tools,examples,tests}
// Run through `make lint-layers` (in CI, with a deliberately upward include that must fail).
// Chapter: docs/STYLE.md ("Layers").
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Rule {
  std::string folder;            // "engine/core/"
  std::vector<std::string> may;  // folders it may include, e.g. "engine/core/" or "engine/"
};

std::vector<std::string> backticked(const std::string& line) {
  std::vector<std::string> out;
  for (size_t a = line.find('`'); a != std::string::npos; a = line.find('`', a + 1)) {
    size_t b = line.find('`', a + 1);
    if (b == std::string::npos) break;
    out.push_back(line.substr(a + 1, b - a - 1));
    a = b;
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// The rule of the longest folder that contains path, or null.
const Rule* rule_for(const std::vector<Rule>& rules, const std::string& path) {
  const Rule* best = nullptr;
  for (const Rule& r : rules)
    if (starts_with(path, r.folder) && (!best || r.folder.size() > best->folder.size())) best = &r;
  return best;
}

void walk(const std::string& root, const std::string& rel, std::vector<std::string>& files) {
  DIR* d = opendir((root + "/" + rel).c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    std::string r = rel + "/" + n;
    struct stat st;
    if (stat((root + "/" + r).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) walk(root, r, files);
    else if ((n.size() > 2 && n.substr(n.size() - 2) == ".h") || (n.size() > 4 && n.substr(n.size() - 4) == ".cpp"))
      files.push_back(r);
  }
  closedir(d);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lint_layers ROOT (the folder holding docs/STYLE.md and the sources)\n");
    return 2;
  }
  const std::string root = argv[1];
  std::ifstream style(root + "/docs/STYLE.md");
  if (!style) {
    std::fprintf(stderr, "lint_layers: cannot read %s/docs/STYLE.md, which holds the layer table\n", root.c_str());
    return 2;
  }
  std::vector<Rule> rules;
  bool in_table = false;
  for (std::string line; std::getline(style, line);) {
    if (line.find("<!-- layers -->") != std::string::npos) {
      in_table = true;
      continue;
    }
    if (line.find("<!-- /layers -->") != std::string::npos) break;
    if (!in_table || line.rfind("|", 0) != 0) continue;
    // | `folder/` | what it holds | `may/` `include/` |: the first cell and the last one.
    std::vector<std::string> cells;
    for (size_t a = 1, b; (b = line.find('|', a)) != std::string::npos; a = b + 1)
      cells.push_back(line.substr(a, b - a));
    if (cells.size() < 2) continue;
    std::vector<std::string> folder = backticked(cells.front());
    if (folder.size() != 1) continue;  // the header and the |---| row
    rules.push_back({folder[0], backticked(cells.back())});
  }
  if (rules.empty()) {
    std::fprintf(stderr, "lint_layers: no rows between <!-- layers --> and <!-- /layers --> in docs/STYLE.md\n");
    return 2;
  }
  std::vector<std::string> files;
  for (const char* top : {"engine", "music", "plot", "pipelines", "tools", "examples", "tests"}) walk(root, top, files);

  int problems = 0, includes = 0;
  for (const std::string& f : files) {
    const Rule* own = rule_for(rules, f);
    if (!own) {
      std::printf("%s: no rule for its folder in docs/STYLE.md's layer table — add a row\n", f.c_str());
      ++problems;
      continue;
    }
    std::ifstream in(root + "/" + f);
    bool engine = false, music = false;
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      size_t p = line.find_first_not_of(" \t");
      if (p == std::string::npos || line.compare(p, 10, "#include \"") != 0) continue;
      size_t q = line.find('"', p + 10);
      if (q == std::string::npos) continue;
      std::string inc = line.substr(p + 10, q - p - 10);
      if (inc.find('/') == std::string::npos) continue;  // a header beside the file, e.g. "doctest.h"
      ++includes;
      engine |= starts_with(inc, "engine/"), music |= starts_with(inc, "music/");
      const Rule* theirs = rule_for(rules, inc);
      if (theirs == own) continue;
      bool ok = false;
      for (const std::string& m : own->may) ok |= starts_with(inc, m);
      if (!ok) {
        std::string allowed;
        for (const std::string& m : own->may) allowed += (allowed.empty() ? "" : ", ") + m;
        std::printf("%s:%d includes %s: %s may include only %s (docs/STYLE.md, \"Layers\")\n", f.c_str(), n,
                    inc.c_str(), own->folder.c_str(), allowed.empty() ? "the standard library" : allowed.c_str());
        ++problems;
      }
    }
    if (engine && music && !starts_with(f, "pipelines/")) {
      std::printf(
          "%s includes both engine/ and music/: only pipelines/ joins them — include a pipelines/ header instead\n",
          f.c_str());
      ++problems;
    }
  }
  if (problems) {
    std::printf("lint-layers: %d problem(s) in %zu files\n", problems, files.size());
    return 1;
  }
  std::printf("lint-layers: ok (%zu files, %d project includes, %zu rules)\n", files.size(), includes, rules.size());
  return 0;
}
