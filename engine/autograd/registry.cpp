// registry.cpp: the names of every op that records a backward.
//
// Op::finish refuses an unlisted name, so a new op cannot slip into the graph
// without being listed here; tests/test_gradcheck.cpp fails when a listed op
// has no gradcheck case. Together they enforce "no op without a checked
// backward". Chapter: docs/03-gradcheck-and-debugging.md.
#include <algorithm>

#include "engine/autograd/node.h"

namespace cadenza {

const std::vector<std::string>& differentiable_ops() {
  static const std::vector<std::string> ops = {
      // elementwise.cpp
      "add",
      "sub",
      "mul",
      "div",
      "neg",
      "pow",
      "exp",
      "log",
      "sqrt",
      "abs",
      "sin",
      "cos",
      "tanh",
      "sigmoid",
      "relu",
      "leaky_relu",
      "gelu",
      "softplus",
      "clamp",
      "where",
      // reduce.cpp
      "sum",
      "max",
      "min",
      "logsumexp",
      "softmax",
      "log_softmax",
      "scaled_masked_softmax",
      // linalg.cpp
      "matmul",
      // sparse.cpp
      "binary_matmul",
      // shape_ops.cpp
      "clone",
      "reshape",
      "permute",
      "flip",
      "slice",
      "expand",
      "unsqueeze",
      "squeeze",
      "concat",
      // index_ops.cpp
      "index_select",
      "gather",
      "scatter_add",
      // losses.cpp
      "binary_cross_entropy_with_logits",
      // recurrent.cpp
      "lstm_cell",
      "gru_cell",
      // recurrent_seq.cpp
      "lstm_layer",
      "gru_layer",
      // nade.cpp
      "nade_logits",
      // conv.cpp
      "conv1d",
      "max_pool1d",
      "avg_pool1d",
      // conv2d.cpp
      "conv2d",
      "conv_transpose2d",
  };
  return ops;
}

bool is_registered_op(const std::string& name) {
  const auto& ops = differentiable_ops();
  return std::find(ops.begin(), ops.end(), name) != ops.end();
}

// The ops whose graph records a differentiable backward (Op::finish with a graph backward, or
// finish_linear): what a create_graph backward may pass through. The double-backward suite in
// tests/test_gradcheck.cpp checks each one, and that the list and the ops agree.
std::vector<std::string> autograd::ops_with_graph_backward() {
  return {"add",    "sub",       "mul",     "div",     "neg",     "pow",    "exp",
          "log",    "sqrt",      "abs",     "tanh",    "sigmoid", "relu",   "leaky_relu",
          "sum",    "matmul",    "clone",   "reshape", "permute", "flip",   "slice",
          "expand", "unsqueeze", "squeeze", "concat",  "conv1d",  "conv2d", "conv_transpose2d"};
}

}  // namespace cadenza
