#include "runtime/prompts.h"

#include "base/error.h"

namespace edgembed {

std::string resolve_prompt(const ModelConfig& config, std::optional<std::string_view> prompt_name,
                           std::optional<std::string_view> prompt) {
    if (prompt) return std::string(*prompt);
    if (!prompt_name) {
        if (config.default_prompt_name.empty()) return "";
        return config.prompts.at(config.default_prompt_name);  // validate() checked that it exists
    }
    const auto found = config.prompts.find(std::string(*prompt_name));
    if (found != config.prompts.end()) return found->second;
    std::string known;
    for (const auto& [name, text] : config.prompts) known += (known.empty() ? "'" : ", '") + name + "'";
    throw Error(Status::invalid_argument, "unknown prompt name '" + std::string(*prompt_name) + "' (this model's prompts: " +
                                              (known.empty() ? std::string("none") : known) + ")");
}

}  // namespace edgembed
