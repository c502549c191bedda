// The server's counters for GET /metrics, in Prometheus' text format (version 0.0.4). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace edgembed::serve {

// Cumulative buckets with fixed upper bounds, as Prometheus histograms are.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);
    // The histogram's lines for metric `name` (with # HELP / # TYPE).
    std::string text(const std::string& name, const std::string& help) const;

private:
    std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::vector<uint64_t> counts_;  // one per bound, plus +Inf
    double sum_ = 0;
    uint64_t count_ = 0;
};

class Metrics {
public:
    Metrics();
    // One answered HTTP request on `route` with `status`, and its latency.
    void request(const std::string& route, int status, double seconds);
    // One forward batch of the scheduler: the inputs and tokens it packed from its requests.
    void batch(size_t inputs, size_t tokens, double seconds);
    void set_queue_depth(const std::string& model, size_t inputs);
    std::string text() const;

private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, uint64_t> requests_;
    std::map<std::string, size_t> queue_depth_;
    std::atomic<uint64_t> inputs_{0}, tokens_{0}, batches_{0};
    Histogram latency_, batch_inputs_, batch_tokens_, batch_seconds_;
};

}  // namespace edgembed::serve
