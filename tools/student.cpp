// student: writes the student edition of the course, and lists its exercises.
// Chapter: docs/teaching.md (the instructor's guide).
//
// In the source, a piece a student writes is marked:
//   // [exercise:7.3] the CD-k update
//   ...the solution...
//   // [/exercise]
// `student edition SRC DEST [CHAPTERS]` copies the tree SRC to DEST (not build/, out/ or .git/)
// and replaces every marked region, in code and in the chapters that quote it, by one line that
// throws "not implemented: exercise 7.3 (docs/07-rbm.md#exercises)". The markers stay, so the
// student sees where to write. CHAPTERS ("07,08") limits the stubs to those chapters.
// `student list SRC` prints one line per region: id, file:line, title.
// Regions must declare nothing that code after them uses, so the stubbed tree still builds.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Region {
  std::string id, file, title;
  size_t line;
};

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Every file under root, as a path relative to it, skipping what a build makes.
void walk(const std::string& root, const std::string& rel, std::vector<std::string>& out) {
  DIR* d = ::opendir((root + "/" + rel).c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.push_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    if (n == "." || n == "..") continue;
    std::string r = rel.empty() ? n : rel + "/" + n;
    if (rel.empty() && (n == "build" || n == "out" || n == ".git")) continue;
    if (is_dir(root + "/" + r)) walk(root, r, out);
    else out.push_back(r);
  }
}

bool text_file(const std::string& f) {
  for (const char* ext : {".cpp", ".h", ".md"})
    if (f.size() > std::string(ext).size() &&
        f.compare(f.size() - std::string(ext).size(), std::string::npos, ext) == 0)
      return true;
  return false;
}

bool read(const std::string& path, std::string& s) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  s = ss.str();
  return true;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::string l;
  std::istringstream in(s);
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

// "// [exercise:7.3] title" -> id "7.3", title; false for any other line.
bool opening(const std::string& line, std::string& id, std::string& title) {
  std::string t = trim(line);
  const std::string head = "// [exercise:";
  if (t.compare(0, head.size(), head) != 0) return false;
  size_t close = t.find(']', head.size());
  if (close == std::string::npos) return false;
  id = t.substr(head.size(), close - head.size());
  title = trim(t.substr(close + 1));
  return true;
}

bool closing(const std::string& line) { return trim(line) == "// [/exercise]"; }

std::string chapter_of(const std::string& id) { return id.substr(0, id.find('.')); }

// The chapter's file for an exercise's message: "7" -> "docs/07-rbm.md".
std::string chapter_doc(const std::string& src, const std::string& id) {
  std::string ch = chapter_of(id);
  if (ch.size() == 1) ch = "0" + ch;
  std::vector<std::string> docs;
  walk(src + "/docs", "", docs);
  for (const std::string& d : docs)
    if (d.compare(0, ch.size() + 1, ch + "-") == 0) return "docs/" + d;
  return "docs/README.md";
}

// Regions of one file; a malformed one (unclosed, nested, stray close) is an error.
bool regions(const std::string& src, const std::string& file, std::vector<Region>& out, std::string& err) {
  std::string text;
  if (!read(src + "/" + file, text)) return err = "cannot read " + file, false;
  std::vector<std::string> ls = lines_of(text);
  bool open = false;
  Region cur;
  for (size_t i = 0; i < ls.size(); ++i) {
    std::string id, title;
    if (opening(ls[i], id, title)) {
      if (open)
        return err = file + ":" + std::to_string(i + 1) + ": exercise " + id + " opens inside exercise " + cur.id,
               false;
      cur = {id, file, title, i + 1};
      open = true;
    } else if (closing(ls[i])) {
      if (!open) return err = file + ":" + std::to_string(i + 1) + ": '// [/exercise]' with no region open", false;
      out.push_back(cur);
      open = false;
    }
  }
  if (open) return err = file + ":" + std::to_string(cur.line) + ": exercise " + cur.id + " is never closed", false;
  return true;
}

