#include "runtime/tokenizer/wordpiece.h"

#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include "base/error.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace wordpiece_detail {

void TokenMap::reserve(std::size_t count) {
    std::size_t capacity = 16;
    while (capacity < 2 * count) capacity *= 2;
    if (capacity <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    const std::size_t mask = capacity - 1;
    for (const Slot& s : old) {
        if (s.id < 0) continue;
        std::size_t i = s.hash & mask;
        while (slots_[i].id >= 0) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

void TokenMap::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

void TokenMap::insert(std::string_view key, int32_t id) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    const uint64_t hash = XXH3_64bits(key.data(), key.size());
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash & mask;
    while (slots_[i].id >= 0) {
        const Slot& s = slots_[i];
        if (s.hash == hash && s.length == key.size() &&
            std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
            slots_[i].id = id;
            return;
        }
        i = (i + 1) & mask;
    }
    if (arena_.size() + key.size() > UINT32_MAX) throw Error(Status::limit_exceeded, "wordpiece vocab too large");
    slots_[i] = Slot{hash, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id};
    arena_.append(key);
    ++size_;
    max_key_length_ = std::max(max_key_length_, key.size());
}

int32_t TokenMap::find(std::string_view key) const noexcept {
    if (slots_.empty() || key.size() > max_key_length_) return -1;
    const uint64_t hash = XXH3_64bits(key.data(), key.size());
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.id < 0) return -1;
        if (s.hash == hash && s.length == key.size() &&
            std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
            return s.id;
        }
    }
}

}  // namespace wordpiece_detail

namespace {

inline bool is_continuation_byte(char b) noexcept { return (static_cast<unsigned char>(b) & 0xC0) == 0x80; }

// Segments of raw text are normalized in chunks of about this many bytes, cut at an ASCII space: a space
// is a word boundary and a combining-class-0 starter, so chunking changes nothing but lets a truncated
// encode() of a long document stop early and keeps the working buffers small.
constexpr std::size_t chunk_bytes = 4096;

}  // namespace

WordPieceModel::WordPieceModel(const WordPieceConfig& config)
    : normalizer_(BertNormalizerOptions{config.clean_text, config.handle_chinese_chars, config.strip_accents,
                                        config.lowercase}) {
    if (config.vocab.empty()) throw Error(Status::invalid_config, "wordpiece: the vocab is empty");
    if (config.vocab.size() > static_cast<std::size_t>(INT32_MAX)) {
        throw Error(Status::invalid_config, "wordpiece: the vocab is too large");
    }
    if (config.max_input_chars_per_word < 0) {
        throw Error(Status::invalid_config, "wordpiece: max_input_chars_per_word is negative");
    }
    max_input_chars_per_word_ = static_cast<std::size_t>(config.max_input_chars_per_word);

    const std::string& prefix = config.continuing_subword_prefix;
    vocab_.reserve(config.vocab.size());
    continuation_.reserve(config.vocab.size() / 4);
    for (std::size_t id = 0; id < config.vocab.size(); ++id) {
        const std::string& token = config.vocab[id];
        vocab_.insert(token, static_cast<int32_t>(id));
        if (token.size() > prefix.size() && token.compare(0, prefix.size(), prefix) == 0) {
            continuation_.insert(std::string_view(token).substr(prefix.size()), static_cast<int32_t>(id));
        }
    }

    vocab_size_ = config.vocab.size();
    unk_id_ = vocab_.find(config.unk_token);
    if (unk_id_ < 0)
        throw Error(Status::invalid_config, "wordpiece: unk_token \"" + config.unk_token + "\" is not in the vocab");
}

void WordPieceModel::tokenize_word(std::string_view word, std::size_t char_count,
                                       std::vector<int32_t>& out) const {
    if (char_count > max_input_chars_per_word_) {
        out.push_back(unk_id_);
        return;
    }
    const std::size_t mark = out.size();
    const std::size_t n = word.size();
    std::size_t start = 0;
    while (start < n) {
        const wordpiece_detail::TokenMap& map = start == 0 ? vocab_ : continuation_;
        // No key is longer than max_key_length(): start there (on a character boundary) and shrink.
        std::size_t end = std::min(n, start + map.max_key_length());
        while (end > start && end < n && is_continuation_byte(word[end])) --end;
        int32_t id = -1;
        while (end > start) {
            id = map.find(word.substr(start, end - start));
            if (id >= 0) break;
            do {
                --end;
            } while (end > start && is_continuation_byte(word[end]));
        }
        if (id < 0) {
            out.resize(mark);
            out.push_back(unk_id_);
            return;
        }
        out.push_back(id);
        start = end;
    }
}

void WordPieceModel::append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const {
    append_chunks(text, true, limit, out);
}

void WordPieceModel::append_normalized(std::string_view normalized, std::size_t limit, std::vector<int32_t>& out) const {
    append_chunks(normalized, false, limit, out);
}

void WordPieceModel::append_chunks(std::string_view text, bool normalize, std::size_t limit, std::vector<int32_t>& out) const {
    std::u32string decoded, normalized, scratch;
    std::string word;
    auto on_word = [&](std::u32string_view w) {
        if (out.size() >= limit) return;
        word.clear();
        for (char32_t c : w) utf8_append(word, c);
        tokenize_word(word, w.size(), out);
    };
    while (!text.empty() && out.size() < limit) {
        std::size_t cut = text.size();
        if (cut > chunk_bytes) {
            const std::size_t space = text.find(' ', chunk_bytes);
            if (space != std::string_view::npos) cut = space + 1;
        }
        decoded.clear();
        utf8_decode(text.substr(0, cut), decoded);
        normalized.clear();
        if (normalize) normalizer_.normalize(decoded, normalized, scratch);
        bert_pre_tokenize(std::u32string_view(normalize ? normalized : decoded), on_word);
        text.remove_prefix(cut);
    }
}

}  // namespace edgembed
