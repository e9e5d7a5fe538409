// shape_ops.cpp: views (reshape, permute, transpose, slice, expand, squeeze),
// copies (contiguous, clone) and joins (concat, stack, split).
//
// A view changes only shape, strides and offset; its backward puts the
// gradient back into the parent's shape:
//   reshape -> reshape back      permute -> inverse permute
//   expand  -> sum_to            slice   -> zeros with the slice filled in
// Chapter: docs/01-tensors.md ("Views and strides").
#include <algorithm>

#include "engine/autograd/node.h"
#include "engine/core/strided.h"
#include "engine/ops/ops.h"

namespace cadenza {

static void need(const Tensor& a, const char* op) {
  if (!a.defined()) fail(op, "the input tensor is undefined", "assign it a value first");
}

Tensor contiguous(const Tensor& a) {
  need(a, "contiguous");
  if (a.is_contiguous()) return a;
  return clone(a);
}

Tensor clone(const Tensor& a) {
  need(a, "clone");
  Op op("clone");
  Tensor out = Tensor::empty(a.shape());  // copy_strided writes every element
  copy_strided(a, out.data());
  return op.finish_linear(out, {a}, [](const Tensor& g) -> Grads { return {g}; });
}

// [doc:reshape]
Tensor reshape(const Tensor& a, const Shape& shape_in) {
  need(a, "reshape");
  Shape shape = shape_in;
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) fail("reshape", "only one axis may be -1 in " + shape_str(shape_in), "");
      infer = (int64_t)i;
    } else if (shape[i] < 0) {
      fail("reshape", "negative size in " + shape_str(shape_in), "sizes must be >= 0, or -1 to infer one");
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || a.numel() % known != 0)
      fail("reshape", "cannot infer -1: " + shape_str(a.shape()) + " into " + shape_str(shape_in),
           str("the known sizes multiply to ", known, ", which does not divide ", a.numel()));
    shape[infer] = a.numel() / known;
  }
  if (numel_of(shape) != a.numel())
    fail("reshape", "shape " + shape_str(a.shape()) + " cannot become " + shape_str(shape_in),
         str("the element counts differ (", a.numel(), " vs ", numel_of(shape), ")"));
  Op op("reshape");
  // A compact tensor is re-read with new strides (a view sharing storage);
  // any other layout is copied compact first.
  Tensor out;
  if (a.is_contiguous()) {
    out = make_view(a, shape, contiguous_strides(shape), a.offset());
  } else {
    out = make_tensor(shape);
    copy_strided(a, out.data());
  }
  return op.finish_linear(out, {a}, [sa = a.shape()](const Tensor& g) -> Grads { return {g.reshape(sa)}; });
}
// [/doc]

Tensor permute(const Tensor& a, const std::vector<int64_t>& dims) {
  need(a, "permute");
  if ((int64_t)dims.size() != a.dim())
    fail("permute", str("got ", dims.size(), " dims for a tensor of shape ", shape_str(a.shape())),
         "list every axis exactly once");
  std::vector<int64_t> d(dims.size()), inverse(dims.size());
  std::vector<bool> used(dims.size(), false);
  Shape shape, strides;
  for (size_t i = 0; i < dims.size(); ++i) {
    d[i] = normalize_dim("permute", dims[i], a.dim());
    if (used[d[i]]) fail("permute", str("axis ", d[i], " is listed twice"), "list every axis exactly once");
    used[d[i]] = true;
    inverse[d[i]] = (int64_t)i;
    shape.push_back(a.shape()[d[i]]);
    strides.push_back(a.strides()[d[i]]);
  }
  Op op("permute");
  Tensor out = make_view(a, shape, strides, a.offset());
  return op.finish_linear(out, {a}, [inverse](const Tensor& g) -> Grads { return {g.permute(inverse)}; });
}

Tensor transpose(const Tensor& a, int64_t d0, int64_t d1) {
  need(a, "transpose");
  std::vector<int64_t> dims(a.dim());
  for (int64_t i = 0; i < a.dim(); ++i) dims[i] = i;
  std::swap(dims[normalize_dim("transpose", d0, a.dim())], dims[normalize_dim("transpose", d1, a.dim())]);
  return permute(a, dims);
}

