// race_probe.cpp: proof that `make tsan` can fail. Chapter: docs/11-making-it-fast.md ("Checking the threads").
//
//   race_probe race   every thread adds into one shared float: a data race that
//                     ThreadSanitizer must report (the tsan target fails if it does not).
//   race_probe clean  the patterns the engine uses: parallel_for over disjoint outputs, and
//                     parallel_region where threads write their own slot, meet at
//                     thread_barrier, then one thread reads all slots. TSan must stay silent,
//                     which it does only when it understands OpenMP's barrier (LLVM's Archer).
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/core/parallel.h"

int main(int argc, char** argv) {
  const bool race = argc > 1 && std::strcmp(argv[1], "race") == 0;
  std::vector<float> v(4096, 1.f), out(4096, 0.f);
  float total = 0;
  cadenza::parallel_for((int64_t)v.size(), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      if (race) total += v[i];  // every thread writes `total`: the race
      else out[i] = 2 * v[i];   // each thread owns out[lo, hi)
    }
  });
  std::vector<float> slot(64, 0.f);
  float gathered = 0;
  cadenza::parallel_region(3, [&](int t, int nt) {
    slot[t] = (float)(t + 1);
    cadenza::thread_barrier();  // every slot is written before thread 0 reads them
    if (t == 0)
      for (int i = 0; i < nt; ++i) gathered += slot[i];
  });
  std::printf("race_probe %s: total %g, out[0] %g, gathered %g\n", race ? "race" : "clean", total, out[0], gathered);
  return 0;
}
