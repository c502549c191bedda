// HTTP routes of `edgembed serve` on cpp-httplib: POST /v1/embeddings, GET /v1/models, /health, /metrics.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "tools/serve/api_error.h"
#include "tools/serve/embedding_response.h"
#include "tools/serve/model_inputs.h"
#include "tools/serve/serve_options.h"

namespace edgembed::serve {
namespace {

struct ServedModel {
    std::string name;
    std::shared_ptr<const Model> model;
    std::unique_ptr<Batcher> batcher;
};

std::string model_name(const std::string& spec, std::string* path) {
    const size_t eq = spec.find('=');
    if (eq != std::string::npos && eq > 0) {
        *path = spec.substr(eq + 1);
        return spec.substr(0, eq);
    }
    *path = spec;
    std::string name = spec.substr(spec.find_last_of('/') + 1);
    const std::string suffix = ".edgembed";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        name.resize(name.size() - suffix.size());
    return name;
}

class Server {
public:
    explicit Server(const ServeOptions& options) : options_(options) {
        for (const std::string& spec : options.models) {
            std::string path;
            const std::string name = model_name(spec, &path);
            if (models_.count(name)) throw Error(Status::invalid_argument, "two models are named '" + name + "' (use NAME=PATH)");
            ServedModel& m = models_[name];
            m.name = name;
            m.model = Model::load(path);
            if (static_cast<size_t>(m.model->config().max_seq_length) > options.batcher.max_batch_tokens)
                throw Error(Status::invalid_argument, "--max-batch-tokens " + std::to_string(options.batcher.max_batch_tokens) +
                                                          " is below " + name + "'s max_seq_length " +
                                                          std::to_string(m.model->config().max_seq_length));
            m.batcher = std::make_unique<Batcher>(name, m.model, options.batcher, metrics_);
        }
        http_.new_task_queue = [n = options.http_threads] { return new httplib::ThreadPool(static_cast<size_t>(n)); };
        http_.set_payload_max_length(options.max_body_bytes);
        http_.set_read_timeout(30, 0);
        // A connection holds an HTTP thread while it stays open: keep-alive connections last up to 30 s
        // idle (cpp-httplib's 5 s lets a busy client's next request race the close) and serve many requests.
        http_.set_keep_alive_timeout(30);
        http_.set_keep_alive_max_count(1000);
        http_.set_write_timeout(30, 0);
        http_.Post("/v1/embeddings", [this](const httplib::Request& q, httplib::Response& r) { answer(q, r, "/v1/embeddings", &Server::embeddings); });
        http_.Get("/v1/models", [this](const httplib::Request& q, httplib::Response& r) { answer(q, r, "/v1/models", &Server::list_models); });
        http_.Get("/health", [this](const httplib::Request&, httplib::Response& r) {
            r.status = 200;
            r.set_content(R"({"status":"ok"})", "application/json");
            metrics_.request("/health", 200, 0);
        });
        http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& r) {
            r.status = 200;
            r.set_content(metrics_.text(), "text/plain; version=0.0.4");
            metrics_.request("/metrics", 200, 0);
        });
        // Unknown routes, bodies over the limit (413, set by httplib) and the like: an OpenAI-style body.
        http_.set_error_handler([this](const httplib::Request&, httplib::Response& r) {
            if (!r.body.empty()) return;  // a route's own error answer
            const std::string message = r.status == 413 ? "the request body is over the limit of " +
                                                              std::to_string(options_.max_body_bytes) + " bytes"
                                        : r.status == 404 ? "no such route"
                                                          : "the request failed";
            r.set_content(ApiError(r.status, message).body(), "application/json");
            metrics_.request("other", r.status, 0);
        });
    }

    // Listens until stop(); then finishes in-flight requests, drains the batchers.
    int run() {
        if (!http_.bind_to_port(options_.host, options_.port)) {
            std::fprintf(stderr, "edgembed: error: cannot listen on %s:%d\n", options_.host.c_str(), options_.port);
            return 1;
        }
        std::fprintf(stderr, "edgembed: serving %zu model%s on http://%s:%d\n", models_.size(), models_.size() == 1 ? "" : "s",
                     options_.host.c_str(), options_.port);
        const bool ok = http_.listen_after_bind();
        for (auto& [name, m] : models_) m.batcher->stop();
        std::fprintf(stderr, "edgembed: stopped\n");
        return ok ? 0 : 1;
    }
    void stop() { http_.stop(); }

private:
    using Route = void (Server::*)(const httplib::Request&, httplib::Response&);

