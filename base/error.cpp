#include "base/error.h"

namespace edgembed {

const char* status_name(Status status) noexcept {
    switch (status) {
        case Status::ok: return "ok";
        case Status::invalid_argument: return "invalid argument";
        case Status::file_not_found: return "file not found";
        case Status::io_error: return "I/O error";
        case Status::corrupt_model_file: return "corrupt model file";
        case Status::unsupported_version: return "unsupported model file version";
        case Status::unsupported_architecture: return "unsupported architecture";
        case Status::invalid_checkpoint: return "invalid checkpoint";
        case Status::invalid_config: return "invalid config";
        case Status::invalid_weights: return "invalid weights";
        case Status::invalid_utf8: return "invalid UTF-8";
        case Status::limit_exceeded: return "limit exceeded";
        case Status::out_of_memory: return "out of memory";
        case Status::internal_error: return "internal error";
    }
    return "unknown status";
}

}  // namespace edgembed
