// reduce.cpp: sum, mean, max/min, argmax/argmin, logsumexp, var, softmax and
// log_softmax over any set of axes, with their backward rules; and attention's
// scaled_masked_softmax (docs/09; its row kernels in kernels/vmath.cpp, docs/11).
//
// One plan serves every reduction: permute the tensor so the kept axes come
// first and the reduced axes last, copy it compact, and view it as (outer, inner):
// each output is then the reduction of one contiguous row of `inner` values.
// Two cases skip the copy (docs/11-making-it-fast.md): a compact tensor reduced over
// its last axes already is those rows, and `sum` over its first axes (a bias
// gradient) adds the rows into per-column totals in the same order.
// Rows are independent, so they are split across threads, and each row is
// summed in a fixed order: results do not depend on the thread count.
// Chapters: docs/01-tensors.md (reductions), docs/02-autograd.md (their gradients),
// docs/04-modules-losses-optimisers.md (why logsumexp and log_softmax are stable).
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/autograd/node.h"
#include "engine/kernels/scalar.h"
#include "engine/core/strided.h"
#include "engine/kernels/vmath.h"
#include "engine/ops/ops.h"

namespace cadenza {

namespace {
struct ReducePlan {
  std::vector<int64_t> dims;  // reduced axes, sorted
  Shape keep_shape;           // output shape with reduced axes kept as size 1
  Shape out_shape;            // output shape as returned (keepdim or not)
  int64_t outer = 1, inner = 1;
};

ReducePlan make_plan(const char* op, const Tensor& a, std::vector<int64_t> dims, bool keepdim) {
  if (!a.defined()) fail(op, "the input tensor is undefined", "assign it a value first");
  ReducePlan p;
  p.dims = normalize_dims(op, std::move(dims), a.dim());
  std::vector<bool> reduced(a.dim(), false);
  for (int64_t d : p.dims) reduced[d] = true;
  for (int64_t i = 0; i < a.dim(); ++i) {
    p.keep_shape.push_back(reduced[i] ? 1 : a.shape()[i]);
    if (!reduced[i]) p.outer *= a.shape()[i], p.out_shape.push_back(a.shape()[i]);
    else p.inner *= a.shape()[i];
    if (reduced[i] && keepdim) p.out_shape.push_back(1);
  }
  return p;
}

// The input as a compact (outer, inner) buffer: kept axes first, reduced axes last.
std::vector<real> rows_of(const Tensor& a, const ReducePlan& p) {
  std::vector<int64_t> perm;
  std::vector<bool> reduced(a.dim(), false);
  for (int64_t d : p.dims) reduced[d] = true;
  for (int64_t i = 0; i < a.dim(); ++i)
    if (!reduced[i]) perm.push_back(i);
  for (int64_t d : p.dims) perm.push_back(d);
  Shape sh, st;
  for (int64_t d : perm) sh.push_back(a.shape()[d]), st.push_back(a.strides()[d]);
  std::vector<real> buf((size_t)a.numel());
  Tensor view = make_view(a, sh, st, a.offset());
  copy_strided(view, buf.data());
  return buf;
}

// True when the reduced axes are the last ones (trailing) or the first ones of a compact
// tensor: then its memory already is the (outer, inner) rows, or the (inner, outer) columns.
bool reduces_run(const Tensor& a, const ReducePlan& p, bool trailing) {
  if (!a.is_contiguous()) return false;
  const int64_t first = trailing ? a.dim() - (int64_t)p.dims.size() : 0;
  for (size_t i = 0; i < p.dims.size(); ++i)
    if (p.dims[i] != first + (int64_t)i) return false;
  return true;
}

// f(r) for rows r = 0 .. rows-1 of n values each, split across threads in blocks of
// at least 16K values (a row is always one thread's: the same bits at any thread count).
template <class F>
void parallel_rows(int64_t rows, int64_t n, F f) {
  parallel_for(rows, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(n, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) f(r);
  });
}

// out[o] = f(row o), for every row, rows split across threads.
template <class F>
Tensor reduce_rows(const Tensor& a, const ReducePlan& p, F f) {
  std::vector<real> buf;
  const bool in_place = reduces_run(a, p, /*trailing=*/true);  // then read the tensor itself, no copy
  if (!in_place) buf = rows_of(a, p);
  const real* b = in_place ? a.data() : buf.data();
  Tensor out = Tensor::empty(p.out_shape);  // one value per row, every row
  real* o = out.data();
  const int64_t inner = p.inner;
  parallel_rows(p.outer, inner, [&](int64_t r) { o[r] = f(b + r * inner, inner); });
  return out;
}

// sum over the leading axes of a compact tensor, read as (inner, outer): accumulate
// row after row into one double per column. The same order as summing each column
// as a row (r = 0, 1, 2, ...), so the same bits, without copying the transpose.
Tensor column_sums(const Tensor& a, const ReducePlan& p) {
  Tensor out = make_tensor(p.out_shape);
  const real* x = a.data();
  real* o = out.data();
  parallel_for(p.outer, 1 << 10, [&](int64_t lo, int64_t hi) {
    std::vector<double> acc((size_t)(hi - lo), 0.0);
    for (int64_t r = 0; r < p.inner; ++r)
      for (int64_t j = lo; j < hi; ++j) acc[(size_t)(j - lo)] += x[r * p.outer + j];
    for (int64_t j = lo; j < hi; ++j) o[j] = (real)acc[(size_t)(j - lo)];
  });
  return out;
}

// Broadcast a reduced gradient (in keep_shape) back to the input's shape.
Tensor spread(const Tensor& g, const ReducePlan& p, const Shape& in_shape) {
  return contiguous(g.reshape(p.keep_shape).expand(in_shape));
}
}  // namespace

