// shape.h: shapes, strides and NumPy broadcasting rules.
//
// A Shape lists the size of each axis, outermost first: (B, T, C). Strides use
// the same type and count elements, not bytes. Chapter: docs/01-tensors.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cadenza {

using Shape = std::vector<int64_t>;

// "(2, 3, 4)"; a scalar's shape prints as "()".
std::string shape_str(const Shape& s);

// Product of the sizes; 1 for a scalar.
int64_t numel_of(const Shape& s);

// Row-major ("C order") strides for a compact tensor of this shape.
Shape contiguous_strides(const Shape& s);

// NumPy broadcasting: align from the right; sizes must match or one must be 1.
// Throws "[op] cannot broadcast shapes: (2, 3) vs (4,) — ..." otherwise.
Shape broadcast_shapes(const std::string& op, const Shape& a, const Shape& b);

// Turns a possibly negative axis into 0..ndim-1, or throws naming the op.
int64_t normalize_dim(const std::string& op, int64_t dim, int64_t ndim);

// Normalises, sorts and de-duplicates a list of axes; an empty list means "all axes".
std::vector<int64_t> normalize_dims(const std::string& op, std::vector<int64_t> dims, int64_t ndim);

}  // namespace cadenza
