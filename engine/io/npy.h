// npy.h: one tensor in NumPy's .npy format (version 1.0, little-endian, C order).
// numpy.load reads what save_npy writes; load_npy reads float32/float64 and
// int32/int64 arrays that numpy.save wrote, converting to the engine's type.
// Chapter: docs/04-modules-losses-optimisers.md ("Checkpoints").
#pragma once
#include <string>

#include "engine/core/tensor.h"

namespace cadenza::io {

void save_npy(const std::string& path, const Tensor& t);
Tensor load_npy(const std::string& path);
// The same, to and from bytes in memory.
std::string npy_bytes(const Tensor& t);
Tensor npy_from_bytes(const std::string& bytes, const std::string& what);

}  // namespace cadenza::io