// [doc:sum]
// y = sum over dims of x      dL/dx = g broadcast back over the summed axes
Tensor sum(const Tensor& a, std::vector<int64_t> dims, bool keepdim) {
  Op op("sum");
  ReducePlan p = make_plan("sum", a, std::move(dims), keepdim);
  Tensor out = reduces_run(a, p, /*trailing=*/false) && p.outer > 1  // e.g. a bias gradient: sum over the batch rows
                   ? column_sums(a, p)
                   : reduce_rows(a, p, [](const real* row, int64_t n) {
                       // in double: long rows of floats lose digits otherwise; in 8 lanes: docs/11
                       return (real)kernels::sum_lanes(row, n);
                     });
  return op.finish_linear(out, {a}, [p, sa = a.shape()](const Tensor& g) -> Grads { return {spread(g, p, sa)}; });
}
// [/doc]

Tensor mean(const Tensor& a, std::vector<int64_t> dims, bool keepdim) {
  ReducePlan p = make_plan("mean", a, dims, keepdim);
  if (p.inner == 0) fail("mean", "cannot average over an empty axis of shape " + shape_str(a.shape()), "");
  return sum(a, dims, keepdim) / (real)p.inner;
}

// max/min: the gradient goes to the position(s) holding the extreme value,
// shared equally between ties (torch.amax does the same).
static Tensor extreme(const char* name, const Tensor& a, std::vector<int64_t> dims, bool keepdim, bool is_max) {
  Op op(name);
  ReducePlan p = make_plan(name, a, std::move(dims), keepdim);
  if (p.inner == 0) fail(name, "cannot reduce an empty axis of shape " + shape_str(a.shape()), "");
  Tensor out = reduce_rows(a, p, [is_max](const real* row, int64_t n) {
    real m = row[0];
    for (int64_t i = 1; i < n; ++i) m = is_max ? std::max(m, row[i]) : std::min(m, row[i]);
    return m;
  });
  return op.finish(out, {a}, [p, a = a.detach(), out = out.detach()](const Tensor& g) -> Grads {
    Tensor mask = eq(a, out.reshape(p.keep_shape));
    Tensor count = sum(mask, p.dims, true);
    return {spread(g, p, a.shape()) * mask / count};
  });
}
Tensor max(const Tensor& a, std::vector<int64_t> dims, bool keepdim) { return extreme("max", a, dims, keepdim, true); }
Tensor min(const Tensor& a, std::vector<int64_t> dims, bool keepdim) { return extreme("min", a, dims, keepdim, false); }

static Tensor arg_extreme(const char* name, const Tensor& a, int64_t dim, bool keepdim, bool is_max) {
  Op op(name);
  ReducePlan p = make_plan(name, a, {dim}, keepdim);
  if (p.inner == 0) fail(name, "cannot reduce an empty axis of shape " + shape_str(a.shape()), "");
  return op.finish(reduce_rows(a, p, [is_max](const real* row, int64_t n) {
    int64_t best = 0;  // the first occurrence wins, as in NumPy
    for (int64_t i = 1; i < n; ++i)
      if (is_max ? row[i] > row[best] : row[i] < row[best]) best = i;
    return (real)best;
  }));
}
Tensor argmax(const Tensor& a, int64_t dim, bool keepdim) { return arg_extreme("argmax", a, dim, keepdim, true); }
Tensor argmin(const Tensor& a, int64_t dim, bool keepdim) { return arg_extreme("argmin", a, dim, keepdim, false); }

