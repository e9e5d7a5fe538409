// cpu.h: which SIMD kernels this CPU can run, asked once at run time.
// The default build has no -march flag, so it runs on any x86-64 (and compiles on
// ARM); the AVX2/FMA kernels are compiled with a per-function target attribute and
// only called when the CPU reports both features. Chapter: docs/11-making-it-fast.md.
#pragma once
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza::kernels {

// Compiles one function for AVX2/FMA, whatever flags the rest of the build has. Call
// such a function only when cpu_has_avx2_fma() is true.
#define CADENZA_AVX2 __attribute__((target("avx2,fma")))

#if defined(__x86_64__)
// The mask of lanes 0 .. r-1 (r from 0 to 8), for _mm256_maskload_ps / _mm256_maskstore_ps
// on the last few floats of a row: the softmax rows (vmath.cpp), the 0/1 product (spmm.cpp).
CADENZA_AVX2 inline __m256i lanes_below(int64_t r) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

// True when the CPU has AVX2 and FMA, and force_portable_kernels(true) is not in effect.
bool cpu_has_avx2_fma();
// Tests use this to run the portable loops on CPUs that have AVX2.
void force_portable_kernels(bool on);

}  // namespace cadenza::kernels
