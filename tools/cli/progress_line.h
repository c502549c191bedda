// A one-line progress display on stderr for long CLI jobs ("embedding 1200/5000 texts (24%), 3.1 s, about
// 9.8 s left"; for a stream of unknown length "embedding 1200 texts (24% of the input), 3.1 s, 387 texts/s,
// about 9.8 s left"), redrawn in place at most ten times a second. No C++ progress-bar library is packaged in
// Debian 12, hence this small one.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace edgembed::cli {

class ProgressLine {
public:
    // enabled = false: every call does nothing.
    ProgressLine(std::string what, std::string unit, bool enabled);
    ~ProgressLine();
    // detail: shown after the counts (e.g. the current step); may be empty.
    void update(size_t done, size_t total, const std::string& detail = "");
    // A stream: done items so far, input_fraction the share of the input consumed (< 0: unknown).
    void update_stream(size_t done, double input_fraction);
    // Ends the line drawn so far, so that other output starts on its own line; the next update draws anew.
    void break_line();
    // Draws the final state and ends the line (also done by the destructor).
    void finish();

    // The default: on when stderr is a terminal.
    static bool stderr_is_terminal();

private:
    void draw(size_t done, size_t total);
    bool due(size_t done, size_t total);
    std::string detail_;
    bool stream_ = false;
    double input_fraction_ = -1.0;

    std::string what_, unit_;
    bool enabled_, drawn_ = false, finished_ = false;
    size_t last_done_ = 0, last_total_ = 0;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace edgembed::cli
