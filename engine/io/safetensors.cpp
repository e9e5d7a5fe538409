// safetensors.cpp: see safetensors.h. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/io/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/io/file.h"
#include "engine/io/json.h"
#include "engine/nn/module.h"

namespace cadenza::io {

// CRC-32 (IEEE 802.3, as zlib computes it) of a tensor's bytes: the writer stores one per tensor
// in the metadata as "crc32.NAME", and the reader refuses a tensor whose bytes do not match.
static uint32_t crc32(const char* p, size_t n) {
  static const std::vector<uint32_t> table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ (uint8_t)p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}
static std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "%08x", v);
  return b;
}
constexpr const char* kCrcPrefix = "crc32.";

std::string safetensors_bytes(const std::map<std::string, Tensor>& tensors, const Metadata& metadata_in) {
  Metadata metadata = metadata_in;
  metadata["format"] = kFormatName;
  metadata["version"] = kFormatVersion;
  std::string data, entries;
  const char* dtype = sizeof(real) == 4 ? "F32" : "F64";
  for (auto& [name, t] : tensors) {  // std::map: sorted by name, so output is deterministic
    if (!t.defined()) fail("save_safetensors", "tensor '" + name + "' is undefined", "");
    std::vector<real> v = t.to_vector();
    size_t begin = data.size();
    data.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(real));
    metadata[kCrcPrefix + name] = hex32(crc32(data.data() + begin, data.size() - begin));
    std::string shape;
    for (int64_t i = 0; i < t.dim(); ++i) shape += (i ? "," : "") + std::to_string(t.size(i));
    entries += "," + json_quote(name) + ":{\"dtype\":\"" + dtype + "\",\"shape\":[" + shape + "],\"data_offsets\":[" +
               std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
  }
  std::string header = "{\"__metadata__\":{";
  bool first = true;
  for (auto& [k, v] : metadata) {
    header += (first ? "" : ",") + json_quote(k) + ":" + json_quote(v);
    first = false;
  }
  header += "}" + entries + "}";
  header += std::string((8 - header.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = (char)((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors, const Metadata& metadata) {
  write_file_atomic(path, safetensors_bytes(tensors, metadata), "save_safetensors");
}

int64_t metadata_int(const std::string& v, const std::string& key, const std::string& where) {
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno == ERANGE)
    fail("checkpoint", where + ": metadata '" + key + "' is '" + v + "', not a whole number",
         "the file was changed, or written by another program; train it again");
  return x;
}
double metadata_number(const std::string& v, const std::string& key, const std::string& where) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !std::isfinite(x))
    fail("checkpoint", where + ": metadata '" + key + "' is '" + v + "', not a number",
         "the file was changed, or written by another program; train it again");
  return x;
}

