#include "tools/convert/hf_sentencepiece.h"

#include <cmath>
#include <set>
#include <vector>

#include "base/error.h"
#include "runtime/tokenizer/protobuf_wire.h"
#include "runtime/tokenizer/sentencepiece_model.h"
#include "runtime/tokenizer/sentencepiece_proto.h"
#include "tools/convert/base64.h"

namespace edgembed::convert {

namespace {

namespace sp = sentencepiece_proto;
using nlohmann::json;

constexpr const char* metaspace = "\xE2\x96\x81";  // U+2581 "▁"

[[noreturn]] void unsupported(const std::string& file, const std::string& what) {
    throw Error(Status::unsupported_architecture, file + ": " + what + " is not supported for SentencePiece");
}
[[noreturn]] void invalid(const std::string& file, const std::string& what) {
    throw Error(Status::invalid_checkpoint, file + ": " + what);
}

// Loads the config once, so that what the converter writes is what the runtime accepts.
SentencePieceConfig checked(SentencePieceConfig config, const std::string& file) {
    try {
        SentencePieceModel model(config);
    } catch (const Error& e) {
        invalid(file, e.what());
    }
    return config;
}

std::string type_of(const json& component) {
    if (!component.is_object()) return component.is_null() ? "null" : "a non-object";
    const auto it = component.find("type");
    return it != component.end() && it->is_string() ? it->get<std::string>() : "an untyped component";
}

bool bool_or(const json& object, const char* key, bool fallback, const std::string& file, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) invalid(file, where + "." + key + " is not a boolean");
    return it->get<bool>();
}

struct Steps {
    std::string charsmap;  // decoded precompiled_charsmap ("" = none)
    SentencePieceConfig config;
};

// normalizer: Precompiled, then (optionally) Strip(right), then (optionally) Replace(" {2,}", " " | "▁").
void read_normalizer(const json& normalizer, const std::string& file, Steps& steps) {
    if (normalizer.is_null()) return;
    std::vector<const json*> list;
    if (type_of(normalizer) == "Sequence") {
        const auto it = normalizer.find("normalizers");
        if (it == normalizer.end() || !it->is_array()) invalid(file, "normalizer Sequence without a normalizers list");
        for (const json& n : *it) list.push_back(&n);
    } else {
        list.push_back(&normalizer);
    }
    int stage = 0;  // 0: Precompiled may come, 1: Strip may come, 2: Replace may come, 3: nothing more
    for (const json* n : list) {
        const std::string type = type_of(*n);
        if (type == "Precompiled" && stage == 0) {
            const auto it = n->find("precompiled_charsmap");
            if (it != n->end() && !it->is_null()) {
                if (!it->is_string()) invalid(file, "normalizer Precompiled.precompiled_charsmap is not a string");
                const auto bytes = base64_decode(it->get<std::string>());
                if (!bytes) invalid(file, "normalizer Precompiled.precompiled_charsmap is not base64");
                steps.charsmap = *bytes;
            }
            stage = 1;
        } else if (type == "Strip" && stage <= 1 && !bool_or(*n, "strip_left", true, file, "normalizer Strip") &&
                   bool_or(*n, "strip_right", true, file, "normalizer Strip")) {
            steps.config.strip_right = true;
            stage = 2;
        } else if (type == "Replace" && stage <= 2 && n->contains("pattern") && (*n)["pattern"].is_object() &&
                   (*n)["pattern"].value("Regex", std::string()) == " {2,}" && n->contains("content") &&
                   (*n)["content"].is_string() &&
                   ((*n)["content"] == " " || (*n)["content"] == metaspace)) {
            steps.config.space_runs = (*n)["content"].get<std::string>();
            stage = 3;
        } else {
            unsupported(file, "normalizer " + type + (list.size() > 1 ? " at this place of the Sequence" : ""));
        }
    }
}

void read_metaspace(const json& m, const std::string& file, Steps& steps) {
    const auto replacement = m.find("replacement");
    if (replacement == m.end() || !replacement->is_string() || *replacement != metaspace) {
        unsupported(file, "pre_tokenizer Metaspace with a replacement other than \"\u2581\"");
    }
    bool prepend = bool_or(m, "add_prefix_space", true, file, "pre_tokenizer Metaspace");
    const auto scheme = m.find("prepend_scheme");
    if (scheme != m.end() && !scheme->is_null()) {
        if (*scheme == "always") {
            prepend = true;
        } else if (*scheme == "never") {
            prepend = false;
        } else {
            // "first" prefixes only the text's first word, which a stretch between added tokens cannot know.
            unsupported(file, "pre_tokenizer Metaspace prepend_scheme " + scheme->dump());
        }
    }
    if (!bool_or(m, "split", true, file, "pre_tokenizer Metaspace")) unsupported(file, "pre_tokenizer Metaspace split=false");
    steps.config.prepend_space = prepend;
}

// pre_tokenizer: Metaspace, or Sequence[WhitespaceSplit, Metaspace].
void read_pre_tokenizer(const json& pre, const std::string& file, Steps& steps) {
    const std::string type = type_of(pre);
    if (type == "Metaspace") {
        steps.config.whitespace_split = false;
        read_metaspace(pre, file, steps);
        return;
    }
    if (type == "Sequence") {
        const auto it = pre.find("pretokenizers");
        if (it == pre.end() || !it->is_array()) invalid(file, "pre_tokenizer Sequence without a pretokenizers list");
        if (it->size() == 2 && type_of((*it)[0]) == "WhitespaceSplit" && type_of((*it)[1]) == "Metaspace") {
            steps.config.whitespace_split = true;
            read_metaspace((*it)[1], file, steps);
            return;
        }
        std::string names;
        for (const json& p : *it) names += (names.empty() ? "" : ", ") + type_of(p);
        unsupported(file, "pre_tokenizer Sequence[" + names + "]");
    }
    unsupported(file, "pre_tokenizer " + type);
}

struct VocabEntry {
    std::string piece;
    double score;
};

void write_piece(protobuf_wire::WireWriter& model, const std::string& piece, float score, int type) {
    protobuf_wire::WireWriter p;
    p.bytes_field(sp::piece_field::piece, piece);
    p.float_field(sp::piece_field::score, score);
    p.int32_field(sp::piece_field::type, type);
    model.bytes_field(sp::model_field::pieces, p.data());
}

}  // namespace

