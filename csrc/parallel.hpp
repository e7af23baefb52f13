// A small pool of worker threads for row-parallel kernels. Plain C++ (no
// OpenMP runtime to ship in the wheel). Work is split into tasks whose
// boundaries do not depend on the thread count, so results are bit-for-bit
// the same for any number of threads.
#pragma once

#include <cstdint>

namespace fastlin {

// Threads used by parallel_for; starts at FASTLIN_NUM_THREADS or the number
// of cores this process may use.
int get_num_threads();
void set_num_threads(int n);  // n >= 1

// Runs task(ctx, t) for t in [0, n_tasks) on up to get_num_threads() threads
// (the caller included), and returns when all are done. When the pool is
// busy with another caller's work, runs the tasks on the calling thread.
void parallel_for_impl(int64_t n_tasks, void (*task)(const void* ctx, int64_t t), const void* ctx);

template <class F>
void parallel_for(int64_t n_tasks, const F& f) {
    parallel_for_impl(
        n_tasks, [](const void* ctx, int64_t t) { (*static_cast<const F*>(ctx))(t); }, &f);
}

}  // namespace fastlin