    void answer(const httplib::Request& q, httplib::Response& r, const char* route, Route handler) {
        const auto t0 = std::chrono::steady_clock::now();
        try {
            authorize(q);
            (this->*handler)(q, r);
            r.status = 200;  // cpp-httplib would set it only after this returns
        } catch (const ApiError& e) {
            fail(r, e);
        } catch (const std::bad_alloc&) {
            fail(r, ApiError(503, "out of memory"));
        } catch (const std::exception& e) {
            fail(r, ApiError(500, std::string("internal error: ") + e.what()));
        }
        metrics_.request(route, r.status, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }

    static void fail(httplib::Response& r, const ApiError& e) {
        r.status = e.http_status();
        if (e.http_status() == 429) r.set_header("Retry-After", "1");
        r.set_content(e.body(), "application/json");
    }

    void authorize(const httplib::Request& q) const {
        if (options_.api_key.empty()) return;
        if (q.get_header_value("Authorization") != "Bearer " + options_.api_key)
            throw ApiError(401, "a valid API key is required (Authorization: Bearer KEY)", "", "invalid_api_key");
    }

    ServedModel& find_model(const std::string& name) {
        if (name.empty() && models_.size() == 1) return models_.begin()->second;
        const auto found = models_.find(name);
        if (found != models_.end()) return found->second;
        std::string known;
        for (const auto& [n, m] : models_) known += (known.empty() ? "'" : ", '") + n + "'";
        throw ApiError(400, (name.empty() ? std::string("'model' is required") : "unknown model '" + name + "'") +
                                " (served: " + known + ")",
                       "model", "model_not_found");
    }

    void embeddings(const httplib::Request& q, httplib::Response& r) {
        const EmbeddingRequest request = parse_embedding_request(q.body, options_.request);
        ServedModel& m = find_model(request.model);
        const ModelConfig& config = m.model->config();
        ResponseShape shape;
        shape.dimension = static_cast<size_t>(config.hidden_size);
        if (request.dimensions) {
            if (*request.dimensions > config.hidden_size)
                throw ApiError(400, "'dimensions' is " + std::to_string(*request.dimensions) + "; " + m.name + " has " +
                                        std::to_string(config.hidden_size),
                               "dimensions");
            shape.keep = static_cast<size_t>(*request.dimensions);
        }
        shape.renormalize = config.normalize;
        shape.base64 = request.base64;
        ModelInputs inputs = model_inputs(*m.model, request, request_prompt(config, request));
        std::vector<float> vectors = m.batcher->submit(std::move(inputs.sequences)).get();
        r.set_content(embedding_response(m.name, vectors, shape, inputs.tokens), "application/json");
    }

    void list_models(const httplib::Request&, httplib::Response& r) {
        nlohmann::json data = nlohmann::json::array();
        for (const auto& [name, m] : models_)
            data.push_back({{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "edgembed"},
                            {"dimension", m.model->config().hidden_size}, {"max_length", m.model->config().max_seq_length},
                            {"prompts", m.model->config().prompts}});
        r.set_content(nlohmann::json{{"object", "list"}, {"data", data}}.dump(), "application/json");
    }

    const ServeOptions& options_;
    Metrics metrics_;
    std::map<std::string, ServedModel> models_;
    httplib::Server http_;
};

}  // namespace

int run_server(const ServeOptions& options) {
    // SIGTERM / SIGINT go to one thread that stops the server; every other thread blocks them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client that went away is a failed write, not the end of the server
    Server server(options);
    std::atomic<bool> done{false};
    std::thread waiter([&] {
        const timespec tick{0, 200 * 1000 * 1000};
        while (!done) {
            if (sigtimedwait(&signals, nullptr, &tick) > 0) {
                std::fprintf(stderr, "edgembed: stopping: finishing the requests in flight\n");
                server.stop();
                return;
            }
        }
    });
    const int status = server.run();
    done = true;
    waiter.join();
    return status;
}

}  // namespace edgembed::serve
