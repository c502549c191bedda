// The runtime's thread pool (base/thread_pool.h): every item runs exactly once over edge ranges and chunk
// sizes, worker indices stay below the thread count and are never shared by two threads of one call,
// nested calls run inline, exceptions reach the caller and leave the pool usable, and many callers (the
// contexts of several threads) share it at once. ThreadSanitizer runs this file too (ci_sanitizers.sh).
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_pool.h"

namespace edgembed {
namespace {

// Runs parallel_for and checks that each of [0, count) ran once, with worker < threads.
void expect_each_item_once(size_t threads, size_t count, size_t chunk) {
    std::vector<std::atomic<int>> seen(count);
    std::atomic<size_t> bad_worker{0}, bad_chunk{0};
    parallel_for(threads, count, chunk, [&](size_t begin, size_t end, size_t worker) {
        if (worker >= std::max<size_t>(threads, 1)) bad_worker.fetch_add(1);
        if (begin >= end || end > count || (chunk > 0 && end - begin > chunk && threads > 1 && count > chunk))
            bad_chunk.fetch_add(1);
        for (size_t i = begin; i < end; ++i) seen[i].fetch_add(1);
    });
    for (size_t i = 0; i < count; ++i)
        ASSERT_EQ(seen[i].load(), 1) << "item " << i << " threads " << threads << " count " << count << " chunk " << chunk;
    EXPECT_EQ(bad_worker.load(), 0u) << "threads " << threads;
    EXPECT_EQ(bad_chunk.load(), 0u) << "threads " << threads << " count " << count << " chunk " << chunk;
}

TEST(ThreadPool, EveryItemOnceOverEdgeRanges) {
    for (size_t threads : {0, 1, 2, 3, 8})
        for (size_t count : {0, 1, 2, 7, 64, 65, 1000})
            for (size_t chunk : {0, 1, 3, 64, 2000}) expect_each_item_once(threads, count, chunk);
}

TEST(ThreadPool, NoTwoThreadsOfOneCallShareAWorkerIndex) {
    constexpr size_t threads = 4;
    std::vector<std::atomic<int>> busy(threads);
    std::atomic<int> clashes{0};
    for (int round = 0; round < 50; ++round)
        parallel_for(threads, 400, 1, [&](size_t, size_t, size_t worker) {
            if (busy[worker].fetch_add(1) != 0) clashes.fetch_add(1);
            for (volatile int spin = 0; spin < 200; spin = spin + 1) {
            }
            busy[worker].fetch_sub(1);
        });
    EXPECT_EQ(clashes.load(), 0);
}

TEST(ThreadPool, NestedCallsRunInlineOnTheirThread) {
    std::atomic<int> items{0}, off_thread{0}, bad_worker{0};
    parallel_for(3, 12, 1, [&](size_t, size_t, size_t) {
        const std::thread::id self = std::this_thread::get_id();
        parallel_for(3, 10, 1, [&](size_t begin, size_t end, size_t worker) {
            if (std::this_thread::get_id() != self) off_thread.fetch_add(1);
            if (worker != 0) bad_worker.fetch_add(1);
            items.fetch_add(static_cast<int>(end - begin));
        });
    });
    EXPECT_EQ(items.load(), 120);
    EXPECT_EQ(off_thread.load(), 0);
    EXPECT_EQ(bad_worker.load(), 0);
}

TEST(ThreadPool, AnExceptionReachesTheCallerAndThePoolStaysUsable) {
    for (int round = 0; round < 20; ++round) {
        try {
            parallel_for(3, 100, 1, [&](size_t begin, size_t, size_t) {
                if (begin == static_cast<size_t>(round) * 5) throw std::runtime_error("item " + std::to_string(begin));
            });
            FAIL() << "no exception";
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string(e.what()), "item " + std::to_string(round * 5));
        }
    }
    expect_each_item_once(3, 1000, 7);
}

// Many callers at once, each with its own thread budget (as contexts on several threads): every call
// completes with the right sum, worker indices stay within each call's budget.
TEST(ThreadPool, ManyCallersAtOnce) {
    constexpr size_t callers = 8, rounds = 200, count = 300;
    std::vector<std::string> wrong(callers);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < callers; ++t)
        threads.emplace_back([&, t] {
            const size_t budget = 1 + t % 4;
            for (size_t round = 0; round < rounds; ++round) {
                std::vector<uint64_t> partial(budget, 0);
                std::atomic<int> out_of_budget{0};
                parallel_for(budget, count, 1 + round % 5, [&](size_t begin, size_t end, size_t worker) {
                    if (worker >= budget) {
                        out_of_budget.fetch_add(1);
                        return;
                    }
                    for (size_t i = begin; i < end; ++i) partial[worker] += i;
                });
                uint64_t sum = 0;
                for (uint64_t p : partial) sum += p;
                if (sum != count * (count - 1) / 2 || out_of_budget.load() != 0) wrong[t] += " round " + std::to_string(round);
            }
        });
    for (std::thread& t : threads) t.join();
    for (size_t t = 0; t < callers; ++t) EXPECT_EQ(wrong[t], "") << "caller " << t;
}

TEST(ThreadPool, DefaultThreadCountIsAtLeastOne) { EXPECT_GE(default_thread_count(), 1u); }

}  // namespace
}  // namespace edgembed
