// Shared by the C API's implementation files (runtime/c_api/*.cpp): the opaque handle types, the
// error boundary (guard) and reading of versioned parameter structs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "edgembed.h"
#include "base/error.h"
#include "runtime/context.h"
#include "runtime/model.h"

struct edgembed_model {
    std::shared_ptr<const edgembed::Model> model;
    std::string auto_temperature;  // edgembed_model_info::auto_temperature
};

struct edgembed_context {
    explicit edgembed_context(std::shared_ptr<const edgembed::Model> m) : context(std::move(m)) {}
    edgembed::Context context;
    std::string last_error;
    std::atomic<bool> busy{false};
};

namespace edgembed::c_api {

edgembed_status to_c_status(Status status) noexcept;

// The calling thread's last error text (edgembed_last_error()).
std::string& thread_last_error() noexcept;

// Sends one line to the log callback, if one is set. Never throws.
void log(edgembed_log_level level, const std::string& message) noexcept;

// Runs body() and turns every exception into a status: Error -> its status and message,
// std::bad_alloc -> EDGEMBED_OUT_OF_MEMORY, anything else -> EDGEMBED_INTERNAL_ERROR. The message goes
// to the thread's last error and, when ctx is not null, to ctx->last_error; both are cleared first.
// With a ctx, the call holds the context's busy flag throughout: a second thread calling into the same
// context at the same time fails at once (EDGEMBED_INVALID_ARGUMENT) without touching it.
template <class Body>
edgembed_status guard(const char* function, edgembed_context* ctx, Body&& body) noexcept {
    thread_last_error().clear();
    if (ctx && ctx->busy.exchange(true, std::memory_order_acquire)) {
        try {
            thread_last_error() = std::string(function) +
                                  ": the context is in use by another thread (use one context per thread)";
        } catch (...) {
        }
        return EDGEMBED_INVALID_ARGUMENT;
    }
    std::string message;
    edgembed_status status = EDGEMBED_OK;
    try {
        if (ctx) ctx->last_error.clear();
        body();
    } catch (const Error& e) {
        status = to_c_status(e.status());
        try { message = e.what(); } catch (...) {}
    } catch (const std::bad_alloc&) {
        status = EDGEMBED_OUT_OF_MEMORY;
        message = "out of memory";  // short enough for the small-string buffer: no allocation
    } catch (const std::exception& e) {
        status = EDGEMBED_INTERNAL_ERROR;
        try { message = std::string("internal error: ") + e.what(); } catch (...) {}
    } catch (...) {
        status = EDGEMBED_INTERNAL_ERROR;
        message = "internal error";
    }
    if (status != EDGEMBED_OK) {
        try {
            message = std::string(function) + ": " + message;
            thread_last_error() = message;
            if (ctx) ctx->last_error = message;
        } catch (...) {
            // Out of memory while storing the text: the status still tells what happened.
        }
    }
    if (ctx) ctx->busy.store(false, std::memory_order_release);
    if (status != EDGEMBED_OK) log(EDGEMBED_LOG_ERROR, message);
    return status;
}

[[noreturn]] void invalid_argument(const std::string& message);

// Reads a caller's versioned struct into *out, which holds this library's defaults: struct_size below
// min_size is an error; a smaller struct (an older caller) fills only its prefix; a larger one (a newer
// caller) is accepted when the bytes this library does not know are all zero.
template <class T>
void read_versioned(const T* in, size_t min_size, const char* type_name, T* out) {
    const size_t size = in->struct_size;
    if (size < min_size)
        invalid_argument(std::string(type_name) + ".struct_size is " + std::to_string(size) + ", expected " +
                         std::to_string(sizeof(T)) + " (use the *_default_* function to initialize it)");
    if (size > sizeof(T)) {
        const unsigned char* tail = reinterpret_cast<const unsigned char*>(in) + sizeof(T);
        for (size_t i = 0; i < size - sizeof(T); ++i)
            if (tail[i] != 0)
                invalid_argument(std::string(type_name) + " has fields past byte " + std::to_string(sizeof(T)) +
                                 " that this library (edgembed " + edgembed_version() +
                                 ") does not know; leave them zero or use a newer library");
    }
    std::memcpy(out, in, size < sizeof(T) ? size : sizeof(T));
    out->struct_size = sizeof(T);
}

// Writes *value into the caller's versioned output struct (its first struct_size bytes at most).
template <class T>
void write_versioned(const T& value, size_t min_size, const char* type_name, T* out) {
    const size_t size = out->struct_size;
    if (size < min_size)
        invalid_argument(std::string(type_name) + ".struct_size is " + std::to_string(size) + ", expected " +
                         std::to_string(sizeof(T)) + " (set it to sizeof(" + type_name + "))");
    std::memcpy(reinterpret_cast<unsigned char*>(out) + sizeof(size_t),
                reinterpret_cast<const unsigned char*>(&value) + sizeof(size_t),
                (size < sizeof(T) ? size : sizeof(T)) - sizeof(size_t));
}

}  // namespace edgembed::c_api
