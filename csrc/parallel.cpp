#include "parallel.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

#include "platform.hpp"

namespace fastlin {

namespace {

int default_num_threads() {
    if (const char* env = std::getenv("FASTLIN_NUM_THREADS")) {
        const int n = std::atoi(env);
        if (n >= 1) return n;
    }
    return platform::usable_cores();
}

// Spins (with the CPU's pause hint) until done() holds or `spin` has passed,
// before blocking on a condition variable: waking a blocked thread takes
// far longer (a few hundred microseconds once its core has gone idle) than
// the gaps between a job's parts and between consecutive calls.
//
// An idle worker spins for kIdleSpin, a caller waiting for the tasks that
// workers are still running for kDrainSpin. Shorter spins let calls of a few
// hundred microseconds fall into a state that fed itself, each call starting
// with a wake-up (tuning notes: "Thread pool spins"). A caller waits for at
// most one task a worker, so its spin is bounded by a task's length; an idle
// worker gives its core back after 1 ms, still far sooner than OpenMP and
// OpenBLAS do.
constexpr std::chrono::microseconds kIdleSpin{1000}, kDrainSpin{5000};

template <class Done>
void spin_until(std::chrono::microseconds spin, Done done) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
        if (done()) return;
        platform::cpu_relax();
        if (i % 64 == 63 && std::chrono::steady_clock::now() - start > spin) return;
    }
}

// Workers are detached and never joined: the pool lives as long as the
// process, and a forked child simply starts a fresh pool (the parent's
// threads do not exist there). generation and in_drain change under m only;
// they are atomic so that spin_until may read them without it.
//
// A job is open from its start until its caller has drained the tasks
// itself; a worker joins only while it is open, and the caller waits only
// for the workers that joined. A worker still waking up finds the job over
// and goes back to wait: the caller does not wait for it (it used to, and a
// call after a pause then took longer on two threads than on one).
struct Pool {
    std::mutex run_lock;  // one parallel_for at a time; others run inline

    std::mutex m;
    std::condition_variable wake, done;
    int started = 0;                      // worker threads running
    int wanted_workers = 0;               // workers that may take part in the current job
    bool open = false;                    // whether workers may still join the current job
    std::atomic<uint64_t> generation{0};  // bumped for each job
    std::atomic<int> in_drain{0};         // workers that joined and are running its tasks
    void (*task)(const void*, int64_t) = nullptr;
    const void* ctx = nullptr;
    int64_t n_tasks = 0;
    std::atomic<int64_t> next{0};

    void drain() {
        for (int64_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;) task(ctx, t);
    }

    void worker(int index) {
        uint64_t seen = 0;
        std::unique_lock<std::mutex> lk(m);
        for (;;) {
            lk.unlock();
            spin_until(kIdleSpin, [&] { return generation.load() != seen; });
            lk.lock();
            wake.wait(lk, [&] { return generation != seen && index < wanted_workers; });
            seen = generation;
            if (!open) continue;  // its caller ran every task already
            ++in_drain;
            lk.unlock();
            drain();
            lk.lock();
            if (--in_drain == 0) done.notify_one();
        }
    }

    void run(int threads, int64_t n, void (*f)(const void*, int64_t), const void* c) {
        std::unique_lock<std::mutex> lk(m);
        while (started < threads - 1) {
            std::thread(&Pool::worker, this, started).detach();
            ++started;
        }
        task = f;
        ctx = c;
        n_tasks = n;
        next.store(0, std::memory_order_relaxed);
        wanted_workers = threads - 1;
        open = true;
        ++generation;
        lk.unlock();
        wake.notify_all();
        drain();
        // Every task is taken: close the job to latecomers, then wait for
        // the tasks the workers that joined are still running.
        lk.lock();
        open = false;
        lk.unlock();
        spin_until(kDrainSpin, [&] { return in_drain.load() == 0; });
        lk.lock();
        done.wait(lk, [&] { return in_drain == 0; });
    }
};

std::atomic<int> g_num_threads{0};
Pool* g_pool = nullptr;
std::once_flag g_pool_once;

void reset_after_fork() {
    g_pool = new Pool();
}

Pool& pool() {
    std::call_once(g_pool_once, [] {
        g_pool = new Pool();
        pthread_atfork(nullptr, nullptr, reset_after_fork);
    });
    return *g_pool;
}

}  // namespace

int get_num_threads() {
    int n = g_num_threads.load(std::memory_order_relaxed);
    if (n == 0) {
        n = default_num_threads();
        g_num_threads.store(n, std::memory_order_relaxed);
    }
    return n;
}

void set_num_threads(int n) {
    g_num_threads.store(n < 1 ? 1 : n, std::memory_order_relaxed);
}

namespace {

// A task that throws (std::bad_alloc from its work space, say) must not
// reach the top of a worker thread, where it would end the process: the
// first exception is kept, the tasks not started yet are skipped, and the
// caller rethrows it once every thread is done.
struct GuardedTasks {
    GuardedTasks(void (*t)(const void*, int64_t), const void* c) : task(t), ctx(c) {}

    void (*task)(const void*, int64_t);
    const void* ctx;
    std::atomic<bool> failed{false};
    std::exception_ptr error;

    static void run(const void* self, int64_t t) {
        auto& g = *static_cast<GuardedTasks*>(const_cast<void*>(self));
        if (g.failed.load(std::memory_order_relaxed)) return;
        try {
            g.task(g.ctx, t);
        } catch (...) {
            if (!g.failed.exchange(true)) g.error = std::current_exception();
        }
    }
};

}  // namespace

void parallel_for_impl(int64_t n_tasks, void (*task)(const void*, int64_t), const void* ctx) {
    const int threads = static_cast<int>(std::min<int64_t>(get_num_threads(), n_tasks));
    if (threads <= 1) {
        for (int64_t t = 0; t < n_tasks; ++t) task(ctx, t);
        return;
    }
    Pool& p = pool();
    std::unique_lock<std::mutex> exclusive(p.run_lock, std::try_to_lock);
    if (!exclusive.owns_lock()) {
        for (int64_t t = 0; t < n_tasks; ++t) task(ctx, t);
        return;
    }
    GuardedTasks guarded{task, ctx};
    p.run(threads, n_tasks, &GuardedTasks::run, &guarded);
    if (guarded.error) std::rethrow_exception(guarded.error);
}

}  // namespace fastlin
