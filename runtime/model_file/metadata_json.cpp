#include "runtime/model_file/metadata_json.h"

#include "base/error.h"

namespace edgembed::model_file {

namespace {

using Json = nlohmann::json;

// nlohmann's own tree builder, with the elements of config.wordpiece.vocab diverted into a vector.
class VocabDivertingParser {
public:
    explicit VocabDivertingParser(Metadata& out) : out_(out), tree_(out.tree) {}

    bool null() { return scalar() && tree_.null(); }
    bool boolean(bool v) { return scalar() && tree_.boolean(v); }
    bool number_integer(Json::number_integer_t v) { return scalar() && tree_.number_integer(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return scalar() && tree_.number_unsigned(v); }
    bool number_float(Json::number_float_t v, const std::string& s) { return scalar() && tree_.number_float(v, s); }
    bool binary(Json::binary_t& v) { return scalar() && tree_.binary(v); }
    bool string(std::string& v) {
        if (diverting_) {
            out_.vocab->push_back(v);  // a copy: moving would keep the lexer buffer's capacity
            return true;
        }
        pending_key_.clear();
        return tree_.string(v);
    }
    bool key(std::string& k) {
        pending_key_ = k;
        return tree_.key(k);
    }
    bool start_object(std::size_t n) {
        if (diverting_) return not_a_string();
        path_.push_back(pending_key_);
        pending_key_.clear();
        return tree_.start_object(n);
    }
    bool end_object() {
        path_.pop_back();
        return tree_.end_object();
    }
    bool start_array(std::size_t n) {
        if (diverting_) return not_a_string();
        // config.tokenizer.{wordpiece,bpe}.vocab, or config.wordpiece.vocab in files from before families.
        const bool vocab = pending_key_ == "vocab" && path_.size() >= 3 && path_[1] == "config" &&
                           ((path_.size() == 3 && path_[2] == "wordpiece") ||
                            (path_.size() == 4 && path_[2] == "tokenizer" && (path_[3] == "wordpiece" || path_[3] == "bpe")));
        if (vocab) {
            diverting_ = true;
            out_.vocab.emplace();  // a repeated key replaces the earlier one, as in the tree
        }
        path_.push_back(diverting_ ? pending_key_ : std::string("[]"));
        pending_key_.clear();
        return tree_.start_array(diverting_ ? 0 : n);
    }
    bool end_array() {
        diverting_ = false;
        path_.pop_back();
        return tree_.end_array();
    }
    bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& e) {
        return tree_.parse_error(position, token, e);
    }

    bool vocab_had_a_non_string() const { return non_string_; }

private:
    bool scalar() {
        if (diverting_) return not_a_string();
        pending_key_.clear();
        return true;
    }
    bool not_a_string() {
        non_string_ = true;
        return false;  // stops the parse
    }

    Metadata& out_;
    nlohmann::detail::json_sax_dom_parser<Json> tree_;
    std::vector<std::string> path_;  // the key of every open object ("[]" for arrays), root first
    std::string pending_key_;
    bool diverting_ = false;
    bool non_string_ = false;
};

}  // namespace

Metadata parse_metadata(const char* begin, const char* end) {
    Metadata out;
    VocabDivertingParser parser(out);
    bool complete = false;
    try {
        complete = Json::sax_parse(begin, end, &parser);
    } catch (const Json::exception& e) {
        throw Error(Status::corrupt_model_file, std::string("corrupt model file: metadata is not valid JSON: ") + e.what());
    }
    if (parser.vocab_had_a_non_string())
        throw Error(Status::corrupt_model_file, "corrupt model file: model config: wordpiece.vocab must be an array of strings");
    if (!complete) throw Error(Status::corrupt_model_file, "corrupt model file: metadata is not valid JSON");
    return out;
}

}  // namespace edgembed::model_file
