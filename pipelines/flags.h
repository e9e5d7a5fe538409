// flags.h: the tiny flag parser every example and the cadenza CLI share.
// Chapter: README.md ("The command-line tool"); docs/04-modules-losses-optimisers.md (the demos).
//
// Flags are the same everywhere: --data, --epochs, --seed, --out, --threads
// (add_shared: one definition, each program giving its defaults), plus a few per
// program. `--flag value` and `--flag=value` both work. A wrong flag or a bad value
// prints one line naming it, and the program exits with 2 — at parse time, before any
// work: a number flag declares its range (add_int, add_real) and parse checks it, and
// make_output_dir checks the output folder can be written.
#pragma once
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/core/parallel.h"

namespace flags {

// This program's defaults and help for the shared flags. An empty help leaves the flag out.
struct SharedFlags {
  std::string data, data_help;      // --data: a folder of music
  std::string epochs, epochs_help;  // --epochs: passes over the data, at least 1 ("": the recipe's, see given())
  std::string out, out_help = "output folder";
  std::string seed_help = "random seed: the same seed gives the same result at one thread";
};

struct Flag {
  std::string name, value, help;
  bool is_switch = false;  // takes no value
  enum Kind { Text, Int, Real } kind = Text;
  double lo = 0, hi = 0;  // Int and Real: the accepted range, checked by parse
};

class Parser {
 public:
  Parser(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}

  void add(const std::string& name, const std::string& default_value, const std::string& help) {
    flags_[name] = {name, default_value, help, false};
    order_.push_back(name);
  }
  void add_switch(const std::string& name, const std::string& help) {
    flags_[name] = {name, "0", help, true};
    order_.push_back(name);
  }
  // A whole number in [lo, hi], or a real number in [lo, hi]: parse refuses anything else.
  // An empty default means "not given" (given() is false): the program then picks the value.
  void add_int(const std::string& name, const std::string& default_value, const std::string& help, long long lo,
               long long hi) {
    add(name, default_value, help);
    flags_[name].kind = Flag::Int, flags_[name].lo = (double)lo, flags_[name].hi = (double)hi;
  }
  void add_real(const std::string& name, const std::string& default_value, const std::string& help, double lo,
                double hi) {
    add(name, default_value, help);
    flags_[name].kind = Flag::Real, flags_[name].lo = lo, flags_[name].hi = hi;
  }
  bool given(const std::string& name) const { return !str(name).empty(); }
  // On the command line, whatever its value (given() also counts a non-empty default).
  bool passed(const std::string& name) const { return passed_.count(name) > 0; }

  // --data, --epochs, --seed, --out and --threads, in that order, with this program's defaults.
  void add_shared(const SharedFlags& s) {
    if (!s.data_help.empty()) add("data", s.data, s.data_help);
    if (!s.epochs_help.empty()) add_int("epochs", s.epochs, s.epochs_help, 1, 1000000);
    add_int("seed", "0", s.seed_help, 0, 1LL << 62);
    if (!s.out_help.empty()) add("out", s.out, s.out_help);
    add_int("threads", "0", "OpenMP threads (0: the default)", 0, 256);
  }
  // After parse: --threads takes effect (0 keeps OpenMP's default); returns --seed.
  uint64_t apply_shared() const {
    if (int t = (int)integer("threads", 0, 256)) cadenza::set_num_threads(t);
    return (uint64_t)integer("seed", 0, 1LL << 62);
  }

