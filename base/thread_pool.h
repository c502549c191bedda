// The runtime's one thread pool, which every parallel loop of every build runs on.
//
// parallel_for(threads, count, chunk, body) calls body(begin, end, worker) over [0, count) in chunks of
// `chunk` items, which the caller (worker 0) and up to threads - 1 pool workers (1 .. threads - 1) take in
// order as they finish one: a core slowed by other work takes fewer chunks instead of holding the others
// at a barrier, and a worker that has not woken up by the time the chunks run out is not waited for.
// `worker` is < threads, and no two threads of one call share it, so it can index per-worker scratch.
// Which chunk runs where is not fixed: results must not depend on it (give each chunk its own output).
//
// Idle workers spin for a few tens of microseconds (the gap between two loops of one forward pass), then
// sleep until work arrives, so a busy host loses nothing to them. The pool grows to the largest helper
// count asked for and is shared by every caller (contexts on several threads run their loops at once;
// a worker helps whichever loop it finds). A call from inside a body runs inline on its thread (worker 0).
// The first exception a body throws is rethrown to the caller once every started chunk has finished;
// chunks not yet started are skipped.
#pragma once

#include <cstddef>
#include <type_traits>

namespace edgembed {

// The CPUs this process may run on (its affinity mask), at least 1: the default thread count.
size_t default_thread_count() noexcept;

namespace detail {
using ChunkFunction = void (*)(void* body, size_t begin, size_t end, size_t worker);
void run_parallel(size_t threads, size_t count, size_t chunk, ChunkFunction function, void* body);
}  // namespace detail

// The helpers a call may ever get: `threads` above this + 1 behave as this + 1.
constexpr size_t kMaxPoolWorkers = 255;

template <class Body>
void parallel_for(size_t threads, size_t count, size_t chunk, Body&& body) {
    if (count == 0) return;
    if (chunk == 0) chunk = 1;
    if (threads <= 1 || count <= chunk) {
        body(size_t(0), count, size_t(0));
        return;
    }
    using B = std::remove_reference_t<Body>;
    detail::run_parallel(
        threads, count, chunk,
        [](void* b, size_t begin, size_t end, size_t worker) { (*static_cast<B*>(b))(begin, end, worker); },
        const_cast<void*>(static_cast<const void*>(&body)));
}

}  // namespace edgembed
