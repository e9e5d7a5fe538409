// json.cpp: a recursive-descent JSON parser (see json.h).
// Chapter: docs/04-modules-losses-optimisers.md ("Checkpoints").
#include "engine/io/json.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "engine/core/error.h"

namespace cadenza::io {

const Json* Json::get(const std::string& key) const {
  for (auto& [k, v] : obj)
    if (k == key) return &v;
  return nullptr;
}

namespace {
struct Parser {
  const std::string& t;
  const std::string& op;
  size_t i = 0;
  int depth = 0;

  [[noreturn]] void error(const std::string& what) {
    fail(op, str("malformed JSON at byte ", i, ": ", what), "the file is corrupt or not the expected format");
  }
  void ws() {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < t.size() && t[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) error(std::string("expected '") + c + "'");
  }

  Json value() {
    if (++depth > 64) error("nesting deeper than 64");
    ws();
    if (i >= t.size()) error("unexpected end");
    Json v;
    char c = t[i];
    if (c == '{') {
      v.kind = Json::Object;
      ++i;
      if (!eat('}')) {
        do {
          ws();
          std::string k = string();
          expect(':');
          v.obj.emplace_back(k, value());
        } while (eat(','));
        expect('}');
      }
    } else if (c == '[') {
      v.kind = Json::Array;
      ++i;
      if (!eat(']')) {
        do v.arr.push_back(value());
        while (eat(','));
        expect(']');
      }
    } else if (c == '"') {
      v.kind = Json::String;
      v.s = string();
    } else if (t.compare(i, 4, "true") == 0) {
      v.kind = Json::Bool;
      v.b = true;
      i += 4;
    } else if (t.compare(i, 5, "false") == 0) {
      v.kind = Json::Bool;
      i += 5;
    } else if (t.compare(i, 4, "null") == 0) {
      i += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = i;
      while (i < t.size() && (std::isdigit((unsigned char)t[i]) || t[i] == '-' || t[i] == '+' || t[i] == '.' ||
                              t[i] == 'e' || t[i] == 'E'))
        ++i;
      std::string num = t.substr(start, i - start);
      char* end = nullptr;
      v.kind = Json::Number;
      v.num = std::strtod(num.c_str(), &end);
      if (!end || *end) error("bad number '" + num + "'");
    } else {
      error(std::string("unexpected character '") + c + "'");
    }
    --depth;
    return v;
  }

  std::string string() {
    if (i >= t.size() || t[i] != '"') error("expected a string");
    ++i;
    std::string out;
    while (true) {
      if (i >= t.size()) error("unterminated string");
      char c = t[i++];
      if (c == '"') break;
      if ((unsigned char)c < 0x20) error("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= t.size()) error("unterminated escape");
      char e = t[i++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (i + 4 > t.size()) error("short \\u escape");
          unsigned cp = (unsigned)std::strtoul(t.substr(i, 4).c_str(), nullptr, 16);
          i += 4;
          if (cp < 0x80) out += (char)cp;  // ASCII; wider code points as UTF-8:
          else if (cp < 0x800) {
            out += (char)(0xC0 | (cp >> 6));
            out += (char)(0x80 | (cp & 0x3F));
          } else {
            out += (char)(0xE0 | (cp >> 12));
            out += (char)(0x80 | ((cp >> 6) & 0x3F));
            out += (char)(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:
          error(std::string("bad escape \\") + e);
      }
    }
    return out;
  }
};
}  // namespace

Json parse_json(const std::string& text, const std::string& op) {
  Parser p{text, op};
  Json v = p.value();
  p.ws();
  if (p.i != text.size()) p.error("trailing characters after the value");
  return v;
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if ((unsigned char)c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace cadenza::io
