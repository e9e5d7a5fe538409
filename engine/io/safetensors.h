// safetensors.h: named tensors in the safetensors format, Cadenza's checkpoint format.
//
// Layout: 8 bytes (little-endian u64) giving the header length N, then N bytes
// of JSON mapping each name to {"dtype", "shape", "data_offsets"}, plus
// "__metadata__" (string to string), then the raw little-endian data.
// Cadenza writes metadata {"format": "cadenza", "version": "1", ...} and a CRC-32 of each
// tensor's bytes ("crc32.NAME"), which the loader checks when present. Names are
// PyTorch-style dotted state_dict keys. The loader checks every length and
// offset against the file before reading, and names the tensor at fault.
// Chapter: docs/04-modules-losses-optimisers.md ("Checkpoints").
#pragma once
#include <map>
#include <string>

#include "engine/core/tensor.h"

namespace cadenza::nn {
class Module;
}

namespace cadenza::io {

constexpr const char* kFormatName = "cadenza";
constexpr const char* kFormatVersion = "1";

using Metadata = std::map<std::string, std::string>;

struct TensorFile {
  std::map<std::string, Tensor> tensors;
  Metadata metadata;                          // the writer's, without the checksums
  std::map<std::string, std::string> dtypes;  // as stored: F32, F64, I32 or I64
};

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const Metadata& metadata = {});
TensorFile load_safetensors(const std::string& path);
// The same, to and from bytes (used by the tests to build corrupt files).
std::string safetensors_bytes(const std::map<std::string, Tensor>& tensors, const Metadata& metadata = {});
TensorFile safetensors_from_bytes(const std::string& bytes, const std::string& what);

// A module's state_dict, plus optional extra tensors named "optim.*" (optimiser
// state) or "extra.*" (anything else), and metadata.
void save_checkpoint(const std::string& path, const nn::Module& model, const Metadata& metadata = {},
                     const std::map<std::string, Tensor>& extra = {});
// Loads the model's tensors (strict by default) and returns the whole file.
TensorFile load_checkpoint(const std::string& path, nn::Module& model, bool strict = true);

// A metadata value read as a number, or an error naming the key, the value and the file
// (`where`), never a bare "stoi". metadata_int takes whole numbers only.
int64_t metadata_int(const std::string& value, const std::string& key, const std::string& where);
double metadata_number(const std::string& value, const std::string& key, const std::string& where);

}  // namespace cadenza::io
