// json.h: the small JSON reader and writer that safetensors headers need.
// Chapter: docs/04-modules-losses-optimisers.md ("Checkpoints").
// Values, arrays and objects; numbers as double; strings with \uXXXX escapes.
// The reader refuses anything malformed with the byte offset, and limits
// nesting depth, so a corrupt header is an error, never a crash.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cadenza::io {

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  double num = 0;
  std::string s;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;  // keeps file order

  const Json* get(const std::string& key) const;  // object member or nullptr
};

// Parses `text`; on error throws "[op] malformed JSON at byte N: ...".
Json parse_json(const std::string& text, const std::string& op);
// Quotes and escapes a string for JSON output.
std::string json_quote(const std::string& s);

}  // namespace cadenza::io
