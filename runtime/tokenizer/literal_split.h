// tokenizers' Split pre-tokenizer on a literal (String) pattern: find_matches (the pattern's occurrences,
// leftmost first, and the stretches between them; with invert the two swap roles), then the behavior's
// grouping of neighbouring segments (NormalizedString::split), empty words dropped. Streamed with one
// segment of lookahead, so a long text costs no list of its words.
//
//   "the-final--countdown" on "-":  removed               the | final | countdown
//                                   isolated              the | - | final | - | - | countdown
//                                   merged_with_previous  the- | final- | - | countdown
//                                   merged_with_next      the | -final | - | -countdown
//                                   contiguous            the | - | final | -- | countdown
//
// Usage:
//   const LiteralSplit split(" ", "merged_with_previous", false);
//   split.for_each_word(text, [](std::string_view word) { use(word); return true; });
//
// Thread safety: immutable after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgembed {

class LiteralSplit {
public:
    // behavior: "removed" | "isolated" | "merged_with_previous" | "merged_with_next" | "contiguous".
    // Throws Error(invalid_config) for an empty pattern or an unknown behavior.
    LiteralSplit(std::string pattern, const std::string& behavior, bool invert);

    // on_word(std::string_view) gets each non-empty word in order; returning false stops.
    template <class OnWord>
    void for_each_word(std::string_view text, OnWord&& on_word) const;

private:
    enum class Behavior : uint8_t { removed, isolated, merged_with_previous, merged_with_next, contiguous };
    struct Segment {
        std::size_t begin = 0, end = 0;
        bool match = false;  // after invert
    };
    // Whether the behavior keeps neighbouring segments a and b in one word.
    bool joined(const Segment& a, const Segment& b) const noexcept {
        switch (behavior_) {
            case Behavior::contiguous: return a.match == b.match;
            case Behavior::merged_with_previous: return b.match && !a.match;
            case Behavior::merged_with_next: return a.match && !b.match;
            case Behavior::removed:
            case Behavior::isolated: return false;
        }
        return false;
    }

    std::string pattern_;
    Behavior behavior_ = Behavior::isolated;
    bool invert_;
};

template <class OnWord>
void LiteralSplit::for_each_word(std::string_view text, OnWord&& on_word) const {
    std::size_t pos = 0;
    std::size_t next_match = text.find(pattern_);
    auto next_segment = [&](Segment& s) {
        if (pos >= text.size()) return false;
        if (next_match == pos) {
            s = Segment{pos, pos + pattern_.size(), true};
            next_match = text.find(pattern_, s.end);
        } else {
            s = Segment{pos, next_match == std::string_view::npos ? text.size() : next_match, false};
        }
        pos = s.end;
        s.match = s.match != invert_;
        return true;
    };
    Segment current;
    if (!next_segment(current)) return;
    std::size_t word_begin = current.begin;
    for (;;) {
        Segment next;
        const bool more = next_segment(next);
        if (!more || !joined(current, next)) {
            const bool removed = behavior_ == Behavior::removed && current.match;
            if (!removed && current.end > word_begin && !on_word(text.substr(word_begin, current.end - word_begin))) return;
            if (!more) return;
            word_begin = next.begin;
        }
        current = next;
    }
}

}  // namespace edgembed
