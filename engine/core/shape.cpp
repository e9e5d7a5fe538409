// shape.cpp: see shape.h. Chapter: docs/01-tensors.md.
#include "engine/core/shape.h"

#include <algorithm>

namespace cadenza {

std::string shape_str(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  if (s.size() == 1) out += ",";
  return out + ")";
}

int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t i = (int64_t)s.size() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

// [doc:broadcast-shapes]
Shape broadcast_shapes(const std::string& op, const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {  // i counts axes from the right
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      fail(op, "cannot broadcast shapes: " + shape_str(a) + " vs " + shape_str(b),
           "sizes must match or be 1, comparing axes from the right");
    out[n - 1 - i] = (da == 1) ? db : da;
  }
  return out;
}
// [/doc]

int64_t normalize_dim(const std::string& op, int64_t dim, int64_t ndim) {
  int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi)
    fail(op, str("dim ", dim, " is out of range for a tensor with ", ndim, " dims"),
         str("use a dim in [", lo, ", ", hi, "]"));
  if (ndim == 0) return 0;
  return dim < 0 ? dim + ndim : dim;
}

std::vector<int64_t> normalize_dims(const std::string& op, std::vector<int64_t> dims, int64_t ndim) {
  if (dims.empty()) {
    for (int64_t i = 0; i < ndim; ++i) dims.push_back(i);
    return dims;
  }
  for (auto& d : dims) d = normalize_dim(op, d, ndim);
  std::sort(dims.begin(), dims.end());
  if (std::adjacent_find(dims.begin(), dims.end()) != dims.end())
    fail(op, "the same dim is listed twice", "list each axis once");
  return dims;
}

}  // namespace cadenza
