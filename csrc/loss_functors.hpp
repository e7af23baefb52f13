// The losses on scores, each defined once as a per-row functor over
// row_losses.hpp, applied by the scores kernels and the fused linear passes.
//
// A loss functor has
//   double denominator(N)      checks the labels (std::invalid_argument on a
//                              bad one, before anything is written) and gives
//                              the denominator of "mean";
//   const double* sample_weight;
//   double operator()(i, s_row, gscale, g_row)  the class-weighted loss of row i.
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

}  // namespace fastlin::FASTLIN_ISA
