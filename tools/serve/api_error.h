// An error answered to an HTTP client as OpenAI's API does: a status code and
// {"error": {"message", "type", "param", "code"}}.
#pragma once

#include <stdexcept>
#include <string>

namespace edgembed::serve {

class ApiError : public std::runtime_error {
public:
    ApiError(int http_status, std::string message, std::string param = "", std::string code = "")
        : std::runtime_error(std::move(message)), http_status_(http_status), param_(std::move(param)), code_(std::move(code)) {}

    int http_status() const { return http_status_; }
    // OpenAI's error type for the status: invalid_request_error, authentication_error, rate_limit_error, ...
    const char* type() const;
    // The JSON body.
    std::string body() const;

private:
    int http_status_;
    std::string param_, code_;
};

}  // namespace edgembed::serve
