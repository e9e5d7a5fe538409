// graph.cpp: see graph.h. Chapter: docs/02-autograd.md.
#include "engine/core/graph.h"

namespace cadenza {

// A graph unrolled over 10,000 time steps is a chain 10,000 nodes long. If each
// Node's destructor released the next one recursively, dropping the graph would
// overflow the stack. Instead we steal the inputs' nodes into a local worklist
// whenever we hold the last reference to them.
Node::~Node() {
  std::vector<std::shared_ptr<Node>> work;
  auto steal = [&work](std::vector<Tensor>& ins) {
    for (Tensor& t : ins) {
      const auto& impl = t.impl_ptr();
      if (impl && impl.use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1)
        work.push_back(std::move(impl->grad_fn));
    }
    ins.clear();
  };
  steal(inputs);
  backward = nullptr;  // releases saved tensors (which are detached: no grad_fn)
  while (!work.empty()) {
    std::shared_ptr<Node> n = std::move(work.back());
    work.pop_back();
    steal(n->inputs);
    n->backward = nullptr;
  }  // n dies here with no inputs left: no recursion
}

static thread_local bool g_grad_enabled = true;
bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = prev_; }
EnableGradGuard::EnableGradGuard() : prev_(g_grad_enabled) { g_grad_enabled = true; }
EnableGradGuard::~EnableGradGuard() { g_grad_enabled = prev_; }

}  // namespace cadenza
