// The losses on scores, each defined once as a per-row functor over
// the row functions (softmax_row.hpp, svm_*.hpp, squared_row.hpp), applied by the scores kernels
// and the fused linear passes.
//
// A loss functor has
//   double denominator(N)      checks the labels (std::invalid_argument on a
//                              bad one, before anything is written) and gives
//                              the denominator of "mean";
//   const double* sample_weight;
//   double operator()(i, s_row, gscale, g_row)  the class-weighted loss of row i;
// and may have
//   bool rows(i, n, s[n], gscale[n], g[n], loss[n])  rows i, ..., i+n-1
//                              (n <= kRows) at once, or false where the options
//                              need the row-by-row path (then for every row).
#pragma once

#include <algorithm>
#include <cstdint>

#include "isa_namespace.hpp"
#include "loss_options.hpp"
#include "reduction.hpp"
#include "softmax_row.hpp"
#include "softmax_rows.hpp"
#include "squared_row.hpp"
#include "svm_crammer_singer.hpp"
#include "svm_weston_watkins.hpp"
#include "vec.hpp"

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

    // Up to kRows rows at once, for the plain loss (softmax_rows.hpp).
    static constexpr int kRows = kMaxPlainRows<T>;
    bool rows(int64_t i, int n, const T* const* s, const double* gs, T* const* g,
              double* loss) const {
        if (o.weights.class_weight || o.label_smoothing > 0.0) return false;
        // An ignored row runs with label 0, then is cleared: the kernels
        // read the target's score.
        int64_t label[kRows];
        bool any_ignored = false;
        for (int r = 0; r < n; ++r) {
            const bool ignored = y[i + r] == o.ignore_index;
            label[r] = ignored ? 0 : y[i + r];
            any_ignored |= ignored;
        }
        softmax_plain_rows(n, s, C, label, gs, g, loss);
        for (int r = 0; any_ignored && r < n; ++r) {
            if (y[i + r] != o.ignore_index) continue;
            loss[r] = 0.0;
            if (g[r]) std::fill(g[r], g[r] + C, T(0));
        }
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
        return softmax_soft_row(s, C, target + i * C, o.weights.class_weight, o.label_smoothing, gs,
                                g);
    }
};

template <class T>
struct SvmLoss {
    const int64_t* y;
    int64_t C;
    SvmOptions o;
    const double* sample_weight = o.weights.sample_weight;
    // Crammer-Singer's gradient rows by streamed stores (svm_crammer_singer.hpp); the
    // scores kernels set it for large outputs.
    bool stream_gradient = false;

    double denominator(int64_t N) const {
        return check_labels_and_count(y, N, C, o.weights, false, 0);
    }
    double operator()(int64_t i, const T* s, double gs, T* g) const {
        if (o.variant == SvmVariant::weston_watkins)
            return svm_weston_watkins_row(s, C, y[i], o.weights.class_weight, o.margin, o.squared,
                                          gs, g);
        return svm_crammer_singer_row(s, C, y[i], o.weights.class_weight, o.margin, o.squared, gs,
                                      g, stream_gradient);
    }

    // Rows in groups, one row per lane (svm_*.hpp), where they fit.
    static constexpr int kRows = kLanes<T>;
    bool rows(int64_t i, int n, const T* const* s, const double* gs, T* const* g,
              double* loss) const {
        if (C < kLanes<T>) return false;
        if (o.variant == SvmVariant::weston_watkins) {
            if (C > kMaxWestonWatkinsLaneColumns<T>) return false;
            svm_weston_watkins_rows(n, s, C, y + i, o.weights.class_weight, o.margin, o.squared, gs,
                                    g, loss);
            return true;
        }
        if (C > kMaxCrammerSingerLaneColumns<T>) return false;
        svm_crammer_singer_rows(n, s, C, y + i, o.weights.class_weight, o.margin, o.squared, gs, g,
                                loss);
        return true;
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