// [doc:slice]
// Python's a[start:stop:step] along one axis. Negative start/stop count from
// the end, and out-of-range bounds are clipped, as in Python.
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  need(a, "slice");
  int64_t d = normalize_dim("slice", dim, a.dim());
  if (step <= 0)
    fail("slice", str("step must be positive, got ", step), "reverse with a flip is not supported; use step >= 1");
  int64_t n = a.shape()[d];
  auto clip = [n](int64_t i) {
    if (i < 0) i += n;
    return std::min(std::max<int64_t>(i, 0), n);
  };
  start = clip(start);
  stop = clip(stop);
  int64_t len = stop > start ? (stop - start + step - 1) / step : 0;
  Shape shape = a.shape(), strides = a.strides();
  shape[d] = len;
  strides[d] *= step;
  Op op("slice");
  Tensor out = make_view(a, shape, strides, a.offset() + start * a.strides()[d]);
  return op.finish(
      out, {a},
      [sa = a.shape(), d, start, step, shape](const Tensor& g) -> Grads {
        Tensor z = step == 1 ? Tensor::empty(sa) : Tensor::zeros(sa);  // the gradient is zero outside the slice
        Shape st = z.strides();
        int64_t off = start * st[d];
        st[d] *= step;
        make_view(z, shape, st, off).copy_(g);
        if (step == 1) {  // zero what the copy did not write: z is rows of sa[d] * inner, the slice a block of each
          const int64_t inner = z.strides()[d], row = sa[d] * inner;
          if (row > 0) zero_outside(z.data(), z.numel() / row, row, off, off + shape[d] * inner);
        }
        return {z};
      },
      [sa = a.shape(), d, start, step](const Tensor& g, const std::vector<Tensor>&) -> Grads {
        // The same with ops: g spread by `step` (step - 1 zeros after each element, as
        // conv_transpose1d does), then between the zeros before and after the slice.
        const int64_t len = g.shape()[d];
        if (len == 0) return {Tensor::zeros(sa)};
        Tensor spread = g;
        if (step > 1) {
          Shape gaps = g.shape(), merged = g.shape();
          gaps.insert(gaps.begin() + d + 1, step - 1);
          gaps[d] = len, merged[d] = len * step;
          spread = concat({unsqueeze(g, d + 1), Tensor::zeros(gaps)}, d + 1)
                       .reshape(merged)
                       .slice(d, 0, (len - 1) * step + 1);
        }
        std::vector<Tensor> parts;
        Shape before = sa, after = sa;
        before[d] = start, after[d] = sa[d] - start - spread.shape()[d];
        if (before[d] > 0) parts.push_back(Tensor::zeros(before));
        parts.push_back(spread);
        if (after[d] > 0) parts.push_back(Tensor::zeros(after));
        return {parts.size() == 1 ? spread : concat(parts, d)};
      });
}
// [/doc]

Tensor select(const Tensor& a, int64_t dim, int64_t index) {
  need(a, "select");
  int64_t d = normalize_dim("select", dim, a.dim());
  int64_t n = a.shape()[d];
  if (index < -n || index >= n)
    fail("select", str("index ", index, " is out of range for axis ", d, " of size ", n), "use -size <= index < size");
  if (index < 0) index += n;
  return squeeze(slice(a, d, index, index + 1), d);
}

// [doc:expand]
// Broadcast `a` to `shape` without copying: size-1 axes get stride 0, so every
// index along them reads the same element. dL/da = sum_to(g, a.shape).
Tensor expand(const Tensor& a, const Shape& shape) {
  need(a, "expand");
  if (shape.size() < (size_t)a.dim())
    fail("expand", "cannot expand " + shape_str(a.shape()) + " to fewer dims " + shape_str(shape), "");
  Shape target = shape;
  size_t lead = shape.size() - a.dim();
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i >= lead && target[i] == -1) target[i] = a.shape()[i - lead];
    if (i >= lead && a.shape()[i - lead] != 1 && a.shape()[i - lead] != target[i])
      fail("expand", "cannot expand " + shape_str(a.shape()) + " to " + shape_str(shape),
           "only axes of size 1 can grow");
  }
  if (target == a.shape()) return a;
  Op op("expand");
  Tensor out = make_view(a, target, broadcast_strides(a, target), a.offset());
  return op.finish_linear(out, {a}, [sa = a.shape()](const Tensor& g) -> Grads { return {sum_to(g, sa)}; });
}
// [/doc]

