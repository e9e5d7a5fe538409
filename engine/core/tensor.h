// tensor.h: the Tensor handle: storage + shape + strides + offset, and its autograd fields.
//
// A Tensor is a cheap handle (a shared_ptr). Copying a Tensor does NOT copy data:
// `Tensor b = a;` makes b another name for the same tensor, like Python. Use
// clone() for a deep copy. Views (reshape, permute, slice, expand) share storage
// with their base and only change shape/strides/offset.
//
// Element type: `real`, float32 by default. The gradcheck build compiles the
// same engine with -DCADENZA_DOUBLE so finite differences run in double.
// Chapters: docs/01-tensors.md (storage, views), docs/02-autograd.md (grad fields).
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/shape.h"

namespace cadenza {

#ifdef CADENZA_DOUBLE
using real = double;
#else
using real = float;
#endif

struct Node;
class Generator;

// std::allocator, except that growing the vector leaves the new elements uninitialised
// (`new T`, not `new T()`): an op that is about to write every element of its output
// should not pay for zeroing it first (Tensor::empty; chapter 11).
template <class T>
struct UninitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new ((void*)p) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new ((void*)p) U(std::forward<Args>(args)...);
  }
};

// The flat buffer that views share.
struct Storage {
  std::vector<real, UninitAllocator<real>> data;
};

// [doc:tensor-impl]
struct TensorImpl {
  std::shared_ptr<Storage> storage;  // shared by every view of the same data
  Shape shape, strides;              // strides in elements; 0 on broadcast (expanded) axes
  int64_t offset = 0;                // index of element [0, 0, ...] inside storage
  bool requires_grad = false;        // leaf: set by the user; non-leaf: set by ops
  std::shared_ptr<TensorImpl> grad;  // leaves only: accumulated dL/dthis, same shape
  std::shared_ptr<Node> grad_fn;     // the op that made this tensor (null for leaves)
  std::string name;                  // "fc1.weight": used in errors and graph pictures
};
// [/doc]

class Tensor {
 public:
  Tensor() = default;  // an "undefined" tensor: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories (torch.zeros, torch.tensor, ...) ----
  // Uninitialised, as torch.empty: for an op that writes every element. (The sanitizer
  // build, DEBUG=1, defines CADENZA_DEBUG and fills it with NaN, so a read before a write shows.)
  static Tensor empty(const Shape& shape);
  static Tensor zeros(const Shape& shape);
  static Tensor ones(const Shape& shape);
  static Tensor full(const Shape& shape, real value);
  static Tensor scalar(real value);  // a 0-d tensor
  static Tensor from_vector(const std::vector<real>& values, const Shape& shape);
  static Tensor arange(int64_t n);  // 0, 1, ..., n-1 as a 1-d tensor
  static Tensor zeros_like(const Tensor& t) { return zeros(t.shape()); }
  static Tensor ones_like(const Tensor& t) { return ones(t.shape()); }

  // ---- what it is ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t offset() const;
  int64_t dim() const { return (int64_t)shape().size(); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return numel_of(shape()); }
  bool is_contiguous() const;
  real item() const;                                 // the value of a one-element tensor
  real at(const std::vector<int64_t>& index) const;  // one element, by index
  std::vector<real> to_vector() const;               // all elements in row-major order
  std::string to_string() const;                     // "tensor([[1, 2], [3, 4]])"

  // Raw access for kernels. data() requires a contiguous tensor and points at
  // element [0, ...]. Writing through it bypasses autograd: only do that under
  // NoGradGuard, on tensors you own (optimisers, initialisers, CD updates).
  real* data();
  const real* data() const;

  // ---- autograd ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);  // only for leaves, like PyTorch
  bool is_leaf() const;
  Tensor grad() const;                    // undefined until a backward reaches it
  void zero_grad();                       // drops the accumulated gradient
  void set_grad(const Tensor& g);         // used by hand-written gradients (RBM CD-k)
  Tensor detach() const;                  // same storage, no history
  Tensor add(const Tensor& other) const;  // *this + other, the differentiable op (engine/ops/ops.h)
  // Backpropagate from this tensor. A non-scalar needs an explicit upstream grad.
  // The graph is freed afterwards unless retain_graph is true.
  // create_graph: the gradients carry a graph, so they can be differentiated again
  // (autograd::grad is usually what you want then: it returns them instead of filling .grad).
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false, bool create_graph = false) const;
  const std::shared_ptr<Node>& grad_fn() const;

  // ---- names (for errors, checkpoints and DOT pictures) ----
  const std::string& name() const;
  Tensor& set_name(const std::string& n);

  // ---- copies and views (methods forwarding to the free functions in ops.h) ----
  Tensor clone() const;
  Tensor contiguous() const;
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const { return reshape(shape); }
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor slice(int64_t dim, int64_t start, int64_t stop, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;  // slice one index and drop the axis
  Tensor expand(const Shape& shape) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor flatten() const { return reshape({numel()}); }

  // ---- in-place updates (no autograd; refuse leaves that require grad when grad mode is on) ----
  Tensor& fill_(real v);
  Tensor& zero_() { return fill_(0); }
  Tensor& copy_(const Tensor& src);  // same shape; src may be any layout
  Tensor& add_(const Tensor& other, real alpha = 1);
  Tensor& mul_(real s);

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  void check_defined(const char* op) const;
  std::shared_ptr<TensorImpl> impl_;
};

// Makes a fresh compact tensor (new storage) of the given shape, zero-filled.
// (Tensor::empty is the same without the zeros.)
Tensor make_tensor(const Shape& shape);
// Makes a view sharing `base`'s storage with new geometry.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace cadenza
