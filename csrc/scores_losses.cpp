#include "scores_losses.hpp"

#include <stdexcept>
#include <string>

#include "row_loop.hpp"

namespace fastlin {

double check_labels_and_count(const int64_t* y, int64_t N, int64_t C, const RowWeights& w,
                              bool has_ignore_index, int64_t ignore_index) {
    double counted = 0.0;
    for (int64_t i = 0; i < N; ++i) {
        const int64_t yi = y[i];
        if (has_ignore_index && yi == ignore_index) continue;
        if (yi < 0 || yi >= C) {
            throw std::invalid_argument("y: label y[" + std::to_string(i) + "] = " + std::to_string(yi) +
                                        " is outside [0, C) with C = " + std::to_string(C) +
                                        (has_ignore_index ? " (and is not ignore_index = " +
                                                                std::to_string(ignore_index) + ")"
                                                          : std::string()));
        }
        counted += (w.sample_weight ? w.sample_weight[i] : 1.0) *
                   (w.class_weight ? w.class_weight[yi] : 1.0);
    }
    return counted;
}

double sum_or_count(const double* v, int64_t n) {
    if (!v) return static_cast<double>(n);
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += v[i];
    return s;
}

template <class T, class Loss>
double run_scores_loss(const ScoresBatch<T>& b, const Loss& loss, Reduction r) {
    const double denom = loss.denominator(b.N);
    const double total = apply_row_loss(0, b.N, b.C, b.S, b.dS, loss.sample_weight, reduction_scale(r, denom),
                                        b.row_loss, loss);
    return reduce_total(r, total, denom);
}

#define FASTLIN_INSTANTIATE(T)                                                                         \
    template double run_scores_loss(const ScoresBatch<T>&, const SoftmaxHardLoss<T>&, Reduction); \
    template double run_scores_loss(const ScoresBatch<T>&, const SoftmaxSoftLoss<T>&, Reduction); \
    template double run_scores_loss(const ScoresBatch<T>&, const SvmLoss<T>&, Reduction);         \
    template double run_scores_loss(const ScoresBatch<T>&, const SquaredLoss<T>&, Reduction);
FASTLIN_INSTANTIATE(float)
FASTLIN_INSTANTIATE(double)
#undef FASTLIN_INSTANTIATE

}  // namespace fastlin
