// Standard base64 (RFC 4648, with padding), as tokenizer.json stores bytes (Precompiled's
// precompiled_charsmap).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgembed::convert {

// nullopt when text is not well-formed base64 (a character outside the alphabet, bad padding or length).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace edgembed::convert
