// cpu.h: which SIMD kernels this CPU can run, asked once at run time.
// The default build has no -march flag, so it runs on any x86-64 (and compiles on
// ARM); the AVX2/FMA kernels are compiled with a per-function target attribute and
// only called when the CPU reports both features. Chapter: docs/11-making-it-fast.md.
#pragma once

namespace cadenza::kernels {

// Compiles one function for AVX2/FMA, whatever flags the rest of the build has. Call
// such a function only when cpu_has_avx2_fma() is true.
#define CADENZA_AVX2 __attribute__((target("avx2,fma")))

// True when the CPU has AVX2 and FMA, and force_portable_kernels(true) is not in effect.
bool cpu_has_avx2_fma();
// Tests use this to run the portable loops on CPUs that have AVX2.
void force_portable_kernels(bool on);

}  // namespace cadenza::kernels
