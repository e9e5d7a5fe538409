// error.h: the one exception type Cadenza throws, and the helpers that format it.
//
// Every user-facing failure (a shape mismatch, a bad file, a wrong flag) throws
// cadenza::Error with a message of the form
//     [op] problem: details — hint
// so a learner sees which operation failed, what was wrong and what to try.
// Nothing in the engine calls abort() or relies on assert() for user input.
// Chapter: docs/01-tensors.md ("When things go wrong").
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace cadenza {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds "[op] problem — hint" (the hint is optional) and throws it.
[[noreturn]] inline void fail(const std::string& op, const std::string& problem, const std::string& hint = "") {
  std::string msg = "[" + op + "] " + problem;
  if (!hint.empty()) msg += " — " + hint;
  throw Error(msg);
}

// str(a, b, c) concatenates anything that can be streamed: handy for messages.
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace cadenza

// CZ_CHECK(cond, op, problem, hint): throw when cond is false. The message
// arguments are only evaluated on failure, so checks cost nothing when they pass.
#define CZ_CHECK(cond, op, problem, hint)                  \
  do {                                                     \
    if (!(cond)) ::cadenza::fail((op), (problem), (hint)); \
  } while (0)
