// cpu.cpp: see cpu.h. Chapter: docs/11-making-it-fast.md.
#include "engine/core/cpu.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "engine/core/error.h"

namespace cadenza {

// The limit: none (avx512 is the highest level) until CADENZA_ISA or a test sets one.
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

CpuCapability parse_isa(const char* value, CpuCapability best) {
  if (!value || !*value) return best;
  const std::string want = value;
  for (CpuCapability c : {CpuCapability::portable, CpuCapability::avx2, CpuCapability::avx512}) {
    if (want != cpu_capability_name(c)) continue;
    if (c > best)
      fail("CADENZA_ISA",
           str("this CPU cannot run the ", want, " kernels: the best it has is ", cpu_capability_name(best)),
           str("set CADENZA_ISA to ", cpu_capability_name(best), " or lower, or unset it"));
    return c;
  }
  fail("CADENZA_ISA", str("unknown SIMD level '", want, "'"), "use portable, avx2 or avx512, or unset it");
}

CpuCapability cpu_capability() {
  // Read once, on the first call: a throw here leaves `forced` unset, so the next call throws too.
  static const CpuCapability forced = parse_isa(std::getenv("CADENZA_ISA"), cpu_best_capability());
  return std::min({cpu_best_capability(), forced, g_limit});
}

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

// One cache's size from sysfs ("48K", "2048K"), or 0.
static int64_t sysfs_size(const std::string& dir) {
  std::ifstream f(dir + "/size");
  int64_t n = 0;
  char unit = 0;
  if (!(f >> n)) return 0;
  f >> unit;
  return unit == 'K' ? n << 10 : unit == 'M' ? n << 20 : unit == 'G' ? n << 30 : n;
}

CacheSizes cpu_cache_sizes() {
  static const CacheSizes sizes = [] {
    CacheSizes c;
    // index0, index1, ...: each a cache with its level and type (Data, Instruction, Unified).
    for (int i = 0; i < 8; ++i) {
      const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i);
      std::ifstream level_file(dir + "/level"), type_file(dir + "/type");
      int level = 0;
      std::string type;
      if (!(level_file >> level) || !(type_file >> type)) break;
      if (type == "Instruction") continue;
      const int64_t size = sysfs_size(dir);
      if (level == 1) c.l1d = size;
      else if (level == 2) c.l2 = size;
      else if (level == 3) c.l3 = size;
    }
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    // No sysfs (a container that hides it, or not Linux): glibc's answer, which may be 0.
    if (c.l1d <= 0) c.l1d = std::max<long>(0, sysconf(_SC_LEVEL1_DCACHE_SIZE));
    if (c.l2 <= 0) c.l2 = std::max<long>(0, sysconf(_SC_LEVEL2_CACHE_SIZE));
    if (c.l3 <= 0) c.l3 = std::max<long>(0, sysconf(_SC_LEVEL3_CACHE_SIZE));
#endif
    return c;
  }();
  return sizes;
}

}  // namespace cadenza
