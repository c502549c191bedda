#include "runtime/tokenizer/byte_level_bpe.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>

#include <xxhash.h>

#include "base/error.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace bpe_detail {

void MergeMap::reserve(std::size_t count) {
    std::size_t capacity = 16;
    int shift = 60;
    while (capacity < 2 * count) {
        capacity *= 2;
        --shift;
    }
    if (capacity <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    shift_ = shift;
    for (const Slot& s : old) {
        if (s.key == empty_key) continue;
        std::size_t i = slot_of(s.key);
        while (slots_[i].key != empty_key) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = s;
    }
}

std::size_t MergeMap::slot_of(uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);  // Fibonacci hashing
}

void MergeMap::insert(int32_t left, int32_t right, Merge merge) {
    if (2 * (size_ + 1) > slots_.size()) reserve(size_ + 1 > 8 ? 2 * size_ : 8);
    const uint64_t key = key_of(left, right);
    std::size_t i = slot_of(key);
    while (slots_[i].key != empty_key) {
        if (slots_[i].key == key) {
            slots_[i].merge = merge;
            return;
        }
        i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = Slot{key, merge};
    ++size_;
}

const MergeMap::Merge* MergeMap::find(int32_t left, int32_t right) const noexcept {
    if (slots_.empty()) return nullptr;
    const uint64_t key = key_of(left, right);
    for (std::size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
        const Slot& s = slots_[i];
        if (s.key == key) return &s.merge;
        if (s.key == empty_key) return nullptr;
    }
}

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

// The ids of the words seen so far in one append() of a long text (words recur: in the man pages 9 of 10
// words were seen before). Open addressing over the words' hashes; it stops taking words when half full.
class WordCache {
public:
    explicit WordCache(std::size_t slots) : slots_(slots) {}

    // Appends the word's ids to out and returns true when the word is cached.
    bool append(std::string_view word, uint64_t hash, std::vector<int32_t>& out) const {
        for (std::size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            const Slot& s = slots_[i];
            if (s.word_length == 0) return false;
            if (s.hash == hash && s.word_length == word.size() &&
                std::memcmp(words_.data() + s.word_offset, word.data(), word.size()) == 0) {
                out.insert(out.end(), ids_.begin() + s.ids_offset, ids_.begin() + s.ids_offset + s.id_count);
                return true;
            }
        }
    }

    void insert(std::string_view word, uint64_t hash, const int32_t* ids, std::size_t count) {
        if (2 * (used_ + 1) > slots_.size() || word.empty() || word.size() > max_word_bytes) return;
        std::size_t i = hash & (slots_.size() - 1);
        while (slots_[i].word_length != 0) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = Slot{hash, static_cast<uint32_t>(words_.size()), static_cast<uint32_t>(ids_.size()),
                         static_cast<uint16_t>(word.size()), static_cast<uint16_t>(count)};
        words_.append(word);
        ids_.insert(ids_.end(), ids, ids + count);
        ++used_;
    }

    static constexpr std::size_t max_word_bytes = 64;  // so a word has at most 64 ids

private:
    struct Slot {
        uint64_t hash = 0;
        uint32_t word_offset = 0, ids_offset = 0;
        uint16_t word_length = 0;  // 0: empty
        uint16_t id_count = 0;
    };
    std::vector<Slot> slots_;  // size is a power of two
    std::string words_;
    std::vector<int32_t> ids_;
    std::size_t used_ = 0;
};

// Texts at least this long get a WordCache of this many slots.
constexpr std::size_t cache_min_text_bytes = 1024;
constexpr std::size_t cache_slots = 1 << 14;

// Per-call working memory of the merge loop (tokenizers' Word and its queue).
struct ByteLevelBpe::Scratch {
    struct Symbol {
        int32_t id;    // -1: merged into the symbol before it
        int32_t prev;  // -1: none
        int32_t next;  // -1: none
    };
    struct Candidate {
        uint32_t rank;
        int32_t pos;
        int32_t id;
    };
    // Heap order: the lowest rank on top, then the lowest position.
    static bool pops_later(const Candidate& a, const Candidate& b) noexcept {
        return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    }
    std::vector<Symbol> symbols;
    std::vector<Candidate> queue;
    std::string mapped;  // the word in the byte-to-unicode alphabet (ignore_merges only)
};

ByteLevelBpe::ByteLevelBpe(const BpeConfig& config)
    : normalizer_(config.normalizer),
      add_prefix_space_(config.add_prefix_space),
      ignore_merges_(config.ignore_merges),
      vocab_size_(config.vocab.size()) {
    if (config.vocab.empty()) throw Error(Status::invalid_config, "bpe: the vocab is empty");
    if (config.vocab.size() > static_cast<std::size_t>(INT32_MAX)) {
        throw Error(Status::invalid_config, "bpe: the vocab is too large");
    }
    if (config.merges.size() > UINT32_MAX) throw Error(Status::invalid_config, "bpe: too many merges");
    if (config.pre_tokenizer == "gpt2") {
        pattern_ = BpeSplitPattern::gpt2;
    } else if (config.pre_tokenizer == "qwen2") {
        pattern_ = BpeSplitPattern::qwen2;
    } else {
        throw Error(Status::invalid_config,
                    "bpe: unknown pre_tokenizer " + quoted(config.pre_tokenizer) + " (known: gpt2, qwen2)");
    }

    vocab_.reserve(config.vocab.size());
    for (std::size_t id = 0; id < config.vocab.size(); ++id) {
        const std::string& token = config.vocab[id];
        if (token.empty()) continue;  // an id without a token
        const auto [it, inserted] = vocab_.emplace(token, static_cast<int32_t>(id));
        if (!inserted) {
            throw Error(Status::invalid_config, "bpe: token " + quoted(token) + " is listed twice (ids " +
                                                    std::to_string(it->second) + " and " + std::to_string(id) + ")");
        }
    }
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

    merges_.reserve(config.merges.size());
    for (std::size_t rank = 0; rank < config.merges.size(); ++rank) {
        const std::string& merge = config.merges[rank];
        const std::size_t space = merge.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 == merge.size() ||
            merge.find(' ', space + 1) != std::string::npos) {
            throw Error(Status::invalid_config, "bpe: merge " + std::to_string(rank) + " " + quoted(merge) +
                                                    " is not two tokens separated by one space");
        }
        const std::string_view left = std::string_view(merge).substr(0, space);
        const std::string_view right = std::string_view(merge).substr(space + 1);
        const std::string merged = std::string(left) + std::string(right);
        auto id_of = [&](std::string_view token) {
            const int32_t id = token_to_id(token);
            if (id < 0) {
                throw Error(Status::invalid_config, "bpe: merge " + std::to_string(rank) + " " + quoted(merge) +
                                                        ": " + quoted(token) + " is not in the vocab");
            }
            return id;
        };
        const int32_t left_id = id_of(left);
        const int32_t right_id = id_of(right);
        const int32_t merged_id = id_of(merged);
        merges_.insert(left_id, right_id, bpe_detail::MergeMap::Merge{static_cast<uint32_t>(rank), merged_id});
    }
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
    std::vector<Scratch::Symbol>& symbols = scratch.symbols;
    symbols.clear();
    symbols.reserve(word.size());
    for (const char b : word) {
        int32_t id = byte_ids_[static_cast<uint8_t>(b)];
        if (id < 0) id = unk_id_;
        if (id < 0) continue;
        const auto index = static_cast<int32_t>(symbols.size());
        if (index > 0) symbols.back().next = index;
        symbols.push_back(Scratch::Symbol{id, index - 1, -1});
    }
    if (symbols.size() <= 1) {
        if (!symbols.empty()) out.push_back(symbols[0].id);
        return;
    }

    // tokenizers' Word::merge_all without dropout: a queue of candidate merges, the lowest (rank, position)
    // first, stale entries skipped when they come up. Short words scan an unsorted queue (faster than a
    // heap at that size, same order: entries equal in (rank, position) are the same merge).
    std::vector<Scratch::Candidate>& queue = scratch.queue;
    queue.clear();
    const bool small = symbols.size() <= 32;
    auto push = [&](const Scratch::Candidate& c) {
        if (queue.size() == queue.capacity()) queue.reserve(queue.size() + queue.size() / 4 + 16);  // not 2x: huge words
        queue.push_back(c);
        if (!small) std::push_heap(queue.begin(), queue.end(), Scratch::pops_later);
    };
    auto pop = [&] {
        if (small) {
            const auto first = std::min_element(queue.begin(), queue.end(), [](const auto& a, const auto& b) {
                return Scratch::pops_later(b, a);
            });
            std::iter_swap(first, queue.end() - 1);
        } else {
            std::pop_heap(queue.begin(), queue.end(), Scratch::pops_later);
        }
        const Scratch::Candidate top = queue.back();
        queue.pop_back();
        return top;
    };
    queue.reserve(symbols.size());
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
        if (const auto* m = merges_.find(symbols[i].id, symbols[i + 1].id)) {
            queue.push_back(Scratch::Candidate{m->rank, static_cast<int32_t>(i), m->id});
        }
    }
    if (!small) std::make_heap(queue.begin(), queue.end(), Scratch::pops_later);
    while (!queue.empty()) {
        const Scratch::Candidate top = pop();
        Scratch::Symbol& current = symbols[static_cast<std::size_t>(top.pos)];
        if (current.id < 0 || current.next < 0) continue;
        const int32_t right_pos = current.next;
        const Scratch::Symbol right = symbols[static_cast<std::size_t>(right_pos)];
        // A stale entry: the pair at pos no longer makes this token.
        const auto* now = merges_.find(current.id, right.id);
        if (now == nullptr || now->id != top.id) continue;

        current.id = top.id;
        current.next = right.next;
        symbols[static_cast<std::size_t>(right_pos)].id = -1;
        if (right.next >= 0) symbols[static_cast<std::size_t>(right.next)].prev = top.pos;

        if (current.prev >= 0) {
            if (const auto* m = merges_.find(symbols[static_cast<std::size_t>(current.prev)].id, current.id)) {
                push(Scratch::Candidate{m->rank, current.prev, m->id});
            }
        }
        if (current.next >= 0) {
            if (const auto* m = merges_.find(current.id, symbols[static_cast<std::size_t>(current.next)].id)) {
                push(Scratch::Candidate{m->rank, top.pos, m->id});
            }
        }
    }
    for (int32_t i = 0; i >= 0; i = symbols[static_cast<std::size_t>(i)].next) {
        out.push_back(symbols[static_cast<std::size_t>(i)].id);
    }
}

