// dot.h: draw the autograd graph behind a tensor as Graphviz DOT.
//   to_dot(loss) -> "digraph { ... }"; render with `dot -Tsvg graph.dot > graph.svg`.
// Boxes are ops (with output shapes), ellipses are leaves (named when they have
// a name, e.g. "fc1.weight"). Chapter: docs/03-gradcheck-and-debugging.md.
#pragma once
#include <string>

#include "engine/core/tensor.h"

namespace cadenza {

std::string to_dot(const Tensor& root);
void save_dot(const Tensor& root, const std::string& path);

}  // namespace cadenza
