#include "tools/serve/api_error.h"

#include <nlohmann/json.hpp>

namespace edgembed::serve {

const char* ApiError::type() const {
    switch (http_status_) {
        case 401: return "authentication_error";
        case 404: return "not_found_error";
        case 413: return "request_too_large";
        case 429: return "rate_limit_error";
        case 503: return "service_unavailable";
        default: return http_status_ >= 500 ? "server_error" : "invalid_request_error";
    }
}

std::string ApiError::body() const {
    const nlohmann::json error = {{"message", what()},
                                  {"type", type()},
                                  {"param", param_.empty() ? nlohmann::json() : nlohmann::json(param_)},
                                  {"code", code_.empty() ? nlohmann::json() : nlohmann::json(code_)}};
    return nlohmann::json{{"error", error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgembed::serve
