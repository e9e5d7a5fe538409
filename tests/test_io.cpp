// Checkpoint tests: safetensors and .npy round trips, every kind of corrupt
// file refused with a named error, atomic writes, and numpy reading our files.
// docs/04-modules-losses-optimisers.md ("Checkpoints").
#include "tests/helpers.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include "engine/io/file.h"

using namespace cadenza;
using namespace testing;

namespace {
bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }
std::string python_with_numpy() {
  for (const char* py : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(py) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0) return py;
  return "";
}
std::map<std::string, Tensor> sample() {
  return {{"fc.weight", Tensor::arange(6).reshape({2, 3})},
          {"fc.bias", Tensor::from_vector({-1.5, 2.25}, {2})},
          {"scalar", Tensor::scalar(7)}};
}
}  // namespace

TEST_SUITE("ch04-modules") {
  TEST_CASE("safetensors round trip keeps names, shapes, values and metadata") {
    std::string path = tmpdir() + "/a.safetensors";
    io::save_safetensors(path, sample(), {{"epoch", "3"}});
    io::TensorFile f = io::load_safetensors(path);
    CHECK(f.tensors.size() == 3);
    CHECK(f.tensors["fc.weight"].shape() == Shape{2, 3});
    CHECK(f.tensors["fc.weight"].to_vector() == sample()["fc.weight"].to_vector());
    CHECK(f.tensors["scalar"].dim() == 0);
    CHECK(f.metadata["epoch"] == "3");
    CHECK(f.metadata["format"] == "cadenza");
    CHECK(f.metadata["version"] == "1");
    CHECK(!exists(path + ".tmp-" + std::to_string(::getpid())));  // no temporary left behind
  }

  TEST_CASE("every truncation of a safetensors file is refused, never a crash") {
    std::string full = io::safetensors_bytes(sample());
    for (size_t n = 0; n < full.size(); ++n)
      CHECK_THROWS_AS(io::safetensors_from_bytes(full.substr(0, n), "cut"), cadenza::Error);
    CHECK_NOTHROW(io::safetensors_from_bytes(full, "whole"));
  }

  TEST_CASE("corrupt safetensors files get errors that name the tensor and the problem") {
    std::string good = io::safetensors_bytes({{"w", Tensor::ones({2, 2})}});
    auto with_header = [&](const std::string& json, const std::string& data) {
      std::string out(8, '\0');
      for (int i = 0; i < 8; ++i) out[i] = (char)((json.size() >> (8 * i)) & 0xFF);
      return out + json + data;
    };
    std::string data16(16, '\0');
    expect_error([&] { io::safetensors_from_bytes(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "x"); },
                 {"[load_safetensors]", "header length", "runs past the end"});
    expect_error([&] { io::safetensors_from_bytes(with_header("{\"w\":{\"dtype\":\"F32\"", data16), "x"); },
                 {"malformed JSON"});
    expect_error(
        [&] {
          io::safetensors_from_bytes(
              with_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,32]}}", data16), "x");
        },
        {"tensor 'w'", "outside the 16-byte data area"});
    expect_error(
        [&] {
          io::safetensors_from_bytes(
              with_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,16]}}", data16), "x");
        },
        {"tensor 'w' has 16 bytes but shape (3, 2) needs 24"});
    expect_error(
        [&] {
          io::safetensors_from_bytes(
              with_header("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", data16.substr(0, 4)),
              "x");
        },
        {"tensor 'w'", "unsupported dtype BF16"});
    expect_error(
        [&] {
          io::safetensors_from_bytes(
              with_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", data16.substr(0, 8)),
              "x");
        },
        {"tensor 'w' has a bad shape"});
    expect_error(
        [&] {
          io::safetensors_from_bytes(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                                                 data16.substr(0, 12)),
                                     "x");
        },
        {"overlaps or leaves a gap"});
    expect_error(
        [&] {
          io::safetensors_from_bytes(with_header("{\"__metadata__\":{\"format\":\"cadenza\",\"version\":\"9\"}}", ""),
                                     "x");
        },
        {"format version 9", "upgrade"});
    expect_error([&] { io::load_safetensors(tmpdir() + "/does-not-exist.safetensors"); },
                 {"[load_safetensors]", "cannot open"});
    // One flipped byte anywhere in the header: an error or a valid file, never a crash.
    size_t hlen = good.size() - 16;
    for (size_t i = 8; i < hlen; ++i) {
      std::string bad = good;
      bad[i] ^= 0x5a;
      try {
        io::safetensors_from_bytes(bad, "flip");
      } catch (const cadenza::Error&) {}
    }
  }

  TEST_CASE("checkpoints: a module saved and loaded; a mismatched one is refused by name") {
    Generator g(0);
    nn::Sequential a, b, c;
    a.add(std::make_shared<nn::Linear>(3, 4, true, g));
    b.add(std::make_shared<nn::Linear>(3, 4, true, g));
    c.add(std::make_shared<nn::Linear>(3, 5, true, g));
    std::string path = tmpdir() + "/model.safetensors";
    Tensor extra = Tensor::full({2}, 9);
    io::save_checkpoint(path, a, {{"epoch", "12"}}, {{"optim.step", extra}});
    io::TensorFile f = io::load_checkpoint(path, b);
    CHECK(a.parameters()[0].to_vector() == b.parameters()[0].to_vector());
    CHECK(f.metadata["epoch"] == "12");
    CHECK(f.tensors["optim.step"].to_vector() == extra.to_vector());
    expect_error([&] { io::load_checkpoint(path, c); },
                 {"[load_checkpoint]", "'0.weight' has shape (4, 3)", "(5, 3) in the model"});
    expect_error([&] { io::save_checkpoint(path, a, {}, {{"step", extra}}); }, {"[save_checkpoint]", "'optim.*'"});
  }

  TEST_CASE("checkpoints you can trust: a flipped data byte and a wrong dtype are refused by name") {
    Generator g(0);
    nn::Sequential a;
    a.add(std::make_shared<nn::Linear>(3, 4, true, g));
    std::string path = tmpdir() + "/trust.safetensors";
    io::save_checkpoint(path, a, {{"epoch", "1"}});
    std::string good = io::read_file(path, "test");
    io::TensorFile f = io::safetensors_from_bytes(good, "good");
    CHECK(f.metadata.count("epoch") == 1);
    CHECK(f.metadata.count("crc32.0.weight") == 0);  // the checksums are the format's own
    CHECK(f.dtypes["0.weight"] == (sizeof(real) == 4 ? "F32" : "F64"));
    // Every single flipped byte of the data area is caught, and the message names the tensor.
    const size_t data_start = good.size() - (size_t)(4 * 3 + 4) * sizeof(real);
    int caught = 0;
    for (size_t i = data_start; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] ^= 0x01;
      try {
        io::safetensors_from_bytes(bad, "flip");
      } catch (const cadenza::Error& e) {
        std::string m = e.what();
        caught += m.find("does not match its checksum") != std::string::npos &&
                  (m.find("'0.weight'") != std::string::npos || m.find("'0.bias'") != std::string::npos);
      }
    }
    CHECK(caught == (int)(good.size() - data_start));
    // "F32" edited to "I32" in the header: the bytes still match, but the model refuses the dtype.
    std::string edited = good;
    size_t at = edited.find("\"F32\"");
    if (sizeof(real) == 4) {
      REQUIRE(at != std::string::npos);
      edited[at + 1] = 'I';
      io::write_file_atomic(path, edited, "test");
      expect_error([&] { io::load_checkpoint(path, a); },
                   {"[load_checkpoint]", "stored as I32", "the model's are floats"});
    }
    // A file written without checksums (another program, an older Cadenza) still loads.
    std::string plain = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = (char)((plain.size() >> (8 * i)) & 0xFF);
    float one = 1;
    bytes += plain + std::string(reinterpret_cast<const char*>(&one), 4);
    CHECK(io::safetensors_from_bytes(bytes, "plain").tensors["w"].item() == 1);
  }

  TEST_CASE("atomic writes: a failed save leaves the old file untouched") {
    std::string path = tmpdir() + "/keep.safetensors";
    io::save_safetensors(path, sample());
    std::string before = io::read_file(path, "test");
    expect_error([&] { io::save_safetensors(tmpdir() + "/no/such/dir/x.safetensors", sample()); },
                 {"[save_safetensors]", "cannot create"});
    CHECK(io::read_file(path, "test") == before);
  }

  TEST_CASE(".npy round trip, and corrupt .npy files refused") {
    std::string path = tmpdir() + "/t.npy";
    Tensor t = Tensor::arange(12).reshape({3, 4}) / 4;
    io::save_npy(path, t);
    Tensor u = io::load_npy(path);
    CHECK(u.shape() == t.shape());
    CHECK(u.to_vector() == t.to_vector());
    CHECK(io::load_npy((io::save_npy(path, Tensor::scalar(2)), path)).dim() == 0);
    std::string good = io::npy_bytes(t);
    for (size_t n = 0; n < good.size(); n += 7)
      CHECK_THROWS_AS(io::npy_from_bytes(good.substr(0, n), "cut"), cadenza::Error);
    expect_error([&] { io::npy_from_bytes("hello world, not numpy", "x"); }, {"[load_npy]", "bad magic"});
    // Found by make fuzz: a key followed by nothing but spaces was read one byte past the header
    // (ASan, DEBUG=1, reports it if the check is removed).
    std::string header = "{'descr':    ";
    std::string cut = std::string("\x93NUMPY\x01\x00", 8) + (char)header.size() + '\0' + header;
    expect_error([&] { io::npy_from_bytes(cut, "x"); }, {"[load_npy]", "malformed header"});
  }

  TEST_CASE("numpy reads our .npy and safetensors files; Python's json parses the header") {
    std::string py = python_with_numpy();
    if (py.empty()) {
      skip_or_fail("python3 with numpy (Debian: apt-get install python3-numpy)");
      return;
    }
    std::string npy = tmpdir() + "/interop.npy", st = tmpdir() + "/interop.safetensors";
    io::save_npy(npy, Tensor::arange(6).reshape({2, 3}));
    io::save_safetensors(st, sample());
    std::string script = tmpdir() + "/check.py";
    std::ofstream(script) << "import json, struct, sys\nimport numpy as np\n"
                             "a = np.load(sys.argv[1])\nassert a.shape == (2, 3) and a.dtype == np.float32, a\n"
                             "assert (a.ravel() == np.arange(6)).all()\n"
                             "raw = open(sys.argv[2], 'rb').read()\nn = struct.unpack('<Q', raw[:8])[0]\n"
                             "h = json.loads(raw[8:8 + n])\nassert h['__metadata__']['format'] == 'cadenza'\n"
                             "e = h['fc.weight']\nb0, b1 = e['data_offsets']\n"
                             "w = np.frombuffer(raw[8 + n + b0:8 + n + b1], dtype='<f4').reshape(e['shape'])\n"
                             "assert (w.ravel() == np.arange(6)).all(), w\nprint('numpy ok')\n";
    int rc = std::system((py + " " + script + " " + npy + " " + st).c_str());
    CHECK(rc == 0);
  }

  TEST_CASE("errors a user understands: a folder as the output, a .npy as a checkpoint, bad metadata numbers") {
    // Each message names the thing and the problem; none is a C++ library's own text.
    expect_error([] { io::write_file_atomic(tmpdir(), "x", "cadenza render"); },
                 {"[cadenza render]", "is a folder, not a file", "give a file name inside it"});
    const std::string npy = tmpdir() + "/array.npy";
    io::save_npy(npy, Tensor::ones({2, 3}));
    expect_error([&] { io::load_safetensors(npy); },
                 {"[load_safetensors]", "a .npy array, not a safetensors checkpoint"});
    expect_error([] { io::metadata_int("abc", "hidden", "m.safetensors"); },
                 {"[checkpoint]", "m.safetensors", "'hidden' is 'abc', not a whole number"});
    expect_error([] { io::metadata_int("12x", "epochs_done", "m.safetensors"); }, {"'epochs_done' is '12x'"});
    expect_error([] { io::metadata_number("", "dropout", "m.safetensors"); }, {"'dropout' is '', not a number"});
    CHECK(io::metadata_int("192", "hidden", "m") == 192);
    CHECK(io::metadata_number("0.3", "dropout", "m") == doctest::Approx(0.3));
  }

}  // TEST_SUITE
