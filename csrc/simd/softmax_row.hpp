// Softmax cross-entropy of one row of scores, with hard or soft labels,
// class weights and label smoothing: its loss and, when `g` is not null, its
// gradient scaled by `gscale`, in one sweep over the row while it sits in L1.
//
// `g` may alias `s`: every function reads what it needs of a score before it
// overwrites it, so a fused pass can turn a block of scores into its gradient
// in place. Each is written once over a vector type V (vec.hpp) and run with
// full-width vectors, or with 1-lane vectors for rows shorter than one vector.
// Sample weights and the reduction are the row loop's business
// (row_loop.hpp), not these.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "isa_namespace.hpp"
#include "softmax_rows.hpp"
#include "vec.hpp"
#include "vec_math.hpp"

namespace fastlin::FASTLIN_ISA {

// A NaN is not propagated by the max; it reaches the loss through exp(NaN - m).
template <class V>
inline elem_t<V> row_max(const elem_t<V>* s, int64_t n) {
    V m = splat<V>(-std::numeric_limits<elem_t<V>>::infinity());
    for_each_vector<V>(n, [&](int64_t c, mask_t<V>) { m = vmax(m, load<V>(s + c)); });
    return hmax(m);
}

// Stores exp(s_c - m) into e (when not null) and returns their sum.
// Subtracting the row maximum first keeps every exp in [0, 1]: no overflow for
// logits of 1e4, and -inf logits give exactly 0. A NaN score makes the sum NaN.
template <class V>
inline elem_t<V> exp_shifted_sum(const elem_t<V>* s, int64_t n, elem_t<V> m, elem_t<V>* e) {
    V sum{};
    for_each_vector<V>(n, [&](int64_t c, mask_t<V> fresh) {
        const V v = exp_nonpositive(load<V>(s + c) - m);
        sum += select<V>(fresh, v, V{});
        if (e) store(e + c, select<V>(fresh, v, load<V>(e + c)));
    });
    return hsum(sum);
}

// sum_c w_c (m - s_c) in double (w = 1 when null), and sum_c w_c.
template <class V>
inline void weighted_gap_sum(const elem_t<V>* s, int64_t C, elem_t<V> m, const double* w,
                             double& gap, double& weight_total) {
    gap = 0.0;
    if (w) {
        weight_total = 0.0;
        for (int64_t c = 0; c < C; ++c) {
            gap += w[c] * (static_cast<double>(m) - s[c]);
            weight_total += w[c];
        }
        return;
    }
    weight_total = static_cast<double>(C);
    V acc{};
    for_each_vector<V>(
        C, [&](int64_t c, mask_t<V> fresh) { acc += select<V>(fresh, m - load<V>(s + c), V{}); });
    gap = hsum(acc);
}

// Softmax cross-entropy with a hard label y, PyTorch's label smoothing:
//   (1-eps) * w_y * (-log p_y) + eps/C * sum_c w_c * (-log p_c)
// -log p_c is computed as (m - s_c) + log(sum), never as log of a rounded p.
template <class T>
inline double softmax_hard_row(const T* s, int64_t C, int64_t y, const double* class_weight,
                               double eps, double gscale, T* g) {
    if (!class_weight && eps == 0.0) {
        // The plain loss: the code that runs rows in groups, so a row's result
        // does not depend on the rows it ran beside.
        double loss;
        softmax_plain_rows(1, &s, C, &y, &gscale, &g, &loss);
        return loss;
    }
    return with_row_vector<T>(C, [&](auto v) {
        using V = decltype(v);
        const T m = row_max<V>(s, C);
        const double wy = class_weight ? class_weight[y] : 1.0;
        const double target_gap = static_cast<double>(m) - s[y];
        // Taken before g (possibly s itself) is overwritten.
        double smooth_gap = 0.0, weight_total = static_cast<double>(C);
        if (eps > 0.0) weighted_gap_sum<V>(s, C, m, class_weight, smooth_gap, weight_total);
        const T sum = exp_shifted_sum<V>(s, C, m, g);
        // log in T: the sum lies in [1, C], so log is as exact as T allows,
        // and logf costs half of log on float rows.
        const double lse = std::log(sum);
        double loss = (1.0 - eps) * wy * (target_gap + lse);
        if (eps > 0.0) loss += eps / static_cast<double>(C) * (smooth_gap + weight_total * lse);
        if (g) {
            // d/ds_k = p_k * ((1-eps) w_y + eps/C * sum_c w_c) - (1-eps) w_y [k==y] - eps/C w_k
            const T p_scale =
                static_cast<T>(gscale * ((1.0 - eps) * wy + eps / C * weight_total) / sum);
            const double spread = gscale * eps / static_cast<double>(C);
            const T uniform_spread = class_weight ? T(0) : static_cast<T>(spread);
            for_each_vector<V>(C, [&](int64_t c, mask_t<V> fresh) {
                const V old = load<V>(g + c);
                store(g + c, select<V>(fresh, old * p_scale - uniform_spread, old));
            });
            if (class_weight && eps > 0.0)
                for (int64_t c = 0; c < C; ++c) g[c] -= static_cast<T>(spread * class_weight[c]);
            g[y] -= static_cast<T>(gscale * (1.0 - eps) * wy);
        }
        return loss;
    });
}

// Softmax cross-entropy with soft labels t (a row of class probabilities):
//   -sum_c w_c t'_c log p_c,  t' = t (1-eps) + eps/C.
// A class with t'_c == 0 adds nothing, even where p_c == 0 (0 log 0 = 0), so a
// masked (-inf) class that is not a target does not poison the row.
template <class T>
inline double softmax_soft_row(const T* s, int64_t C, const T* t, const double* class_weight,
                               double eps, double gscale, T* g) {
    return with_row_vector<T>(C, [&](auto v) {
        using V = decltype(v);
        const T m = row_max<V>(s, C);
        const double spread = eps / static_cast<double>(C);
        double target_gap = 0.0, target_mass = 0.0;  // sum_c w_c t'_c (m - s_c), sum_c w_c t'_c
        for (int64_t c = 0; c < C; ++c) {
            const double wt =
                (class_weight ? class_weight[c] : 1.0) * (t[c] * (1.0 - eps) + spread);
            if (wt != 0.0) target_gap += wt * (static_cast<double>(m) - s[c]);
            target_mass += wt;
        }
        const T sum = exp_shifted_sum<V>(s, C, m, g);
        const double loss = target_gap + target_mass * static_cast<double>(std::log(sum));
        if (g) {
            // d/ds_k = p_k * sum_c w_c t'_c - w_k t'_k
            const T p_scale = static_cast<T>(gscale * target_mass / sum);
            for (int64_t c = 0; c < C; ++c) {
                const double wt =
                    (class_weight ? class_weight[c] : 1.0) * (t[c] * (1.0 - eps) + spread);
                g[c] = g[c] * p_scale - static_cast<T>(gscale * wt);
            }
        }
        return loss;
    });
}

}  // namespace fastlin::FASTLIN_ISA