// [doc:logsumexp]
// y = log sum exp(x) = m + log sum exp(x - m), m = max(x): never overflows.
// dL/dx = g * exp(x - y) = g * softmax(x)
Tensor logsumexp(const Tensor& a, std::vector<int64_t> dims, bool keepdim) {
  Op op("logsumexp");
  ReducePlan p = make_plan("logsumexp", a, std::move(dims), keepdim);
  Tensor out = reduce_rows(a, p, [](const real* row, int64_t n) -> real {
    // [exercise:1.3] logsumexp, stable: shift by the largest value first
    real m = -std::numeric_limits<real>::infinity();
    for (int64_t i = 0; i < n; ++i) m = std::max(m, row[i]);
    if (!std::isfinite(m)) return m;  // all -inf (or an inf/nan present): nothing to shift
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::exp((double)(row[i] - m));
    return (real)(m + std::log(s));
    // [/exercise]
  });
  return op.finish(out, {a}, [p, a = a.detach(), out = out.detach()](const Tensor& g) -> Grads {
    return {spread(g, p, a.shape()) * exp(a - out.reshape(p.keep_shape))};
  });
}
// [/doc]

// Composed from differentiable ops, so it needs no backward of its own.
Tensor var(const Tensor& a, std::vector<int64_t> dims, bool unbiased, bool keepdim) {
  ReducePlan p = make_plan("var", a, dims, keepdim);
  int64_t n = p.inner;
  if (n - (unbiased ? 1 : 0) <= 0)
    fail("var",
         str("needs at least ", unbiased ? 2 : 1, " values per group, got ", n, " (shape ", shape_str(a.shape()), ")"),
         "reduce over more elements, or pass unbiased=false");
  // [exercise:1.4] var composed from mean, sub, mul and sum (biased or unbiased)
  Tensor d = a - mean(a, dims, true);
  return sum(d * d, dims, keepdim) / (real)(n - (unbiased ? 1 : 0));
  // [/exercise]
}

// Softmax along one axis: each row along the axis is handled alone, by f(in, out, n).
// When the axis is last and the tensor compact, f reads the input in place; otherwise
// the axis is moved last into the output buffer first and f works in place there.
template <class RowFn>
static Tensor along_axis(const char* name, const Tensor& a, int64_t dim, RowFn f) {
  if (!a.defined()) fail(name, "the input tensor is undefined", "assign it a value first");
  int64_t d = normalize_dim(name, dim, a.dim());
  const bool copy_first = a.dim() == 0 || d != a.dim() - 1 || !a.is_contiguous();
  Tensor moved = a.dim() == 0 ? a.reshape({1}) : a.detach().transpose(d, a.dim() - 1);
  int64_t n = moved.dim() == 0 ? 1 : moved.shape().back();
  Tensor out = make_tensor(moved.shape());
  real* buf = out.data();
  const real* src = buf;
  if (copy_first) copy_strided(moved, buf);
  else src = a.data();
  int64_t rows = n ? moved.numel() / n : 0;
  parallel_rows(rows, n, [&](int64_t r) { f(src + r * n, buf + r * n, n); });
  if (a.dim() == 0) return out.reshape({});
  return contiguous(out.transpose(d, a.dim() - 1));  // no copy when the axis was already last
}

// dL/dx = scale * y * (g - sum(g * y)) along dim, and 0 where mask hid a score. Along the
// last axis this is one pass per row (kernels::softmax_backward_row); along another
// axis it is the same formula written with ops.
static Tensor softmax_grad(const Tensor& y, const Tensor& g, int64_t dim, real scale, const Tensor& mask,
                           int64_t mask_rows) {
  if (y.dim() == 0 || normalize_dim("softmax", dim, y.dim()) != y.dim() - 1)
    return y * (g - sum(g * y, {dim}, true)) * scale;  // (no mask off the last axis)
  Tensor gc = contiguous(g), dx = make_tensor(y.shape());
  const int64_t n = y.shape().back(), rows = n ? y.numel() / n : 0;
  const real *yp = y.data(), *gp = gc.data(), *mp = mask.defined() ? mask.data() : nullptr;
  real* dp = dx.data();
  parallel_rows(rows, n, [&](int64_t r) {
    kernels::softmax_backward_row(yp + r * n, gp + r * n, dp + r * n, n, scale, mp ? mp + r % mask_rows * n : nullptr);
  });
  return dx;
}

