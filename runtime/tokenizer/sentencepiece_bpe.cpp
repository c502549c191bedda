#include "runtime/tokenizer/sentencepiece_bpe.h"

#include <cstdio>

#include "base/error.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581 "▁"

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

uint64_t join_key(char32_t last, char32_t first) noexcept { return (uint64_t{last} << 32) | first; }

// The last character of s (valid UTF-8, not empty); false when s does not end in a well-formed one.
bool last_char(std::string_view s, char32_t* cp) noexcept {
    std::size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    return utf8_next(s, start, cp) == s.size();
}

}  // namespace

SentencePieceBpe::SentencePieceBpe(const BpeConfig& config)
    : ignore_merges_(config.ignore_merges),
      byte_fallback_(config.byte_fallback),
      fuse_unk_(config.fuse_unk),
      vocab_size_(config.vocab.size()) {
    auto fail = [](const std::string& what) { throw Error(Status::invalid_config, "bpe: " + what); };
    if (config.byte_level) fail("the config is byte-level (ByteLevelBpe runs it)");
    if (config.add_prefix_space) fail("add_prefix_space is a byte-level setting; SentencePiece-style BPE prepends with the normalizer");
    for (std::size_t begin = 0; begin < config.normalizer.size();) {
        std::size_t end = config.normalizer.find(',', begin);
        if (end == std::string::npos) end = config.normalizer.size();
        const std::string_view step = std::string_view(config.normalizer).substr(begin, end - begin);
        if (step == "prepend_metaspace") {
            prepend_metaspace_ = true;
        } else if (step == "space_to_metaspace") {
            space_to_metaspace_ = true;
        } else {
            fail("unknown normalizer step " + quoted(step) + " for SentencePiece-style BPE (known: prepend_metaspace, space_to_metaspace)");
        }
        begin = end + 1;
    }
    if (config.pre_tokenizer == "split") {
        split_.emplace(config.split_pattern, config.split_behavior, config.split_invert);
    } else if (config.pre_tokenizer != "none") {
        fail("unknown pre_tokenizer " + quoted(config.pre_tokenizer) + " for SentencePiece-style BPE (known: none, split)");
    }

    vocab_ = bpe_detail::read_vocab(config.vocab, "bpe");
    if (!config.unk_token.empty()) {
        unk_id_ = token_to_id(config.unk_token);
        if (unk_id_ < 0) fail("unk_token " + quoted(config.unk_token) + " is not in the vocab");
    }
    ascii_ids_.fill(-1);
    for (const auto& [token, id] : vocab_) {
        char32_t cp = 0;
        if (utf8_next(token, 0, &cp) != token.size()) continue;  // not one character
        if (cp < 128) ascii_ids_[cp] = id;
        else char_ids_.emplace(cp, id);
    }
    for (int b = 0; b < 256; ++b) {
        char piece[8];
        std::snprintf(piece, sizeof piece, "<0x%02X>", b);
        byte_ids_[b] = token_to_id(piece);
        if (byte_fallback_ && byte_ids_[b] < 0) {
            fail(std::string("byte_fallback needs the 256 byte pieces <0x00>..<0xFF>; ") + piece + " is not in the vocab");
        }
    }

    merges_ = bpe_detail::read_merges(config.merges, [this](std::string_view t) { return token_to_id(t); }, "bpe");
    joins_.reserve(config.merges.size());
    for (const std::string& merge : config.merges) {
        std::string_view left, right;
        char32_t last = 0, first = 0;
        // (A part that does not end / start with a well-formed character is no text character's.)
        if (bpe_detail::split_merge(merge, left, right) && last_char(left, &last) &&
            utf8_next(right, 0, &first) != utf8_npos) {
            joins_.insert(join_key(last, first));
        }
    }
}

int32_t SentencePieceBpe::token_to_id(std::string_view token) const {
    const auto it = vocab_.find(std::string(token));
    return it == vocab_.end() ? -1 : it->second;
}

