#include "tools/serve/serve_command.h"

namespace edgembed::serve {

CLI::App* add_serve_command(CLI::App& app, ServeOptions& o) {
    CLI::App* serve = app.add_subcommand(
        "serve", "an OpenAI-compatible embedding server: POST /v1/embeddings, GET /v1/models, /health, /metrics");
    serve->add_option("-m,--model", o.models, "model file, or NAME=FILE (repeat for more models)")->required();
    serve->add_option("--host", o.host, "address to bind (default 127.0.0.1: this machine only)");
    serve->add_option("--port", o.port, "TCP port")->check(CLI::Range(0, 65535));
    serve->add_option("--threads", o.batcher.threads, "compute threads per forward pass (default: all cores)")
        ->check(CLI::NonNegativeNumber);
    serve->add_option("--batch-size", o.batcher.batch_size, "sequences per forward pass")->check(CLI::PositiveNumber);
    serve->add_option("--max-batch-tokens", o.batcher.max_batch_tokens,
                      "tokens per packed call: concurrent requests share forward passes up to this")
        ->check(CLI::PositiveNumber);
    serve->add_option("--max-queue", o.batcher.max_queued_inputs,
                      "inputs waiting at most; a request that would pass it gets 429 with Retry-After")
        ->check(CLI::PositiveNumber);
    serve->add_option("--max-inputs", o.request.max_inputs, "inputs per request; more is 413")->check(CLI::PositiveNumber);
    serve->add_option("--max-body-bytes", o.max_body_bytes, "request body size limit; larger is 413")->check(CLI::PositiveNumber);
    serve->add_option("--http-threads", o.http_threads, "connections open at once (more wait for one to close; idle keep-alive ones close after 30 s)")->check(CLI::Range(1, 1024));
    serve->add_option("--api-key", o.api_key, "require 'Authorization: Bearer KEY' on /v1/* (401 without it)");
    return serve;
}

}  // namespace edgembed::serve
