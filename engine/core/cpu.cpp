// cpu.cpp: see cpu.h. Chapter: docs/11-making-it-fast.md.
#include "engine/core/cpu.h"

#include <algorithm>

namespace cadenza {

static CpuCapability g_limit = CpuCapability::avx512;

CpuCapability cpu_best_capability() {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  // __builtin_cpu_supports also asks the OS (XGETBV) whether it saves the wide registers.
  static const CpuCapability best = !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
                                        ? CpuCapability::portable
                                    : __builtin_cpu_supports("avx512f") ? CpuCapability::avx512
                                                                        : CpuCapability::avx2;
  return best;
#else
  return CpuCapability::portable;
#endif
}

CpuCapability cpu_capability() { return std::min(cpu_best_capability(), g_limit); }

const char* cpu_capability_name(CpuCapability c) {
  switch (c) {
    case CpuCapability::avx512:
      return "avx512";
    case CpuCapability::avx2:
      return "avx2";
    default:
      return "portable";
  }
}

bool cpu_has_avx2_fma() { return cpu_capability() >= CpuCapability::avx2; }
bool cpu_has_avx512() { return cpu_capability() >= CpuCapability::avx512; }

void set_cpu_capability_limit(CpuCapability limit) { g_limit = limit; }
void force_portable_kernels(bool on) { g_limit = on ? CpuCapability::portable : CpuCapability::avx512; }

}  // namespace cadenza
