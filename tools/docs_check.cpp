// docs_check: keeps the code in docs/ identical to the source it quotes.
//
// In source, a region is marked:            In a chapter, it is quoted:
//   // [doc:mul]                              <!-- snippet: engine/ops/elementwise.cpp#mul -->
//   ...code...                                ```cpp
//   // [/doc]                                 ...code...
//                                             ```
// `docs_check check docs` fails (exit 1) when a quoted block differs from its
// region, or names a file or region that does not exist. `docs_check sync docs`
// rewrites the blocks from the source. Run through `make docs-check` / `make docs-sync`.
#include <dirent.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

static bool read_lines(const std::string& path, std::vector<std::string>& lines) {
  std::ifstream in(path);
  if (!in) return false;
  std::string l;
  while (std::getline(in, l)) lines.push_back(l);
  return true;
}

static std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The lines strictly between "// [doc:NAME]" and the next "// [/doc]".
static bool region(const std::string& file, const std::string& name, std::vector<std::string>& out, std::string& err) {
  std::vector<std::string> lines;
  if (!read_lines(file, lines)) {
    err = "cannot open " + file;
    return false;
  }
  for (size_t i = 0; i < lines.size(); ++i)
    if (trim(lines[i]) == "// [doc:" + name + "]") {
      for (size_t j = i + 1; j < lines.size(); ++j) {
        if (trim(lines[j]) == "// [/doc]") return true;
        out.push_back(lines[j]);
      }
      err = file + ": region '" + name + "' has no closing // [/doc]";
      return false;
    }
  err = file + " has no region // [doc:" + name + "]";
  return false;
}

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "check" && std::string(argv[1]) != "sync")) {
    std::fprintf(stderr, "usage: docs_check check|sync DOCS_DIR\n");
    return 2;
  }
  bool sync = std::string(argv[1]) == "sync";
  std::string dir = argv[2];
  std::vector<std::string> chapters;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 3 && n.substr(n.size() - 3) == ".md") chapters.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  int problems = 0, snippets = 0;
  const std::string tag = "<!-- snippet: ";
  for (const std::string& path : chapters) {
    std::vector<std::string> lines, out;
    read_lines(path, lines);
    bool changed = false;
    for (size_t i = 0; i < lines.size(); ++i) {
      out.push_back(lines[i]);
      std::string t = trim(lines[i]);
      if (t.rfind(tag, 0) != 0) continue;
      std::string ref = t.substr(tag.size(), t.size() - tag.size() - 4);  // drop " -->"
      ref = trim(ref);
      size_t hash = ref.find('#');
      std::vector<std::string> want;
      std::string err;
      if (hash == std::string::npos || !region(ref.substr(0, hash), ref.substr(hash + 1), want, err)) {
        std::fprintf(stderr, "%s:%zu: bad snippet reference '%s': %s\n", path.c_str(), i + 1, ref.c_str(),
                     err.empty() ? "expected FILE#REGION" : err.c_str());
        ++problems;
        continue;
      }
      ++snippets;
      // The fenced block that must follow the marker.
      if (i + 1 >= lines.size() || trim(lines[i + 1]).rfind("```", 0) != 0) {
        std::fprintf(stderr, "%s:%zu: snippet '%s' must be followed by a ``` code block\n", path.c_str(), i + 1,
                     ref.c_str());
        ++problems;
        continue;
      }
      size_t end = i + 2;
      while (end < lines.size() && trim(lines[end]) != "```") ++end;
      std::vector<std::string> have(lines.begin() + i + 2, lines.begin() + std::min(end, lines.size()));
      if (have != want) {
        if (sync) {
          changed = true;
        } else {
          size_t k = 0;
          while (k < have.size() && k < want.size() && have[k] == want[k]) ++k;
          std::fprintf(stderr,
                       "%s:%zu: snippet %s differs from the source at its line %zu\n  docs:   %s\n  source: %s\n"
                       "  — run `make docs-sync` to copy the source into the chapter\n",
                       path.c_str(), i + 1, ref.c_str(), k + 1, k < have.size() ? have[k].c_str() : "(end)",
                       k < want.size() ? want[k].c_str() : "(end)");
          ++problems;
        }
      }
      out.push_back(lines[i + 1]);
      for (auto& l : sync ? want : have) out.push_back(l);
      if (end < lines.size()) out.push_back(lines[end]);
      i = end;
    }
    if (sync && changed) {
      std::ofstream o(path);
      for (auto& l : out) o << l << "\n";
      std::printf("docs_check: updated %s\n", path.c_str());
    }
  }
  if (problems) {
    std::fprintf(stderr, "docs_check: %d problem(s) in %zu chapter(s)\n", problems, chapters.size());
    return 1;
  }
  std::printf("docs_check: %d snippets in %zu chapters match the source\n", snippets, chapters.size());
  return 0;
}