SentencePieceConfig sentencepiece_from_model_file(const std::string& bytes, const std::string& file) {
    sp::ModelSummary summary;
    try {
        summary = sp::read_model(bytes);
    } catch (const Error& e) {
        invalid(file, e.what());
    }
    if (summary.model_type != sp::ModelType::unigram) {
        static const char* names[] = {"?", "Unigram", "BPE", "Word", "Char"};
        const int t = summary.model_type;
        unsupported(file, std::string("SentencePiece model type ") + (t >= 1 && t <= 4 ? names[t] : std::to_string(t).c_str()) +
                              " (Unigram only)");
    }
    SentencePieceConfig config;
    config.model_proto = bytes;
    return checked(std::move(config), file);
}

bool tokenizer_json_has_xlmr_layout(const json& doc) {
    const auto model = doc.find("model");
    if (model == doc.end() || !model->is_object() || !model->contains("vocab") || !(*model)["vocab"].is_array()) {
        return false;
    }
    const json& vocab = (*model)["vocab"];
    if (vocab.size() < 6 || model->value("unk_id", json()) != 3) return false;
    auto is = [&](std::size_t i, const char* piece) {
        const json& e = vocab[i];
        return e.is_array() && e.size() == 2 && e[0] == piece && e[1].is_number() && e[1].get<double>() == 0.0;
    };
    return is(0, "<s>") && is(1, "<pad>") && is(2, "</s>") && is(3, "<unk>") && is(vocab.size() - 1, "<mask>");
}

