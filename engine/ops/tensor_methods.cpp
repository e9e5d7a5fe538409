// tensor_methods.cpp: Tensor's view and copy methods (t.reshape(...), t.slice(...)) and add,
// each one line forwarding to the free function in ops.h. They are declared with the
// Tensor in engine/core/tensor.h and defined here, beside the ops, so that the core
// layer never includes the ops above it. Chapter: docs/01-tensors.md ("Views").
#include "engine/core/tensor.h"
#include "engine/ops/ops.h"

namespace cadenza {

Tensor Tensor::clone() const { return cadenza::clone(*this); }
Tensor Tensor::contiguous() const { return cadenza::contiguous(*this); }
Tensor Tensor::reshape(const Shape& s) const { return cadenza::reshape(*this, s); }
Tensor Tensor::permute(const std::vector<int64_t>& d) const { return cadenza::permute(*this, d); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return cadenza::transpose(*this, a, b); }
Tensor Tensor::slice(int64_t d, int64_t a, int64_t b, int64_t s) const { return cadenza::slice(*this, d, a, b, s); }
Tensor Tensor::select(int64_t d, int64_t i) const { return cadenza::select(*this, d, i); }
Tensor Tensor::expand(const Shape& s) const { return cadenza::expand(*this, s); }
Tensor Tensor::unsqueeze(int64_t d) const { return cadenza::unsqueeze(*this, d); }
Tensor Tensor::squeeze(int64_t d) const { return cadenza::squeeze(*this, d); }
Tensor Tensor::add(const Tensor& other) const { return cadenza::add(*this, other); }

}  // namespace cadenza
