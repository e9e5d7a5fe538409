// node.h: the Op helper that every differentiable op uses to record its backward on
// the graph (the Node itself and grad mode are in engine/core/graph.h), the op
// registry, the debugging switches, and the backward engine's entry point.
// Chapters: docs/02-autograd.md, docs/03-gradcheck-and-debugging.md.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/core/graph.h"
#include "engine/core/tensor.h"

namespace cadenza {

// ---- the Op helper: profiling, the NaN trap and graph recording in one place ----
// [doc:op-helper]
class Op {
 public:
  explicit Op(const char* name);  // starts the profiler clock when profiling is on
  ~Op();                          // stops it
  // Attach `backward` to `out` when grad mode is on and any input requires grad.
  // Also runs the NaN/Inf trap on `out`. Returns `out`.
  Tensor finish(Tensor out, std::vector<Tensor> inputs, BackwardFn backward);
  // The same, with a second backward written with ops on the inputs, which a backward with
  // create_graph runs to build the gradient's own graph (engine/core/graph.h).
  Tensor finish(Tensor out, std::vector<Tensor> inputs, BackwardFn backward, GraphBackwardFn graph_backward);
  // For an op whose backward sends grad_out through differentiable ops alone and reads no
  // input (add, reshape, sum, ...): that backward already serves create_graph as it is.
  Tensor finish_linear(Tensor out, std::vector<Tensor> inputs, BackwardFn backward);
  // For results without a gradient (comparisons, argmax): only the NaN/Inf trap.
  Tensor finish(Tensor out);

 private:
  const char* name_;
  std::chrono::steady_clock::time_point start_;
};
// [/doc]

// ---- the op registry: every op name that may appear on a Node ----
// Op::finish refuses names that are not listed, and the gradcheck suite fails
// when a listed op has no gradcheck case. See engine/autograd/registry.cpp.
const std::vector<std::string>& differentiable_ops();
bool is_registered_op(const std::string& name);
// While a trace set is installed, Op::finish records each op name that builds a node.
void set_op_trace(std::set<std::string>* trace);

// ---- debugging switches (docs/03-gradcheck-and-debugging.md) ----
// CADENZA_CHECK_NAN=1 in the environment (or set_check_nan(true)) makes every op
// throw at the first NaN or Inf it produces, naming the op.
void set_check_nan(bool on);
bool check_nan_enabled();
// CADENZA_PROFILE=1 (or set_profiling(true)) records per-op counts and times;
// profile_report() formats them and, with the env switch, they print at exit.
void set_profiling(bool on);
bool profiling_enabled();
std::string profile_report();
void profile_reset();

// Called by the backward engine for each gradient; throws on NaN/Inf when the trap is on.
void check_finite(const Tensor& t, const std::string& where);

// Runs backpropagation (Tensor::backward calls this). See backward.cpp.
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph, bool create_graph = false);

namespace autograd {
// torch.autograd.grad: d(output)/d(each input), weighted by grad_output (default: ones for a
// one-element output), returned instead of accumulated into .grad. Inputs may be leaves or
// intermediate results; each must require grad and be reached from output.
// create_graph: the gradients are themselves differentiable (the graph is kept), so a loss
// built from them, such as WGAN-GP's penalty, backpropagates through them.
// retain_graph: keep the graph for another backward (always kept under create_graph).
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& grad_output = Tensor(),
                         bool create_graph = false, bool retain_graph = false);
// The ops whose backward can itself be differentiated (create_graph). Others stop a
// create_graph backward with a message naming them.
std::vector<std::string> ops_with_graph_backward();
}  // namespace autograd

}  // namespace cadenza