  // Parses argv; prints help and exits 0 on --help; exits 2 on a wrong flag.
  void parse(int argc, char** argv, int first = 1) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        std::printf("%s", help().c_str());
        std::exit(0);
      }
      if (a.rfind("--", 0) != 0) die("unexpected argument '" + a + "'", "flags start with --; see --help");
      std::string name = a.substr(2), value;
      bool has_value = false;
      size_t eq = name.find('=');
      if (eq != std::string::npos) value = name.substr(eq + 1), name = name.substr(0, eq), has_value = true;
      auto it = flags_.find(name);
      if (it == flags_.end()) die("unknown flag --" + name, "see " + program_ + " --help for the flags it takes");
      passed_.insert(name);
      if (it->second.is_switch) {
        if (has_value && value != "1" && value != "0" && value != "true" && value != "false")
          die("--" + name + " is a switch: give it alone, or as --" + name + "=1 / =0, not '" + value + "'",
              it->second.help);
        it->second.value = has_value ? value : "1";
        continue;
      }
      if (!has_value) {
        if (i + 1 >= argc) die("flag --" + name + " needs a value", it->second.help);
        value = argv[++i];
      }
      it->second.value = value;
    }
    for (auto& [name, f] : flags_) {  // every number in its range, before the program does any work
      if (f.value.empty() || f.kind == Flag::Text) continue;
      if (f.kind == Flag::Int) integer(name, (long long)f.lo, (long long)f.hi);
      else number(name, f.lo, f.hi);
    }
  }

  std::string str(const std::string& name) const { return flags_.at(name).value; }
  bool on(const std::string& name) const { return str(name) == "1" || str(name) == "true"; }
  long long integer(const std::string& name, long long lo, long long hi) const {
    const std::string& v = str(name);
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || x < lo || x > hi)
      die("--" + name + " must be a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" +
              v + "'",
          "");
    return x;
  }
  double number(const std::string& name, double lo, double hi) const {
    const std::string& v = str(name);
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !(x >= lo && x <= hi))
      die("--" + name + " must be a number in [" + short_number(lo) + ", " + short_number(hi) + "], got '" + v + "'",
          "");
    return x;
  }

  std::string help() const {
    std::string out = "usage: " + program_ + " [flags]\n" + summary_ + "\n\nflags:\n";
    for (auto& n : order_) {
      const Flag& f = flags_.at(n);
      std::string left = "  --" + n + (f.is_switch ? "" : " VALUE");
      std::string range;
      if (f.kind != Flag::Text) {
        char b[96];
        std::snprintf(b, sizeof b, "%s", f.value.empty() ? "" : "; ");
        range = b + short_number(f.lo) + " to " + short_number(f.hi);
      }
      out += left + std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') + f.help +
             (f.is_switch || (f.value.empty() && range.empty())
                  ? ""
                  : " (" + (f.value.empty() ? std::string() : "default " + f.value) + range + ")") +
             "\n";
    }
    return out + "  --help                print this help\n";
  }

  // Creates an output folder and its parents (mkdir -p) and checks a file can be written in it,
  // or exits with one line saying why not: before the work, not after it.
  void make_output_dir(const std::string& path) const {
    if (path.empty()) die("--out is empty", "give the folder to write into, e.g. --out out/run1");
    for (size_t i = 1; i <= path.size(); ++i)
      if (i == path.size() || path[i] == '/') {
        std::string part = path.substr(0, i);
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
          die("cannot create output folder '" + path + "': " + std::strerror(errno),
              "check the path and its permissions");
      }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      die("'" + path + "' is a file, not a folder", "--out names the folder the results go into; give another path");
    std::string probe = path + "/.cadenza-write-check-" + std::to_string((long)::getpid());
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
      die("cannot write into output folder '" + path + "': " + std::strerror(errno),
          "choose a folder you can write to, or fix its permissions");
    ::close(fd);
    ::unlink(probe.c_str());
  }

  // 0.01, 1000000: as written, not 1.000000e-02 or 1e+06.
  static std::string short_number(double x) {
    char b[64];
    if (x == (double)(long long)x && std::fabs(x) < 1e15) std::snprintf(b, sizeof b, "%lld", (long long)x);
    else std::snprintf(b, sizeof b, "%g", x);
    return b;
  }

  [[noreturn]] void die(const std::string& problem, const std::string& hint) const {
    std::fprintf(stderr, "%s: %s%s%s\n", program_.c_str(), problem.c_str(), hint.empty() ? "" : " — ", hint.c_str());
    std::exit(2);
  }

 private:
  std::string program_, summary_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> order_;
  std::set<std::string> passed_;
};

}  // namespace flags
