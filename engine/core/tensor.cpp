// tensor.cpp: the Tensor handle's factories, accessors and in-place updates.
// The view methods (reshape, slice, ...) are defined with the ops they forward to, in
// engine/ops/tensor_methods.cpp, and backward() with the backward engine, in
// engine/autograd/backward.cpp: core does not reach up to them. Chapter: docs/01-tensors.md.
#include "engine/core/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "engine/core/graph.h"
#include "engine/core/parallel.h"
#include "engine/core/strided.h"

namespace cadenza {

// A training step allocates and frees the same tensors again and again. By default
// glibc hands every buffer above 128 KiB back to the OS on free and the next step
// pays a page fault per 4 KiB to get it back (a tenth of an LSTM step). Keeping
// freed memory up to 32 MiB per buffer in the heap lets the next step reuse it.
// Peak memory is unchanged: only memory that was already in use is kept.
#if defined(__GLIBC__)
static const bool g_malloc_tuned = [] {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return true;
}();
#endif

Tensor Tensor::empty(const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0) fail("tensor", "negative size in shape " + shape_str(shape), "sizes must be >= 0");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>();
  try {
    impl->storage->data.resize((size_t)numel_of(shape));  // UninitAllocator: not zeroed
  } catch (const std::bad_alloc&) {                       // say what was asked for, not a bare std::bad_alloc
    char gb[32];
    std::snprintf(gb, sizeof gb, "%.1f GB", (double)numel_of(shape) * sizeof(real) / 1e9);
    fail("tensor", "out of memory: a tensor of shape " + shape_str(shape) + " needs " + gb,
         "make the model or the batch smaller (for the CLI: --hidden, --layers, --batch)");
  }
#if defined(CADENZA_DEBUG)
  std::fill(impl->storage->data.begin(), impl->storage->data.end(), std::numeric_limits<real>::quiet_NaN());
#endif
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  return Tensor(impl);
}

Tensor make_tensor(const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  std::fill(t.impl()->storage->data.begin(), t.impl()->storage->data.end(), (real)0);
  return t;
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  return Tensor(impl);
}

Tensor Tensor::zeros(const Shape& shape) { return make_tensor(shape); }
Tensor Tensor::ones(const Shape& shape) { return full(shape, 1); }
Tensor Tensor::full(const Shape& shape, real value) {
  Tensor t = make_tensor(shape);
  std::fill(t.impl()->storage->data.begin(), t.impl()->storage->data.end(), value);
  return t;
}
Tensor Tensor::scalar(real value) { return full({}, value); }
Tensor Tensor::from_vector(const std::vector<real>& values, const Shape& shape) {
  if ((int64_t)values.size() != numel_of(shape))
    fail("from_vector", str(values.size(), " values cannot fill shape ", shape_str(shape)),
         str("the shape needs ", numel_of(shape), " values"));
  Tensor t = make_tensor(shape);
  t.impl()->storage->data.assign(values.begin(), values.end());
  return t;
}
Tensor Tensor::arange(int64_t n) {
  Tensor t = make_tensor({n});
  for (int64_t i = 0; i < n; ++i) t.impl()->storage->data[i] = (real)i;
  return t;
}

void Tensor::check_defined(const char* op) const {
  if (!impl_) fail(op, "the tensor is undefined (default-constructed)", "assign it a value first");
}
const Shape& Tensor::shape() const {
  check_defined("shape");
  return impl_->shape;
}
const Shape& Tensor::strides() const {
  check_defined("strides");
  return impl_->strides;
}
int64_t Tensor::offset() const {
  check_defined("offset");
  return impl_->offset;
}
int64_t Tensor::size(int64_t d) const { return shape()[normalize_dim("size", d, dim())]; }

bool Tensor::is_contiguous() const {
  const Shape& s = shape();
  Shape expect = contiguous_strides(s);
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] != 1 && impl_->strides[i] != expect[i]) return false;
  return true;
}

real Tensor::item() const {
  if (numel() != 1)
    fail("item", "needs a tensor with one element, got shape " + shape_str(shape()),
         "reduce it first, e.g. sum(x) or mean(x)");
  return impl_->storage->data[impl_->offset];
}

real Tensor::at(const std::vector<int64_t>& index) const {
  if ((int64_t)index.size() != dim())
    fail("at", str("got ", index.size(), " indices for a tensor of shape ", shape_str(shape())),
         "give one index per axis");
  int64_t off = impl_->offset;
  for (size_t i = 0; i < index.size(); ++i) {
    int64_t k = index[i] < 0 ? index[i] + impl_->shape[i] : index[i];
    if (k < 0 || k >= impl_->shape[i])
      fail("at", str("index ", index[i], " is out of range for axis ", i, " of size ", impl_->shape[i]),
           "indices run from -size to size-1");
    off += k * impl_->strides[i];
  }
  return impl_->storage->data[off];
}

std::vector<real> Tensor::to_vector() const {
  Tensor c = contiguous();
  const real* p = c.data();
  return std::vector<real>(p, p + c.numel());
}