SentencePieceConfig sentencepiece_from_tokenizer_json(const json& doc, const std::string& file) {
    if (!doc.is_object()) invalid(file, "not a JSON object");
    const auto model_it = doc.find("model");
    if (model_it == doc.end() || !model_it->is_object()) invalid(file, "no model object");
    const json& model = *model_it;
    // Files written before `tokenizers` tagged its models (t5-small's) have no "type": a Unigram vocab is
    // a list of [piece, score] pairs (WordPiece's and BPE's are objects).
    const bool untyped_unigram = !model.contains("type") && model.contains("vocab") && model["vocab"].is_array();
    if (type_of(model) != "Unigram" && !untyped_unigram) unsupported(file, "model " + type_of(model));

    Steps steps;
    read_normalizer(doc.value("normalizer", json()), file, steps);
    const auto pre = doc.find("pre_tokenizer");
    if (pre == doc.end() || pre->is_null()) unsupported(file, "a Unigram tokenizer without a Metaspace pre_tokenizer");
    read_pre_tokenizer(*pre, file, steps);

    // model: vocab [[piece, score], ...], unk_id, byte_fallback.
    const auto vocab_it = model.find("vocab");
    if (vocab_it == model.end() || !vocab_it->is_array() || vocab_it->empty()) invalid(file, "model.vocab is not a non-empty list");
    std::vector<VocabEntry> vocab;
    vocab.reserve(vocab_it->size());
    for (const json& e : *vocab_it) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number()) {
            invalid(file, "model.vocab[" + std::to_string(vocab.size()) + "] is not [piece, score]");
        }
        const double score = e[1].get<double>();
        if (!std::isfinite(score) || std::fabs(score) > 3.0e38) {
            invalid(file, "model.vocab[" + std::to_string(vocab.size()) + "] has a score that is not a finite float");
        }
        // A ModelProto holds float scores; the runtime recomputes the f64 that tokenizers reads from the
        // float's decimal text (json_scores), so a score must be a float widened to f64 (all converted
        // SentencePiece models' are; a tokenizer trained by `tokenizers` itself has f64 scores).
        if (static_cast<double>(static_cast<float>(score)) != score) {
            unsupported(file, "model.vocab[" + std::to_string(vocab.size()) + "]'s score " + e[1].dump() +
                                  " (not a float32 value)");
        }
        vocab.push_back({e[0].get<std::string>(), score});
    }
    const auto unk_it = model.find("unk_id");
    if (unk_it == model.end() || !unk_it->is_number_integer()) unsupported(file, "model Unigram without unk_id");
    const int64_t unk_id = unk_it->get<int64_t>();
    if (unk_id < 0 || unk_id >= static_cast<int64_t>(vocab.size())) invalid(file, "model.unk_id is outside the vocab");
    steps.config.byte_fallback = bool_or(model, "byte_fallback", false, file, "model");

    // Special added tokens become CONTROL pieces (the runtime never sees them: the splitter matches them).
    std::set<int64_t> special_ids;
    if (doc.contains("added_tokens") && doc["added_tokens"].is_array()) {
        for (const json& t : doc["added_tokens"]) {
            if (t.is_object() && t.value("special", false) && t.contains("id") && t["id"].is_number_integer()) {
                special_ids.insert(t["id"].get<int64_t>());
            }
        }
    }
    auto type_of_entry = [&](std::size_t id) {
        if (static_cast<int64_t>(id) == unk_id) return static_cast<int>(sp::PieceType::unknown);
        if (special_ids.count(static_cast<int64_t>(id))) return static_cast<int>(sp::PieceType::control);
        const std::string& p = vocab[id].piece;
        if (steps.config.byte_fallback && p.size() == 6 && p.compare(0, 3, "<0x") == 0 && p[5] == '>') {
            return static_cast<int>(sp::PieceType::byte);
        }
        return static_cast<int>(sp::PieceType::normal);
    };

    const bool xlmr = tokenizer_json_has_xlmr_layout(doc);
    protobuf_wire::WireWriter proto;
    if (xlmr) {
        // SentencePiece's own order, as in XLM-R's sentencepiece.bpe.model: <unk> <s> </s>, the pieces;
        // "fairseq" maps them back (and adds <pad>, <mask>).
        write_piece(proto, "<unk>", 0.0f, sp::PieceType::unknown);
        write_piece(proto, "<s>", 0.0f, sp::PieceType::control);
        write_piece(proto, "</s>", 0.0f, sp::PieceType::control);
        for (std::size_t id = 4; id + 1 < vocab.size(); ++id) {
            write_piece(proto, vocab[id].piece, static_cast<float>(vocab[id].score), type_of_entry(id));
        }
        steps.config.id_mapping = "fairseq";
    } else {
        for (std::size_t id = 0; id < vocab.size(); ++id) {
            write_piece(proto, vocab[id].piece, static_cast<float>(vocab[id].score), type_of_entry(id));
        }
        steps.config.id_mapping = "identity";
    }
    protobuf_wire::WireWriter trainer;
    trainer.int32_field(sp::trainer_field::model_type, sp::ModelType::unigram);
    trainer.int32_field(sp::trainer_field::vocab_size, static_cast<int32_t>(xlmr ? vocab.size() - 2 : vocab.size()));
    trainer.bool_field(sp::trainer_field::byte_fallback, steps.config.byte_fallback);
    trainer.int32_field(sp::trainer_field::unk_id, xlmr ? 0 : static_cast<int32_t>(unk_id));
    trainer.int32_field(sp::trainer_field::bos_id, xlmr ? 1 : -1);
    trainer.int32_field(sp::trainer_field::eos_id, xlmr ? 2 : -1);
    trainer.int32_field(sp::trainer_field::pad_id, -1);
    trainer.bytes_field(sp::trainer_field::unk_piece, xlmr ? "<unk>" : vocab[static_cast<std::size_t>(unk_id)].piece);
    proto.bytes_field(sp::model_field::trainer_spec, trainer.data());
    // The normalizer spec as SentencePiece would describe these steps (informational: the runtime runs
    // SentencePieceConfig's steps, and the charsmap).
    protobuf_wire::WireWriter normalizer;
    normalizer.bytes_field(sp::normalizer_field::name, steps.charsmap.empty() ? "identity" : "precompiled");
    if (!steps.charsmap.empty()) normalizer.bytes_field(sp::normalizer_field::precompiled_charsmap, steps.charsmap);
    normalizer.bool_field(sp::normalizer_field::add_dummy_prefix, steps.config.prepend_space);
    normalizer.bool_field(sp::normalizer_field::remove_extra_whitespaces,
                          steps.config.whitespace_split || !steps.config.space_runs.empty());
    normalizer.bool_field(sp::normalizer_field::escape_whitespaces, true);
    proto.bytes_field(sp::model_field::normalizer_spec, normalizer.data());

    steps.config.json_scores = true;
    steps.config.model_proto = proto.take();
    return checked(std::move(steps.config), file);
}

}  // namespace edgembed::convert
