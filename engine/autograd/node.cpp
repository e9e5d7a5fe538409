// node.cpp: the Op helper, the NaN trap and the per-op profiler.
// Chapters: docs/02-autograd.md, docs/03-gradcheck-and-debugging.md.
#include "engine/autograd/node.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "engine/core/strided.h"

namespace cadenza {

// ---------------- debugging switches ----------------
static bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}
static bool g_check_nan = env_on("CADENZA_CHECK_NAN");
static bool g_profile = env_on("CADENZA_PROFILE");
void set_check_nan(bool on) { g_check_nan = on; }
bool check_nan_enabled() { return g_check_nan; }
void set_profiling(bool on) { g_profile = on; }
bool profiling_enabled() { return g_profile; }

struct ProfileRow {
  int64_t count = 0;
  double seconds = 0;
};
static std::mutex g_profile_mu;
static std::map<std::string, ProfileRow>& profile_table() {
  static auto* t = new std::map<std::string, ProfileRow>;  // never destroyed: the exit-time printer still needs it
  return *t;
}

std::string profile_report() {
  std::lock_guard<std::mutex> lock(g_profile_mu);
  std::vector<std::pair<std::string, ProfileRow>> rows(profile_table().begin(), profile_table().end());
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second.seconds > b.second.seconds; });
  double total = 0;
  for (auto& r : rows) total += r.second.seconds;
  std::string out = "op                      calls     total ms   mean us   share\n";
  char buf[160];
  for (auto& [name, r] : rows) {
    std::snprintf(buf, sizeof buf, "%-22s %7lld %12.3f %9.2f %6.1f%%\n", name.c_str(), (long long)r.count,
                  r.seconds * 1e3, r.seconds * 1e6 / std::max<int64_t>(r.count, 1),
                  total > 0 ? 100 * r.seconds / total : 0.0);
    out += buf;
  }
  return out + "(times are inclusive: an op that calls other ops counts their time too)\n";
}
void profile_reset() {
  std::lock_guard<std::mutex> lock(g_profile_mu);
  profile_table().clear();
}

// With CADENZA_PROFILE=1 the table prints to stderr when the program exits.
namespace {
struct ProfilePrinter {
  ~ProfilePrinter() {
    if (env_on("CADENZA_PROFILE") && !profile_table().empty())
      std::fprintf(stderr, "\n[cadenza profile]\n%s", profile_report().c_str());
  }
} g_profile_printer;
}  // namespace

void check_finite(const Tensor& t, const std::string& where) {
  if (!g_check_nan || !t.defined()) return;
  // [exercise:3.2] the NaN/Inf check: find the first bad value and name the op
  const real* s = t.impl()->storage->data.data();
  int64_t i = 0, bad = -1;
  real bad_value = 0;
  for_each_offset(t, [&](int64_t off) {
    if (bad < 0 && !std::isfinite(s[off])) {
      bad = i;
      bad_value = s[off];
    }
    ++i;
  });
  if (bad >= 0)
    fail(where,
         str("produced ", (std::isnan(bad_value) ? "NaN" : "Inf"), " at flat index ", bad, " of a tensor of shape ",
             shape_str(t.shape())),
         "CADENZA_CHECK_NAN stopped at the first bad value; check this op's inputs "
         "(log of 0? division by 0? a learning rate too high?)");
  // [/exercise]
}

// ---------------- the Op helper ----------------
static std::set<std::string>* g_trace = nullptr;
void set_op_trace(std::set<std::string>* trace) { g_trace = trace; }

Op::Op(const char* name) : name_(name) {
  if (g_profile) start_ = std::chrono::steady_clock::now();
}
Op::~Op() {
  if (!g_profile) return;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard<std::mutex> lock(g_profile_mu);
  ProfileRow& r = profile_table()[name_];
  r.count++;
  r.seconds += s;
}

Tensor Op::finish(Tensor out) {
  check_finite(out, name_);
  return out;
}

// [doc:op-finish]
Tensor Op::finish(Tensor out, std::vector<Tensor> inputs, BackwardFn backward) {
  return finish(std::move(out), std::move(inputs), std::move(backward), nullptr);
}

Tensor Op::finish(Tensor out, std::vector<Tensor> inputs, BackwardFn backward, GraphBackwardFn graph_backward) {
  check_finite(out, name_);
  if (!grad_enabled()) return out;
  bool any = false;
  for (const Tensor& t : inputs) any = any || t.requires_grad();
  if (!any) return out;
  if (!is_registered_op(name_))
    fail(name_, "internal: this op records a backward but is not in the op registry",
         "add it to engine/autograd/registry.cpp and give it a gradcheck case");
  if (g_trace) g_trace->insert(name_);
  auto node = std::make_shared<Node>();
  node->op = name_;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  node->graph_backward = std::move(graph_backward);
  node->out_shape = out.shape();
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
  return out;
}
// [/doc]

Tensor Op::finish_linear(Tensor out, std::vector<Tensor> inputs, BackwardFn backward) {
  out = finish(std::move(out), std::move(inputs), std::move(backward), nullptr);
  if (out.impl()->grad_fn) out.impl()->grad_fn->linear_backward = true;
  return out;
}

}  // namespace cadenza
