#include "tools/serve/metrics.h"

#include <algorithm>
#include <sstream>

namespace edgembed::serve {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
    const size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_[bucket];
    sum_ += value;
    ++count_;
}

std::string Histogram::text(const std::string& name, const std::string& help) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::ostringstream out;
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += counts_[i];
        out << name << "_bucket{le=\"" << bounds_[i] << "\"} " << cumulative << "\n";
    }
    out << name << "_bucket{le=\"+Inf\"} " << count_ << "\n" << name << "_sum " << sum_ << "\n" << name << "_count " << count_ << "\n";
    return out.str();
}

Metrics::Metrics()
    : latency_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      batch_inputs_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048}),
      batch_tokens_({16, 64, 256, 1024, 2048, 4096, 8192, 16384, 65536}),
      batch_seconds_({0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}) {}

void Metrics::request(const std::string& route, int status, double seconds) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++requests_[{route, status}];
    }
    if (route == "/v1/embeddings") latency_.observe(seconds);
}

void Metrics::batch(size_t inputs, size_t tokens, double seconds) {
    inputs_ += inputs;
    tokens_ += tokens;
    ++batches_;
    batch_inputs_.observe(static_cast<double>(inputs));
    batch_tokens_.observe(static_cast<double>(tokens));
    batch_seconds_.observe(seconds);
}

void Metrics::set_queue_depth(const std::string& model, size_t inputs) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_depth_[model] = inputs;
}

std::string Metrics::text() const {
    std::ostringstream out;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        out << "# HELP edgembed_requests_total HTTP requests answered, by route and status code.\n"
               "# TYPE edgembed_requests_total counter\n";
        for (const auto& [key, count] : requests_)
            out << "edgembed_requests_total{route=\"" << key.first << "\",code=\"" << key.second << "\"} " << count << "\n";
        out << "# HELP edgembed_queue_depth Inputs waiting for a forward batch, by model.\n"
               "# TYPE edgembed_queue_depth gauge\n";
        for (const auto& [model, depth] : queue_depth_) out << "edgembed_queue_depth{model=\"" << model << "\"} " << depth << "\n";
    }
    out << "# HELP edgembed_inputs_total Inputs (texts or token arrays) embedded.\n# TYPE edgembed_inputs_total counter\n"
        << "edgembed_inputs_total " << inputs_.load() << "\n"
        << "# HELP edgembed_tokens_total Model input tokens embedded, special tokens included.\n"
           "# TYPE edgembed_tokens_total counter\n"
        << "edgembed_tokens_total " << tokens_.load() << "\n"
        << "# HELP edgembed_batches_total Forward batches run by the schedulers.\n# TYPE edgembed_batches_total counter\n"
        << "edgembed_batches_total " << batches_.load() << "\n";
    out << latency_.text("edgembed_request_duration_seconds", "Latency of POST /v1/embeddings, from parsed to answered.")
        << batch_inputs_.text("edgembed_batch_inputs", "Inputs per forward batch (packed from concurrent requests).")
        << batch_tokens_.text("edgembed_batch_tokens", "Tokens per forward batch.")
        << batch_seconds_.text("edgembed_batch_duration_seconds", "Time per forward batch.");
    return out.str();
}

}  // namespace edgembed::serve
