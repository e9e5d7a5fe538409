// backward.cpp: reverse-mode differentiation over the recorded graph.
//
// 1. Collect every node reachable from the root with an explicit stack (a
//    recursive DFS would overflow on a 10,000-step unrolled RNN).
// 2. Visit nodes in reverse topological order, so a node runs only after every
//    consumer of its output has added its share of the gradient.
// 3. Leaves (tensors with no grad_fn that require grad) accumulate into .grad;
//    intermediate gradients live only during the pass.
// 4. Unless retain_graph is set, each node's closure and inputs are released
//    afterwards; a second backward through them is an error, not a wrong answer.
// 5. With create_graph, grad mode stays on and each node runs its graph backward, written
//    with ops on its inputs: the gradients carry a graph of their own, and a loss made of
//    them (a gradient penalty) can be differentiated again. autograd::grad returns the
//    gradients of chosen tensors instead of accumulating into leaves' .grad.
// Chapter: docs/02-autograd.md.
#include <unordered_map>
#include <unordered_set>

#include "engine/autograd/node.h"
#include "engine/core/strided.h"

namespace cadenza {

// [doc:topo-sort]
// Returns nodes so that every node comes after all nodes that consume its output.
static std::vector<Node*> topo_order(Node* root) {
  std::vector<Node*> order;  // post-order: inputs before consumers
  std::unordered_set<Node*> seen{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};  // (node, next input to visit)
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      Node* child = in.defined() ? in.impl()->grad_fn.get() : nullptr;
      if (child && seen.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return {order.rbegin(), order.rend()};  // consumers first
}
// [/doc]

// True when only this Tensor holds t's storage, t is all of it (compact, from offset 0) and
// no graph records it: it may be kept or changed in place without anyone else seeing.
static bool sole_owner(const Tensor& t) {
  const std::shared_ptr<TensorImpl>& ti = t.impl_ptr();
  return ti.use_count() == 1 && ti->storage.use_count() == 1 && ti->offset == 0 && t.is_contiguous() &&
         (int64_t)ti->storage->data.size() == t.numel() && !ti->grad_fn;
}

// A compact copy of t in new storage (the clone op's result, made here with the core's
// layout walk: the backward engine sits below the ops and does not call them).
static Tensor copy_of(const Tensor& t) {
  Tensor c = Tensor::empty(t.shape());
  copy_strided(t, c.data());
  return c;
}

// Adds g into a leaf's .grad (allocating it the first time). g is passed by value
// and moved in by the caller: when nothing else holds it (one owner, its own compact
// storage: typically a fresh matmul result) it becomes .grad as it is; otherwise .grad
// is a private copy, never an alias of a tensor the graph still uses.
static void accumulate_leaf(const Tensor& leaf, Tensor g, bool create_graph) {
  TensorImpl* impl = leaf.impl();
  if (create_graph) {  // .grad keeps its graph, and a second share is added with the op
    impl->grad = impl->grad ? Tensor(impl->grad).add(g).impl_ptr() : g.impl_ptr();
    return;
  }
  if (!impl->grad) {
    impl->grad = sole_owner(g) ? g.impl_ptr() : copy_of(g).impl_ptr();
  } else {
    Tensor acc(impl->grad);
    acc.add_(g);
  }
}

// sum += g for a gradient waiting in `pending` (the shapes were checked by the caller). In
// place when nothing else holds sum (a backward may hand the same tensor to two inputs, as add
// does); else a new tensor. In place saves writing a new buffer: a gated TCN step sums 16
// gradients of 4-8 MB.
static void accumulate(Tensor& sum, const Tensor& g, bool create_graph) {
  if (create_graph) {  // differentiable: the op, never in place
    sum = sum.add(g);
    return;
  }
  if (!sole_owner(sum)) sum = copy_of(sum);  // a new tensor: sum + g, without the op
  sum.add_(g);
}

// [doc:backward-loop]
// What one pass does besides sending gradients back: keep the graph or free it, build the
// gradients' own graph, and, for autograd::grad, hand back the gradients of chosen tensors
// (`wanted`, by TensorImpl) instead of adding into leaves' .grad.
struct PassOptions {
  bool retain_graph = false, create_graph = false;
  std::unordered_map<const TensorImpl*, Tensor>* wanted = nullptr;
};

static std::string join(const std::vector<std::string>& names, const char* sep) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : sep) + n;
  return out;
}

// The gradients of one node's inputs, from the gradient of its output.
static Grads node_grads(Node* node, const Tensor& g, bool create_graph) {
  if (!create_graph || node->linear_backward) return node->backward(g);
  if (!node->graph_backward)
    fail("backward",
         str("create_graph: '", node->op,
             "' has no differentiable backward yet, so this gradient cannot be differentiated again"),
         "ops that have one: " + join(autograd::ops_with_graph_backward(), ", ") +
             "; build the function from those, or differentiate it without create_graph");
  return node->graph_backward(g, node->inputs);
}