Tensor unsqueeze(const Tensor& a, int64_t dim) {
  need(a, "unsqueeze");
  int64_t d = normalize_dim("unsqueeze", dim, a.dim() + 1);
  Shape shape = a.shape(), strides = a.strides();
  int64_t st = d < a.dim() ? a.shape()[d] * a.strides()[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  Op op("unsqueeze");
  Tensor out = make_view(a, shape, strides, a.offset());
  return op.finish_linear(out, {a}, [sa = a.shape()](const Tensor& g) -> Grads { return {g.reshape(sa)}; });
}

// Removes axis `dim` if its size is 1; otherwise returns `a` unchanged (as PyTorch does).
Tensor squeeze(const Tensor& a, int64_t dim) {
  need(a, "squeeze");
  int64_t d = normalize_dim("squeeze", dim, a.dim());
  if (a.dim() == 0 || a.shape()[d] != 1) return a;
  Shape shape = a.shape(), strides = a.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Op op("squeeze");
  Tensor out = make_view(a, shape, strides, a.offset());
  return op.finish_linear(out, {a}, [sa = a.shape()](const Tensor& g) -> Grads { return {g.reshape(sa)}; });
}

// [doc:concat]
Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) fail("concat", "needs at least one tensor", "");
  for (const Tensor& x : xs) need(x, "concat");
  int64_t d = normalize_dim("concat", dim, xs[0].dim());
  Shape shape = xs[0].shape();
  shape[d] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    bool ok = s.size() == shape.size();
    for (size_t k = 0; ok && k < s.size(); ++k) ok = (int64_t)k == d || s[k] == shape[k];
    if (!ok)
      fail("concat", str("tensor ", i, " has shape ", shape_str(s), ", tensor 0 has ", shape_str(xs[0].shape())),
           str("all sizes must match except along dim ", d));
    shape[d] += s[d];
  }
  Op op("concat");
  Tensor out = make_tensor(shape);
  std::vector<int64_t> starts;
  int64_t at = 0;
  {
    NoGradGuard no_grad;  // filling the result is not part of the graph
    for (const Tensor& x : xs) {
      starts.push_back(at);
      slice(out, d, at, at + x.shape()[d]).copy_(x);
      at += x.shape()[d];
    }
  }
  // Each input's gradient is its own slice of g.
  std::vector<int64_t> sizes;
  for (const Tensor& x : xs) sizes.push_back(x.shape()[d]);
  return op.finish_linear(out, xs, [starts, sizes, d](const Tensor& g) -> Grads {
    Grads grads;
    for (size_t i = 0; i < starts.size(); ++i) grads.push_back(slice(g, d, starts[i], starts[i] + sizes[i]));
    return grads;
  });
}
// [/doc]

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) fail("stack", "needs at least one tensor", "");
  int64_t d = normalize_dim("stack", dim, xs[0].dim() + 1);
  std::vector<Tensor> ys;
  for (size_t i = 0; i < xs.size(); ++i) {
    need(xs[i], "stack");
    if (xs[i].shape() != xs[0].shape())
      fail("stack",
           str("tensor ", i, " has shape ", shape_str(xs[i].shape()), ", tensor 0 has ", shape_str(xs[0].shape())),
           "stacked tensors must all have the same shape");
    ys.push_back(unsqueeze(xs[i], d));
  }
  return concat(ys, d);
}

std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim) {
  need(a, "split");
  if (split_size <= 0) fail("split", str("split_size must be positive, got ", split_size), "");
  int64_t d = normalize_dim("split", dim, a.dim());
  std::vector<Tensor> parts;
  // [exercise:1.2] split: views of split_size steps along d (the last may be shorter)
  for (int64_t s = 0; s < a.shape()[d]; s += split_size) parts.push_back(slice(a, d, s, s + split_size));
  // [/exercise]
  return parts;
}

// Element i of the result is element size-1-i of a: start at the far end of the axis and
// step backwards. The backward of a flip is the same flip.
Tensor flip(const Tensor& a, int64_t dim) {
  need(a, "flip");
  int64_t d = normalize_dim("flip", dim, a.dim());
  // [exercise:1.1] flip as a view: a negative stride, and an offset at the end of the axis
  Shape strides = a.strides();
  int64_t offset = a.offset() + (a.shape()[d] > 0 ? (a.shape()[d] - 1) * strides[d] : 0);
  strides[d] = -strides[d];
  Op op("flip");
  Tensor out = make_view(a, a.shape(), strides, offset);
  return op.finish_linear(out, {a}, [d](const Tensor& g) -> Grads { return {flip(g, d)}; });
  // [/exercise]
}

}  // namespace cadenza
