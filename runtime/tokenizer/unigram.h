// A Unigram language model's segmentation, as Hugging Face `tokenizers` computes it (models/unigram,
// encode_optimized + tokenize): the best path through the lattice of vocabulary pieces, scores summed in
// double precision, a character no piece starts with becoming <unk> (score: the lowest piece score - 10),
// runs of <unk> fused into one, and optionally byte fallback (<0xXX> pieces) for them.
//
// The sentencepiece library runs the same lattice in single precision, which breaks exact ties
// differently (for t5-small "xxx" is "x" "xx" there and "xx" "x" in Hugging Face, in 12 of 56k real
// texts): the ids here follow Hugging Face.
//
// Thread safety: immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgembed {

class Unigram {
public:
    struct Entry {
        std::string piece;
        double score = 0.0;
    };
    // vocab[id]: a piece and its score. A piece listed twice maps to its last id (as in Hugging Face).
    // Throws Error(invalid_config) when the vocab is empty, unk_id is outside it, or a piece is empty.
    Unigram(std::vector<Entry> vocab, int32_t unk_id, bool byte_fallback);

    // Scratch space of one encoding thread, reused across words.
    struct Scratch {
        struct Node {
            double score = 0.0;
            int32_t starts_at = -1;
            int32_t id = -1;
        };
        std::vector<Node> best;
    };

    // Appends the ids of one pre-token (Metaspace's output, e.g. "▁word"; valid UTF-8).
    void encode(std::string_view word, Scratch& scratch, std::vector<int32_t>& out) const;

    // -1 when absent.
    int32_t token_to_id(std::string_view token) const noexcept;
    std::size_t size() const noexcept { return scores_.size(); }
    int32_t unk_id() const noexcept { return unk_id_; }

private:
    // Byte trie of the pieces, nodes in one array, each node's edges sorted by byte in another.
    static constexpr uint32_t no_node = UINT32_MAX;
    uint32_t child(uint32_t node, unsigned char byte) const noexcept;
    // Hugging Face's tokenize() for a run of <unk>: the run's string as a piece, else byte pieces, else <unk>.
    void emit_unknown(std::string_view run, std::vector<int32_t>& out) const;

    struct Node {
        uint32_t first_edge = 0;
        uint32_t edge_count = 0;
        int32_t id = -1;  // the piece ending here, -1 when none
    };
    std::vector<Node> nodes_;          // nodes_[0]: the root
    std::vector<uint32_t> edges_;      // (child << 8) | byte
    std::vector<uint32_t> root_;       // byte -> child of the root (no_node when none)
    std::vector<double> scores_;       // id -> score
    int32_t unk_id_ = 0;
    double unk_score_ = 0.0;
    bool byte_fallback_ = false;
    int32_t byte_ids_[256];           // <0xXX> piece ids (byte fallback), -1 when absent
};

}  // namespace edgembed
