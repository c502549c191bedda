#include "tools/cli/progress_line.h"

#include <unistd.h>

#include <cstdio>

namespace edgembed::cli {

ProgressLine::ProgressLine(std::string what, std::string unit, bool enabled)
    : what_(std::move(what)), unit_(std::move(unit)), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { finish(); }

bool ProgressLine::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void ProgressLine::update(size_t done, size_t total, const std::string& detail) {
    if (!enabled_ || finished_) return;
    const bool new_detail = detail != detail_;
    detail_ = detail;
    last_done_ = done;
    last_total_ = total;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && !new_detail && now - last_draw_ < std::chrono::milliseconds(100) && done < total) return;
    last_draw_ = now;
    draw(done, total);
}

void ProgressLine::break_line() {
    if (!enabled_ || finished_ || !drawn_) return;
    std::fputc('\n', stderr);
    drawn_ = false;
}

void ProgressLine::finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    if (!drawn_) return;  // nothing shown: nothing to end
    draw(last_done_, last_total_);
    std::fputc('\n', stderr);
}

void ProgressLine::draw(size_t done, size_t total) {
    drawn_ = true;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    std::fprintf(stderr, "\r%s %zu/%zu %s (%3.0f%%), %.1f s", what_.c_str(), done, total, unit_.c_str(), 100.0 * fraction,
                 seconds);
    if (done > 0 && done < total) std::fprintf(stderr, ", about %.1f s left", seconds * (1.0 - fraction) / fraction);
    if (!detail_.empty()) std::fprintf(stderr, ": %s", detail_.c_str());
    std::fputs("\033[K", stderr);  // clears the rest of a longer previous line
    std::fflush(stderr);
}

}  // namespace edgembed::cli
