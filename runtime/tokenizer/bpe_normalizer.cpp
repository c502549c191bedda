#include "runtime/tokenizer/bpe_normalizer.h"

#include <utf8proc.h>

#include "runtime/error.h"
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

void nfc_utf8proc(std::string_view text, std::vector<utf8proc_int32_t>& buf, std::string& out) {
    if (text.empty()) return;
    const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    const auto length = static_cast<utf8proc_ssize_t>(text.size());
    if (buf.size() < text.size()) buf.resize(text.size());
    utf8proc_ssize_t n =
        utf8proc_decompose(bytes, length, buf.data(), static_cast<utf8proc_ssize_t>(buf.size()), options);
    if (n < 0) throw_invalid_utf8();
    if (static_cast<std::size_t>(n) > buf.size()) {
        buf.resize(static_cast<std::size_t>(n));
        n = utf8proc_decompose(bytes, length, buf.data(), n, options);
        if (n < 0) throw_invalid_utf8();
    }
    n = utf8proc_normalize_utf32(buf.data(), n, options);
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
