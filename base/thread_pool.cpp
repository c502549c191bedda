#include "base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace edgembed {

size_t default_thread_count() noexcept {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return static_cast<size_t>(CPU_COUNT(&set));
#endif
    return std::max<size_t>(1, std::thread::hardware_concurrency());
}

namespace detail {
namespace {

// How long an idle thread spins before it sleeps: longer than the serial gap between two parallel loops
// of a forward pass (a few microseconds), far shorter than a scheduler time slice.
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// Spins until done() or kSpin has passed; true when done().
template <class Done>
bool spin_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (done()) return true;
            cpu_relax();
        }
        if (std::chrono::steady_clock::now() >= deadline) return done();
    }
}

// One parallel_for call, on its caller's stack.
struct Job {
    ChunkFunction function = nullptr;
    void* body = nullptr;
    size_t count = 0, chunk = 1;
    size_t helpers_wanted = 0;            // pool workers it may take
    size_t helpers_joined = 0;            // guarded by the pool's mutex
    std::atomic<size_t> next{0};          // first item of the next chunk
    std::atomic<size_t> helpers_running{0};
    std::exception_ptr error;             // the first exception; guarded by the pool's mutex
};

thread_local bool inside_body = false;  // nested calls run inline

class ThreadPool {
public:
    void run(size_t threads, size_t count, size_t chunk, ChunkFunction function, void* body) {
        const size_t chunks = (count + chunk - 1) / chunk;
        Job job;
        job.function = function;
        job.body = body;
        job.count = count;
        job.chunk = chunk;
        job.helpers_wanted = std::min({threads - 1, chunks - 1, kMaxPoolWorkers});
        size_t to_wake = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            while (workers_ < job.helpers_wanted) {
                try {
                    std::thread(&ThreadPool::worker_main, this).detach();
                } catch (const std::system_error&) {  // out of threads: make do with those there are
                    job.helpers_wanted = workers_;
                    break;
                }
                ++workers_;
            }
            jobs_.push_back(&job);
            posted_.fetch_add(1, std::memory_order_release);
            to_wake = std::min(sleeping_, job.helpers_wanted);  // spinning workers see posted_ change
        }
        // Outside the lock, so that a woken worker does not block on it (the caller's chunks do not wait
        // for the worker: it joins when it runs, if chunks are left).
        for (size_t i = 0; i < to_wake; ++i) wake_.notify_one();
        work(job, 0);
        {
            // The chunks are gone: no worker may join now; wait for those that did.
            std::unique_lock<std::mutex> lock(mutex_);
            withdraw(job);
            if (job.helpers_running.load(std::memory_order_acquire) != 0) {
                lock.unlock();
                if (!spin_until([&] { return job.helpers_running.load(std::memory_order_acquire) == 0; })) {
                    lock.lock();
                    done_.wait(lock, [&] { return job.helpers_running.load(std::memory_order_acquire) == 0; });
                }
            }
        }
        if (job.error) std::rethrow_exception(job.error);
    }

private:
    // Takes chunks until none is left.
    void work(Job& job, size_t worker) {
        inside_body = true;
        for (;;) {
            const size_t begin = job.next.fetch_add(job.chunk, std::memory_order_relaxed);
            if (begin >= job.count) break;
            try {
                job.function(job.body, begin, std::min(job.count, begin + job.chunk), worker);
            } catch (...) {
                job.next.store(job.count, std::memory_order_relaxed);  // skip the rest
                std::lock_guard<std::mutex> lock(mutex_);
                if (!job.error) job.error = std::current_exception();
            }
        }
        inside_body = false;
    }

    void withdraw(Job& job) {  // under mutex_
        auto it = std::find(jobs_.begin(), jobs_.end(), &job);
        if (it != jobs_.end()) jobs_.erase(it);
    }

    // A job that still takes helpers, joined (under mutex_), or null; `worker` gets the helper's index.
    Job* join_locked(size_t& worker) {
        for (Job* job : jobs_) {
            if (job->next.load(std::memory_order_relaxed) >= job->count) continue;
            worker = ++job->helpers_joined;
            job->helpers_running.fetch_add(1, std::memory_order_relaxed);
            if (job->helpers_joined == job->helpers_wanted) withdraw(*job);
            return job;
        }
        return nullptr;
    }

    void worker_main() {
#if defined(__linux__)
        // SCHED_BATCH: same share of the CPU, but a woken worker never preempts the running thread: on a
        // busy host it would otherwise often take the caller's core just when the caller woke it.
        sched_param batch{};
        pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
#endif
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            size_t worker = 0;
            if (Job* job = join_locked(worker)) {
                lock.unlock();
                work(*job, worker);
                // The caller may return as soon as this reaches 0: job is not touched after it.
                const bool last = job->helpers_running.fetch_sub(1, std::memory_order_acq_rel) == 1;
                lock.lock();
                if (last) {
                    // Under the lock the caller is either before its check of helpers_running or waiting.
                    lock.unlock();
                    done_.notify_all();
                    lock.lock();
                }
                continue;
            }
            const uint64_t seen = posted_.load(std::memory_order_relaxed);
            lock.unlock();
            const bool posted = spin_until([&] { return posted_.load(std::memory_order_acquire) != seen; });
            lock.lock();
            if (!posted) {
                ++sleeping_;
                wake_.wait(lock, [&] { return posted_.load(std::memory_order_relaxed) != seen; });
                --sleeping_;
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;  // idle workers sleep here
    std::condition_variable done_;  // callers waiting for their helpers sleep here
    std::vector<Job*> jobs_;        // jobs that may still take helpers
    std::atomic<uint64_t> posted_{0};
    size_t workers_ = 0, sleeping_ = 0;
};

// The process's pool: never destroyed (its sleeping workers end with the process). A child made by
// fork() has none of its parent's threads, so it starts a pool of its own.
ThreadPool* pool_instance = nullptr;
std::once_flag pool_once;

ThreadPool& pool() {
    std::call_once(pool_once, [] {
        pool_instance = new ThreadPool;
#if defined(__linux__)
        pthread_atfork(nullptr, nullptr, [] { pool_instance = new ThreadPool; });
#endif
    });
    return *pool_instance;
}

}  // namespace

void run_parallel(size_t threads, size_t count, size_t chunk, ChunkFunction function, void* body) {
    if (inside_body) {
        function(body, 0, count, 0);
        return;
    }
    pool().run(threads, count, chunk, function, body);
}

}  // namespace detail
}  // namespace edgembed
