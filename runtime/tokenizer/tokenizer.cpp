#include "runtime/tokenizer/tokenizer.h"

#include <cstdint>
#include <string>

#include "base/error.h"
#include "runtime/tokenizer/utf8.h"

namespace edgembed {

namespace {

std::vector<AddedToken> select(const std::vector<AddedToken>& tokens, bool normalized, const PiecesModel& pieces) {
    std::vector<AddedToken> out;
    for (const AddedToken& t : tokens) {
        if (t.normalized != normalized) continue;
        out.push_back(t);
        if (!normalized || t.content.empty()) continue;  // the splitter refuses empty tokens
        out.back().content = pieces.normalize(t.content);
        if (out.back().content.empty()) out.pop_back();  // normalizes to nothing: it can never match
    }
    return out;
}

}  // namespace

Tokenizer::Tokenizer(const TokenizerConfig& config)
    : pieces_(make_pieces_model(config)),
      added_(select(config.added_tokens, false, *pieces_)),
      added_normalized_(select(config.added_tokens, true, *pieces_)),
      prefix_(config.prefix),
      suffix_(config.suffix),
      pad_id_(config.pad_id) {}

void Tokenizer::append_stretch(std::string_view stretch, size_t limit, std::vector<int32_t>& out) const {
    if (added_normalized_.empty()) {
        pieces_->append(stretch, limit, out);
        return;
    }
    const std::string normalized = pieces_->normalize(stretch);
    added_normalized_.split(
        normalized,
        [&](std::string_view part) {
            pieces_->append_normalized(part, limit, out);
            return out.size() < limit;
        },
        [&](int32_t id) {
            out.push_back(id);
            return out.size() < limit;
        });
}

void Tokenizer::append_pieces(std::string_view text, size_t limit, std::vector<int32_t>& out) const {
    if (out.size() >= limit) return;
    if (added_.empty()) {
        append_stretch(text, limit, out);
    } else {
        added_.split(
            text,
            [&](std::string_view stretch) {
                append_stretch(stretch, limit, out);
                return out.size() < limit;
            },
            [&](int32_t id) {
                out.push_back(id);
                return out.size() < limit;
            });
    }
    if (out.size() > limit) out.resize(limit);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, int max_length) const {
    if (max_length > 0 && static_cast<size_t>(max_length) < template_size())
        throw Error(Status::invalid_argument, "max_length " + std::to_string(max_length) + " cannot hold the " +
                                                  std::to_string(template_size()) + " special tokens of the template");
    utf8_validate(text);
    std::vector<int32_t> ids(prefix_);
    const size_t limit = max_length > 0 ? static_cast<size_t>(max_length) - suffix_.size() : SIZE_MAX;
    append_pieces(text, limit, ids);
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
    return ids;
}

std::vector<int32_t> Tokenizer::encode_pieces(std::string_view text) const {
    utf8_validate(text);
    std::vector<int32_t> ids;
    append_pieces(text, SIZE_MAX, ids);
    return ids;
}

std::vector<int32_t> Tokenizer::wrap(const int32_t* pieces, size_t count) const {
    std::vector<int32_t> ids;
    ids.reserve(count + template_size());
    ids.insert(ids.end(), prefix_.begin(), prefix_.end());
    ids.insert(ids.end(), pieces, pieces + count);
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
    return ids;
}

}  // namespace edgembed
