// module.cpp: see module.h. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/nn/module.h"

#include <set>

#include "engine/autograd/node.h"

namespace cadenza::nn {

static void check_name(const std::string& what, const std::string& name) {
  if (name.empty() || name.find('.') != std::string::npos)
    fail("Module", what + " name '" + name + "' is empty or contains '.'",
         "names are joined with dots, so each part must be a plain word like 'fc1'");
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  check_name("parameter", name);
  if (!t.requires_grad()) t.requires_grad_();
  params_.emplace_back(name, t);
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  check_name("buffer", name);
  buffers_.emplace_back(name, t);
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  check_name("submodule", name);
  if (!m) fail("Module", "submodule '" + name + "' is null", "create it with std::make_shared");
  children_.emplace_back(name, std::move(m));
}

void Module::collect(const std::string& prefix, NamedTensors& out, bool buffers) const {
  for (const auto& [n, t] : buffers ? buffers_ : params_) out.emplace_back(prefix + n, t);
  for (const auto& [n, m] : children_) m->collect(prefix + n + ".", out, buffers);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out, false);
  return out;
}
std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}
NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", out, true);
  return out;
}
int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> sd;
  for (auto& [n, t] : named_parameters()) sd[n] = t.detach();
  for (auto& [n, t] : named_buffers()) sd[n] = t.detach();
  return sd;
}

// [doc:load-state-dict]
void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  NamedTensors mine = named_parameters();
  for (auto& b : named_buffers()) mine.push_back(b);
  std::set<std::string> used;
  for (auto& [name, t] : mine) {
    auto it = state.find(name);
    if (it == state.end()) {
      if (strict)
        fail("load_state_dict", "missing tensor '" + name + "'",
             "the checkpoint was written for a different model (in C++, load_state_dict(d, false) skips such names)");
      continue;
    }
    if (it->second.shape() != t.shape())
      fail("load_state_dict",
           "tensor '" + name + "' has shape " + shape_str(it->second.shape()) + " in the checkpoint but " +
               shape_str(t.shape()) + " in the model",
           "check the model's sizes match the ones it was trained with");
    NoGradGuard no_grad;
    Tensor(t).copy_(it->second);
    used.insert(name);
  }
  if (strict)
    for (auto& [name, t] : state)
      if (!used.count(name))
        fail("load_state_dict", "unexpected tensor '" + name + "' in the checkpoint",
             "the checkpoint was written for a different model (in C++, load_state_dict(d, false) skips such names)");
}
// [/doc]

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, m] : children_) m->train(on);
}

void Module::zero_grad() {
  for (auto& [n, t] : named_parameters()) Tensor(t).zero_grad();
}

std::string Module::summary() const {
  std::string out = type_name() + "\n";
  for (auto& [n, t] : named_parameters()) out += "  " + n + " " + shape_str(t.shape()) + "\n";
  out += str("  total parameters: ", num_parameters(), "\n");
  return out;
}

}  // namespace cadenza::nn
