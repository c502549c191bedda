// C API: status codes and strings, last-error text, version, logging and the ISA cap.
#include <cstring>
#include <mutex>

#include "runtime/c_api/c_api_internal.h"
#include "simd/isa.h"

#define EDGEMBED_STR2(x) #x
#define EDGEMBED_STR(x) EDGEMBED_STR2(x)

// The header's version is the project's (CMake passes PROJECT_VERSION_*).
static_assert(EDGEMBED_VERSION_MAJOR == EDGEMBED_PROJECT_VERSION_MAJOR &&
                  EDGEMBED_VERSION_MINOR == EDGEMBED_PROJECT_VERSION_MINOR &&
                  EDGEMBED_VERSION_PATCH == EDGEMBED_PROJECT_VERSION_PATCH,
              "edgembed.h's EDGEMBED_VERSION_* differ from project(edgembed VERSION ...)");

namespace edgembed::c_api {

#define EDGEMBED_SAME_STATUS(c, cpp) \
    static_assert(static_cast<int>(c) == static_cast<int>(Status::cpp), #c " differs from Status::" #cpp)
EDGEMBED_SAME_STATUS(EDGEMBED_OK, ok);
EDGEMBED_SAME_STATUS(EDGEMBED_INVALID_ARGUMENT, invalid_argument);
EDGEMBED_SAME_STATUS(EDGEMBED_FILE_NOT_FOUND, file_not_found);
EDGEMBED_SAME_STATUS(EDGEMBED_IO_ERROR, io_error);
EDGEMBED_SAME_STATUS(EDGEMBED_CORRUPT_MODEL_FILE, corrupt_model_file);
EDGEMBED_SAME_STATUS(EDGEMBED_UNSUPPORTED_VERSION, unsupported_version);
EDGEMBED_SAME_STATUS(EDGEMBED_UNSUPPORTED_ARCHITECTURE, unsupported_architecture);
EDGEMBED_SAME_STATUS(EDGEMBED_INVALID_CHECKPOINT, invalid_checkpoint);
EDGEMBED_SAME_STATUS(EDGEMBED_INVALID_CONFIG, invalid_config);
EDGEMBED_SAME_STATUS(EDGEMBED_INVALID_WEIGHTS, invalid_weights);
EDGEMBED_SAME_STATUS(EDGEMBED_INVALID_UTF8, invalid_utf8);
EDGEMBED_SAME_STATUS(EDGEMBED_LIMIT_EXCEEDED, limit_exceeded);
EDGEMBED_SAME_STATUS(EDGEMBED_OUT_OF_MEMORY, out_of_memory);
EDGEMBED_SAME_STATUS(EDGEMBED_INTERNAL_ERROR, internal_error);
#undef EDGEMBED_SAME_STATUS

edgembed_status to_c_status(Status status) noexcept {
    // No default: -Wswitch flags a Status added without its EDGEMBED_* value.
    switch (status) {
        case Status::ok:
        case Status::invalid_argument:
        case Status::file_not_found:
        case Status::io_error:
        case Status::corrupt_model_file:
        case Status::unsupported_version:
        case Status::unsupported_architecture:
        case Status::invalid_checkpoint:
        case Status::invalid_config:
        case Status::invalid_weights:
        case Status::invalid_utf8:
        case Status::limit_exceeded:
        case Status::out_of_memory:
        case Status::internal_error:
            return static_cast<edgembed_status>(status);
    }
    return EDGEMBED_INTERNAL_ERROR;
}

std::string& thread_last_error() noexcept {
    thread_local std::string text;
    return text;
}

void invalid_argument(const std::string& message) { throw Error(Status::invalid_argument, message); }

namespace {

struct LogSink {
    std::mutex mutex;
    edgembed_log_callback callback = nullptr;
    void* user_data = nullptr;
};

LogSink& log_sink() {
    static LogSink sink;
    return sink;
}

}  // namespace

void log(edgembed_log_level level, const std::string& message) noexcept {
    LogSink& sink = log_sink();
    edgembed_log_callback callback;
    void* user_data;
    {
        std::lock_guard<std::mutex> lock(sink.mutex);
        callback = sink.callback;
        user_data = sink.user_data;
    }
    // Called without the lock, so that a callback may call into edgembed.
    if (callback) callback(level, message.c_str(), user_data);
}

}  // namespace edgembed::c_api

using namespace edgembed;

extern "C" {

const char* edgembed_status_string(edgembed_status status) {
    // A C caller may pass any int; read it as one (in C++ an enum holding a value outside its range is
    // undefined behaviour, which UBSan reports).
    int value;
    std::memcpy(&value, &status, sizeof value);
    if (value < EDGEMBED_OK || value > EDGEMBED_INTERNAL_ERROR) return "unknown status";
    return status_name(static_cast<Status>(value));
}

const char* edgembed_last_error(void) { return c_api::thread_last_error().c_str(); }

const char* edgembed_version(void) {
    return EDGEMBED_STR(EDGEMBED_PROJECT_VERSION_MAJOR) "." EDGEMBED_STR(EDGEMBED_PROJECT_VERSION_MINOR) "." EDGEMBED_STR(
        EDGEMBED_PROJECT_VERSION_PATCH);
}

void edgembed_version_numbers(int* major, int* minor, int* patch) {
    if (major) *major = EDGEMBED_PROJECT_VERSION_MAJOR;
    if (minor) *minor = EDGEMBED_PROJECT_VERSION_MINOR;
    if (patch) *patch = EDGEMBED_PROJECT_VERSION_PATCH;
}

void edgembed_set_log_callback(edgembed_log_callback callback, void* user_data) {
    c_api::LogSink& sink = c_api::log_sink();
    std::lock_guard<std::mutex> lock(sink.mutex);
    sink.callback = callback;
    sink.user_data = user_data;
}

edgembed_status edgembed_set_isa_cap(const char* isa) {
    return c_api::guard("edgembed_set_isa_cap", nullptr, [&] {
        if (isa == nullptr) c_api::invalid_argument("isa is NULL");
        simd::Isa value;
        if (!simd::isa_from_name(isa, &value))
            c_api::invalid_argument(std::string("'") + isa + "' is not an ISA (scalar, sse2, avx2, avx512bw, neon64)");
        simd::set_isa_cap(value);
        c_api::log(EDGEMBED_LOG_INFO, std::string("ISA capped at ") + simd::isa_name(value));
    });
}

edgembed_status edgembed_active_isa(const char** isa_out) {
    if (isa_out) *isa_out = nullptr;
    return c_api::guard("edgembed_active_isa", nullptr, [&] {
        if (isa_out == nullptr) c_api::invalid_argument("isa_out is NULL");
        *isa_out = simd::isa_name(simd::active_isa());
    });
}

}  // extern "C"
