// index_ops.cpp: index_select, gather, scatter_add and one_hot.
//
// Index tensors hold whole numbers in ordinary real storage (Cadenza has one
// element type); every op checks that each index is integral and in range
// before touching memory. gather and scatter_add are each other's backward:
//   out = gather(a, dim, idx)          -> dL/da = scatter_add(zeros, dim, idx, g)
//   out = scatter_add(a, dim, idx, s)  -> dL/ds = gather(g, dim, idx), dL/da = g
// Chapters: docs/01-tensors.md (indexing), docs/04-modules-losses-optimisers.md
// (Embedding is index_select on its weight; cross_entropy uses gather).
#include <cmath>

#include "engine/autograd/node.h"
#include "engine/core/strided.h"
#include "engine/ops/ops.h"

namespace cadenza {

// Reads an index tensor into integers, checking each one.
static std::vector<int64_t> read_indices(const char* op, const Tensor& index, int64_t limit) {
  if (!index.defined()) fail(op, "the index tensor is undefined", "assign it a value first");
  std::vector<real> v = index.to_vector();
  std::vector<int64_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    real x = v[i];
    if (!(x == std::floor(x)) || x < 0 || x >= (real)limit)
      fail(op, str("index ", (double)x, " at position ", i, " is not a whole number in [0, ", limit, ")"),
           "indices must be integers within the indexed axis");
    out[i] = (int64_t)x;
  }
  return out;
}

// [doc:index-select]
// out[o, i, r] = a[o, index[i], r]  viewing a as (outer, n, inner) around `dim`.
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
  if (!a.defined()) fail("index_select", "the input tensor is undefined", "");
  int64_t d = normalize_dim("index_select", dim, a.dim());
  if (index.dim() != 1)
    fail("index_select", "index must be 1-d, got shape " + shape_str(index.shape()), "flatten it first");
  int64_t n = a.shape()[d];
  std::vector<int64_t> idx = read_indices("index_select", index, n);
  int64_t outer = numel_of(Shape(a.shape().begin(), a.shape().begin() + d));
  int64_t inner = numel_of(Shape(a.shape().begin() + d + 1, a.shape().end()));
  int64_t m = (int64_t)idx.size();
  Op op("index_select");
  Tensor src = a.detach().contiguous();
  Shape out_shape = a.shape();
  out_shape[d] = m;
  Tensor out = make_tensor(out_shape);
  const real* s = src.data();
  real* o = out.data();
  for (int64_t b = 0; b < outer; ++b)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t r = 0; r < inner; ++r) o[(b * m + i) * inner + r] = s[(b * n + idx[i]) * inner + r];
  return op.finish(out, {a}, [idx, outer, inner, n, m, sa = a.shape()](const Tensor& g) -> Grads {
    Tensor z = Tensor::zeros(sa);  // rows picked twice get both gradients added
    Tensor gc = g.contiguous();
    real* zp = z.data();
    const real* gp = gc.data();
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t r = 0; r < inner; ++r) zp[(b * n + idx[i]) * inner + r] += gp[(b * m + i) * inner + r];
    return {z};
  });
}
// [/doc]

// Visits every position of `index` (shape `ishape`) and gives (flat position,
// flat offset into a compact tensor of shape `ashape` with the dim coordinate
// replaced by the index value).
template <class F>
static void walk_index(const Shape& ishape, const Shape& ashape, int64_t d, const std::vector<int64_t>& idx, F f) {
  Shape ast = contiguous_strides(ashape);
  int64_t nd = (int64_t)ishape.size();
  std::vector<int64_t> pos(nd, 0);
  for (int64_t flat = 0; flat < (int64_t)idx.size(); ++flat) {
    int64_t off = 0;
    for (int64_t k = 0; k < nd; ++k) off += (k == d ? idx[flat] : pos[k]) * ast[k];
    f(flat, off);
    for (int64_t k = nd - 1; k >= 0; --k) {
      if (++pos[k] < ishape[k]) break;
      pos[k] = 0;
    }
  }
}

static void check_index_shape(const char* op, const Tensor& a, const Tensor& index, int64_t d) {
  if (index.dim() != a.dim())
    fail(op, "index has shape " + shape_str(index.shape()) + " but the input has " + shape_str(a.shape()),
         "index must have as many dims as the input");
  for (int64_t k = 0; k < a.dim(); ++k)
    if (k != d && index.shape()[k] > a.shape()[k])
      fail(op,
           "index shape " + shape_str(index.shape()) + " is larger than input " + shape_str(a.shape()) +
               str(" along axis ", k),
           "outside `dim`, index sizes must not exceed the input's");
}

Tensor gather(const Tensor& a, int64_t dim, const Tensor& index) {
  if (!a.defined()) fail("gather", "the input tensor is undefined", "");
  int64_t d = normalize_dim("gather", dim, a.dim());
  check_index_shape("gather", a, index, d);
  std::vector<int64_t> idx = read_indices("gather", index, a.shape()[d]);
  Op op("gather");
  Tensor src = a.detach().contiguous();
  Tensor out = make_tensor(index.shape());
  const real* s = src.data();
  real* o = out.data();
  walk_index(index.shape(), a.shape(), d, idx, [&](int64_t flat, int64_t off) { o[flat] = s[off]; });
  return op.finish(out, {a}, [sa = a.shape(), d, index = index.detach()](const Tensor& g) -> Grads {
    return {scatter_add(Tensor::zeros(sa), d, index, g)};
  });
}

Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  if (!a.defined() || !src.defined()) fail("scatter_add", "an input tensor is undefined", "");
  int64_t d = normalize_dim("scatter_add", dim, a.dim());
  check_index_shape("scatter_add", a, index, d);
  if (src.shape() != index.shape())
    fail("scatter_add", "src shape " + shape_str(src.shape()) + " != index shape " + shape_str(index.shape()),
         "give one source value per index");
  std::vector<int64_t> idx = read_indices("scatter_add", index, a.shape()[d]);
  Op op("scatter_add");
  Tensor out = make_tensor(a.shape());
  copy_strided(a, out.data());
  Tensor sc = src.detach().contiguous();
  const real* s = sc.data();
  real* o = out.data();
  walk_index(index.shape(), a.shape(), d, idx, [&](int64_t flat, int64_t off) { o[off] += s[flat]; });
  return op.finish(out, {a, src}, [d, index = index.detach()](const Tensor& g) -> Grads {
    return {g, gather(g, d, index)};
  });
}

Tensor one_hot(const Tensor& index, int64_t num_classes) {
  if (num_classes <= 0) fail("one_hot", str("num_classes must be positive, got ", num_classes), "");
  std::vector<int64_t> idx = read_indices("one_hot", index, num_classes);
  Shape shape = index.shape();
  shape.push_back(num_classes);
  Tensor out = Tensor::zeros(shape);
  real* o = out.data();
  for (size_t i = 0; i < idx.size(); ++i) o[i * num_classes + idx[i]] = 1;
  return out;
}

}  // namespace cadenza