// [doc:softmax]
// y_i = exp(x_i - m) / sum_j exp(x_j - m)        dL/dx = y * (g - sum(g * y))
Tensor softmax(const Tensor& a, int64_t dim) {
  Op op("softmax");
  Tensor y = along_axis("softmax", a, dim, [](const real* row, real* out, int64_t n) {
    kernels::softmax_row(row, out, n, 1, nullptr);  // max, e^(x - max), sum, divide: docs/11
  });
  return op.finish(y, {a}, [y = y.detach(), dim](const Tensor& g) -> Grads {
    return {softmax_grad(y, g, dim, 1, Tensor(), 1)};  // y * (g - sum(g * y)), one pass per row
  });
}
// [/doc]

// Attention's softmax in one pass: softmax over the last axis of scale * x, with x taken as
// -1e9 where mask == 0 (its weight comes out exactly 0). It is
//   softmax(where(mask, x * scale, -1e9), -1)
// without the three intermediate tensors, forward and backward. mask broadcasts to x.
Tensor scaled_masked_softmax(const Tensor& x, real scale, const Tensor& mask) {
  Op op("scaled_masked_softmax");
  if (!x.defined() || x.dim() < 1)
    fail("scaled_masked_softmax", "the scores must be a tensor of at least 1 dimension", "shapes are (..., n)");
  Tensor xc = contiguous(x.detach()), m;
  const int64_t n = x.shape().back(), rows = n ? x.numel() / n : 0;
  int64_t mask_rows = 1;
  if (mask.defined()) {
    if (broadcast_shapes("scaled_masked_softmax (mask vs scores)", mask.shape(), x.shape()) != x.shape())
      fail("scaled_masked_softmax",
           "mask " + shape_str(mask.shape()) + " is larger than the scores " + shape_str(x.shape()),
           "a causal mask is (Tq, Tk); a padding mask is (B, 1, Tk) for scores (B, Tq, Tk)");
    Shape ms = mask.shape();  // a mask that is x's trailing axes is used as it is, row r % its rows
    while (!ms.empty() && ms.front() == 1 && ms.size() > 1) ms.erase(ms.begin());
    const bool trailing = ms.size() <= x.shape().size() && !ms.empty() &&
                          std::equal(ms.begin(), ms.end(), x.shape().end() - (int64_t)ms.size());
    m = trailing ? contiguous(mask.detach()) : contiguous(expand(mask.detach(), x.shape()));
    mask_rows = n ? std::max<int64_t>(1, m.numel() / n) : 1;
  }
  Tensor y = Tensor::empty(x.shape());  // softmax_row writes every element of its row
  const real *xp = xc.data(), *mp = m.defined() ? m.data() : nullptr;
  real* yp = y.data();
  parallel_rows(rows, n, [&](int64_t r) {
    kernels::softmax_row(xp + r * n, yp + r * n, n, scale, mp ? mp + r % mask_rows * n : nullptr);
  });
  return op.finish(y, {x}, [y = y.detach(), scale, m, mask_rows](const Tensor& g) -> Grads {
    return {softmax_grad(y, g, -1, scale, m, mask_rows)};
  });
}

// y_i = x_i - logsumexp(x)       dL/dx = g - softmax(x) * sum(g)
Tensor log_softmax(const Tensor& a, int64_t dim) {
  Op op("log_softmax");
  Tensor y = along_axis("log_softmax", a, dim, [](const real* row, real* out, int64_t n) {
    real m = row[0];
    for (int64_t i = 1; i < n; ++i) m = std::max(m, row[i]);
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::exp((double)(row[i] - m));
    real log_s = (real)std::log(s);  // subtract m first: x - m is exact, x - (m + log s) is not
    for (int64_t i = 0; i < n; ++i) out[i] = (row[i] - m) - log_s;
  });
  return op.finish(y, {a},
                   [y = y.detach(), dim](const Tensor& g) -> Grads { return {g - exp(y) * sum(g, {dim}, true)}; });
}

// [doc:sum-to]
// The backward of broadcasting: sum g over the axes that broadcasting stretched.
// g: (2, 3, 4), shape (3, 1) -> sum over axis 0 (added) and axis 2 (was 1).
Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  int64_t lead = g.dim() - (int64_t)shape.size();
  if (lead < 0) fail("sum_to", "cannot reduce " + shape_str(g.shape()) + " to the larger rank " + shape_str(shape), "");
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < g.dim(); ++i) {
    if (i < lead) {
      dims.push_back(i);
      continue;
    }
    int64_t want = shape[i - lead];
    if (want == 1 && g.shape()[i] != 1) dims.push_back(i);
    else if (want != g.shape()[i])
      fail("sum_to", "shape " + shape_str(shape) + " does not broadcast to " + shape_str(g.shape()), "");
  }
  if (dims.empty()) return g.reshape(shape);
  return sum(g, dims, true).reshape(shape);
}
// [/doc]

}  // namespace cadenza
