// simd.h: small helpers the AVX2 kernels share.
// Chapter: docs/11-making-it-fast.md (step 3: SIMD).
#pragma once
#include <cstdint>

#include "engine/core/cpu.h"

namespace cadenza::kernels {

#if defined(__x86_64__)
// The mask of lanes 0 .. r-1 (r from 0 to 8), for _mm256_maskload_ps / _mm256_maskstore_ps
// on the last few floats of a row: the softmax rows (vmath.cpp), the 0/1 product (spmm.cpp).
CADENZA_AVX2 inline __m256i lanes_below(int64_t r) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

}  // namespace cadenza::kernels
