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
    if (due(done, total) || new_detail) draw(done, total);
}

void ProgressLine::update_stream(size_t done, double input_fraction) {
    if (!enabled_ || finished_) return;
    stream_ = true;
    input_fraction_ = input_fraction;
    if (due(done, 0)) draw(done, 0);
}

bool ProgressLine::due(size_t done, size_t total) {
    last_done_ = done;
    last_total_ = total;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && (stream_ || done < total)) return false;
    last_draw_ = now;
    return true;
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
    if (stream_) {
        std::fprintf(stderr, "\r%s %zu %s", what_.c_str(), done, unit_.c_str());
        if (input_fraction_ >= 0.0) std::fprintf(stderr, " (%3.0f%% of the input)", 100.0 * input_fraction_);
        std::fprintf(stderr, ", %.1f s", seconds);
        if (seconds > 0.0) std::fprintf(stderr, ", %.0f %s/s", static_cast<double>(done) / seconds, unit_.c_str());
        if (input_fraction_ > 0.0 && input_fraction_ < 1.0)
            std::fprintf(stderr, ", about %.1f s left", seconds * (1.0 - input_fraction_) / input_fraction_);
        std::fputs("\033[K", stderr);
        std::fflush(stderr);
        return;
    }
    const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    std::fprintf(stderr, "\r%s %zu/%zu %s (%3.0f%%), %.1f s", what_.c_str(), done, total, unit_.c_str(), 100.0 * fraction,
                 seconds);
    if (done > 0 && done < total) std::fprintf(stderr, ", about %.1f s left", seconds * (1.0 - fraction) / fraction);
    if (!detail_.empty()) std::fprintf(stderr, ": %s", detail_.c_str());
    std::fputs("\033[K", stderr);  // clears the rest of a longer previous line
    std::fflush(stderr);
}

}  // namespace edgembed::cli
