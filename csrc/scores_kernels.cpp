// The scores losses for one instruction set (compiled once per variant, see
// isa_begin.hpp): labels checked first, then blocks of rows on the
// thread pool, block sums added in order.
#include "isa_begin.hpp"

#include "loss_functors.hpp"
#include "row_loop.hpp"

namespace fastlin::FASTLIN_ISA {

namespace {

// Below this many scores a call stays on one thread: waking the pool costs
// more than the work (measured: N=1000, C=20 is not faster on two threads).
constexpr int64_t kMinParallelScores = 1 << 16;

// The gradient is written with plain stores, which read each line before
// writing it (write-allocate), but for svm Crammer-Singer's (below). Writing
// it around the caches instead
// (non-temporal stores from a 16 KiB buffer per chunk of rows, from 8 MiB of
// gradient on) measured slower, in one process on the same inputs (softmax
// and svm, N = 200000 C = 20 and N = 20000 C = 1000, both dtypes): on this
// 2-core Zen 3 VM 0.70-0.90x on one and two threads; on a 16-core Xeon VM
// (Emerald Rapids) float32 0.79-1.01x on 16 threads, float64 0.89-1.16x,
// 0.78-1.06x on one thread.
template <class T, class Loss>
double run_scores_loss(const ScoresBatch<T>& b, const Loss& loss, Reduction r) {
    const double denom = loss.denominator(b.N);
    if (mean_of_nothing(r, denom)) {
        if (b.dS) std::fill(b.dS, b.dS + b.N * b.C, T(0));
        return reduce_total(r, 0.0, denom);
    }
    const double scale = reduction_scale(r, denom);
    std::vector<double> block_sums(num_sum_blocks(b.N));
    auto block = [&](int64_t k) {
        const int64_t b0 = k * kRowsPerSumBlock, b1 = std::min(b0 + kRowsPerSumBlock, b.N);
        block_sums[k] = apply_row_loss(b0, b1, b.C, b.S + b0 * b.C, b.dS ? b.dS + b0 * b.C : nullptr,
                                       loss.sample_weight, scale, b.row_loss ? b.row_loss + b0 : nullptr, loss);
        // Streamed stores are weakly ordered: fenced before the pool tells
        // the caller that the block is done.
        _mm_sfence();
    };
    const int64_t n_blocks = static_cast<int64_t>(block_sums.size());
    if (b.N * b.C >= kMinParallelScores) {
        parallel_for(n_blocks, block);
    } else {
        for (int64_t k = 0; k < n_blocks; ++k) block(k);
    }
    double total = 0.0;
    for (double s : block_sums) total += s;
    return reduce_total(r, total, denom);
}

// svm Crammer-Singer writes a gradient of zeros but for two entries a row,
// and its rows (beyond the lanes' reach) are cheap to search: with plain
// stores the time is that of moving the gradient through the caches, each
// line read before it is written. Streamed stores skip that read. Measured
// in one process, N = 20000, C = 1000 (80 MB float32, 160 MB float64):
// 1.32-1.45x faster on two threads and on one, in both dtypes. The same for
// svm Weston-Watkins made it slower, its rows being more work: 0.87-1.04x
// with the row streamed as its sweep computes it, from a row in cache, or by
// a second sweep that folds in the target's entry; so did softmax's rows of
// C = 1000 with the exps kept in cache and the scaled row streamed
// (0.87-1.04x), and streaming the chunks of every loss from a buffer
// (0.70-0.90x, see above).
// The rows searched in lanes (up to 96 bytes) keep plain stores: streamed
// by 16 bytes (their rows are not whole 32-byte vectors) they ran 0.75-0.95x
// (float32 C = 8 and 20, float64 C = 12, N = 200000).
// From 12 MiB on, where it measured faster every time: float32 N = 4000,
// 6000, 8000 and 12000 (C = 1000) 1.29-1.45x, float64 N = 2000 1.12-1.33x
// (one run of N = 8000 said 0.97-1.01x, a second 1.41-1.45x). Below, it
// ranged from 0.77x to 1.30x (float32 N = 250 to 2000), and a gradient that
// fits in cache is best left there for whatever reads it next.
constexpr int64_t kStreamedGradientBytes = int64_t(12) << 20;

struct ScoresRunner {
    template <class T, class Loss>
    static double run(const ScoresBatch<T>& b, const Loss& loss, Reduction r) {
        return run_scores_loss(b, loss, r);
    }
    template <class T>
    static double run(const ScoresBatch<T>& b, SvmLoss<T> loss, Reduction r) {
        loss.stream_gradient = loss.o.variant == SvmVariant::crammer_singer && b.dS &&
                               b.N * b.C * int64_t(sizeof(T)) >= kStreamedGradientBytes && can_stream_rows(b.dS, b.C);
        return run_scores_loss(b, loss, r);
    }
};

}  // namespace

template <class T>
ScoresKernels<T> scores_kernels() {
    using E = LossEntryPoints<T, ScoresBatch<T>, ScoresRunner>;
    return {&E::softmax_hard, &E::softmax_soft, &E::svm, &E::squared, &exp_array<T>, &log_array<T>};
}

template ScoresKernels<float> scores_kernels<float>();
template ScoresKernels<double> scores_kernels<double>();

}  // namespace fastlin::FASTLIN_ISA

#include "isa_end.hpp"
