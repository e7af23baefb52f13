// The losses on scores, each defined once as a per-row functor over
// row_losses.hpp, applied by the scores kernels and the fused linear passes.
//
// A loss functor has
//   double denominator(N)      checks the labels (std::invalid_argument on a
//                              bad one, before anything is written) and gives
//                              the denominator of "mean";
//   const double* sample_weight;
//   double operator()(i, s_row, gscale, g_row)  the class-weighted loss of row i;
// and may have
//   bool rows(i, s[kRows], gscale[kRows], g[kRows], loss[kRows])  rows i, i+1, ...
//                              at once, or false where their options or labels
//                              need the row-by-row path.
#pragma once

#include <cstdint>

#include "isa_namespace.hpp"
#include "loss_options.hpp"
#include "reduction.hpp"
#include "row_losses.hpp"

namespace fastlin::FASTLIN_ISA {

template <class T>
struct SoftmaxHardLoss {
    const int64_t* y;
    int64_t C;
    SoftmaxOptions o;
    const double* sample_weight = o.weights.sample_weight;

    double denominator(int64_t N) const {
        return check_labels_and_count(y, N, C, o.weights, true, o.ignore_index);
    }
    double operator()(int64_t i, const T* s, double gs, T* g) const {
        if (y[i] == o.ignore_index) {
            if (g)
                for (int64_t c = 0; c < C; ++c) g[c] = 0;
            return 0.0;
        }
        return softmax_hard_row(s, C, y[i], o.weights.class_weight, o.label_smoothing, gs, g);
    }

    // Two rows at once, for the plain loss. Measured on 2 Zen 3 cores, one
    // thread, N = 200000, C = 20 float32: 11.3 ms against 15.3 ms row by
    // row (no gain at C = 1000, where one row already fills the pipelines;
    // 4 rows at once measured no better than 2).
    static constexpr int kRows = 2;
    bool rows(int64_t i, const T* const* s, const double* gs, T* const* g, double* loss) const {
        if (o.weights.class_weight || o.label_smoothing > 0.0) return false;
        for (int r = 0; r < kRows; ++r)
            if (y[i + r] == o.ignore_index) return false;
        softmax_plain_rows<kRows>(s, C, y + i, gs, g, loss);
        return true;
    }
};

// Soft labels: `target` (N, C), C-contiguous rows of class probabilities. As
// PyTorch, "mean" divides by the number of rows (the sum of sample weights).
template <class T>
struct SoftmaxSoftLoss {
    const T* target;
    int64_t C;
    SoftmaxOptions o;
    const double* sample_weight = o.weights.sample_weight;

    double denominator(int64_t N) const { return sum_or_count(sample_weight, N); }
    double operator()(int64_t i, const T* s, double gs, T* g) const {
        return softmax_soft_row(s, C, target + i * C, o.weights.class_weight, o.label_smoothing, gs, g);
    }
};

template <class T>
struct SvmLoss {
    const int64_t* y;
    int64_t C;
    SvmOptions o;
    const double* sample_weight = o.weights.sample_weight;

    double denominator(int64_t N) const { return check_labels_and_count(y, N, C, o.weights, false, 0); }
    double operator()(int64_t i, const T* s, double gs, T* g) const {
        if (o.variant == SvmVariant::weston_watkins)
            return svm_weston_watkins_row(s, C, y[i], o.weights.class_weight, o.margin, o.squared, gs, g);
        return svm_crammer_singer_row(s, C, y[i], o.weights.class_weight, o.margin, o.squared, gs, g);
    }
};

// Squared loss of predictions P (N, K) against `target` (N, K).
template <class T>
struct SquaredLoss {
    const T* target;
    int64_t K;
    SquaredOptions o;
    const double* sample_weight = o.sample_weight;

    double denominator(int64_t N) const { return sum_or_count(sample_weight, N); }
    double operator()(int64_t i, const T* p, double gs, T* g) const {
        return squared_row(p, K, target + i * K, gs, g);
    }
};

// The entry points of the four losses over one kind of batch: each builds its
// functor from the public arguments and hands it to Runner::run(batch, loss,
// reduction). The scores kernels and the fused passes fill their tables with
// these, so the mapping from arguments to functors is written once.
template <class T, class Batch, class Runner>
struct LossEntryPoints {
    static double softmax_hard(const Batch& b, const int64_t* y, const SoftmaxOptions& o) {
        return Runner::run(b, SoftmaxHardLoss<T>{y, b.C, o}, o.reduction);
    }
    static double softmax_soft(const Batch& b, const T* target, const SoftmaxOptions& o) {
        return Runner::run(b, SoftmaxSoftLoss<T>{target, b.C, o}, o.reduction);
    }
    static double svm(const Batch& b, const int64_t* y, const SvmOptions& o) {
        return Runner::run(b, SvmLoss<T>{y, b.C, o}, o.reduction);
    }
    static double squared(const Batch& b, const T* target, const SquaredOptions& o) {
        return Runner::run(b, SquaredLoss<T>{target, b.C, o}, o.reduction);
    }
};

}  // namespace fastlin::FASTLIN_ISA