// The file with every selected region's body replaced by a throwing stub.
std::string stubbed(const std::string& src, const std::string& file, const std::string& text,
                    const std::set<std::string>& chapters, bool& changed) {
  std::vector<std::string> ls = lines_of(text);
  std::ostringstream out;
  bool skipping = false, code = file.size() < 3 || file.compare(file.size() - 3, 3, ".md") != 0;
  changed = false;
  for (size_t i = 0; i < ls.size(); ++i) {
    std::string id, title;
    if (skipping) {
      if (!closing(ls[i])) continue;
      skipping = false;
    }
    out << ls[i] << "\n";
    if (opening(ls[i], id, title) && (chapters.empty() || chapters.count(chapter_of(id)))) {
      std::string indent = ls[i].substr(0, ls[i].find_first_not_of(" \t"));
      out << indent << "throw std::logic_error(\"not implemented: exercise " << id << " (" << chapter_doc(src, id)
          << "#exercises)\");\n";
      skipping = changed = true;
    }
  }
  std::string s = out.str();
  if (!changed || !code) return s;
  // The stub needs <stdexcept>; its parameters go unused until the student writes the body.
  size_t inc = s.find("\n#include");
  std::string pre =
      "#include <stdexcept>  // student edition: the exercise stubs throw std::logic_error\n"
      "#pragma GCC diagnostic ignored \"-Wunused-parameter\"\n"
      "#pragma GCC diagnostic ignored \"-Wunused-variable\"\n"
      "#pragma GCC diagnostic ignored \"-Wunused-but-set-variable\"\n"
      "#pragma GCC diagnostic ignored \"-Wunused-function\"\n";
  if (file.size() > 2 && file.compare(file.size() - 2, 2, ".h") == 0)
    pre = "#include <stdexcept>  // student edition\n";
  return inc == std::string::npos ? pre + s : s.substr(0, inc + 1) + pre + s.substr(inc + 1);
}

void mkdirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0755);
}

int usage() {
  std::fprintf(stderr,
               "usage: student list SRC\n"
               "       student edition SRC DEST [CHAPTERS]   (CHAPTERS: e.g. 07,08; default every chapter)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string cmd = argv[1], src = argv[2];
  if (!is_dir(src)) return std::fprintf(stderr, "student: '%s' is not a folder\n", src.c_str()), 2;
  std::vector<std::string> files;
  walk(src, "", files);
  std::vector<Region> all;
  for (const std::string& f : files) {
    if (!text_file(f) || f.compare(0, 5, "docs/") == 0) continue;  // chapters quote regions; the source owns them
    std::string err;
    if (!regions(src, f, all, err)) return std::fprintf(stderr, "student: %s\n", err.c_str()), 1;
  }
  // One exercise may have several regions (a function and its backward, say): all are stubbed.
  if (cmd == "list" && argc == 3) {
    for (const Region& r : all) std::printf("%s\t%s:%zu\t%s\n", r.id.c_str(), r.file.c_str(), r.line, r.title.c_str());
    return 0;
  }
  if (cmd != "edition" || argc < 4 || argc > 5) return usage();
  std::string dest = argv[3];
  std::set<std::string> chapters;
  if (argc == 5) {
    std::istringstream in(argv[4]);
    for (std::string c; std::getline(in, c, ',');) {
      c = trim(c);
      while (c.size() > 1 && c[0] == '0') c.erase(0, 1);
      bool known = false;
      for (const Region& r : all) known |= chapter_of(r.id) == c;
      if (!known)
        return std::fprintf(stderr, "student: chapter '%s' has no exercises (CH=07,08 names chapters 7 and 8)\n",
                            c.c_str()),
               2;
      chapters.insert(c);
    }
  }
  size_t stubs = 0;
  for (const std::string& f : files) {
    std::string text;
    if (!read(src + "/" + f, text)) return std::fprintf(stderr, "student: cannot read %s\n", f.c_str()), 1;
    bool changed = false;
    if (text_file(f)) text = stubbed(src, f, text, chapters, changed);
    std::string to = dest + "/" + f;
    mkdirs(to.substr(0, to.rfind('/')));
    std::ofstream out(to, std::ios::binary);
    out << text;
    if (!out) return std::fprintf(stderr, "student: cannot write %s (check the free space)\n", to.c_str()), 1;
    struct stat st;
    if (::stat((src + "/" + f).c_str(), &st) == 0) ::chmod(to.c_str(), st.st_mode & 07777);
    stubs += changed && f.compare(0, 5, "docs/") != 0;
  }
  std::set<std::string> ids;
  for (const Region& r : all)
    if (chapters.empty() || chapters.count(chapter_of(r.id))) ids.insert(r.id);
  size_t n = ids.size();
  std::printf("student: wrote %s: %zu exercises stubbed in %zu source files\n", dest.c_str(), n, stubs);
  return 0;
}