int32_t SentencePieceBpe::char_id(char32_t cp) const {
    if (cp < 128) return ascii_ids_[cp];
    const auto it = char_ids_.find(cp);
    return it == char_ids_.end() ? -1 : it->second;
}

template <class OnWord>
void SentencePieceBpe::for_each_word(std::string_view normalized, OnWord&& on_word) const {
    if (split_) split_->for_each_word(normalized, on_word);
    else if (!normalized.empty()) on_word(normalized);
}

std::string SentencePieceBpe::normalize(std::string_view text) const {
    std::string out;
    if (text.empty()) return out;
    out.reserve(text.size() + kMetaspace.size());
    if (prepend_metaspace_) out.append(kMetaspace);
    if (!space_to_metaspace_) {
        out.append(text);
        return out;
    }
    for (const char c : text) {
        if (c == ' ') out.append(kMetaspace);
        else out.push_back(c);
    }
    return out;
}

void SentencePieceBpe::append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const {
    if (!prepend_metaspace_ && !space_to_metaspace_) {
        append_normalized(text, limit, out);
        return;
    }
    append_normalized(normalize(text), limit, out);
}

void SentencePieceBpe::append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const {
    if (out.size() >= limit) return;
    Scratch scratch{{}, bpe_detail::BpeWordCache(normalized.size())};
    for_each_word(normalized, [&](std::string_view word) {
        append_word(word, limit, scratch, out);
        return out.size() < limit;
    });
}

std::vector<std::string> SentencePieceBpe::pre_tokens(std::string_view normalized) const {
    std::vector<std::string> words;
    for_each_word(normalized, [&](std::string_view word) {
        words.emplace_back(word);
        return true;
    });
    return words;
}

void SentencePieceBpe::append_word(std::string_view word, std::size_t limit, Scratch& scratch,
                                   std::vector<int32_t>& out) const {
    if (ignore_merges_) {
        const int32_t id = token_to_id(word);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }
    for (std::size_t pos = 0; pos < word.size();) {
        const std::size_t end = piece_end(word, pos);
        scratch.cache.append(word.substr(pos, end - pos), out, [&](std::string_view piece, std::vector<int32_t>& ids) {
            append_piece(piece, scratch.word, ids);
        });
        if (out.size() >= limit) return;
        pos = end;
    }
}

std::size_t SentencePieceBpe::piece_end(std::string_view word, std::size_t pos) const {
    char32_t prev = 0;
    std::size_t at = utf8_next(word, pos, &prev);
    if (at == utf8_npos) return word.size();
    int32_t prev_id = char_id(prev);
    while (at < word.size()) {
        char32_t cp = 0;
        const std::size_t next = utf8_next(word, at, &cp);
        if (next == utf8_npos) return word.size();
        const int32_t id = char_id(cp);
        if (prev_id >= 0 && id >= 0 && joins_.count(join_key(prev, cp)) == 0) return at;
        prev = cp;
        prev_id = id;
        at = next;
    }
    return word.size();
}

void SentencePieceBpe::append_piece(std::string_view piece, bpe_detail::BpeWord& word, std::vector<int32_t>& out) const {
    // tokenizers' merge_word: one symbol per character.
    word.clear();
    word.reserve(piece.size());
    bool after_unk = false;
    for (std::size_t pos = 0; pos < piece.size();) {
        char32_t cp = 0;
        const std::size_t next = utf8_next(piece, pos, &cp);
        if (next == utf8_npos) throw Error(Status::invalid_utf8, "bpe: the text is not valid UTF-8");
        if (const int32_t id = char_id(cp); id >= 0) {
            word.push(id);
            after_unk = false;
        } else if (byte_fallback_) {  // every byte piece is there (the constructor checked)
            for (std::size_t i = pos; i < next; ++i) word.push(byte_ids_[static_cast<unsigned char>(piece[i])]);
            after_unk = false;
        } else if (unk_id_ >= 0) {
            if (!(fuse_unk_ && after_unk)) word.push(unk_id_);
            after_unk = true;
        }
        pos = next;
    }
    word.merge_all(merges_);
    word.append_to(out);
}

}  // namespace edgembed
