// flags.h: the tiny flag parser every example and the cadenza CLI share.
// Chapter: README.md ("The command-line tool"); docs/04-modules-losses-optimisers.md (the demos).
//
// Flags are the same everywhere: --data, --epochs, --seed, --out, --threads
// (add_shared: one definition, each program giving its defaults), plus a few per
// program. `--flag value` and `--flag=value` both work. A wrong
// flag or a bad value prints one line naming it, and the program exits with 2.
#pragma once
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <map>
#include <string>
#include <vector>

#include "engine/core/parallel.h"

namespace flags {

// This program's defaults and help for the shared flags. An empty help leaves the flag out.
struct SharedFlags {
  std::string data, data_help;      // --data: a folder of music
  std::string epochs, epochs_help;  // --epochs: passes over the data
  std::string out, out_help = "output folder";
  std::string seed_help = "random seed: the same seed gives the same result at one thread";
};

struct Flag {
  std::string name, value, help;
  bool is_switch = false;  // takes no value
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

  // --data, --epochs, --seed, --out and --threads, in that order, with this program's defaults.
  void add_shared(const SharedFlags& s) {
    if (!s.data_help.empty()) add("data", s.data, s.data_help);
    if (!s.epochs_help.empty()) add("epochs", s.epochs, s.epochs_help);
    add("seed", "0", s.seed_help);
    if (!s.out_help.empty()) add("out", s.out, s.out_help);
    add("threads", "0", "OpenMP threads (0: the default)");
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
      die("--" + name + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + v +
              "'",
          "");
    return x;
  }

  std::string help() const {
    std::string out = "usage: " + program_ + " [flags]\n" + summary_ + "\n\nflags:\n";
    for (auto& n : order_) {
      const Flag& f = flags_.at(n);
      std::string left = "  --" + n + (f.is_switch ? "" : " VALUE");
      out += left + std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') + f.help +
             (f.is_switch || f.value.empty() ? "" : " (default " + f.value + ")") + "\n";
    }
    return out + "  --help                print this help\n";
  }

  // Creates an output folder and its parents (mkdir -p), or exits with one line saying why not.
  void make_output_dir(const std::string& path) const {
    for (size_t i = 1; i <= path.size(); ++i)
      if (i == path.size() || path[i] == '/') {
        std::string part = path.substr(0, i);
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
          die("cannot create output folder '" + path + "': " + std::strerror(errno),
              "check the path and its permissions");
      }
  }

  [[noreturn]] void die(const std::string& problem, const std::string& hint) const {
    std::fprintf(stderr, "%s: %s%s%s\n", program_.c_str(), problem.c_str(), hint.empty() ? "" : " — ", hint.c_str());
    std::exit(2);
  }

 private:
  std::string program_, summary_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> order_;
};

}  // namespace flags
