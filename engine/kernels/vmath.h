// vmath.h: exp, sigmoid and tanh over arrays: x (n) -> y (n), y may be x; softmax rows.
//
// The *_ref functions are the definition: the C library, one element at a time.
// vexp / vsigmoid / vtanh are the fast ones the engine calls: eight floats at a
// time with AVX2/FMA when the CPU has it (detected at run time), sixteen with
// AVX-512 (the same bits, lane by lane), within 3e-7 relative of the reference
// (tests/test_kernels.cpp checks 1e-6); the reference itself on other CPUs. Every element, the last few
// included, goes through the same code, so a result does not depend on where an
// element sits in the array or how threads split it.
// How: e^x = 2^k · e^r with k = round(x / ln 2) and |r| <= ln2/2, e^r a degree-6
// polynomial (Cephes' expf); σ(x) = 1 / (1 + e^-|x|) (times e^-|x| for x < 0); tanh x = 1 - 2 / (e^2x + 1) for
// |x| >= 0.625 and an odd polynomial below, where that form would cancel.
// In the float64 build (CADENZA_DOUBLE) all three are the reference.
// Chapter: docs/11-making-it-fast.md.
#pragma once
#include <cstdint>

#include "engine/core/tensor.h"

namespace cadenza::kernels {

void exp_ref(const real* x, real* y, int64_t n);
void sigmoid_ref(const real* x, real* y, int64_t n);
void tanh_ref(const real* x, real* y, int64_t n);

void vexp(const real* x, real* y, int64_t n);
void vsigmoid(const real* x, real* y, int64_t n);
void vtanh(const real* x, real* y, int64_t n);

// Softmax of one row of n, forward and backward, with an optional scale and mask
// (scaled dot-product attention's scores, docs/09; the kernels, docs/11):
//   softmax_row:          y = softmax(s), s_j = scale * x_j where mask_j != 0, else -1e9
//                         (so e^(s_j - max) is exactly 0 there). y may be x. mask may be nullptr.
//   softmax_backward_row: dx_j = scale * y_j * (g_j - sum_k g_k y_k), and 0 where mask_j == 0.
// The *_ref versions are the definition, in double. The fast ones keep eight running
// maxima and sums (AVX2) and combine them in a fixed order, so a row's result never
// depends on threads; e^x is vexp's polynomial.
void softmax_row_ref(const real* x, real* y, int64_t n, real scale, const real* mask);
void softmax_backward_row_ref(const real* y, const real* g, real* dx, int64_t n, real scale, const real* mask);
void softmax_row(const real* x, real* y, int64_t n, real scale, const real* mask);
void softmax_backward_row(const real* y, const real* g, real* dx, int64_t n, real scale, const real* mask);

}  // namespace cadenza::kernels
