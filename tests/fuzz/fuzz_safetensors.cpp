// fuzz_safetensors.cpp: libFuzzer target for the checkpoint readers (`make fuzz`): safetensors
// and, when the bytes start like one, .npy. Chapter: docs/04-modules-losses-optimisers.md.
// Invariants: no crash, no sanitizer report; a file that loads writes back to bytes that load to
// the same tensors and metadata (but for "format" and "version", which the writer sets).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/io/npy.h"
#include "engine/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    cadenza::io::TensorFile f = cadenza::io::safetensors_from_bytes(bytes, "fuzz");
    int64_t total = 0;
    for (auto& [k, t] : f.tensors) total += t.numel();
    if (total > (1 << 22)) return 0;  // a huge but valid file: nothing more to learn from it
    cadenza::io::TensorFile g =
        cadenza::io::safetensors_from_bytes(cadenza::io::safetensors_bytes(f.tensors, f.metadata), "again");
    for (auto& [k, t] : f.tensors)
      if (!g.tensors.count(k) || g.tensors[k].shape() != t.shape() || g.tensors[k].to_vector() != t.to_vector()) {
        // NaN payloads compare unequal; only a real difference is a bug.
        std::vector<cadenza::real> a = t.to_vector(), b = g.tensors[k].to_vector();
        if (a.size() != b.size()) std::abort();
        for (size_t i = 0; i < a.size(); ++i)
          if (a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i])) std::abort();
      }
    for (auto& [k, v] : f.metadata)  // (the writer sets "format" and "version" itself)
      if (k != "format" && k != "version" && g.metadata[k] != v) std::abort();
  } catch (const cadenza::Error&) {}
  try {
    cadenza::io::npy_from_bytes(bytes, "fuzz");
  } catch (const cadenza::Error&) {}
  return 0;
}
