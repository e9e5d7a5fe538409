// parallel.cpp: available_threads(), the thread count that keeps a busy machine from stalling
// OpenMP's spinning threads (see parallel.h for why). Chapter: docs/11-making-it-fast.md
// ("Measure it on a shared machine").
#include "engine/core/parallel.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <dirent.h>
#include <unistd.h>
#endif

namespace cadenza {

#if defined(_OPENMP) && defined(__linux__)
namespace {

// Tasks running or waiting to run on the whole machine: the fourth field of /proc/loadavg is
// "running/total". -1 when it cannot be read.
int machine_running() {
  FILE* f = std::fopen("/proc/loadavg", "r");
  if (!f) return -1;
  double a, b, c;
  int running = -1, total = 0;
  if (std::fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &running, &total) != 5) running = -1;
  std::fclose(f);
  return running;
}

// This process's threads that are running or runnable (state R in /proc/self/task/*/stat):
// the caller, and any OpenMP worker still spinning.
int own_running() {
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string path = std::string("/proc/self/task/") + e->d_name + "/stat";
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) continue;
    char buf[512];
    size_t len = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[len] = 0;
    const char* close = std::strrchr(buf, ')');  // "tid (name) S ...": the name may hold spaces
    if (close && close[1] == ' ' && close[2] == 'R') ++n;
  }
  ::closedir(d);
  return n;
}

std::atomic<int> g_adaptive{-1};  // -1: not decided yet (then CADENZA_FIXED_THREADS decides)
bool adaptive() {
  int a = g_adaptive.load(std::memory_order_relaxed);
  if (a < 0) {
    const char* v = std::getenv("CADENZA_FIXED_THREADS");
    a = (v && *v && std::strcmp(v, "0") != 0) ? 0 : 1;
    g_adaptive.store(a);
  }
  return a == 1;
}

std::atomic<int64_t> g_next_check_ns{0};
std::atomic<int> g_busy_cores{0};  // cores other programs keep busy, as last decided
std::atomic<int> g_pending{0};     // the last reading, and how many readings after it agreed
std::atomic<int> g_streak{0};
// Often enough to notice a neighbour within a fraction of a second, rarely enough that reading
// two small /proc files costs nothing next to the regions in between.
constexpr int64_t kCheckEveryNs = 50'000'000;

}  // namespace

int available_threads() {
  const int asked = omp_get_max_threads();
  if (asked <= 1 || omp_in_parallel()) return 1;
  if (!adaptive()) return asked;
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t next = g_next_check_ns.load(std::memory_order_relaxed);
  if (now >= next && g_next_check_ns.compare_exchange_strong(next, now + kCheckEveryNs)) {
    const int all = machine_running(), ours = own_running();
    if (all >= 0 && ours >= 0) {
      const int others = std::max(0, all - ours);
      // Three readings in a row must agree before the count changes:
      // a kernel thread that runs for a moment must not halve a quiet machine's speed.
      if (others == g_pending.load()) {
        if (g_streak.fetch_add(1) + 1 >= 2) g_busy_cores.store(others);
      } else {
        g_pending.store(others), g_streak.store(0);
      }
    }
  }
  const int busy = g_busy_cores.load(std::memory_order_relaxed);
  if (busy == 0) return asked;
  static const int cores = std::max(1, (int)::sysconf(_SC_NPROCESSORS_ONLN));
  return std::max(1, std::min(asked, cores - busy));
}

void set_adaptive_threads(bool on) {
  g_adaptive.store(on ? 1 : 0);
  g_busy_cores.store(0), g_pending.store(0), g_streak.store(0), g_next_check_ns.store(0);
}

#else

int available_threads() { return num_threads(); }
void set_adaptive_threads(bool) {}

#endif

}  // namespace cadenza
