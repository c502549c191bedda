#include "runtime/tokenizer/bpe_normalizer.h"

#include <utf8proc.h>

#include <algorithm>

#include "base/error.h"
#include "runtime/tokenizer/hf_unicode_versions.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

[[noreturn]] void throw_invalid_utf8() { throw Error(Status::invalid_utf8, "bpe normalizer: invalid UTF-8"); }

// Code points below U+0300 are NFC-stable starters that compose with nothing before them; every UTF-8
// sequence from U+0300 on starts with a byte >= 0xCC.
bool nfc_is_identity(std::string_view text) noexcept {
    for (const char b : text) {
        if (static_cast<unsigned char>(b) >= 0xCC) return false;
    }
    return true;
}

inline int combining_class(utf8proc_int32_t cp) noexcept {
    return cp < 0x300 ? 0 : utf8proc_get_property(cp)->combining_class;
}

// utf8proc's NFC of a stretch without code points inert for tokenizers: the canonical decomposition of each
// character, the canonical order (a stable sort of each run of marks once it is complete, so a hostile run
// of a million marks costs O(n log n); utf8proc_decompose moves each mark back as it arrives, which is
// quadratic), then utf8proc's composition (linear).
void nfc_utf8proc(std::string_view text, std::vector<utf8proc_int32_t>& buf, std::string& out) {
    buf.clear();
    for (std::size_t pos = 0; pos < text.size();) {
        char32_t cp = 0;
        const std::size_t next = utf8_next(text, pos, &cp);
        if (next == utf8_npos) throw_invalid_utf8();
        pos = next;
        if (cp < 0xC0) {  // nothing below U+00C0 decomposes
            buf.push_back(static_cast<utf8proc_int32_t>(cp));
            continue;
        }
        utf8proc_int32_t d[8];  // canonical decompositions are at most 4 code points long
        int boundclass = 0;
        const utf8proc_ssize_t n =
            utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), d, 8, UTF8PROC_DECOMPOSE, &boundclass);
        if (n <= 0 || n > 8) throw_invalid_utf8();  // not a scalar value
        buf.insert(buf.end(), d, d + n);
    }
    for (std::size_t i = 0; i < buf.size();) {
        if (combining_class(buf[i]) == 0) {
            ++i;
            continue;
        }
        std::size_t end = i + 1;
        bool ordered = true;
        for (int previous = combining_class(buf[i]); end < buf.size(); ++end) {
            const int cc = combining_class(buf[end]);
            if (cc == 0) break;
            ordered &= cc >= previous;
            previous = cc;
        }
        if (!ordered) {
            std::stable_sort(buf.begin() + static_cast<std::ptrdiff_t>(i), buf.begin() + static_cast<std::ptrdiff_t>(end),
                             [](utf8proc_int32_t a, utf8proc_int32_t b) { return combining_class(a) < combining_class(b); });
        }
        i = end;
    }
    const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    const utf8proc_ssize_t n = utf8proc_normalize_utf32(buf.data(), static_cast<utf8proc_ssize_t>(buf.size()), options);
    if (n < 0) throw_invalid_utf8();
    for (utf8proc_ssize_t i = 0; i < n; ++i) utf8_append(out, static_cast<char32_t>(buf[i]));
}

// NFC as `tokenizers` computes it: utf8proc's NFC on the stretches between the code points its older
// Unicode data treats as inert starters, which stay as they are.
void nfc(std::string_view text, std::vector<utf8proc_int32_t>& buf, std::string& out) {
    if (nfc_is_identity(text)) {
        out.append(text);
        return;
    }
    std::size_t begin = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        if (static_cast<unsigned char>(text[pos]) < 0xDF) {  // below U+07C0: none of them
            ++pos;
            continue;
        }
        char32_t cp = 0;
        const std::size_t next = utf8_next(text, pos, &cp);
        if (next == utf8_npos) throw_invalid_utf8();
        if (hf_unicode::is_nfc_inert_in_hf(cp)) {
            nfc_utf8proc(text.substr(begin, pos - begin), buf, out);
            out.append(text.substr(pos, next - pos));
            begin = next;
        }
        pos = next;
    }
    nfc_utf8proc(text.substr(begin), buf, out);
}

void lowercase(std::string_view text, std::string& out) {
    out.reserve(out.size() + text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const auto b = static_cast<unsigned char>(text[pos]);
        if (b < 0x80) {
            out.push_back(static_cast<char>(b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b));
            ++pos;
            continue;
        }
        char32_t cp = 0;
        const std::size_t next = utf8_next(text, pos, &cp);
        if (next == utf8_npos) throw_invalid_utf8();
        char32_t mapped[2];
        const int n = hf_unicode::rust_lowercase_exception(cp, mapped);
        if (n > 0) {
            for (int i = 0; i < n; ++i) utf8_append(out, mapped[i]);
        } else {
            utf8_append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
        }
        pos = next;
    }
}

}  // namespace

BpeNormalizer::BpeNormalizer(std::string_view spec) {
    while (!spec.empty()) {
        const std::size_t comma = spec.find(',');
        const std::string_view step = spec.substr(0, comma);
        if (step == "nfc") {
            steps_.push_back(Step::nfc);
        } else if (step == "lowercase") {
            steps_.push_back(Step::lowercase);
        } else {
            throw Error(Status::invalid_config,
                        "bpe: unknown normalizer step \"" + std::string(step) + "\" (known: nfc, lowercase)");
        }
        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
        if (spec.empty()) throw Error(Status::invalid_config, "bpe: the normalizer ends with a comma");
    }
}

void BpeNormalizer::normalize(std::string_view text, std::string& out) const {
    out.clear();
    if (steps_.empty()) {
        out.append(text);
        return;
    }
    std::vector<utf8proc_int32_t> buf;
    std::string previous;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        if (i > 0) {
            previous.swap(out);
            out.clear();
            text = previous;
        }
        if (steps_[i] == Step::nfc) {
            nfc(text, buf, out);
        } else {
            lowercase(text, out);
        }
    }
}

}  // namespace edgembed
