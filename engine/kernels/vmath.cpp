// vmath.cpp: see vmath.h. Chapter: docs/11-making-it-fast.md.
#include "engine/kernels/vmath.h"

#include <algorithm>
#include <cmath>

#include "engine/core/cpu.h"
#include "engine/kernels/simd.h"
#include "engine/kernels/scalar.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace cadenza::kernels {

// [doc:vmath-ref]
void exp_ref(const real* x, real* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}
void sigmoid_ref(const real* x, real* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = sigmoid(x[i]);
}
void tanh_ref(const real* x, real* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
// [/doc]

// [doc:softmax-row-ref]
// y = softmax(s), s_j = scale * x_j where mask_j != 0, else -1e9. y may be x: x_j is read before y_j is written.
void softmax_row_ref(const real* x, real* y, int64_t n, real scale, const real* mask) {
  // [exercise:11.3] the reference masked, scaled softmax of one row
  auto score = [&](int64_t j) { return !mask || mask[j] != 0 ? (double)scale * x[j] : -1e9; };
  double m = -HUGE_VAL;
  for (int64_t j = 0; j < n; ++j) m = std::max(m, score(j));
  double total = 0;
  for (int64_t j = 0; j < n; ++j) {
    double e = std::exp(score(j) - m);
    total += e;
    y[j] = (real)e;
  }
  for (int64_t j = 0; j < n; ++j) y[j] = (real)(y[j] / total);
  // [/exercise]
}

// dx_j = scale * y_j * (g_j - sum_k g_k y_k), 0 where the mask hid the score. dx may be g.
void softmax_backward_row_ref(const real* y, const real* g, real* dx, int64_t n, real scale, const real* mask) {
  // [exercise:11.4] the reference softmax backward of one row
  double dot = 0;
  for (int64_t j = 0; j < n; ++j) dot += (double)g[j] * y[j];
  for (int64_t j = 0; j < n; ++j) dx[j] = !mask || mask[j] != 0 ? (real)(scale * y[j] * (g[j] - dot)) : 0;
  // [/exercise]
}
// [/doc]

#if defined(CADENZA_DOUBLE)
void vexp(const real* x, real* y, int64_t n) { exp_ref(x, y, n); }
void vsigmoid(const real* x, real* y, int64_t n) { sigmoid_ref(x, y, n); }
void vtanh(const real* x, real* y, int64_t n) { tanh_ref(x, y, n); }
void softmax_row(const real* x, real* y, int64_t n, real scale, const real* mask) {
  softmax_row_ref(x, y, n, scale, mask);
}
void softmax_backward_row(const real* y, const real* g, real* dx, int64_t n, real scale, const real* mask) {
  softmax_backward_row_ref(y, g, dx, n, scale, mask);
}
#else

namespace {
// Cephes expf constants: ln 2 split in two so k·ln2 is subtracted without rounding error.
constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
// e^x overflows past ln(FLT_MAX) = 88.72 and is 0 in float below about -104
constexpr float kExpHi = 88.72283f, kExpLo = -104.0f;
// tanh x = x + x·z·Q(z), z = x², for |x| < 0.625 (Cephes' tanhf)
constexpr float kT0 = -5.70498872745e-3f, kT1 = 2.06390887954e-2f, kT2 = -5.37397155531e-2f, kT3 = 1.33314422036e-1f,
                kT4 = -3.33332819422e-1f;

#if defined(__x86_64__)
// [doc:vexp-avx2]
CADENZA_AVX2 __m256 exp8(__m256 x) {
  const __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(kExpHi), _CMP_GT_OQ);             // -> +inf
  x = _mm256_max_ps(_mm256_set1_ps(kExpLo), _mm256_min_ps(_mm256_set1_ps(kExpHi), x));  // NaN passes through
  __m256 k = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(kLog2e), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(kLn2Hi), x);  // r = x - k ln2, in two parts
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));  // e^r
  // · 2^k, as 2^(k/2) · 2^(k - k/2) so that k down to -150 (subnormal results) stays exact:
  // each factor is a float whose exponent bits are k/2 + 127
  __m256i ki = _mm256_cvtps_epi32(k), k1 = _mm256_srai_epi32(ki, 1), k2 = _mm256_sub_epi32(ki, k1);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  return _mm256_blendv_ps(y, _mm256_set1_ps(HUGE_VALF), over);
}
// [/doc]
CADENZA_AVX2 __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  __m256 e = exp8(_mm256_or_ps(x, sign));  // e^-|x|
  __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, e));
  return _mm256_blendv_ps(s, _mm256_mul_ps(e, s), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}
