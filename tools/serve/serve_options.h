// Settings of `edgembed serve` (tools/serve/serve_command.cpp parses them).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tools/serve/batcher.h"
#include "tools/serve/embedding_request.h"

namespace edgembed::serve {

struct ServeOptions {
    std::vector<std::string> models;  // PATH or NAME=PATH; the name defaults to the file name without .edgembed
    std::string host = "127.0.0.1";
    int port = 8080;
    int http_threads = 128;           // connections open at once (each waits on its request's batch)
    size_t max_body_bytes = 8u << 20; // larger bodies are 413
    std::string api_key;              // "" = none; else /v1/* needs "Authorization: Bearer KEY"
    RequestLimits request;
    BatcherLimits batcher;
};

// Serves until SIGTERM / SIGINT: then stops accepting, answers what is in flight and returns 0.
int run_server(const ServeOptions& options);

}  // namespace edgembed::serve
