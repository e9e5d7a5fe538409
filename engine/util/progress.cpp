// progress.cpp: see progress.h. Chapter: docs/04-modules-losses-optimisers.md.
#include "engine/util/progress.h"

#include <cstdio>
#include <unistd.h>

namespace cadenza {

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      tty_(::isatty(2)),
      start_(std::chrono::steady_clock::now()) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string format_seconds(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else std::snprintf(buf, sizeof buf, "%d min %02d s", (int)(s / 60), (int)s % 60);
  return buf;
}

void ProgressBar::draw(int64_t done, const std::string& info, bool final_line) {
  const int width = 24;
  int filled = (int)(width * done / total_);
  std::string bar(filled, '#');
  bar += std::string(width - filled, '-');
  double t = elapsed_seconds();
  std::string eta = done > 0 && done < total_ ? "  ETA " + format_seconds(t * (total_ - done) / done) : "";
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s %4lld/%lld [%s]  %s  %s%s", label_.c_str(), (long long)done, (long long)total_,
                bar.c_str(), info.c_str(), format_seconds(t).c_str(), eta.c_str());
  if (tty_) std::fprintf(stderr, "\r%s\033[K%s", buf, final_line ? "\n" : "");
  else std::fprintf(stderr, "%s\n", buf);
  std::fflush(stderr);
}

void ProgressBar::update(int64_t done, const std::string& info) {
  int decile = (int)(10 * done / total_);
  if (tty_ || decile != last_decile_) {
    last_decile_ = decile;
    if (done < total_ || tty_) draw(done, info, false);
  }
}

void ProgressBar::finish(const std::string& info) { draw(total_, info, true); }

}  // namespace cadenza