CADENZA_AVX2 __m256 tanh8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  __m256 a = _mm256_andnot_ps(sign, x);
  __m256 z = _mm256_mul_ps(x, x);
  __m256 q = _mm256_set1_ps(kT0);
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kT1));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kT2));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kT3));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(kT4));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(x, z), q, x);
  __m256 e = exp8(_mm256_mul_ps(_mm256_set1_ps(2.0f), _mm256_min_ps(_mm256_set1_ps(44.0f), a)));
  __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  big = _mm256_or_ps(big, _mm256_and_ps(sign, x));  // tanh(-x) = -tanh(x)
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

// y[i] = f(x[i]) eight at a time; the last n % 8 through a padded register, so
// every element goes through f8.
template <__m256 (*f8)(__m256)>
CADENZA_AVX2 void map8(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float buf[8] = {};
    std::copy(x + i, x + n, buf);
    _mm256_store_ps(buf, f8(_mm256_load_ps(buf)));
    std::copy(buf, buf + (n - i), y + i);
  }
}

// GCC 12's own AVX-512 headers start some intrinsics from an "undefined" register and then
// warn that it may be used uninitialised; it is not (every lane is written). Quiet that here only.
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such warning, and would warn about the name
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// The same three on 16 lanes, for AVX-512: the same operations in the same order, lane by lane,
// so each lane gives the AVX2 version's bits (a test checks) and a model's results do not change
// with the level; there are just twice as many lanes per instruction. AVX-512F has no float
// and/or, so the sign bit is handled as integers.
CADENZA_AVX512 __m512 exp16(__m512 x) {
  const __mmask16 over = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kExpHi), _CMP_GT_OQ);
  x = _mm512_max_ps(_mm512_set1_ps(kExpLo), _mm512_min_ps(_mm512_set1_ps(kExpHi), x));
  __m512 k = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(kLog2e), _mm512_set1_ps(0.5f)),
                                  _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);  // floor
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512i ki = _mm512_cvtps_epi32(k), k1 = _mm512_srai_epi32(ki, 1), k2 = _mm512_sub_epi32(ki, k1);
  const __m512i bias = _mm512_set1_epi32(127);
  __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k1, bias), 23));
  __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k2, bias), 23));
  __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
  return _mm512_mask_blend_ps(over, y, _mm512_set1_ps(HUGE_VALF));
}
CADENZA_AVX512 inline __m512 with_sign_of(__m512 v, __m512 x) {  // v | (x's sign bit)
  const __m512i sign = _mm512_set1_epi32(int(0x80000000u));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), _mm512_and_si512(_mm512_castps_si512(x), sign)));
}
CADENZA_AVX512 __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 e = exp16(with_sign_of(x, _mm512_set1_ps(-0.0f)));  // e^-|x|
  __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, e));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), s, _mm512_mul_ps(e, s));
}
CADENZA_AVX512 __m512 tanh16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
  __m512 z = _mm512_mul_ps(x, x);
  __m512 q = _mm512_set1_ps(kT0);
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kT1));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kT2));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kT3));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(kT4));
  __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(x, z), q, x);
  __m512 e = exp16(_mm512_mul_ps(_mm512_set1_ps(2.0f), _mm512_min_ps(_mm512_set1_ps(44.0f), a)));
  __m512 big = with_sign_of(_mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one))), x);
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ), big, small);
}
// y[i] = f(x[i]) sixteen at a time; the last n % 16 through masked loads and stores (lanes past
// the end read as 0 and are never written).
template <__m512 (*f16)(__m512)>
CADENZA_AVX512 void map16(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, tail, f16(_mm512_maskz_loadu_ps(tail, x + i)));
  }
}

#pragma GCC diagnostic pop

// The softmax rows. A row of n is handled 8 floats at a time; the last n % 8 through
// masked loads and stores, with the lanes past the row kept out of the max and the sum.
CADENZA_AVX2 inline __m256 load8(const float* p, int64_t left, __m256i tail) {
  return left >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, tail);  // lanes past the row read as 0
}
CADENZA_AVX2 inline void store8(float* p, __m256 v, int64_t left, __m256i tail) {
  if (left >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, tail, v);
}
// Horizontal sum and max, always in the same order.
CADENZA_AVX2 inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
CADENZA_AVX2 inline float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

