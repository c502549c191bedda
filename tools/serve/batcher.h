// Dynamic batching: the inputs of concurrent requests for one model wait in a bounded queue; one
// scheduler thread, which owns the model's Context, takes whole requests in arrival order up to
// max_batch_tokens and runs them as one packed embed call, then completes each request's future.
// HTTP threads only tokenize, submit and wait.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/context.h"
#include "tools/serve/metrics.h"

namespace edgembed::serve {

struct BatcherLimits {
    size_t max_batch_tokens = 16384;  // tokens per packed call (one request over it runs alone, cut into passes)
    int batch_size = 256;             // sequences per forward pass
    size_t max_queued_inputs = 4096;  // inputs waiting; a request that would pass it is refused
    int threads = 0;                  // compute threads; 0 = all cores
};

class Batcher {
public:
    Batcher(std::string name, std::shared_ptr<const Model> model, BatcherLimits limits, Metrics& metrics);
    ~Batcher();
    Batcher(const Batcher&) = delete;
    Batcher& operator=(const Batcher&) = delete;

    // Queues model inputs (template included, as wrap_token_inputs makes them); the future gives
    // sequences.size() x dimension floats. Throws ApiError(429) when the queue has no room, ApiError(503)
    // once stopping.
    std::future<std::vector<float>> submit(std::vector<std::vector<int32_t>> sequences);
    // Refuses new work, finishes what is queued, joins the scheduler. Idempotent.
    void stop();

private:
    struct Job {
        std::vector<std::vector<int32_t>> sequences;
        size_t tokens = 0;
        std::promise<std::vector<float>> done;
    };
    void run();
    void embed(std::vector<Job>& jobs);

    std::string name_;
    BatcherLimits limits_;
    Metrics& metrics_;
    Context context_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    size_t queued_inputs_ = 0;
    bool stopping_ = false;
    std::thread scheduler_;
};

}  // namespace edgembed::serve