// Sends dL/d(root's output) = grad back through the graph: each node, in topological order,
// turns the gradient of its output into one per input; leaves accumulate theirs in .grad.
static void backpropagate(Node* root_node, const Tensor& grad, const PassOptions& pass) {
  std::unordered_map<Node*, Tensor> pending{{root_node, grad}};  // dL/d(node's output)
  for (Node* node : topo_order(root_node)) {
    if (node->freed)
      fail("backward", str("the graph through '", node->op, "' was already freed by an earlier backward"),
           "pass retain_graph=true to the first backward if you need to backpropagate twice");
    auto it = pending.find(node);
    if (it == pending.end()) continue;  // no gradient flows here
    Tensor g = it->second;
    pending.erase(it);
    Grads grads = node_grads(node, g, pass.create_graph);
    if (grads.size() != node->inputs.size())
      fail(node->op,
           str("internal: backward returned ", grads.size(), " gradients for ", node->inputs.size(), " inputs"),
           "fix the op's backward");
    for (size_t i = 0; i < grads.size(); ++i) {
      const Tensor& input = node->inputs[i];
      if (!input.requires_grad() || !grads[i].defined()) continue;
      if (grads[i].shape() != input.shape())
        fail(node->op,
             "internal: gradient shape " + shape_str(grads[i].shape()) + " != input shape " + shape_str(input.shape()),
             "the op's backward must sum over broadcast axes (sum_to)");
      check_finite(grads[i], std::string(node->op) + " backward");
      if (pass.wanted) {  // autograd::grad: collect the chosen tensors' gradients
        auto w = pass.wanted->find(input.impl());
        if (w != pass.wanted->end()) {
          if (!w->second.defined()) w->second = grads[i];
          else accumulate(w->second, grads[i], pass.create_graph);
        }
      }
      Node* producer = input.impl()->grad_fn.get();
      if (!producer) {
        if (!pass.wanted) accumulate_leaf(input, std::move(grads[i]), pass.create_graph);  // not used again
      } else {
        auto p = pending.find(producer);
        if (p == pending.end()) pending.emplace(producer, grads[i]);
        else accumulate(p->second, grads[i], pass.create_graph);  // a tensor used twice gets both shares
      }
    }
    if (!pass.retain_graph && !pass.create_graph) {  // free saved tensors now: memory matters for long unrolls
      node->backward = nullptr;
      node->graph_backward = nullptr;
      node->freed = true;
      for (Tensor& in : node->inputs) {  // keep only the links, not the data
        auto stub = std::make_shared<TensorImpl>();
        stub->shape = in.shape();
        stub->requires_grad = in.requires_grad();
        stub->grad_fn = in.impl()->grad_fn;
        in = Tensor(stub);
      }
    }
  }
}
// [/doc]

// The upstream gradient: the one given, or ones for a one-element output.
static Tensor seed_gradient(const char* what, const Tensor& root, const Tensor& grad_in) {
  if (!grad_in.defined()) {
    if (root.numel() != 1)
      fail(what, "an implicit gradient needs a one-element output, got shape " + shape_str(root.shape()),
           "reduce to a scalar (e.g. mean) or pass the upstream gradient explicitly");
    return Tensor::ones(root.shape());
  }
  if (grad_in.shape() != root.shape())
    fail(what, "upstream gradient shape " + shape_str(grad_in.shape()) + " != output shape " + shape_str(root.shape()),
         "the gradient must have the output's shape");
  return grad_in;
}

void run_backward(const Tensor& root, const Tensor& grad_in, bool retain_graph, bool create_graph) {
  if (!root.requires_grad())
    fail("backward", "this tensor does not require grad, so there is nothing to differentiate",
         "call .requires_grad_() on the leaves before computing, and check no NoGradGuard is active");
  Tensor grad = seed_gradient("backward", root, grad_in);
  // gradients are computed with plain (untracked) ops, unless they must be differentiable
  std::unique_ptr<NoGradGuard> no_grad;
  std::unique_ptr<EnableGradGuard> with_grad;
  if (create_graph) with_grad = std::make_unique<EnableGradGuard>();
  else no_grad = std::make_unique<NoGradGuard>();
  Node* root_node = root.impl()->grad_fn.get();
  if (!root_node) {  // backward on a leaf: its gradient is the upstream gradient
    accumulate_leaf(root, grad, create_graph);
    return;
  }
  PassOptions pass;
  pass.retain_graph = retain_graph, pass.create_graph = create_graph;
  backpropagate(root_node, grad, pass);
}

namespace autograd {
// [doc:autograd-grad]
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& grad_output,
                         bool create_graph, bool retain_graph) {
  if (!output.defined() || !output.requires_grad())
    fail("autograd::grad", "the output does not require grad, so there is nothing to differentiate",
         "compute it from tensors that require grad, outside any NoGradGuard (or inside an EnableGradGuard)");
  std::unordered_map<const TensorImpl*, Tensor> wanted;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      fail("autograd::grad", str("input ", i, " does not require grad"),
           "call .requires_grad_() on it before computing the output");
    wanted.emplace(inputs[i].impl(), Tensor());
  }
  Tensor seed = seed_gradient("autograd::grad", output, grad_output);
  std::unique_ptr<NoGradGuard> no_grad;
  std::unique_ptr<EnableGradGuard> with_grad;
  if (create_graph) with_grad = std::make_unique<EnableGradGuard>();
  else no_grad = std::make_unique<NoGradGuard>();
  auto self = wanted.find(output.impl());  // d(output)/d(output) is the seed itself
  if (self != wanted.end()) self->second = seed;
  if (Node* root_node = output.impl()->grad_fn.get()) {
    PassOptions pass;
    pass.retain_graph = retain_graph, pass.create_graph = create_graph, pass.wanted = &wanted;
    backpropagate(root_node, seed, pass);
  }
  std::vector<Tensor> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor g = wanted.at(inputs[i].impl());
    if (!g.defined())
      fail("autograd::grad",
           str("input ", i, " (shape ", shape_str(inputs[i].shape()), ") is not reached from the output"),
           "the output does not depend on it; drop it from the inputs");
    out.push_back(g);
  }
  return out;
}
// [/doc]
}  // namespace autograd

// Declared with the Tensor (engine/core/tensor.h); defined here, with the engine it starts.
void Tensor::backward(const Tensor& grad, bool retain_graph, bool create_graph) const {
  check_defined("backward");
  run_backward(*this, grad, retain_graph, create_graph);
}

}  // namespace cadenza
