#include "runtime/tokenizer/added_tokens.h"

#include <algorithm>

#include <utf8proc.h>

#include "base/error.h"
#include "runtime/tokenizer/bert_normalizer.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

// The code point that ends / starts at a byte offset of valid UTF-8 (0 at the text's edges), and where it
// starts / ends.
char32_t code_point_before(std::string_view text, size_t end, size_t* start_out = nullptr) {
    if (end == 0) return 0;
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    char32_t cp = 0;
    if (utf8_next(text, start, &cp) == utf8_npos) cp = 0;
    if (start_out) *start_out = start;
    return cp;
}

char32_t code_point_at(std::string_view text, size_t start, size_t* end_out = nullptr) {
    if (start >= text.size()) return 0;
    char32_t cp = 0;
    const size_t end = utf8_next(text, start, &cp);
    if (end == utf8_npos) return 0;
    if (end_out) *end_out = end;
    return cp;
}

// `tokenizers` single_word: the neighbours must not be word characters (\w: letters, marks, digits,
// connector punctuation).
bool is_word_char(char32_t c) {
    if (c == 0) return false;
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_PC:
            return true;
        default:
            return false;
    }
}

// lstrip / rstrip: Rust char::is_whitespace, as `tokenizers` strips.
bool is_space(char32_t c) { return c != 0 && bert_is_whitespace(c); }

}  // namespace

AddedTokenSplitter::AddedTokenSplitter(std::vector<AddedToken> tokens) {
    for (AddedToken& t : tokens) {
        if (t.content.empty()) throw Error(Status::invalid_config, "tokenizer: empty added token");
        const bool seen = std::any_of(tokens_.begin(), tokens_.end(), [&](const AddedToken& a) { return a.content == t.content; });
        if (seen) continue;
        first_byte_[static_cast<unsigned char>(t.content[0])] = true;
        tokens_.push_back(std::move(t));
    }
    // Longest first: at a given position the longest added token wins (leftmost-longest matching).
    std::stable_sort(tokens_.begin(), tokens_.end(),
                     [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

const AddedToken* AddedTokenSplitter::match_at(std::string_view text, size_t pos) const {
    if (!first_byte_[static_cast<unsigned char>(text[pos])]) return nullptr;
    for (const AddedToken& a : tokens_) {
        if (text.compare(pos, a.content.size(), a.content) != 0) continue;
        if (a.single_word && (is_word_char(code_point_before(text, pos)) ||
                              is_word_char(code_point_at(text, pos + a.content.size()))))
            continue;
        return &a;
    }
    return nullptr;
}

void AddedTokenSplitter::split(std::string_view text, const std::function<bool(std::string_view)>& on_text,
                               const std::function<bool(int32_t)>& on_token) const {
    size_t begin = 0;  // start of the pending stretch of text
    for (size_t pos = 0; pos < text.size();) {
        const AddedToken* match = match_at(text, pos);
        if (match == nullptr) {
            ++pos;
            continue;
        }
        size_t stretch_end = pos, next = pos + match->content.size();
        size_t edge = 0;
        if (match->lstrip)
            while (stretch_end > begin && is_space(code_point_before(text, stretch_end, &edge)) && edge >= begin) stretch_end = edge;
        if (match->rstrip)
            while (next < text.size() && is_space(code_point_at(text, next, &edge))) next = edge;
        if (stretch_end > begin && !on_text(text.substr(begin, stretch_end - begin))) return;
        if (!on_token(match->id)) return;
        pos = begin = next;
    }
    if (begin < text.size()) on_text(text.substr(begin));
}

}  // namespace edgembed
