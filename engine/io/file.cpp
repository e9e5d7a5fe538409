// file.cpp: see file.h. Chapter: docs/04-modules-losses-optimisers.md ("Checkpoints").
#include "engine/io/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/error.h"

namespace cadenza::io {

std::string read_file(const std::string& path, const std::string& op) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(op, "cannot open '" + path + "': " + std::strerror(errno), "check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(op, "error while reading '" + path + "'", "");
  return ss.str();
}

// [doc:atomic-write]
void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& op) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    fail(op, "'" + path + "' is a folder, not a file", "give a file name inside it, e.g. " + path + "/out");
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f)
      fail(op, "cannot create '" + tmp + "': " + std::strerror(errno), "check that the folder exists and is writable");
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    ok = (std::fflush(f) == 0) && ok;
    ok = (::fsync(::fileno(f)) == 0 || errno == EINVAL) && ok;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) {
      const int e = errno;
      std::remove(tmp.c_str());
      fail(op, "could not write all of '" + path + "': " + std::strerror(e), "check the free space where it goes");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    fail(op, "cannot replace '" + path + "': " + std::strerror(e), "");
  }
}
// [/doc]

}  // namespace cadenza::io
