#include "runtime/tokenizer/bpe_word_cache.h"

#include <cstring>

#include <xxhash.h>

namespace edgembed::bpe_detail {

namespace {

// Texts at least this long get a cache of this many slots.
constexpr std::size_t cache_min_text_bytes = 1024;
constexpr std::size_t cache_slots = 1 << 14;

}  // namespace

BpeWordCache::BpeWordCache(std::size_t text_bytes) {
    if (text_bytes >= cache_min_text_bytes) slots_.resize(cache_slots);
}

uint64_t BpeWordCache::hash_of(std::string_view word) noexcept { return XXH3_64bits(word.data(), word.size()); }

bool BpeWordCache::lookup(std::string_view word, uint64_t hash, std::vector<int32_t>& out) const {
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

void BpeWordCache::insert(std::string_view word, uint64_t hash, const int32_t* ids, std::size_t count) {
    if (2 * (used_ + 1) > slots_.size() || word.empty() || word.size() > max_word_bytes) return;
    std::size_t i = hash & (slots_.size() - 1);
    while (slots_[i].word_length != 0) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = Slot{hash, static_cast<uint32_t>(words_.size()), static_cast<uint32_t>(ids_.size()),
                     static_cast<uint16_t>(word.size()), static_cast<uint16_t>(count)};
    words_.append(word);
    ids_.insert(ids_.end(), ids, ids + count);
    ++used_;
}

}  // namespace edgembed::bpe_detail