void ByteLevelBpe::append(std::string_view text, std::size_t limit, std::vector<int32_t>& out) const {
    if (out.size() >= limit || text.empty()) return;
    Scratch scratch;
    std::optional<WordCache> cache;
    if (text.size() >= cache_min_text_bytes) cache.emplace(cache_slots);
    std::string normalized;
    bool first = true;
    while (!text.empty()) {
        const std::size_t cut = normalizer_.is_identity() && !(first && add_prefix_space_) ? text.size()
                                                                                           : piece_end(text);
        std::string_view piece = text.substr(0, cut);
        text.remove_prefix(cut);
        if (!normalizer_.is_identity()) {
            normalizer_.normalize(piece, normalized);
            piece = normalized;
        }
        if (first && add_prefix_space_ && !piece.empty() && piece[0] != ' ') {
            if (normalizer_.is_identity()) normalized.assign(piece);
            normalized.insert(normalized.begin(), ' ');
            piece = normalized;
        }
        first = false;
        for (std::size_t pos = 0; pos < piece.size();) {
            const std::size_t end = bpe_word_end(piece, pos, pattern_);
            const std::string_view word = piece.substr(pos, end - pos);
            if (cache) {
                const uint64_t hash = XXH3_64bits(word.data(), word.size());
                if (!cache->append(word, hash, out)) {
                    const std::size_t before = out.size();
                    append_word(word, scratch, out);
                    cache->insert(word, hash, out.data() + before, out.size() - before);
                }
            } else {
                append_word(word, scratch, out);
            }
            if (out.size() >= limit) return;
            pos = end;
        }
    }
}

}  // namespace edgembed
