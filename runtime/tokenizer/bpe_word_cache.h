// The ids of the words already merged in one append() of a long text, for both BPE models (words recur: in
// the man pages 9 of 10 words were seen before). Open addressing over the words' hashes; it stops taking
// words when half full, and takes none longer than 64 bytes. Texts under 1 KB get no cache (it would cost
// more than it saves).
//
// Usage (per call, not shared between threads):
//   BpeWordCache cache(text.size());
//   cache.append(word, out, [&](std::string_view w, std::vector<int32_t>& ids) { merge(w, ids); });
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgembed::bpe_detail {

class BpeWordCache {
public:
    explicit BpeWordCache(std::size_t text_bytes);

    // Appends the ids of word to out: the cached ones, else those compute(word, out) appends (then cached).
    template <class Compute>
    void append(std::string_view word, std::vector<int32_t>& out, Compute&& compute) {
        if (slots_.empty()) {
            compute(word, out);
            return;
        }
        const uint64_t hash = hash_of(word);
        if (lookup(word, hash, out)) return;
        const std::size_t before = out.size();
        compute(word, out);
        insert(word, hash, out.data() + before, out.size() - before);
    }

private:
    static uint64_t hash_of(std::string_view word) noexcept;
    // Appends the word's ids to out and returns true when the word is cached.
    bool lookup(std::string_view word, uint64_t hash, std::vector<int32_t>& out) const;
    void insert(std::string_view word, uint64_t hash, const int32_t* ids, std::size_t count);

    static constexpr std::size_t max_word_bytes = 64;  // so a word has at most 64 ids
    struct Slot {
        uint64_t hash = 0;
        uint32_t word_offset = 0, ids_offset = 0;
        uint16_t word_length = 0;  // 0: empty
        uint16_t id_count = 0;
    };
    std::vector<Slot> slots_;  // size is a power of two; empty: no cache
    std::string words_;
    std::vector<int32_t> ids_;
    std::size_t used_ = 0;
};

}  // namespace edgembed::bpe_detail
