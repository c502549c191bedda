// What the two BPE models (byte_level_bpe.h, sentencepiece_bpe.h) share: the token -> id map, the merge
// table read from "left right" lines, and tokenizers' Word::merge_all, the loop that applies it to the
// symbols of one word.
//
// Usage:
//   bpe_detail::MergeMap merges = bpe_detail::read_merges(config.merges, token_to_id, "bpe");
//   bpe_detail::BpeWord word;
//   for (int32_t id : initial_ids) word.push(id);
//   word.merge_all(merges);
//   word.append_to(out);
//
// Thread safety: a MergeMap is immutable once read; a BpeWord is per-call scratch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace edgembed::bpe_detail {

// (left id, right id) -> (rank, merged id): open addressing over 64-bit keys, at most half full.
class MergeMap {
public:
    struct Merge {
        uint32_t rank;
        int32_t id;
    };
    void reserve(std::size_t count);
    // Inserts or overwrites: a merge listed twice keeps its later rank, as in `tokenizers`.
    void insert(int32_t left, int32_t right, Merge merge);
    // nullptr when the pair does not merge.
    const Merge* find(int32_t left, int32_t right) const noexcept;

private:
    struct Slot {
        uint64_t key = empty_key;
        Merge merge{};
    };
    static constexpr uint64_t empty_key = ~uint64_t{0};
    static uint64_t key_of(int32_t left, int32_t right) noexcept {
        return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
    }
    std::size_t slot_of(uint64_t key) const noexcept;

    std::vector<Slot> slots_;  // size is a power of two
    int shift_ = 64;
    std::size_t size_ = 0;
};

// vocab (id -> token; "" for an id without a token) as token -> id. Throws Error(invalid_config)
// "<who>: ..." for an empty or oversized vocab, or a token listed twice.
std::unordered_map<std::string, int32_t> read_vocab(const std::vector<std::string>& vocab, const char* who);

// One merge line "left right" split at its one space; false when it is not two non-empty tokens
// separated by exactly one space.
bool split_merge(std::string_view merge, std::string_view& left, std::string_view& right) noexcept;

// The merges, highest priority first, as a MergeMap over token ids (token_to_id: -1 for a token not in
// the vocab). Throws Error(invalid_config) "<who>: merge N "..." ..." for a malformed merge, or one whose
// parts or result are not in the vocab.
MergeMap read_merges(const std::vector<std::string>& merges, const std::function<int32_t(std::string_view)>& token_to_id,
                     const char* who);

// tokenizers' Word: the symbols of one word, merged lowest rank first, the leftmost of equal ranks first
// (Word::merge_all without dropout, down to how it skips stale queue entries).
class BpeWord {
public:
    void clear() noexcept { symbols_.clear(); }
    void reserve(std::size_t count) { symbols_.reserve(count); }
    void push(int32_t id);
    std::size_t size() const noexcept { return symbols_.size(); }
    void merge_all(const MergeMap& merges);
    // The ids left after merge_all(), in order.
    void append_to(std::vector<int32_t>& out) const;

private:
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
    std::vector<Symbol> symbols_;
    std::vector<Candidate> queue_;
};

}  // namespace edgembed::bpe_detail
