#include "runtime/tokenizer/byte_level_bpe.h"

#include "base/error.h"
#include "runtime/tokenizer/bpe_word_cache.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace bpe_detail {

char32_t byte_to_unicode(uint8_t b) noexcept {
    // '!'..'~', U+00A1..U+00AC and U+00AE..U+00FF stand for themselves; the other 68 bytes, in order,
    // for U+0100, U+0101, ...
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
    if (b <= 0x20) return 0x100 + b;                  // 0x00..0x20: 33 bytes
    if (b <= 0xA0) return 0x100 + 33 + (b - 0x7F);    // 0x7F..0xA0: 34 bytes
    return 0x100 + 33 + 34;                           // 0xAD
}

}  // namespace bpe_detail

namespace {

// Normalized text is processed in pieces of about this many bytes (see the header).
constexpr std::size_t chunk_bytes = 16 * 1024;

inline bool is_printable_ascii(char c) noexcept { return c > 0x20 && c < 0x7F; }

// The end of the next piece of text: the first space from chunk_bytes on that stands between two printable
// ASCII characters, else the whole text. (Scanning restarts chunk_bytes after each cut, so all the scans of
// one text take linear time.)
std::size_t piece_end(std::string_view text) noexcept {
    if (text.size() <= chunk_bytes) return text.size();
    for (std::size_t pos = chunk_bytes;;) {
        pos = text.find(' ', pos);
        if (pos == std::string_view::npos || pos + 1 >= text.size()) return text.size();
        if (is_printable_ascii(text[pos - 1]) && is_printable_ascii(text[pos + 1])) return pos;
        ++pos;
    }
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

// Per-call working memory: the merge loop's word, and the word in the byte-to-unicode alphabet.
struct ByteLevelBpe::Scratch {
    bpe_detail::BpeWord word;
    std::string mapped;  // ignore_merges only
};

ByteLevelBpe::ByteLevelBpe(const BpeConfig& config)
    : normalizer_(config.normalizer),
      add_prefix_space_(config.add_prefix_space),
      ignore_merges_(config.ignore_merges),
      vocab_size_(config.vocab.size()) {
    if (!config.byte_level) throw Error(Status::invalid_config, "bpe: the config is not byte-level (SentencePieceBpe runs it)");
    if (config.byte_fallback || config.fuse_unk) {
        throw Error(Status::invalid_config, "bpe: byte_fallback and fuse_unk are not byte-level settings");
    }
    if (config.pre_tokenizer == "gpt2") {
        pattern_ = BpeSplitPattern::gpt2;
    } else if (config.pre_tokenizer == "qwen2") {
        pattern_ = BpeSplitPattern::qwen2;
    } else {
        throw Error(Status::invalid_config,
                    "bpe: unknown pre_tokenizer " + quoted(config.pre_tokenizer) + " (known: gpt2, qwen2)");
    }

    vocab_ = bpe_detail::read_vocab(config.vocab, "bpe");
    if (!config.unk_token.empty()) {
        unk_id_ = token_to_id(config.unk_token);
        if (unk_id_ < 0) {
            throw Error(Status::invalid_config, "bpe: unk_token " + quoted(config.unk_token) + " is not in the vocab");
        }
    }
    for (int b = 0; b < 256; ++b) {
        std::string token;
        utf8_append(token, bpe_detail::byte_to_unicode(static_cast<uint8_t>(b)));
        byte_ids_[b] = token_to_id(token);
    }

    merges_ = bpe_detail::read_merges(config.merges, [this](std::string_view t) { return token_to_id(t); }, "bpe");
}

int32_t ByteLevelBpe::token_to_id(std::string_view token) const {
    const auto it = vocab_.find(std::string(token));
    return it == vocab_.end() ? -1 : it->second;
}

void ByteLevelBpe::append_word(std::string_view word, std::vector<int32_t>& out) const {
    Scratch scratch;
    append_word(word, scratch, out);
}

void ByteLevelBpe::append_word(std::string_view word, Scratch& scratch, std::vector<int32_t>& out) const {
    if (word.empty()) return;
    if (ignore_merges_) {
        scratch.mapped.clear();
        for (const char b : word) utf8_append(scratch.mapped, bpe_detail::byte_to_unicode(static_cast<uint8_t>(b)));
        const int32_t id = token_to_id(scratch.mapped);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }

    // One symbol per byte (tokenizers' merge_word: the byte's character, else unk, else nothing).
    bpe_detail::BpeWord& symbols = scratch.word;
    symbols.clear();
    symbols.reserve(word.size());
    for (const char b : word) {
        int32_t id = byte_ids_[static_cast<uint8_t>(b)];
        if (id < 0) id = unk_id_;
        if (id >= 0) symbols.push(id);
    }
    symbols.merge_all(merges_);
    symbols.append_to(out);
}

std::string ByteLevelBpe::normalize(std::string_view text) const {
    std::string out;
    normalizer_.normalize(text, out);
    return out;
}

void ByteLevelBpe::append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const {
    append_chunks(text, !normalizer_.is_identity(), limit, out);
}

void ByteLevelBpe::append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const {
    append_chunks(normalized, false, limit, out);
}

void ByteLevelBpe::append_chunks(std::string_view text, bool normalize, std::size_t limit, std::vector<int32_t>& out) const {
    if (out.size() >= limit || text.empty()) return;
    Scratch scratch;
    bpe_detail::BpeWordCache cache(text.size());
    std::string normalized;
    bool first = true;
    while (!text.empty()) {
        const std::size_t cut = normalize || (first && add_prefix_space_) ? piece_end(text) : text.size();
        std::string_view piece = text.substr(0, cut);
        text.remove_prefix(cut);
        if (normalize) {
            normalizer_.normalize(piece, normalized);
            piece = normalized;
        }
        if (first && add_prefix_space_ && !piece.empty() && piece[0] != ' ') {
            if (!normalize) normalized.assign(piece);
            normalized.insert(normalized.begin(), ' ');
            piece = normalized;
        }
        first = false;
        for (std::size_t pos = 0; pos < piece.size();) {
            const std::size_t end = bpe_word_end(piece, pos, pattern_);
            const std::string_view word = piece.substr(pos, end - pos);
            cache.append(word, out, [&](std::string_view w, std::vector<int32_t>& ids) { append_word(w, scratch, ids); });
            if (out.size() >= limit) return;
            pos = end;
        }
    }
}

}  // namespace edgembed
