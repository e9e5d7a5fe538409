// map.h: element-wise maps into a new compact tensor, for any input layout.
//
// map_unary applies f to every element; map_binary to every pair of broadcast
// elements. Both take the plain loop when the inputs are compact (the compiler
// vectorises it) and walk strides otherwise (engine/core/strided.h), splitting the
// output across threads. Chapter: docs/01-tensors.md ("Strides", "Under the hood").
#pragma once
#include <algorithm>
#include <vector>

#include "engine/core/parallel.h"
#include "engine/core/strided.h"
#include "engine/core/tensor.h"

namespace cadenza::kernels {

// out[i] = f(a[i]) into a new compact tensor.
template <class F>
Tensor map_unary(const Tensor& a, F f) {
  Tensor out = Tensor::empty(a.shape());  // every element is written below
  real* o = out.data();
  const real* s = a.impl()->storage->data.data();
  if (a.is_contiguous()) {
    const real* p = s + a.offset();
    int64_t n = a.numel();
    parallel_for(n, 1 << 15, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(p[i]);
    });
  } else {
    int64_t i = 0;
    for_each_offset(a, [&](int64_t off) { o[i++] = f(s[off]); });
  }
  return out;
}

// The number of elements after which `t`, broadcast to `shape`, repeats itself: t.numel()
// when t is compact and its shape (leading 1s aside) is the trailing axes of `shape`,
// as a bias (H) is for a batch (B, H); 0 otherwise.
inline int64_t repeat_period(const Tensor& t, const Shape& shape) {
  if (!t.is_contiguous() || t.numel() == 0) return 0;
  int64_t skip = 0;
  while (skip < t.dim() && t.shape()[(size_t)skip] == 1) ++skip;
  const size_t rest = (size_t)(t.dim() - skip);
  if (rest > shape.size()) return 0;
  for (size_t i = 0; i < rest; ++i)
    if (t.shape()[(size_t)skip + i] != shape[shape.size() - rest + i]) return 0;
  return t.numel();
}

// out[r * m + j] = f(whole[r * m + j], rep[j]) into the compact `out`: x + bias, where the
// bias repeats every m elements. Rows of m in parallel, each a plain loop the compiler
// vectorises; m = 1 (a scalar) as one flat loop.
template <class F>
Tensor map_repeating(Tensor out, const real* whole, const real* rep, int64_t m, F f) {
  real* o = out.data();
  const int64_t n = out.numel();
  if (m == 1) {
    const real c = rep[0];
    parallel_for(n, 1 << 15, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(whole[i], c);
    });
    return out;
  }
  parallel_for(n / m, std::max<int64_t>(1, (1 << 15) / m), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r)
      for (int64_t j = 0; j < m; ++j) o[r * m + j] = f(whole[r * m + j], rep[j]);
  });
  return out;
}

// out[i] = f(a[i], b[i]) with a and b broadcast to `shape`.
template <class F>
Tensor map_binary(const Shape& shape, const Tensor& a, const Tensor& b, F f) {
  Tensor out = Tensor::empty(shape);  // every element is written below
  real* o = out.data();
  const real* pa = a.impl()->storage->data.data();
  const real* pb = b.impl()->storage->data.data();
  const bool a_full = a.shape() == shape && a.is_contiguous(), b_full = b.shape() == shape && b.is_contiguous();
  if (a_full && b_full) {
    pa += a.offset();
    pb += b.offset();
    parallel_for(out.numel(), 1 << 15, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(pa[i], pb[i]);
    });
    return out;
  }
  if (out.numel() > 0) {  // one operand whole, the other repeating (x + bias, bias - x, x * scalar)
    if (const int64_t m = a_full ? repeat_period(b, shape) : 0)
      return map_repeating(out, pa + a.offset(), pb + b.offset(), m, f);
    if (const int64_t m = b_full ? repeat_period(a, shape) : 0)
      return map_repeating(out, pb + b.offset(), pa + a.offset(), m, [&](real x, real y) { return f(y, x); });
  }
  int64_t i = 0;
  walk2(shape, broadcast_strides(a, shape), a.offset(), broadcast_strides(b, shape), b.offset(),
        [&](int64_t ia, int64_t ib) { o[i++] = f(pa[ia], pb[ib]); });
  return out;
}

}  // namespace cadenza::kernels
