// progress.h: the progress bar every example shows: a bar, a count, the loss and an ETA.
//
//   epoch  12/40 [########------------]  loss 0.4123  1.8 s  ETA 4.2 s
// On a terminal it redraws one line; in a log (CI, a notebook) it prints a new
// line at most every ~10% so logs stay short. Chapter: docs/04-modules-losses-optimisers.md.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace cadenza {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  // Call after each unit of work; `info` is shown after the bar ("loss 0.41").
  void update(int64_t done, const std::string& info = "");
  void finish(const std::string& info = "");  // final line, with total time
  double elapsed_seconds() const;

 private:
  void draw(int64_t done, const std::string& info, bool final_line);
  std::string label_;
  int64_t total_;
  int last_decile_ = -1;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
};

// "1.8 s", "2 min 05 s"
std::string format_seconds(double s);

}  // namespace cadenza