std::string Tensor::to_string() const {
  if (!impl_) return "tensor(undefined)";
  std::vector<real> v = to_vector();
  const Shape& s = shape();
  std::string out = "tensor(";
  // Recursive printing over axes, with nested brackets like NumPy.
  std::function<void(size_t, int64_t)> rec = [&](size_t axis, int64_t base) {
    if (axis == s.size()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", (double)v[base]);
      out += buf;
      return;
    }
    out += "[";
    int64_t stride = numel_of(Shape(s.begin() + axis + 1, s.end()));
    for (int64_t i = 0; i < s[axis]; ++i) {
      if (i) out += ", ";
      if (s[axis] > 12 && i == 6) {  // long axes are elided in the middle
        out += "...";
        i = s[axis] - 6;
        out += ", ";
      }
      rec(axis + 1, base + i * stride);
    }
    out += "]";
  };
  rec(0, 0);
  out += ", shape=" + shape_str(s);
  if (requires_grad()) out += ", requires_grad=true";
  return out + ")";
}

real* Tensor::data() {
  check_defined("data");
  if (!is_contiguous())
    fail("data", "raw data() needs a contiguous tensor, got strides " + shape_str(impl_->strides),
         "call .contiguous() first");
  return impl_->storage->data.data() + impl_->offset;
}
const real* Tensor::data() const { return const_cast<Tensor*>(this)->data(); }

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }
Tensor& Tensor::requires_grad_(bool on) {
  check_defined("requires_grad_");
  if (impl_->grad_fn)
    fail("requires_grad_",
         "can only be set on leaf tensors (this one was made by '" + std::string(impl_->grad_fn->op) + "')",
         "call .detach() first to make a new leaf");
  impl_->requires_grad = on;
  return *this;
}
bool Tensor::is_leaf() const { return impl_ && !impl_->grad_fn; }
Tensor Tensor::grad() const {
  check_defined("grad");
  return impl_->grad ? Tensor(impl_->grad) : Tensor();
}
void Tensor::zero_grad() {
  check_defined("zero_grad");
  impl_->grad.reset();
}
void Tensor::set_grad(const Tensor& g) {
  check_defined("set_grad");
  if (g.defined() && g.shape() != shape())
    fail("set_grad", "gradient shape " + shape_str(g.shape()) + " != tensor shape " + shape_str(shape()),
         "a gradient always has its tensor's shape");
  impl_->grad = g.defined() ? g.impl_ptr() : nullptr;
}
Tensor Tensor::detach() const {
  check_defined("detach");
  Tensor d = make_view(*this, impl_->shape, impl_->strides, impl_->offset);
  d.impl()->name = impl_->name;
  return d;
}
const std::shared_ptr<Node>& Tensor::grad_fn() const {
  check_defined("grad_fn");
  return impl_->grad_fn;
}

const std::string& Tensor::name() const {
  check_defined("name");
  return impl_->name;
}
Tensor& Tensor::set_name(const std::string& n) {
  check_defined("set_name");
  impl_->name = n;
  return *this;
}

// In-place updates write through the storage. They are how optimisers and
// initialisers change parameters; they are refused while autograd could be
// watching, because the graph may have saved the old values.
static void check_inplace(const Tensor& t, const char* op) {
  if (!t.defined()) fail(op, "the tensor is undefined", "assign it a value first");
  if (grad_enabled() && t.requires_grad())
    fail(op, "in-place update of a tensor that requires grad while grad mode is on",
         "wrap the update in NoGradGuard (optimisers do), or use an out-of-place op");
}
Tensor& Tensor::fill_(real v) {
  check_inplace(*this, "fill_");
  for_each_offset(*this, [&](int64_t off) { impl_->storage->data[off] = v; });
  return *this;
}
Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace(*this, "copy_");
  if (src.shape() != shape())
    fail("copy_", "shape " + shape_str(src.shape()) + " cannot be copied into " + shape_str(shape()),
         "the shapes must be equal");
  int64_t i = 0;
  if (src.is_contiguous() && src.impl()->storage != impl_->storage) {  // the usual case (a gradient): read it in place
    const real* s = src.data();
    for_each_offset(*this, [&](int64_t off) { impl_->storage->data[off] = s[i++]; });
    return *this;
  }
  std::vector<real> v = src.to_vector();  // via a buffer: src may alias this tensor
  for_each_offset(*this, [&](int64_t off) { impl_->storage->data[off] = v[i++]; });
  return *this;
}
Tensor& Tensor::add_(const Tensor& other, real alpha) {
  check_inplace(*this, "add_");
  if (other.shape() != shape())
    fail("add_", "shape " + shape_str(other.shape()) + " cannot be added into " + shape_str(shape()),
         "the shapes must be equal");
  if (is_contiguous() && other.is_contiguous()) {  // the usual case (gradient accumulation): flat loops
    real* d = data();
    const real* o = other.data();
    parallel_for(numel(), 1 << 15, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) d[i] += alpha * o[i];
    });
    return *this;
  }
  std::vector<real> v = other.to_vector();
  int64_t i = 0;
  for_each_offset(*this, [&](int64_t off) { impl_->storage->data[off] += alpha * v[i++]; });
  return *this;
}
Tensor& Tensor::mul_(real s) {
  check_inplace(*this, "mul_");
  for_each_offset(*this, [&](int64_t off) { impl_->storage->data[off] *= s; });
  return *this;
}

}  // namespace cadenza
