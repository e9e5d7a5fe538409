// parallel.h: parallel_for over OpenMP, serial for small work.
//
// Threads cost microseconds to wake; a loop over a few hundred floats is faster
// on one core. So parallel_for only opens a parallel region when n >= grain.
// Each thread gets a contiguous block [begin, end) and owns the outputs it
// writes: no atomics, no races, and the same result at any thread count when
// each output is computed by one thread.
//
// A busy machine: OpenMP's threads spin while they wait for each other, so when another
// program holds one of the cores, a region waits for a thread that is not running. Waiting
// passively instead costs a wake-up in every region, which slows the many small regions of a
// quiet machine. So regions use available_threads(): the threads asked for, less one for each
// core another program keeps busy (parallel.cpp). The results do not change: every kernel gives
// the same bits at any thread count. CADENZA_FIXED_THREADS=1 turns this off (make tsan uses it).
// The measurements, with the CPU: docs/11-making-it-fast.md ("Measure it on a shared machine").
// Chapters: docs/01-tensors.md ("Under the hood"), docs/11-making-it-fast.md (step 4: threads).
#pragma once
#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cadenza {

inline int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline void set_num_threads(int n) {
#ifdef _OPENMP
  if (n > 0) omp_set_num_threads(n);
#else
  (void)n;
#endif
}

// The threads a region should use now: num_threads(), or fewer while other programs keep cores
// busy (Linux: /proc/loadavg's running tasks, less this process's own). 1 inside a region.
int available_threads();
// On by default (off when CADENZA_FIXED_THREADS=1): off, regions always use num_threads().
// The test suites turn it off, so that their 1-and-N-thread checks really run N threads.
void set_adaptive_threads(bool on);

// fn(begin, end) is called on disjoint blocks that cover [0, n).
template <class F>
void parallel_for(int64_t n, int64_t grain, F fn) {
  if (n <= 0) return;
#ifdef _OPENMP
  if (n >= grain && !omp_in_parallel() && omp_get_max_threads() > 1) {
    int nt = available_threads();
    int64_t blocks = n / (grain > 0 ? grain : 1);
    if (blocks > nt) blocks = nt;
    if (blocks < 2) blocks = 2;
    if (nt == 1) {  // the other cores are busy: the same blocks, in order, on this thread
      for (int64_t b = 0; b < blocks; ++b) {
        int64_t lo = n * b / blocks, hi = n * (b + 1) / blocks;
        if (lo < hi) fn(lo, hi);
      }
      return;
    }
#pragma omp parallel for num_threads((int)blocks) schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t lo = n * b / blocks, hi = n * (b + 1) / blocks;
      if (lo < hi) fn(lo, hi);
    }
    return;
  }
#endif
  (void)grain;
  fn(0, n);
}

// fn(t, nt) runs once on each of nt threads (t = 0..nt-1), for work that needs
// the threads to meet (thread_barrier) between phases. nt may come out smaller
// than asked (inside another parallel region it is 1), so fn must use the nt it gets.
template <class F>
void parallel_region(int threads, F fn) {
#ifdef _OPENMP
  if (threads > 1 && !omp_in_parallel()) threads = std::min(threads, available_threads());
  if (threads > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(threads)
    fn(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  (void)threads;
  fn(0, 1);
}

// Inside parallel_region with nt > 1: wait until every thread of the region gets here.
inline void thread_barrier() {
#ifdef _OPENMP
#pragma omp barrier
#endif
}

}  // namespace cadenza
