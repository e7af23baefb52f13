// The scores losses for one instruction set (compiled once per variant, see
// isa_begin.hpp): labels checked first, then blocks of rows on the
// thread pool, block sums added in order.
#include "isa_begin.hpp"

#include "loss_functors.hpp"
#include "row_loop.hpp"

namespace fastlin::FASTLIN_ISA {

namespace {

// Below this many scores a call stays on one thread: waking the pool costs
// more than the work.
constexpr int64_t kMinParallelScores = 1 << 16;

// The gradient is written with plain stores, but for svm Crammer-Singer's
// (below; tuning notes: "Streamed stores").
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
        block_sums[k] =
            apply_row_loss(b0, b1, b.C, b.S + b0 * b.C, b.dS ? b.dS + b0 * b.C : nullptr,
                           loss.sample_weight, scale, b.row_loss ? b.row_loss + b0 : nullptr, loss);
        // Streamed stores are weakly ordered: fenced before the pool tells
        // the caller that the block is done.
        platform::store_fence();
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
// and its rows (beyond the lanes' reach) are cheap to search: its time is
// that of moving the gradient through the caches, each line read before it
// is written, which streamed stores skip. Only for large gradients: one that
// fits in cache is best left there for whatever reads it next (tuning notes:
// "Streamed stores", with the other losses, which did not gain).
constexpr int64_t kStreamedGradientBytes = int64_t(12) << 20;

struct ScoresRunner {
    template <class T, class Loss>
    static double run(const ScoresBatch<T>& b, const Loss& loss, Reduction r) {
        return run_scores_loss(b, loss, r);
    }
    template <class T>
    static double run(const ScoresBatch<T>& b, SvmLoss<T> loss, Reduction r) {
        loss.stream_gradient = loss.o.variant == SvmVariant::crammer_singer && b.dS &&
                               b.N * b.C * int64_t(sizeof(T)) >= kStreamedGradientBytes &&
                               can_stream_rows(b.dS, b.C);
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
