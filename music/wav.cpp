// wav.cpp: see wav.h. Chapter: docs/06-sound-from-numbers.md.
#include "music/wav.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace music {

static void le(std::vector<uint8_t>& o, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) o.push_back((uint8_t)(v >> (8 * i)));
}

// [doc:wav-header]
std::vector<uint8_t> wav_bytes(const Audio& a) {
  if (a.channels < 1 || a.channels > 8 || a.sample_rate < 1000 || a.sample_rate > 384000)
    throw WavError("[wav] unsupported format: " + std::to_string(a.channels) + " channels at " +
                   std::to_string(a.sample_rate) + " Hz");
  // [exercise:6.1] a 16-bit PCM WAV file: the RIFF header, then clipped samples
  uint32_t data = (uint32_t)(a.samples.size() * 2);
  std::vector<uint8_t> o = {'R', 'I', 'F', 'F'};
  le(o, 36 + data, 4);
  o.insert(o.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  le(o, 16, 4);  // fmt chunk size
  le(o, 1, 2);   // PCM
  le(o, (uint32_t)a.channels, 2);
  le(o, (uint32_t)a.sample_rate, 4);
  le(o, (uint32_t)(a.sample_rate * a.channels * 2), 4);  // bytes per second
  le(o, (uint32_t)(a.channels * 2), 2);                  // bytes per frame
  le(o, 16, 2);                                          // bits per sample
  o.insert(o.end(), {'d', 'a', 't', 'a'});
  le(o, data, 4);
  for (float s : a.samples) {
    float c = std::isfinite(s) ? std::fmax(-1.0f, std::fmin(1.0f, s)) : 0.0f;
    le(o, (uint32_t)(uint16_t)(int16_t)std::lround(c * 32767.0), 2);
  }
  return o;
  // [/exercise]
}
// [/doc]

void write_wav(const std::string& path, const Audio& a) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw WavError("[wav] '" + path + "' is a folder, not a file — give a file name inside it, e.g. " + path +
                   "/out.wav");
  std::vector<uint8_t> b = wav_bytes(a);
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    throw WavError("[wav] cannot create '" + tmp + "': " + std::strerror(errno) + " — check that the folder exists");
  bool ok = std::fwrite(b.data(), 1, b.size(), f) == b.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw WavError("[wav] could not write '" + path + "': " + std::strerror(e) +
                   " — check the free space where it goes");
  }
}

Audio read_wav_bytes(const std::vector<uint8_t>& b, const std::string& what) {
  auto bad = [&](const std::string& p) { throw WavError("[wav] " + what + ": " + p); };
  auto u32 = [&](size_t p) {
    return (uint32_t)b[p] | (uint32_t)b[p + 1] << 8 | (uint32_t)b[p + 2] << 16 | (uint32_t)b[p + 3] << 24;
  };
  auto u16 = [&](size_t p) { return (uint32_t)b[p] | (uint32_t)b[p + 1] << 8; };
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) || std::memcmp(b.data() + 8, "WAVE", 4))
    bad("not a RIFF/WAVE file");
  // [exercise:6.2] read a WAV file: walk the chunks, decode 8/16/24/32-bit PCM and float
  int format = 0, channels = 0, bits = 0, rate = 0;
  size_t p = 12;
  while (p + 8 <= b.size()) {
    uint32_t len = u32(p + 4);
    size_t body = p + 8;
    if (len > b.size() - body) {
      if (std::memcmp(&b[p], "data", 4) == 0)
        len = (uint32_t)(b.size() - body);  // a short data chunk: read what is there
      else bad("chunk length runs past the end of the file");
    }
    if (!std::memcmp(&b[p], "fmt ", 4)) {
      if (len < 16) bad("fmt chunk is too short");
      format = (int)u16(body), channels = (int)u16(body + 2), rate = (int)u32(body + 4), bits = (int)u16(body + 14);
      if (format == 0xFFFE && len >= 26) format = (int)u16(body + 24);  // WAVE_FORMAT_EXTENSIBLE: the sub-format
    } else if (!std::memcmp(&b[p], "data", 4)) {
      if (!channels) bad("data chunk before the fmt chunk");
      if (channels < 1 || channels > 64 || rate <= 0) bad("unsupported channel count or sample rate");
      bool pcm = format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32);
      bool flt = format == 3 && bits == 32;
      if (!pcm && !flt)
        bad("unsupported encoding (format " + std::to_string(format) + ", " + std::to_string(bits) + " bits)");
      Audio a;
      a.sample_rate = rate, a.channels = channels;
      size_t width = (size_t)bits / 8, n = len / width;
      n -= n % (size_t)channels;
      a.samples.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* s = &b[body + i * width];
        if (flt) {
          float v;
          std::memcpy(&v, s, 4);
          // Audio holds [-1, 1]: a float file may go beyond it (clipped, as playback would) or hold
          // NaN/inf, which would poison every later sum (silence instead). Found by make fuzz.
          a.samples[i] = std::isfinite(v) ? std::fmax(-1.0f, std::fmin(1.0f, v)) : 0.0f;
        } else if (bits == 8) a.samples[i] = (s[0] - 128) / 128.0f;
        else if (bits == 16) a.samples[i] = (int16_t)(s[0] | s[1] << 8) / 32768.0f;
        else if (bits == 24)
          a.samples[i] =
              (float)((int32_t)((uint32_t)s[0] << 8 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 24) >> 8) / 8388608.0f;
        else a.samples[i] = (float)((int32_t)u32(body + i * width) / 2147483648.0);
      }
      return a;
    }
    p = body + len + (len & 1);  // chunks are word-aligned
  }
  bad("no data chunk");
  return {};
  // [/exercise]
}

Audio read_wav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw WavError("[wav] cannot open '" + path + "' — check the path");
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_wav_bytes(b, "'" + path + "'");
}

}  // namespace music
