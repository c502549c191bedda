// Status codes and the internal error type. The C API (issue 6) maps Error to its status enum;
// no exception ever crosses that boundary.
#pragma once

#include <stdexcept>
#include <string>

namespace edgembed {

// Explicit values, never reused: they become the C API's status enum.
enum class Status : int {
    ok = 0,
    invalid_argument = 1,
    file_not_found = 2,
    io_error = 3,
    corrupt_model_file = 4,
    unsupported_version = 5,
    unsupported_architecture = 6,
    invalid_checkpoint = 7,
    invalid_config = 8,
    invalid_weights = 9,
    invalid_utf8 = 10,
    limit_exceeded = 11,
    out_of_memory = 12,
    internal_error = 13,
};

const char* status_name(Status status) noexcept;

class Error : public std::runtime_error {
public:
    Error(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    Status status() const noexcept { return status_; }

private:
    Status status_;
};

}  // namespace edgembed
