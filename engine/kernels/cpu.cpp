// cpu.cpp: see cpu.h. Chapter: docs/11-making-it-fast.md.
#include "engine/kernels/cpu.h"

namespace cadenza::kernels {

static bool g_force_portable = false;

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) && !defined(CADENZA_DOUBLE)
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes && !g_force_portable;
#else
  return false;
#endif
}

void force_portable_kernels(bool on) { g_force_portable = on; }

}  // namespace cadenza::kernels
