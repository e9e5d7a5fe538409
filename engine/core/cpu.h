// cpu.h: which SIMD kernels this CPU can run, asked once at run time.
// The default build has no -march flag, so it runs on any x86-64 (and compiles on
// ARM); the AVX2/FMA and AVX-512 kernels are compiled with a per-function target
// attribute and only called when the CPU reports the features. Chapter: docs/11-making-it-fast.md.
#pragma once
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza {

// Compile one function for AVX2/FMA (or AVX-512F), whatever flags the rest of the build
// has. Call such a function only when cpu_has_avx2_fma() (cpu_has_avx512()) is true.
#define CADENZA_AVX2 __attribute__((target("avx2,fma")))
#define CADENZA_AVX512 __attribute__((target("avx512f,avx2,fma")))

// The SIMD levels Cadenza has kernels for, lowest first (PyTorch calls this the CPU
// capability: torch.backends.cpu.get_cpu_capability()). Every kernel has a portable
// version and most an AVX2/FMA one; the matrix multiply also has an AVX-512 tile.
enum class CpuCapability { portable = 0, avx2 = 1, avx512 = 2 };

// The level the kernels use: the best this CPU has, lowered by set_cpu_capability_limit, or
// the one the environment variable CADENZA_ISA names (portable, avx2 or avx512; read on the
// first call). CADENZA_ISA naming a level this CPU lacks, or no level, throws cadenza::Error:
// a forced path that quietly ran another would make a benchmark lie.
CpuCapability cpu_capability();
// CADENZA_ISA's rule on one value: nullptr or "" is no limit (the best level), otherwise the
// level it names. Throws as above. (cpu_capability calls it; the tests call it directly.)
CpuCapability parse_isa(const char* value, CpuCapability best);
// The best level this CPU has, whatever the limit.
CpuCapability cpu_best_capability();
const char* cpu_capability_name(CpuCapability c);  // "portable", "avx2", "avx512"
// True when cpu_capability() is at least AVX2 + FMA, or at least AVX-512F.
bool cpu_has_avx2_fma();
bool cpu_has_avx512();
// Tests and `make bench` use this to run lower levels on a CPU that has higher ones.
void set_cpu_capability_limit(CpuCapability limit);
// The same as set_cpu_capability_limit(portable) when on, no limit when off.
void force_portable_kernels(bool on);

// The data caches one core sees, in bytes (0 where unknown), read once from Linux's sysfs
// (/sys/devices/system/cpu/cpu0/cache), else sysconf. gemm sizes its blocks from them.
struct CacheSizes {
  int64_t l1d = 0, l2 = 0, l3 = 0;
};
CacheSizes cpu_cache_sizes();

}  // namespace cadenza