// [doc:softmax-row-avx2]
CADENZA_AVX2 void softmax_row8(const float* x, float* y, int64_t n, float scale, const float* mask) {
  const __m256i tail = lanes_below(n % 8);
  const __m256 zero = _mm256_setzero_ps(), fill = _mm256_set1_ps(-1e9f), ninf = _mm256_set1_ps(-HUGE_VALF);
  __m256 vmax = ninf;  // pass 1: the scaled, masked scores into y, and eight running maxima
  for (int64_t j = 0; j < n; j += 8) {
    __m256 s = _mm256_mul_ps(load8(x + j, n - j, tail), _mm256_set1_ps(scale));
    if (mask) s = _mm256_blendv_ps(fill, s, _mm256_cmp_ps(load8(mask + j, n - j, tail), zero, _CMP_NEQ_UQ));
    if (n - j < 8) s = _mm256_blendv_ps(ninf, s, _mm256_castsi256_ps(tail));
    store8(y + j, s, n - j, tail);
    vmax = _mm256_max_ps(vmax, s);
  }
  const __m256 m = _mm256_set1_ps(hmax8(vmax));
  __m256 vsum = zero;  // pass 2: e^(s - max), and eight running sums
  for (int64_t j = 0; j < n; j += 8) {
    __m256 e = exp8(_mm256_sub_ps(load8(y + j, n - j, tail), m));
    if (n - j < 8) e = _mm256_and_ps(e, _mm256_castsi256_ps(tail));
    store8(y + j, e, n - j, tail);
    vsum = _mm256_add_ps(vsum, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / hsum8(vsum));  // pass 3: normalise
  for (int64_t j = 0; j < n; j += 8) store8(y + j, _mm256_mul_ps(load8(y + j, n - j, tail), inv), n - j, tail);
}

CADENZA_AVX2 void softmax_backward_row8(const float* y, const float* g, float* dx, int64_t n, float scale,
                                        const float* mask) {
  const __m256i tail = lanes_below(n % 8);
  __m256 vdot = _mm256_setzero_ps();  // lanes past the row load as 0 and add nothing
  for (int64_t j = 0; j < n; j += 8) vdot = _mm256_fmadd_ps(load8(g + j, n - j, tail), load8(y + j, n - j, tail), vdot);
  const __m256 dot = _mm256_set1_ps(hsum8(vdot)), vscale = _mm256_set1_ps(scale);
  for (int64_t j = 0; j < n; j += 8) {
    __m256 yj = load8(y + j, n - j, tail), gj = load8(g + j, n - j, tail);
    __m256 d = _mm256_mul_ps(_mm256_mul_ps(yj, _mm256_sub_ps(gj, dot)), vscale);
    if (mask) d = _mm256_and_ps(d, _mm256_cmp_ps(load8(mask + j, n - j, tail), _mm256_setzero_ps(), _CMP_NEQ_UQ));
    store8(dx + j, d, n - j, tail);
  }
}
// [/doc]
#endif
}  // namespace

void softmax_row(const real* x, real* y, int64_t n, real scale, const real* mask) {
#if defined(__x86_64__)
  if (cpu_has_avx2_fma()) return softmax_row8(x, y, n, scale, mask);
#endif
  softmax_row_ref(x, y, n, scale, mask);
}
void softmax_backward_row(const real* y, const real* g, real* dx, int64_t n, real scale, const real* mask) {
#if defined(__x86_64__)
  if (cpu_has_avx2_fma()) return softmax_backward_row8(y, g, dx, n, scale, mask);
#endif
  softmax_backward_row_ref(y, g, dx, n, scale, mask);
}

void vexp(const real* x, real* y, int64_t n) {
#if defined(__x86_64__)
  if (cpu_has_avx512()) return map16<exp16>(x, y, n);
  if (cpu_has_avx2_fma()) return map8<exp8>(x, y, n);
#endif
  exp_ref(x, y, n);  // the portable path is the C library
}
void vsigmoid(const real* x, real* y, int64_t n) {
#if defined(__x86_64__)
  if (cpu_has_avx512()) return map16<sigmoid16>(x, y, n);
  if (cpu_has_avx2_fma()) return map8<sigmoid8>(x, y, n);
#endif
  sigmoid_ref(x, y, n);  // the portable path is the C library
}
void vtanh(const real* x, real* y, int64_t n) {
#if defined(__x86_64__)
  if (cpu_has_avx512()) return map16<tanh16>(x, y, n);
  if (cpu_has_avx2_fma()) return map8<tanh8>(x, y, n);
#endif
  tanh_ref(x, y, n);  // the portable path is the C library
}
#endif

}  // namespace cadenza::kernels
