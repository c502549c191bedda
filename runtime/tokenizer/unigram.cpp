#include "runtime/tokenizer/unigram.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "base/error.h"

namespace edgembed {

namespace {

// Hugging Face's K_UNK_PENALTY (and sentencepiece's kUnkPenalty).
constexpr double unk_penalty = 10.0;

// Byte length of the UTF-8 character whose lead byte is b (the text is valid UTF-8).
inline std::size_t char_length(unsigned char b) { return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4; }

}  // namespace

Unigram::Unigram(std::vector<Entry> vocab, int32_t unk_id, bool byte_fallback)
    : unk_id_(unk_id), byte_fallback_(byte_fallback) {
    if (vocab.empty()) throw Error(Status::invalid_config, "unigram: the vocab is empty");
    if (vocab.size() >= (1u << 24)) throw Error(Status::invalid_config, "unigram: the vocab is too large");
    if (unk_id < 0 || static_cast<std::size_t>(unk_id) >= vocab.size()) {
        throw Error(Status::invalid_config, "unigram: unk_id " + std::to_string(unk_id) + " is outside the vocab");
    }
    // Build with per-node edge lists, then flatten them (sorted by byte) into edges_.
    std::vector<std::vector<std::pair<unsigned char, uint32_t>>> children(1);
    nodes_.resize(1);
    double min_score = std::numeric_limits<double>::infinity();
    scores_.reserve(vocab.size());
    for (std::size_t id = 0; id < vocab.size(); ++id) {
        const std::string& piece = vocab[id].piece;
        if (piece.empty()) throw Error(Status::invalid_config, "unigram: piece " + std::to_string(id) + " is empty");
        uint32_t node = 0;
        for (const char ch : piece) {
            const unsigned char b = static_cast<unsigned char>(ch);
            uint32_t next = no_node;
            for (const auto& [byte, c] : children[node]) {
                if (byte == b) next = c;
            }
            if (next == no_node) {
                next = static_cast<uint32_t>(nodes_.size());
                if (next >= (1u << 24)) throw Error(Status::invalid_config, "unigram: the vocab's trie is too large");
                children[node].emplace_back(b, next);
                children.emplace_back();
                nodes_.emplace_back();
            }
            node = next;
        }
        nodes_[node].id = static_cast<int32_t>(id);  // a duplicate piece: the last id wins, as in Hugging Face
        scores_.push_back(vocab[id].score);
        min_score = std::min(min_score, vocab[id].score);
    }
    unk_score_ = min_score - unk_penalty;
    for (std::size_t n = 0; n < children.size(); ++n) {
        auto& list = children[n];
        std::sort(list.begin(), list.end());
        nodes_[n].first_edge = static_cast<uint32_t>(edges_.size());
        nodes_[n].edge_count = static_cast<uint32_t>(list.size());
        for (const auto& [byte, c] : list) edges_.push_back((c << 8) | byte);
    }
    root_.assign(256, no_node);
    for (const auto& [byte, c] : children[0]) root_[byte] = c;

    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        byte_ids_[b] = token_to_id(name);
    }
}

uint32_t Unigram::child(uint32_t node, unsigned char byte) const noexcept {
    if (node == 0) return root_[byte];
    const Node& n = nodes_[node];
    const uint32_t* begin = edges_.data() + n.first_edge;
    const uint32_t* end = begin + n.edge_count;
    if (n.edge_count <= 8) {
        for (const uint32_t* e = begin; e != end; ++e) {
            if ((*e & 0xFF) == byte) return *e >> 8;
        }
        return no_node;
    }
    const uint32_t* e = std::lower_bound(begin, end, byte, [](uint32_t edge, unsigned b) { return (edge & 0xFF) < b; });
    return e != end && (*e & 0xFF) == byte ? *e >> 8 : no_node;
}

int32_t Unigram::token_to_id(std::string_view token) const noexcept {
    if (token.empty()) return -1;
    uint32_t node = 0;
    for (const char ch : token) {
        node = child(node, static_cast<unsigned char>(ch));
        if (node == no_node) return -1;
    }
    return nodes_[node].id;
}

void Unigram::emit_unknown(std::string_view run, std::vector<int32_t>& out) const {
    // Hugging Face looks the fused run up as a token, then tries byte pieces for all of its bytes.
    const int32_t id = token_to_id(run);
    if (id >= 0) {
        out.push_back(id);
        return;
    }
    if (byte_fallback_ && std::all_of(run.begin(), run.end(), [&](char c) { return byte_ids_[static_cast<unsigned char>(c)] >= 0; })) {
        for (const char c : run) out.push_back(byte_ids_[static_cast<unsigned char>(c)]);
        return;
    }
    out.push_back(unk_id_);
}

void Unigram::encode(std::string_view word, Scratch& scratch, std::vector<int32_t>& out) const {
    const std::size_t size = word.size();
    if (size == 0) return;
    if (size >= static_cast<std::size_t>(INT32_MAX)) throw Error(Status::limit_exceeded, "unigram: word too long");
    auto& best = scratch.best;
    best.assign(size + 1, Scratch::Node{});
    best[0].score = 0.0;
    // encode_optimized: the best path ending at each byte position, the lattice walked on the fly.
    for (std::size_t starts_at = 0; starts_at < size;) {
        const double till_here = best[starts_at].score;
        const std::size_t mblen = std::min(char_length(static_cast<unsigned char>(word[starts_at])), size - starts_at);
        bool has_single_node = false;
        uint32_t node = 0;
        for (std::size_t key_pos = starts_at; key_pos < size; ++key_pos) {
            node = child(node, static_cast<unsigned char>(word[key_pos]));
            if (node == no_node) break;
            const int32_t id = nodes_[node].id;
            if (id < 0) continue;
            const std::size_t ends_at = key_pos + 1;
            const double candidate = scores_[id] + till_here;
            Scratch::Node& target = best[ends_at];
            if (target.starts_at < 0 || candidate > target.score) {
                target.score = candidate;
                target.starts_at = static_cast<int32_t>(starts_at);
                target.id = id;
            }
            if (ends_at - starts_at == mblen) has_single_node = true;
        }
        if (!has_single_node) {
            Scratch::Node& target = best[starts_at + mblen];
            const double candidate = unk_score_ + till_here;
            if (target.starts_at < 0 || candidate > target.score) {
                target.score = candidate;
                target.starts_at = static_cast<int32_t>(starts_at);
                target.id = unk_id_;
            }
        }
        starts_at += mblen;
    }
    // Back from the end; a run of <unk> nodes becomes one segment (fuse_unk). The segments are collected
    // backwards in out's tail, then reversed.
    const std::size_t mark = out.size();
    std::size_t ends_at = size;
    std::size_t unk_run_end = 0;  // 0: no run open
    std::size_t unk_run_begin = 0;
    auto flush_run = [&]() {
        if (unk_run_end == 0) return;
        // The run's ids are pushed reversed so that the final reverse puts them in order.
        const std::size_t at = out.size();
        emit_unknown(word.substr(unk_run_begin, unk_run_end - unk_run_begin), out);
        std::reverse(out.begin() + static_cast<std::ptrdiff_t>(at), out.end());
        unk_run_end = 0;
    };
    while (ends_at > 0) {
        const Scratch::Node& n = best[ends_at];
        const std::size_t starts_at = static_cast<std::size_t>(n.starts_at);
        if (n.id == unk_id_) {
            if (unk_run_end == 0) unk_run_end = ends_at;
            unk_run_begin = starts_at;
        } else {
            flush_run();
            out.push_back(n.id);
        }
        ends_at = starts_at;
    }
    flush_run();
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
}

}  // namespace edgembed
