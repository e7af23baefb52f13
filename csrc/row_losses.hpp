// One function per loss for one row of scores: its (class-weighted) loss and,
// when `g` is not null, its gradient scaled by `gscale`, in one sweep over the
// row while it sits in L1. The row loop (row_loop.hpp) applies them over a
// batch; the fused linear passes apply the same functions to blocks of scores.
// Sample weights and the reduction are the loop's business, not these.
// `g` may alias `s`: every function reads what it needs of a score before it
// overwrites it, so a fused pass can turn a block of scores into its gradient
// in place.
#pragma once

#include <cmath>
#include <cstdint>

namespace fastlin {

// Row maximum that lets a NaN win, so a NaN score makes the row's loss NaN
// (std::max would silently drop it depending on its position).
template <class T>
inline T nan_propagating_max(const T* s, int64_t n) {
    T m = s[0];
    for (int64_t c = 1; c < n; ++c) {
        if (s[c] > m || s[c] != s[c]) m = s[c];
    }
    return m;
}

// Stores exp(s_c - m) into e (when not null) and returns their sum.
// Subtracting the row maximum first keeps every exp in [0, 1]: no overflow for
// logits of 1e4, and -inf logits give exactly 0.
template <class T>
inline T exp_shifted_sum(const T* s, int64_t n, T m, T* e) {
    T sum = 0;
    for (int64_t c = 0; c < n; ++c) {
        T v = std::exp(s[c] - m);
        if (e) e[c] = v;
        sum += v;
    }
    return sum;
}

// Softmax cross-entropy with a hard label y, PyTorch's label smoothing:
//   (1-eps) * w_y * (-log p_y) + eps/C * sum_c w_c * (-log p_c)
// -log p_c is computed as (m - s_c) + log(sum), never as log of a rounded p.
template <class T>
inline double softmax_hard_row(const T* s, int64_t C, int64_t y, const double* class_weight,
                               double eps, double gscale, T* g) {
    const T m = nan_propagating_max(s, C);
    const double wy = class_weight ? class_weight[y] : 1.0;
    const double target_gap = static_cast<double>(m) - s[y];
    // sum_c w_c (m - s_c), taken before g (possibly s itself) is overwritten.
    double smooth_gap = 0.0, weight_total = static_cast<double>(C);
    if (eps > 0.0) {
        if (class_weight) {
            weight_total = 0.0;
            for (int64_t c = 0; c < C; ++c) {
                smooth_gap += class_weight[c] * (static_cast<double>(m) - s[c]);
                weight_total += class_weight[c];
            }
        } else {
            for (int64_t c = 0; c < C; ++c) smooth_gap += static_cast<double>(m) - s[c];
        }
    }
    const T sum = exp_shifted_sum(s, C, m, g);
    const double lse = std::log(static_cast<double>(sum));
    double loss = (1.0 - eps) * wy * (target_gap + lse);
    if (eps > 0.0) loss += eps / static_cast<double>(C) * (smooth_gap + weight_total * lse);
    if (g) {
        // d/ds_k = p_k * ((1-eps) w_y + eps/C * sum_c w_c) - (1-eps) w_y [k==y] - eps/C w_k
        const T p_scale = static_cast<T>(gscale * ((1.0 - eps) * wy + eps / C * weight_total) / sum);
        for (int64_t c = 0; c < C; ++c) g[c] *= p_scale;
        if (eps > 0.0) {
            const double spread = gscale * eps / static_cast<double>(C);
            for (int64_t c = 0; c < C; ++c)
                g[c] -= static_cast<T>(spread * (class_weight ? class_weight[c] : 1.0));
        }
        g[y] -= static_cast<T>(gscale * (1.0 - eps) * wy);
    }
    return loss;
}

// Softmax cross-entropy with soft labels t (a row of class probabilities):
//   -sum_c w_c t'_c log p_c,  t' = t (1-eps) + eps/C.
// A class with t'_c == 0 adds nothing, even where p_c == 0 (0 log 0 = 0), so a
// masked (-inf) class that is not a target does not poison the row.
template <class T>
inline double softmax_soft_row(const T* s, int64_t C, const T* t, const double* class_weight,
                               double eps, double gscale, T* g) {
    const T m = nan_propagating_max(s, C);
    const double spread = eps / static_cast<double>(C);
    double target_gap = 0.0, target_mass = 0.0;  // sum_c w_c t'_c (m - s_c), sum_c w_c t'_c
    for (int64_t c = 0; c < C; ++c) {
        const double wt = (class_weight ? class_weight[c] : 1.0) * (t[c] * (1.0 - eps) + spread);
        if (wt != 0.0) target_gap += wt * (static_cast<double>(m) - s[c]);
        target_mass += wt;
    }
    const T sum = exp_shifted_sum(s, C, m, g);
    const double loss = target_gap + target_mass * std::log(static_cast<double>(sum));
    if (g) {
        // d/ds_k = p_k * sum_c w_c t'_c - w_k t'_k
        const T p_scale = static_cast<T>(gscale * target_mass / sum);
        for (int64_t c = 0; c < C; ++c) {
            const double wt = (class_weight ? class_weight[c] : 1.0) * (t[c] * (1.0 - eps) + spread);
            g[c] = g[c] * p_scale - static_cast<T>(gscale * wt);
        }
    }
    return loss;
}

// max(0, d) that keeps a NaN, so a NaN score gives a NaN loss (NaN in, NaN out).
template <class T>
inline T hinge(T d) {
    return (d > 0 || d != d) ? d : T(0);
}

// Multiclass SVM, Weston-Watkins: w_y * sum_{j != y} max(0, s_j - s_y + margin)^p.
// A class is active (gets gradient) where its margin term is strictly positive.
template <class T>
inline double svm_weston_watkins_row(const T* s, int64_t C, int64_t y, const double* class_weight,
                                     double margin, bool squared, double gscale, T* g) {
    const T sy = s[y];
    const T mg = static_cast<T>(margin);
    const double wy = class_weight ? class_weight[y] : 1.0;
    const T gw = static_cast<T>(gscale * wy);
    double loss = 0.0;
    T gy = 0;
    for (int64_t c = 0; c < C; ++c) {
        const T h = c == y ? T(0) : hinge(s[c] - sy + mg);
        loss += squared ? static_cast<double>(h) * h : static_cast<double>(h);
        if (g) {
            const T gc = h > 0 ? (squared ? 2 * h * gw : gw) : T(0);
            g[c] = gc;
            gy += gc;
        }
    }
    if (g) g[y] = -gy;
    return wy * loss;
}

// Multiclass SVM, Crammer-Singer: w_y * max(0, margin + max_{j != y} s_j - s_y)^p.
// Ties in the max give the gradient to the first maximising class.
template <class T>
inline double svm_crammer_singer_row(const T* s, int64_t C, int64_t y, const double* class_weight,
                                     double margin, bool squared, double gscale, T* g) {
    if (C < 2) {
        if (g)
            for (int64_t c = 0; c < C; ++c) g[c] = 0;
        return 0.0;
    }
    int64_t jmax = y == 0 ? 1 : 0;
    for (int64_t c = jmax + 1; c < C; ++c) {
        if (c != y && (s[c] > s[jmax] || (s[c] != s[c] && s[jmax] == s[jmax]))) jmax = c;
    }
    const T h = hinge(s[jmax] - s[y] + static_cast<T>(margin));
    const double wy = class_weight ? class_weight[y] : 1.0;
    if (g) {
        for (int64_t c = 0; c < C; ++c) g[c] = 0;
        if (h > 0) {
            const T gc = static_cast<T>(gscale * wy * (squared ? 2.0 * h : 1.0));
            g[jmax] = gc;
            g[y] = -gc;
        }
    }
    return wy * (squared ? static_cast<double>(h) * h : static_cast<double>(h));
}

// Squared loss: 1/2 ||p - t||^2 over one row of K outputs.
template <class T>
inline double squared_row(const T* p, int64_t K, const T* t, double gscale, T* g) {
    double loss = 0.0;
    const T gs = static_cast<T>(gscale);
    for (int64_t k = 0; k < K; ++k) {
        const T d = p[k] - t[k];
        loss += static_cast<double>(d) * d;
        if (g) g[k] = gs * d;
    }
    return 0.5 * loss;
}

}  // namespace fastlin
