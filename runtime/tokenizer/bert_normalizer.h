// The BERT normalizer and pre-tokenizer, with the semantics of Hugging Face `tokenizers` (Rust)
// BertNormalizer and BertPreTokenizer, character classes from libutf8proc:
//
//   clean_text            drop U+0000, U+FFFD and "control" characters (general category Cc, Cf, Co, Cs
//                         except \t \n \r), then map whitespace to ' '. \v \f U+0085 are Cc: dropped.
//   handle_chinese_chars  surround CJK ideographs (bert_is_chinese_char) with spaces.
//   strip_accents         NFD (with canonical reordering, over the whole text), then drop category Mn.
//   lowercase             per character full lowercase (Rust char::to_lowercase, no final-sigma rule).
//   pre-tokenizer         split on whitespace (removed) and punctuation (each character its own word).
//
// Known differences from `tokenizers` 0.23 (its Cc/Cf/Co, Mn and P* tests come from the
// `unicode_categories` 0.1 crate, Unicode 8.0 tables; utf8proc 2.8 is Unicode 15.0):
//   - Cn (unassigned) is NOT control: that crate's Cn table is empty, so `tokenizers` keeps unassigned
//     code points (U+0378 becomes [UNK]); so do we.
//   - 568 code points (117 ranges) differ: those assigned after Unicode 8 as Cf, Mn or P* (dropped,
//     stripped, split here; kept inside words by `tokenizers`) and three whose category changed since
//     (U+166D Po->So and U+111C9 Po->Mn: `tokenizers` splits them; U+1734 Mn->Mc: it strips it).
//     tests/python/test_tokenizer_parity.py lists them (UNICODE_VERSION_DIFFERENCES) and checks that no
//     other scalar value differs: lowercase, NFD, White_Space and the CJK ranges agree everywhere else.
// Thread safety: every function here is reentrant; BertNormalizer is immutable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgembed {

struct BertNormalizerOptions {
    bool clean_text = true;
    bool handle_chinese_chars = true;
    bool strip_accents = true;  // HF: strip_accents, or lowercase when strip_accents is null
    bool lowercase = true;
};

namespace bert_detail {
bool is_whitespace_slow(char32_t c) noexcept;
bool is_punctuation_slow(char32_t c) noexcept;
}  // namespace bert_detail

// \t \n \r or the Unicode White_Space property (Rust char::is_whitespace).
inline bool bert_is_whitespace(char32_t c) noexcept {
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return bert_detail::is_whitespace_slow(c);
}
// Category Cc, Cf, Co or Cs, except \t \n \r (see above for Cn).
bool bert_is_control(char32_t c) noexcept;
// The CJK blocks of the original BERT: 4E00-9FFF, 3400-4DBF, 20000-2A6DF, 2A700-2B73F, 2B740-2B81F,
// 2B920-2CEAF, F900-FAFF, 2F800-2FA1F.
bool bert_is_chinese_char(char32_t c) noexcept;
// ASCII 33-47, 58-64, 91-96, 123-126, or category P*.
inline bool bert_is_punctuation(char32_t c) noexcept {
    if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    return bert_detail::is_punctuation_slow(c);
}

class BertNormalizer {
public:
    explicit BertNormalizer(const BertNormalizerOptions& options = {}) : options_(options) {}

    const BertNormalizerOptions& options() const noexcept { return options_; }

    // Appends the normalized form of text (Unicode scalar values) to out. scratch is working memory
    // (pass the same string across calls to avoid reallocations); its content is unspecified on return.
    void normalize(std::u32string_view text, std::u32string& out, std::u32string& scratch) const;
    // UTF-8 in, UTF-8 out; throws Error(invalid_utf8).
    std::string normalize(std::string_view utf8) const;

private:
    BertNormalizerOptions options_;
};

// BertPreTokenizer: calls on_word(std::u32string_view) for each word of text, in order.
template <class OnWord>
void bert_pre_tokenize(std::u32string_view text, OnWord&& on_word) {
    const std::size_t n = text.size();
    std::size_t begin = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char32_t c = text[i];
        if (bert_is_whitespace(c)) {
            if (i > begin) on_word(text.substr(begin, i - begin));
            begin = i + 1;
        } else if (bert_is_punctuation(c)) {
            if (i > begin) on_word(text.substr(begin, i - begin));
            on_word(text.substr(i, 1));
            begin = i + 1;
        }
    }
    if (n > begin) on_word(text.substr(begin, n - begin));
}

// UTF-8 in, UTF-8 words out; throws Error(invalid_utf8). For tests and tools.
std::vector<std::string> bert_pre_tokenize(std::string_view utf8);

}  // namespace edgembed
