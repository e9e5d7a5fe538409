// module.h: the Module base class: named parameters, submodules, train/eval,
// state_dict. Layers (layers.h) and models derive from it.
//
// Names are dotted like PyTorch's state_dict keys: a Linear registered as
// "fc1" inside a model gives "fc1.weight" and "fc1.bias". The same names are the
// keys of safetensors checkpoints, so a Cadenza checkpoint and a PyTorch
// state_dict line up. Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/tensor.h"

namespace cadenza::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;  // parameters are shared handles: copying a module would alias them
  Module& operator=(const Module&) = delete;

  // Every parameter, depth first, with dotted names ("encoder.fc.weight").
  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  // Buffers are saved state that is not trained (e.g. running statistics).
  NamedTensors named_buffers() const;
  int64_t num_parameters() const;

  // Parameters and buffers, detached, by dotted name.
  std::map<std::string, Tensor> state_dict() const;
  // Copies values in place (existing handles stay valid). strict: every key must
  // match both ways. Shapes must always match. Errors name the tensor.
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }
  void zero_grad();

  // A one-line-per-module summary: names, shapes and parameter counts.
  std::string summary() const;
  virtual std::string type_name() const { return "Module"; }

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void collect(const std::string& prefix, NamedTensors& out, bool buffers) const;
  NamedTensors params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// A module with one input and one output: what Sequential chains.
class Layer : public Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
};

}  // namespace cadenza::nn
