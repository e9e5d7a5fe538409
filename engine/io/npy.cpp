// npy.cpp: see npy.h. Chapter: docs/04-modules-losses-optimisers.md. The format: "\x93NUMPY", version bytes, a little-endian
// header length, then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces to a multiple of 64 bytes, then the data.
#include "engine/io/npy.h"

#include <cstring>

#include "engine/io/file.h"

namespace cadenza::io {

static const char kMagic[] = "\x93NUMPY";

std::string npy_bytes(const Tensor& t) {
  std::string shape = "(";
  for (int64_t i = 0; i < t.dim(); ++i)
    shape += std::to_string(t.size(i)) + (t.dim() == 1 ? "," : (i + 1 < t.dim() ? ", " : ""));
  shape += ")";
  std::string descr = sizeof(real) == 4 ? "<f4" : "<f8";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += (char)(header.size() & 0xFF);
  out += (char)(header.size() >> 8);
  out += header;
  std::vector<real> v = t.to_vector();
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(real));  // x86/ARM are little-endian
  return out;
}

void save_npy(const std::string& path, const Tensor& t) { write_file_atomic(path, npy_bytes(t), "save_npy"); }

// Finds `'key': ` in the header dict and returns the text of its value.
static std::string dict_value(const std::string& h, const std::string& key, const std::string& what) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) fail("load_npy", what + ": header has no '" + key + "'", "the file is not a valid .npy");
  size_t colon = h.find(':', k);
  if (colon == std::string::npos) fail("load_npy", what + ": malformed header", "the file is not a valid .npy");
  size_t start = h.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) fail("load_npy", what + ": malformed header", "the file is not a valid .npy");
  // (The fuzzer found the old order: h[start] was read before start was checked.)
  size_t end = h[start] == '(' ? h.find(')', start) : h.find_first_of(",}", start);
  if (end == std::string::npos) fail("load_npy", what + ": malformed header", "the file is not a valid .npy");
  if (h[start] == '(') ++end;  // keep the closing parenthesis
  return h.substr(start, end - start);
}

Tensor npy_from_bytes(const std::string& b, const std::string& what) {
  if (b.size() < 10 || std::memcmp(b.data(), kMagic, 6) != 0)
    fail("load_npy", what + ": not a .npy file (bad magic)", "save it with numpy.save or cadenza::io::save_npy");
  int major = (unsigned char)b[6];
  size_t hlen, hstart;
  if (major == 1) {
    hlen = (unsigned char)b[8] | ((unsigned char)b[9] << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) fail("load_npy", what + ": truncated header", "");
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= (size_t)(unsigned char)b[8 + i] << (8 * i);
    hstart = 12;
  } else fail("load_npy", what + str(": unsupported .npy version ", major), "");
  if (hstart + hlen > b.size()) fail("load_npy", what + ": truncated header", "the file was cut short");
  std::string h = b.substr(hstart, hlen);
  std::string descr = dict_value(h, "descr", what);
  if (dict_value(h, "fortran_order", what) != "False")
    fail("load_npy", what + ": Fortran-ordered arrays are not supported", "save with np.ascontiguousarray(x)");
  std::string shape_txt = dict_value(h, "shape", what);
  Shape shape;
  for (size_t i = 1; i < shape_txt.size();) {
    size_t j = shape_txt.find_first_of(",)", i);
    std::string num = shape_txt.substr(i, j - i);
    size_t p = num.find_first_not_of(' ');
    if (p != std::string::npos) {
      char* end = nullptr;
      long long v = std::strtoll(num.c_str() + p, &end, 10);
      if (v < 0 || end == num.c_str() + p) fail("load_npy", what + ": bad shape " + shape_txt, "");
      shape.push_back(v);
    }
    if (j == std::string::npos) break;
    i = j + 1;
  }
  size_t item;
  int kind;  // 0 float, 1 int
  if (descr == "'<f4'") item = 4, kind = 0;
  else if (descr == "'<f8'") item = 8, kind = 0;
  else if (descr == "'<i4'") item = 4, kind = 1;
  else if (descr == "'<i8'") item = 8, kind = 1;
  else fail("load_npy", what + ": unsupported dtype " + descr, "use float32, float64, int32 or int64, little-endian");
  int64_t n = numel_of(shape);
  size_t data = hstart + hlen;
  if (n < 0 || (b.size() - data) / item < (size_t)n || b.size() - data != (size_t)n * item)
    fail("load_npy",
         what + str(": data is ", b.size() - data, " bytes but shape ", shape_str(shape), " needs ", n * (int64_t)item),
         "the file is truncated or corrupt");
  Tensor t = Tensor::empty(shape);
  real* o = t.data();
  const char* p = b.data() + data;
  for (int64_t i = 0; i < n; ++i, p += item) {
    if (kind == 0 && item == 4) {
      float v;
      std::memcpy(&v, p, 4);
      o[i] = (real)v;
    } else if (kind == 0) {
      double v;
      std::memcpy(&v, p, 8);
      o[i] = (real)v;
    } else if (item == 4) {
      int32_t v;
      std::memcpy(&v, p, 4);
      o[i] = (real)v;
    } else {
      int64_t v;
      std::memcpy(&v, p, 8);
      o[i] = (real)v;
    }
  }
  return t;
}

Tensor load_npy(const std::string& path) { return npy_from_bytes(read_file(path, "load_npy"), "'" + path + "'"); }

}  // namespace cadenza::io
