// dot.cpp: see dot.h. Walks the graph iteratively, like backward does.
// Chapter: docs/03-gradcheck-and-debugging.md.
#include "engine/debug/dot.h"

#include <unordered_map>

#include "engine/autograd/node.h"
#include "engine/io/file.h"

namespace cadenza {

// DOT strings: quotes are escaped; "\\n" is kept as DOT's line break.
static std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\\\"") : std::string(1, c);
  return out + "\"";
}

std::string to_dot(const Tensor& root) {
  std::string out = "digraph cadenza {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  std::unordered_map<const void*, std::string> ids;
  auto id_of = [&](const void* p, bool& fresh) {
    auto it = ids.find(p);
    fresh = it == ids.end();
    if (fresh) it = ids.emplace(p, "n" + std::to_string(ids.size())).first;
    return it->second;
  };
  auto leaf_label = [](const Tensor& t) {
    std::string name = t.name().empty() ? (t.requires_grad() ? "leaf" : "const") : t.name();
    return name + "\\n" + shape_str(t.shape());
  };
  bool fresh;
  std::vector<Node*> stack;
  std::string root_id;
  if (root.grad_fn()) {
    root_id = id_of(root.grad_fn().get(), fresh);
    stack.push_back(root.grad_fn().get());
    out += "  " + root_id + " [shape=box, style=filled, fillcolor=\"#cfe2ff\", label=" +
           q(std::string(root.grad_fn()->op) + "\\n" + shape_str(root.shape())) + "];\n";
  } else {
    out += "  " + id_of(root.impl(), fresh) + " [label=" + q(leaf_label(root)) + "];\n";
  }
  // [exercise:3.3] to_dot: walk the graph from the root, one node and its edges at a time
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    std::string nid = id_of(n, fresh);
    for (const Tensor& in : n->inputs) {
      Node* child = in.impl()->grad_fn.get();
      std::string cid;
      if (child) {
        cid = id_of(child, fresh);
        if (fresh) {
          out += "  " + cid + " [shape=box, style=filled, fillcolor=\"#cfe2ff\", label=" +
                 q(std::string(child->op) + "\\n" + shape_str(child->out_shape)) + "];\n";
          stack.push_back(child);
        }
      } else {
        cid = id_of(in.impl(), fresh);
        if (fresh)
          out += "  " + cid + " [shape=ellipse, style=filled, fillcolor=\"" +
                 std::string(in.requires_grad() ? "#d1e7dd" : "#eeeeee") + "\", label=" + q(leaf_label(in)) + "];\n";
      }
      out += "  " + cid + " -> " + nid + ";\n";
    }
  }
  return out + "}\n";
  // [/exercise]
}

void save_dot(const Tensor& root, const std::string& path) { io::write_file_atomic(path, to_dot(root), "save_dot"); }

}  // namespace cadenza
