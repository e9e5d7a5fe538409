// corpus.cpp: see corpus.h. Chapter: docs/05-midi-and-piano-rolls.md ("The bundled corpus").
#include "music/corpus.h"

#include <algorithm>
#include <cstdlib>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

namespace music {

static bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string corpus_dir() {
  if (const char* env = std::getenv("CADENZA_CORPUS")) return env;
  for (const char* p : {"music/corpus", "../music/corpus", "../../music/corpus"})
    if (is_dir(p)) return p;
  // Beside the program: build/cadenza and build/examples/x sit two or three folders below the
  // repository, so the corpus is found from any working folder (Linux: /proc/self/exe).
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, (size_t)n);
    for (int up = 0; up < 5 && dir.find('/') != std::string::npos; ++up) {
      dir = dir.substr(0, dir.find_last_of('/'));
      if (is_dir(dir + "/music/corpus")) return dir + "/music/corpus";
    }
  }
  throw ScoreError(
      "[corpus] cannot find music/corpus — run from the Cadenza folder, keep the program inside it, or set "
      "CADENZA_CORPUS");
}

std::vector<Score> load_corpus(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) throw ScoreError("[corpus] cannot open '" + dir + "' — check the path");
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".tune") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<Score> out;
  for (const std::string& n : names) out.push_back(read_score_file(dir + "/" + n));
  return out;
}

}  // namespace music
