// The losses on a batch of scores S (N, C), each defined once as a per-row
// functor over row_losses.hpp that both the scores kernels (run_scores_loss)
// and the fused linear passes apply.
//
// A loss functor has
//   double denominator(N)      checks the labels (std::invalid_argument on a
//                              bad one, before anything is written) and gives
//                              the denominator of "mean";
//   const double* sample_weight;
//   double operator()(i, s_row, gscale, g_row)  the class-weighted loss of row i.
#pragma once

#include <cstdint>

#include "loss_options.hpp"
#include "row_losses.hpp"

namespace fastlin {

// Checks every label against [0, C) (ignore_index aside) and returns the sum
// over counted rows of sample_weight[i] * class_weight[y_i].
double check_labels_and_count(const int64_t* y, int64_t N, int64_t C, const RowWeights& w,
                              bool has_ignore_index, int64_t ignore_index);

// The sum of v[0..n), or n when v is null.
double sum_or_count(const double* v, int64_t n);

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

template <class T>
struct ScoresBatch {
    const T* S = nullptr;  // (N, C), C-contiguous
    int64_t N = 0, C = 0;
    T* dS = nullptr;        // (N, C) or null
    T* row_loss = nullptr;  // (N,) or null: the per-row losses of reduction "none"
};

// Loss (and gradient) of a whole batch; returns the reduced loss (the sum
// for "none"). Defined for float and double and every functor above.
template <class T, class Loss>
double run_scores_loss(const ScoresBatch<T>& b, const Loss& loss, Reduction r);

}  // namespace fastlin
