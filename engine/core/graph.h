// graph.h: the record the autograd graph is made of, and the grad-mode switch.
//
// The graph is built eagerly as ops run (like PyTorch and micrograd): each result
// that needs a gradient gets a Node holding its inputs and a closure that maps
// dL/d(output) to dL/d(each input). Closures capture *detached* saved values and
// never the output itself, so there are no reference cycles. An op may also record a graph
// backward, written with ops on its inputs, for gradients of gradients (create_graph). Recording happens in
// engine/autograd/ (the Op helper); the backward pass is engine/autograd/backward.cpp.
// Chapter: docs/02-autograd.md.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "engine/core/tensor.h"

namespace cadenza {

// dL/d(input i) for each input, in order; an undefined Tensor means "no gradient".
using Grads = std::vector<Tensor>;
using BackwardFn = std::function<Grads(const Tensor& grad_out)>;
// A backward written with differentiable ops on the node's own inputs (not detached copies),
// so that a backward with create_graph builds a graph of the gradient itself: what a
// gradient penalty differentiates. See engine/autograd/backward.cpp and docs/02-autograd.md.
using GraphBackwardFn = std::function<Grads(const Tensor& grad_out, const std::vector<Tensor>& inputs)>;

// [doc:node]
struct Node {
  const char* op = "";             // "mul", "matmul": shown in errors, DOT pictures and the profiler
  std::vector<Tensor> inputs;      // strong references keep the graph alive until backward
  BackwardFn backward;             // grad_out -> one gradient per input
  GraphBackwardFn graph_backward;  // the same, differentiable; empty when the op has none yet
  bool linear_backward = false;    // `backward` itself is differentiable (it only moves grad_out through ops)
  Shape out_shape;                 // the shape of the tensor this node produced
  bool freed = false;              // set after a backward without retain_graph
  ~Node();                         // frees long chains iteratively (no stack overflow)
};
// [/doc]

// ---- grad mode ----
bool grad_enabled();
// While one of these is alive (on this thread), ops record no graph.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};
// The opposite (torch.enable_grad): ops record a graph while it lives, even inside a
// NoGradGuard. A loss that itself takes a gradient (a gradient penalty) needs one.
class EnableGradGuard {
 public:
  EnableGradGuard();
  ~EnableGradGuard();
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace cadenza
