#include "tools/serve/batcher.h"

#include <chrono>

#include "tools/serve/api_error.h"

namespace edgembed::serve {

Batcher::Batcher(std::string name, std::shared_ptr<const Model> model, BatcherLimits limits, Metrics& metrics)
    : name_(std::move(name)), limits_(limits), metrics_(metrics), context_(std::move(model)) {
    metrics_.set_queue_depth(name_, 0);
    scheduler_ = std::thread([this] { run(); });
}

Batcher::~Batcher() { stop(); }

std::future<std::vector<float>> Batcher::submit(std::vector<std::vector<int32_t>> sequences) {
    Job job;
    for (const auto& s : sequences) job.tokens += s.size();
    job.sequences = std::move(sequences);
    std::future<std::vector<float>> result = job.done.get_future();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) throw ApiError(503, "the server is shutting down");
        if (queued_inputs_ > 0 && queued_inputs_ + job.sequences.size() > limits_.max_queued_inputs)
            throw ApiError(429, "the queue is full (" + std::to_string(queued_inputs_) + " inputs waiting); retry later",
                           "", "queue_full");
        queued_inputs_ += job.sequences.size();
        metrics_.set_queue_depth(name_, queued_inputs_);
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
    return result;
}

void Batcher::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (scheduler_.joinable()) scheduler_.join();
}

void Batcher::run() {
    std::vector<Job> jobs;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and everything queued is done
            // Whole requests in arrival order while they fit; the first always goes.
            size_t tokens = 0;
            while (!queue_.empty() && (jobs.empty() || tokens + queue_.front().tokens <= limits_.max_batch_tokens)) {
                tokens += queue_.front().tokens;
                queued_inputs_ -= queue_.front().sequences.size();
                jobs.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            metrics_.set_queue_depth(name_, queued_inputs_);
        }
        embed(jobs);
        jobs.clear();
    }
}

void Batcher::embed(std::vector<Job>& jobs) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::vector<int32_t>> sequences;
    size_t tokens = 0;
    for (Job& job : jobs) {
        tokens += job.tokens;
        for (auto& s : job.sequences) sequences.push_back(std::move(s));
    }
    const size_t dim = static_cast<size_t>(context_.model().dimension());
    std::vector<float> vectors(sequences.size() * dim);
    try {
        EmbedOptions options;
        options.batch_size = limits_.batch_size;
        options.max_batch_tokens = limits_.max_batch_tokens;
        options.threads = limits_.threads;
        context_.embed_ids(sequences, options, vectors.data());
    } catch (...) {
        for (Job& job : jobs) job.done.set_exception(std::current_exception());
        return;
    }
    size_t row = 0;
    for (Job& job : jobs) {
        const size_t count = job.sequences.size();
        job.done.set_value(std::vector<float>(vectors.begin() + static_cast<std::ptrdiff_t>(row * dim),
                                              vectors.begin() + static_cast<std::ptrdiff_t>((row + count) * dim)));
        row += count;
    }
    metrics_.batch(sequences.size(), tokens, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace edgembed::serve