// [doc:safetensors-load]
TensorFile safetensors_from_bytes(const std::string& b, const std::string& what) {
  auto bad = [&](const std::string& problem, const std::string& hint = "the file is truncated or corrupt") {
    fail("load_safetensors", what + ": " + problem, hint);
  };
  if (b.compare(0, 6, "\x93NUMPY") == 0)
    bad("this is a .npy array, not a safetensors checkpoint",
        "pass a .safetensors file (cadenza inspect --file reads either kind)");
  if (b.size() < 8) bad(str("only ", b.size(), " bytes; a safetensors file starts with an 8-byte header length"));
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= (uint64_t)(unsigned char)b[i] << (8 * i);
  if (n > b.size() - 8) bad(str("header length ", n, " runs past the end of the file (", b.size(), " bytes)"));
  Json header = parse_json(b.substr(8, n), "load_safetensors " + what);
  if (header.kind != Json::Object) bad("the header is not a JSON object");
  const char* data = b.data() + 8 + n;
  uint64_t data_size = b.size() - 8 - n;

  TensorFile out;
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (auto& [name, entry] : header.obj) {
    if (name == "__metadata__") {
      if (entry.kind != Json::Object) bad("__metadata__ is not an object");
      for (auto& [k, v] : entry.obj) {
        if (v.kind != Json::String) bad("metadata value '" + k + "' is not a string");
        out.metadata[k] = v.s;
      }
      continue;
    }
    const Json* dtype = entry.get("dtype");
    const Json* shape = entry.get("shape");
    const Json* offs = entry.get("data_offsets");
    if (!dtype || dtype->kind != Json::String || !shape || shape->kind != Json::Array || !offs ||
        offs->kind != Json::Array || offs->arr.size() != 2)
      bad("tensor '" + name + "' lacks a valid dtype, shape or data_offsets");
    size_t item = dtype->s == "F32" || dtype->s == "I32" ? 4 : dtype->s == "F64" || dtype->s == "I64" ? 8 : 0;
    if (!item) bad("tensor '" + name + "' has unsupported dtype " + dtype->s, "Cadenza reads F32, F64, I32 and I64");
    Shape s;
    for (const Json& d : shape->arr) {
      if (d.kind != Json::Number || d.num < 0 || d.num != (double)(int64_t)d.num || d.num > 1e12)
        bad("tensor '" + name + "' has a bad shape entry");
      s.push_back((int64_t)d.num);
    }
    double b0 = offs->arr[0].num, b1 = offs->arr[1].num;
    if (offs->arr[0].kind != Json::Number || offs->arr[1].kind != Json::Number || b0 < 0 || b1 < b0 ||
        b1 > (double)data_size)
      bad("tensor '" + name +
          str("' has data_offsets [", b0, ", ", b1, "] outside the ", data_size, "-byte data area"));
    uint64_t begin = (uint64_t)b0, end = (uint64_t)b1;
    int64_t count = numel_of(s);
    if ((end - begin) != (uint64_t)count * item)
      bad("tensor '" + name +
          str("' has ", end - begin, " bytes but shape ", shape_str(s), " needs ", count * (int64_t)item));
    spans.push_back({begin, end});
    Tensor t = Tensor::empty(s);
    real* o = t.data();
    const char* p = data + begin;
    for (int64_t i = 0; i < count; ++i, p += item) {
      if (dtype->s == "F32") {
        float v;
        std::memcpy(&v, p, 4);
        o[i] = (real)v;
      } else if (dtype->s == "F64") {
        double v;
        std::memcpy(&v, p, 8);
        o[i] = (real)v;
      } else if (dtype->s == "I32") {
        int32_t v;
        std::memcpy(&v, p, 4);
        o[i] = (real)v;
      } else {
        int64_t v;
        std::memcpy(&v, p, 8);
        o[i] = (real)v;
      }
    }
    out.tensors[name] = t;
    out.dtypes[name] = dtype->s;
    auto crc = out.metadata.find(kCrcPrefix + name);
    if (crc != out.metadata.end() && crc->second != hex32(crc32(data + begin, end - begin)))
      bad("tensor '" + name + "' does not match its checksum: its bytes were changed after it was written",
          "the file is damaged; use another copy, or train again");
  }
  for (auto it = out.metadata.begin(); it != out.metadata.end();) {  // the checksums are the format's, not the user's
    if (it->first.rfind(kCrcPrefix, 0) == 0) {
      if (!out.tensors.count(it->first.substr(6)))
        bad("metadata '" + it->first + "' is a checksum for a tensor the file does not have");
      it = out.metadata.erase(it);
    } else {
      ++it;
    }
  }
  // The data area must be covered exactly, with no overlaps and no holes (the spec's rule).
  std::sort(spans.begin(), spans.end());
  uint64_t at = 0;
  for (auto& [s0, s1] : spans) {
    if (s0 != at) bad("tensor data overlaps or leaves a gap at byte " + std::to_string(at));
    at = s1;
  }
  if (at != data_size) bad(str("data area has ", data_size - at, " unused trailing bytes"));
  auto fmt = out.metadata.find("format");
  if (fmt != out.metadata.end() && fmt->second == kFormatName && out.metadata["version"] != kFormatVersion)
    bad("written by Cadenza format version " + out.metadata["version"] + ", this build reads version " + kFormatVersion,
        "upgrade Cadenza to read this checkpoint");
  return out;
}
// [/doc]

TensorFile load_safetensors(const std::string& path) {
  return safetensors_from_bytes(read_file(path, "load_safetensors"), "'" + path + "'");
}

static bool is_extra_key(const std::string& k) { return k.rfind("optim.", 0) == 0 || k.rfind("extra.", 0) == 0; }

void save_checkpoint(const std::string& path, const nn::Module& model, const Metadata& metadata,
                     const std::map<std::string, Tensor>& extra) {
  std::map<std::string, Tensor> all = model.state_dict();
  for (auto& [k, v] : extra) {
    if (!is_extra_key(k))
      fail("save_checkpoint", "extra tensor '" + k + "' must be named 'optim.*' or 'extra.*'",
           "the prefix keeps it apart from the model's own tensors");
    all[k] = v;
  }
  save_safetensors(path, all, metadata);
}

TensorFile load_checkpoint(const std::string& path, nn::Module& model, bool strict) {
  TensorFile f = load_safetensors(path);
  std::map<std::string, Tensor> model_part;
  for (auto& [k, v] : f.tensors) {
    if (is_extra_key(k)) continue;
    const std::string& dt = f.dtypes[k];
    if (dt != "F32" && dt != "F64")
      fail("load_checkpoint", "'" + path + "': tensor '" + k + "' is stored as " + dt + ", but the model's are floats",
           "this is not a checkpoint of this model, or it was edited; train again");
    model_part[k] = v;
  }
  try {
    model.load_state_dict(model_part, strict);
  } catch (const Error& e) {
    fail("load_checkpoint", "'" + path + "': " + e.what(), "was it saved from this model, with these sizes?");
  }
  return f;
}

}  // namespace cadenza::io
