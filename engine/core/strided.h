// strided.h: walking tensors whose elements are not laid out one after another.
//
// A view (transpose, slice with a step, expand) keeps the parent's storage and
// changes strides. These helpers visit its elements in row-major order and give
// the storage offset of each one, so element-wise kernels work on any layout.
// The fast path, both operands contiguous with the same shape, is a plain loop
// the compiler vectorises. Chapter: docs/01-tensors.md ("Strides").
#pragma once
#include <algorithm>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/core/parallel.h"

namespace cadenza {

// Calls f(offset_a) for each element of a shape walked in row-major order, where
// offset_a starts at `off` and moves by `strides`. Works for 0-d (one call).
template <class F>
void walk(const Shape& shape, const Shape& strides, int64_t off, F f) {
  int64_t nd = (int64_t)shape.size();
  if (numel_of(shape) == 0) return;
  if (nd == 0) {
    f(off);
    return;
  }
  int64_t inner = shape[nd - 1], st = strides[nd - 1];
  int64_t outer = numel_of(shape) / inner;
  std::vector<int64_t> idx(nd, 0);
  int64_t base = off;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) f(base + j * st);
    for (int64_t d = nd - 2; d >= 0; --d) {  // odometer step over the outer axes
      if (++idx[d] < shape[d]) {
        base += strides[d];
        break;
      }
      base -= (shape[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
}

// Like walk() but over two operands with their own strides (same shape).
template <class F>
void walk2(const Shape& shape, const Shape& sa, int64_t oa, const Shape& sb, int64_t ob, F f) {
  int64_t nd = (int64_t)shape.size();
  if (numel_of(shape) == 0) return;
  if (nd == 0) {
    f(oa, ob);
    return;
  }
  int64_t inner = shape[nd - 1], ta = sa[nd - 1], tb = sb[nd - 1];
  int64_t outer = numel_of(shape) / inner;
  std::vector<int64_t> idx(nd, 0);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) f(oa + j * ta, ob + j * tb);
    for (int64_t d = nd - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        oa += sa[d];
        ob += sb[d];
        break;
      }
      oa -= (shape[d] - 1) * sa[d];
      ob -= (shape[d] - 1) * sb[d];
      idx[d] = 0;
    }
  }
}

template <class F>
void for_each_offset(const Tensor& t, F f) {
  walk(t.shape(), t.strides(), t.offset(), f);
}

// A layout as `count` runs of `length` elements that sit one after another in storage: the
// longest suffix of axes laid out compactly. A channel slice x[:, :C] of a compact (B, 2C, T)
// tensor is B runs of C * T; a compact tensor is one run; a transposed matrix, runs of 1.
// Row-major order visits run 0, then run 1, ...; start(r) is where run r begins in storage.
struct Runs {
  int64_t count = 0, length = 1;
  Shape outer, outer_strides;  // the axes before the suffix
  int64_t offset = 0;
  int64_t start(int64_t r) const {
    int64_t off = offset;
    for (int64_t d = (int64_t)outer.size() - 1; d >= 0 && r > 0; --d) {  // r's index on each outer axis
      off += r % outer[d] * outer_strides[d];
      r /= outer[d];
    }
    return off;
  }
};
inline Runs contiguous_runs(const Tensor& t) {
  Runs runs;
  const Shape& shape = t.shape();
  size_t d = shape.size();
  for (; d > 0 && (shape[d - 1] == 1 || t.strides()[d - 1] == runs.length); --d) runs.length *= shape[d - 1];
  runs.outer.assign(shape.begin(), shape.begin() + d);
  runs.outer_strides.assign(t.strides().begin(), t.strides().begin() + d);
  runs.count = numel_of(runs.outer);
  runs.offset = t.offset();
  return runs;
}

// Zeroes columns [0, t0) and [t1, n) of `rows` rows of n floats at p (row r at p + r * n):
// the part of an output that a copy or a product into columns [t0, t1) leaves unwritten.
// A slice's gradient (shape_ops.cpp) and a convolution's first tap (conv.cpp) use it.
inline void zero_outside(real* p, int64_t rows, int64_t n, int64_t t0, int64_t t1) {
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(p + r * n, p + r * n + t0, real(0));
    std::fill(p + r * n + t1, p + (r + 1) * n, real(0));
  }
}

// Strides that read `t` as if it had been expanded to `shape` (0 on broadcast axes).
inline Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  Shape st(shape.size(), 0);
  size_t k = shape.size() - t.dim();
  for (size_t i = 0; i < (size_t)t.dim(); ++i)
    st[k + i] = (t.shape()[i] == 1 && shape[k + i] != 1) ? 0 : t.strides()[i];
  return st;
}

// Copies any-layout `src` into the compact buffer `dst` (row-major).
inline void copy_strided(const Tensor& src, real* dst) {
  const real* s = src.impl()->storage->data.data();
  if (src.is_contiguous()) {
    const real* p = s + src.offset();
    for (int64_t i = 0, n = src.numel(); i < n; ++i) dst[i] = p[i];
    return;
  }
  if (src.dim() == 2 && src.strides()[1] != 1) {  // a transposed matrix: copy in 32 x 32 tiles, so the
    const int64_t R = src.size(0), C = src.size(1), s0 = src.strides()[0], s1 = src.strides()[1];  // strided
    const real* p = s + src.offset();  // reads stay in a few cache lines
    for (int64_t i0 = 0; i0 < R; i0 += 32)
      for (int64_t j0 = 0; j0 < C; j0 += 32)
        for (int64_t j = j0; j < std::min(C, j0 + 32); ++j)
          for (int64_t i = i0; i < std::min(R, i0 + 32); ++i) dst[i * C + j] = p[i * s0 + j * s1];
    return;
  }
  int64_t i = 0;
  for_each_offset(src, [&](int64_t off) { dst[i++] = s[off]; });
}

}  // namespace cadenza
