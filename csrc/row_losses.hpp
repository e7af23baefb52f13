// One function per loss for one row of scores: its (class-weighted) loss and,
// when `g` is not null, its gradient scaled by `gscale`, in one sweep over the
// row while it sits in L1. The row loop (row_loop.hpp) applies them over a
// batch; the fused linear passes apply the same functions to blocks of scores.
// Sample weights and the reduction are the loop's business, not these.
//
// `g` may alias `s`: every function reads what it needs of a score before it
// overwrites it, so a fused pass can turn a block of scores into its gradient
// in place.
//
// Each is written once over a vector type V (vec.hpp) and run with full-width
// vectors, or with 1-lane vectors for rows shorter than one vector.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "isa_namespace.hpp"
#include "softmax_rows.hpp"
#include "vec.hpp"

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
inline void weighted_gap_sum(const elem_t<V>* s, int64_t C, elem_t<V> m, const double* w, double& gap,
                             double& weight_total) {
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
    for_each_vector<V>(C, [&](int64_t c, mask_t<V> fresh) { acc += select<V>(fresh, m - load<V>(s + c), V{}); });
    gap = hsum(acc);
}

// Softmax cross-entropy with a hard label y, PyTorch's label smoothing:
//   (1-eps) * w_y * (-log p_y) + eps/C * sum_c w_c * (-log p_c)
// -log p_c is computed as (m - s_c) + log(sum), never as log of a rounded p.
template <class T>
inline double softmax_hard_row(const T* s, int64_t C, int64_t y, const double* class_weight, double eps,
                               double gscale, T* g) {
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
            const T p_scale = static_cast<T>(gscale * ((1.0 - eps) * wy + eps / C * weight_total) / sum);
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
inline double softmax_soft_row(const T* s, int64_t C, const T* t, const double* class_weight, double eps,
                               double gscale, T* g) {
    return with_row_vector<T>(C, [&](auto v) {
        using V = decltype(v);
        const T m = row_max<V>(s, C);
        const double spread = eps / static_cast<double>(C);
        double target_gap = 0.0, target_mass = 0.0;  // sum_c w_c t'_c (m - s_c), sum_c w_c t'_c
        for (int64_t c = 0; c < C; ++c) {
            const double wt = (class_weight ? class_weight[c] : 1.0) * (t[c] * (1.0 - eps) + spread);
            if (wt != 0.0) target_gap += wt * (static_cast<double>(m) - s[c]);
            target_mass += wt;
        }
        const T sum = exp_shifted_sum<V>(s, C, m, g);
        const double loss = target_gap + target_mass * static_cast<double>(std::log(sum));
        if (g) {
            // d/ds_k = p_k * sum_c w_c t'_c - w_k t'_k
            const T p_scale = static_cast<T>(gscale * target_mass / sum);
            for (int64_t c = 0; c < C; ++c) {
                const double wt = (class_weight ? class_weight[c] : 1.0) * (t[c] * (1.0 - eps) + spread);
                g[c] = g[c] * p_scale - static_cast<T>(gscale * wt);
            }
        }
        return loss;
    });
}

// max(0, d) that keeps a NaN, so a NaN score gives a NaN loss (NaN in, NaN out).
template <class V>
inline V hinge(V d) {
    return select<V>((d > 0) | (d != d), d, V{});
}

// Multiclass SVM, Weston-Watkins: w_y * sum_{j != y} max(0, s_j - s_y + margin)^p.
// A class is active (gets gradient) where its margin term is strictly positive.
template <class T>
inline double svm_weston_watkins_row(const T* s, int64_t C, int64_t y, const double* class_weight,
                                     double margin, bool squared, double gscale, T* g) {
    return with_row_vector<T>(C, [&](auto v) {
        using V = decltype(v);
        const V sy = splat<V>(s[y]);
        const T mg = static_cast<T>(margin);
        const double wy = class_weight ? class_weight[y] : 1.0;
        const T gw = static_cast<T>(gscale * wy);
        using I = index_vector_t<V>;
        const I yv = splat<I>(static_cast<elem_t<I>>(y));
        // The target's gradient is -gw * (number of active classes), or
        // -2 gw * (sum of active margins) when squared: counted per lane and
        // scaled once, not summed term by term over up to 32000 classes.
        V loss{}, active{};
        for_each_vector_read_first<V>(s, C, [&](int64_t c, mask_t<V> fresh, V sc) {
            // The target's own lane is zero; lanes already visited are
            // computed again alike and left out of the sums.
            const mask_t<V> other = lane_index<I>() + static_cast<elem_t<I>>(c) != yv;
            // (s_j - s_y) + margin, in that order: with |s| ~ 3e38 the margin
            // must not be rounded away into s_y first.
            const V h = select<V>(other, hinge<V>((sc - sy) + mg), V{});
            const V counted = select<V>(fresh, h, V{});
            loss += squared ? counted * counted : counted;
            if (g) {
                active += select<V>(counted > 0, squared ? counted : splat<V>(1), V{});
                store(g + c, select<V>(h > 0, squared ? h * (2 * gw) : splat<V>(gw), V{}));
            }
        });
        // The plain hinge's in T, without the conversions to double and back
        // that lengthened each row's chain of dependent steps: the same bits,
        // as the product of two floats is exact in double and was rounded
        // to float once. Measured in one process, N = 200000, C = 20
        // float32: 1.00-1.06x faster on one and two threads (four runs, A/A
        // 0.98-1.01x). The squared one in double, the factor 2 last: 2 gw
        // overflows where gw > max / 2, and a row with no active class then
        // got 0 * inf = NaN instead of 0 (float64 did before this too).
        if (g)
            g[y] = squared ? static_cast<T>(-2.0 * (static_cast<double>(gw) * hsum(active))) : -(gw * hsum(active));
        return wy * static_cast<double>(hsum(loss));
    });
}

// Weston-Watkins for W rows at once (W = lanes<V> <= C <= kMaxLaneBlocks
// W), one row per lane after an in-register transpose, as softmax's rows in
// lanes: no horizontal sum a row, and the target's entry set on the way out
// rather than by a store after the row's. A row's loss is summed column by
// column, so its last bits differ from svm_weston_watkins_row's; every row
// of such a C goes this way (a short group repeats its last row), so a
// row's result does not depend on the rows beside it.
template <class V>
inline void svm_weston_watkins_rows_in_lanes(const elem_t<V>* const* s, int64_t C, const int64_t* y,
                                             const double* class_weight, double margin, bool squared,
                                             const double* gscale, elem_t<V>* const* g, double* loss) {
    using T = elem_t<V>;
    constexpr int W = lanes<V>;
    V col[kMaxLaneBlocks * W];  // col[j][r] = s[r][j], then the gradient
    ask_for_next_group<W>(s, g, C);
    const V label = labels_in_lanes<V>(y);
    V sy, gw;
    double wy[W];
    for (int r = 0; r < W; ++r) {
        sy[r] = s[r][y[r]];
        wy[r] = class_weight ? class_weight[y[r]] : 1.0;
        gw[r] = static_cast<T>(gscale[r] * wy[r]);
    }
    for_each_transposed_block<V>(s, C, [&](int64_t c0, const V* block) {
        for (int l = 0; l < W; ++l) col[c0 + l] = block[l];
    });
    const T mg = static_cast<T>(margin);
    V sum{}, active{};
    T column = 0;  // j as T, counted rather than converted each column
    for (int64_t j = 0; j < C; ++j, column += 1) {
        // (s_j - s_y) + margin, in that order, as svm_weston_watkins_row.
        const V h = select<V>(label != column, hinge<V>((col[j] - sy) + mg), V{});
        sum += squared ? h * h : h;
        active += select<V>(h > 0, squared ? h : splat<V>(1), V{});
        col[j] = select<V>(h > 0, squared ? h * (2 * gw) : gw, V{});
    }
    for (int r = 0; r < W; ++r) loss[r] = wy[r] * static_cast<double>(sum[r]);
    if (!g[0]) return;
    V gy;
    for (int r = 0; r < W; ++r)
        gy[r] = squared ? static_cast<T>(-2.0 * (static_cast<double>(gw[r]) * active[r])) : -(gw[r] * active[r]);
    for_each_column_block<W>(C, [&](int64_t c0) {
        const V label_in_block = label - static_cast<T>(c0);
        V block[W];
        for (int l = 0; l < W; ++l) block[l] = select<V>(label_in_block == static_cast<T>(l), gy, col[c0 + l]);
        transpose(block);
        for (int r = 0; r < W; ++r) store(g[r] + c0, block[r]);
    });
}

// Where rows in lanes measured faster than one by one: float32 with AVX2,
// rows up to 96 bytes (C <= 24). svm_loss at N = 200000, in one process,
// two threads / one: C = 8 1.13-1.26x / 1.13-1.32x, C = 13 1.14-1.16x /
// 1.14-1.27x, C = 16 1.04x / 1.16x, C = 20 1.00-1.11x / 1.06-1.14x (four
// runs; in cache, N = 2000, 1.00-1.01x: the call's other costs), C = 24
// 0.94-1.03x / 1.03-1.05x; longer rows slower (C = 32 0.92x / 0.99x, C = 40
// 0.70x / 0.84x). float64 (4 lanes) was slower at C = 8, 12 and 20 (0.86-0.99x),
// and so was the baseline (float32 in 4 lanes, C = 8 and 12: 0.91-0.96x);
// AVX-512 is not measured.
template <class T>
inline constexpr int64_t kMaxWestonWatkinsLaneColumns =
    sizeof(T) == 4 && FASTLIN_ISA_LEVEL == 1
        ? std::min(kAskEndsRowBytes / static_cast<int64_t>(sizeof(T)), kMaxLaneColumns<T>)
        : 0;

// Rows s[0..n) (1 <= n <= kLanes<T>) of Weston-Watkins, kLanes<T> <= C <=
// kMaxWestonWatkinsLaneColumns<T>, in lanes.
template <class T>
inline void svm_weston_watkins_rows(int n, const T* const* s, int64_t C, const int64_t* y,
                                    const double* class_weight, double margin, bool squared, const double* gscale,
                                    T* const* g, double* loss) {
    constexpr int W = kLanes<T>;
    as_full_group<W>(n, s, y, gscale, g, loss, [&](auto s_, auto y_, auto gs_, auto g_, auto loss_) {
        svm_weston_watkins_rows_in_lanes<Vec<T, W>>(s_, C, y_, class_weight, margin, squared, gs_, g_, loss_);
    });
}

// Multiclass SVM, Crammer-Singer: w_y * max(0, margin + max_{j != y} s_j - s_y)^p.
// Ties in the max give the gradient to the first maximising class; a NaN
// among the s_j (j != y) makes the loss NaN and the gradient zero.
//
// A row is searched first (its target's score sy, the largest other score
// mx, NaN when any other is NaN, and the first class jmax holding it, C when
// none beats -inf), then finished: the loss, and whether the gradient has
// its two entries, gc at jmax and -gc at y (all others are zero).
template <class T>
inline double svm_crammer_singer_result(T sy, T mx, int64_t jmax, int64_t C, int64_t y, const double* class_weight,
                                        double margin, bool squared, double gscale, bool& has_gradient, T& gc) {
    const T h = hinge(Vec<T, 1>{mx - sy + static_cast<T>(margin)})[0];
    const double wy = class_weight ? class_weight[y] : 1.0;
    has_gradient = h > 0 && jmax < C;  // h > 0 needs a finite or +inf maximum, found at jmax
    gc = has_gradient ? static_cast<T>(gscale * wy * (squared ? 2.0 * h : 1.0)) : T(0);
    return wy * (squared ? static_cast<double>(h) * h : static_cast<double>(h));
}

// The result above, with the two entries written into a row g the caller
// has cleared (g may be s: the search has read all it needs).
template <class T>
inline double svm_crammer_singer_finish(T sy, T mx, int64_t jmax, int64_t C, int64_t y, const double* class_weight,
                                        double margin, bool squared, double gscale, T* g) {
    bool has_gradient;
    T gc;
    const double loss = svm_crammer_singer_result(sy, mx, jmax, C, y, class_weight, margin, squared, gscale,
                                                  has_gradient, gc);
    if (g && has_gradient) {
        g[jmax] = gc;
        g[y] = -gc;
    }
    return loss;
}

// Stores around the caches, 32 bytes at a time (16 on the baseline).
template <class T>
using StreamVector = Vec<T, (kVectorBytes < 32 ? kVectorBytes : 32) / static_cast<int>(sizeof(T))>;

// Whether rows of C values from g can be written by stream_two_entry_row:
// every row then starts and ends on a vector boundary, so no line of the
// output gets both streamed and cached stores (a cached store to a line just
// streamed waits for it to reach memory and read it back: svm Weston-Watkins
// with its target entry stored that way ran 0.87-0.91x, float32 C = 1000).
template <class T>
inline bool can_stream_rows(const T* g, int64_t C) {
    return reinterpret_cast<uintptr_t>(g) % sizeof(StreamVector<T>) == 0 &&
           (C * sizeof(T)) % sizeof(StreamVector<T>) == 0;
}

// Writes the row g (C values): gj at j, gy at y, zero elsewhere (j or y may
// be C: no entry), by streamed stores only.
template <class T>
inline void stream_two_entry_row(T* g, int64_t C, int64_t j, T gj, int64_t y, T gy) {
    using V = StreamVector<T>;
    using I = index_vector_t<V>;
    const I jv = splat<I>(static_cast<elem_t<I>>(j)), yv = splat<I>(static_cast<elem_t<I>>(y));
    for (int64_t c = 0; c < C; c += lanes<V>) {
        const I idx = lane_index<I>() + static_cast<elem_t<I>>(c);
        stream<V>(g + c, select<V>(idx == jv, splat<V>(gj), select<V>(idx == yv, splat<V>(gy), V{})));
    }
}

// stream_gradient: write g with streamed stores (the caller has checked
// can_stream_rows), for outputs too large to stay in cache.
template <class T>
inline double svm_crammer_singer_row(const T* s, int64_t C, int64_t y, const double* class_weight,
                                     double margin, bool squared, double gscale, T* g, bool stream_gradient = false) {
    if (C < 2) {
        if (g)
            for (int64_t c = 0; c < C; ++c) g[c] = 0;
        return 0.0;
    }
    // One sweep finds the largest s_j (j != y) and its first index, lane by
    // lane, without branches (a search for it in a second sweep cost a
    // mispredicted branch or two a row).
    T mx;
    int64_t jmax;
    bool nan = false;
    with_row_vector<T>(C, [&](auto v) {
        using V = decltype(v);
        using I = index_vector_t<V>;
        const I yv = splat<I>(static_cast<elem_t<I>>(y));
        V m = splat<V>(-std::numeric_limits<T>::infinity());
        I at = splat<I>(static_cast<elem_t<I>>(C));
        mask_t<V> any_nan = splat<V>(0) != splat<V>(0);
        for_each_vector<V>(C, [&](int64_t c, mask_t<V>) {
            const V sc = load<V>(s + c);
            const I idx = lane_index<I>() + static_cast<elem_t<I>>(c);
            // Overlapping lanes see an element again with its own index: the
            // first index of the maximum still wins below.
            const mask_t<V> other = idx != yv;
            const mask_t<V> better = other & (sc > m);
            m = select<V>(better, sc, m);
            at = better ? idx : at;
            any_nan |= other & (sc != sc);
        });
        mx = hmax(m);
        nan = hsum(select<V>(any_nan, splat<V>(1), V{})) > 0;
        jmax = hmin(m == mx ? at : splat<I>(static_cast<elem_t<I>>(C)));
    });
    if (nan) mx = std::numeric_limits<T>::quiet_NaN();  // h is NaN: no gradient
    const T sy = s[y];
    if (g && stream_gradient) {
        bool has_gradient;
        T gc;
        const double loss = svm_crammer_singer_result(sy, mx, jmax, C, y, class_weight, margin, squared, gscale,
                                                      has_gradient, gc);
        // Without a gradient both entries go to C, out of the row: all zeros.
        stream_two_entry_row(g, C, has_gradient ? jmax : C, gc, has_gradient ? y : C, static_cast<T>(-gc));
        return loss;
    }
    if (g)
        for (int64_t c = 0; c < C; ++c) g[c] = 0;
    return svm_crammer_singer_finish(sy, mx, jmax, C, y, class_weight, margin, squared, gscale, g);
}

// The search of W rows at once (W = lanes<V> <= C), one row per lane after
// an in-register transpose, as softmax_rows_in_lanes: column by column, so
// the first maximising class wins by a strict >, and no horizontal step a
// row. Columns in the overlap of the last block are seen again, alike.
// Gives the same sy, mx, jmax as the search of one row.
template <class V>
inline void svm_crammer_singer_search_in_lanes(const elem_t<V>* const* s, int64_t C, const int64_t* y,
                                               elem_t<V>* sy, elem_t<V>* mx, int64_t* jmax) {
    using T = elem_t<V>;
    constexpr int W = lanes<V>;
    T* const no_gradient[W] = {};  // not the gradient's rows ahead: 0.93x
    ask_for_next_group<W>(s, no_gradient, C);
    const V label = labels_in_lanes<V>(y);
    V m = splat<V>(-std::numeric_limits<T>::infinity()), at = splat<V>(static_cast<T>(C)), target{};
    mask_t<V> any_nan = splat<V>(0) != splat<V>(0);
    for_each_transposed_block<V>(s, C, [&](int64_t c0, const V* block) {
        const V label_in_block = label - static_cast<T>(c0);
        for (int l = 0; l < W; ++l) {
            const V sc = block[l];
            const mask_t<V> other = label_in_block != static_cast<T>(l);
            const mask_t<V> better = other & (sc > m);
            m = select<V>(better, sc, m);
            at = select<V>(better, splat<V>(static_cast<T>(c0 + l)), at);
            any_nan |= other & (sc != sc);
            target = select<V>(other, target, sc);
        }
    });
    m = select<V>(any_nan, splat<V>(std::numeric_limits<T>::quiet_NaN()), m);
    for (int r = 0; r < W; ++r) {
        sy[r] = target[r];
        mx[r] = m[r];
        jmax[r] = static_cast<int64_t>(at[r]);
    }
}

// Crammer-Singer rows of W = kLanes<T> values up to this many go in lanes:
// up to kAskEndsRowBytes, where asking for each row's two ends covers it.
// Measured in one process against the search of one row, N = 200000, same
// bits: float32 C = 13 1.20-1.24x, C = 20 1.10-1.16x, C = 24 1.07-1.16x,
// float64 C = 8 1.15-1.20x, C = 12 1.09-1.17x; longer rows in lanes were
// slower (float32 C = 40 0.82-0.92x, float64 C = 20 0.80-0.97x). On the
// baseline (SSE2, one thread): float32 C = 8 1.08x, C = 20 0.95x, float64
// C = 4 1.53x, C = 12 1.43x. AVX-512 (W = 16 and 8) has not been measured:
// there the rows go one by one, as before (0: none in lanes).
template <class T>
inline constexpr int64_t kMaxCrammerSingerLaneColumns =
    FASTLIN_ISA_LEVEL == 2 ? 0 : kAskEndsRowBytes / static_cast<int64_t>(sizeof(T));

// Rows s[0..n) (1 <= n <= kLanes<T>) of Crammer-Singer of W <= C values,
// up to kAskEndsRowBytes: searched in lanes, then finished row by row.
template <class T>
inline void svm_crammer_singer_rows(int n, const T* const* s, int64_t C, const int64_t* y,
                                    const double* class_weight, double margin, bool squared, const double* gscale,
                                    T* const* g, double* loss) {
    constexpr int W = kLanes<T>;
    const T* sp[W];
    int64_t yp[W], jmax[W];
    T sy[W], mx[W];
    fill_lanes<W>(n, s, sp);
    fill_lanes<W>(n, y, yp);
    using V = Vec<T, W>;
    svm_crammer_singer_search_in_lanes<V>(sp, C, yp, sy, mx, jmax);
    for (int r = 0; r < n; ++r) {
        // Cleared by whole vectors, the last one overlapping, in a loop of
        // fixed length: a loop over C became a rep stos, which starts slowly
        // (a third of the time at C = 20).
        constexpr int max_vectors = (kAskEndsRowBytes / static_cast<int64_t>(sizeof(T)) + W - 1) / W;
        if (g[r])
            for (int k = 0; k < max_vectors; ++k)
                if (k * W < C) store(g[r] + std::min<int64_t>(k * W, C - W), V{});
        loss[r] = svm_crammer_singer_finish(sy[r], mx[r], jmax[r], C, y[r], class_weight, margin, squared, gscale[r], g[r]);
    }
}

// Squared loss: 1/2 ||p - t||^2 over one row of K outputs.
template <class T>
inline double squared_row(const T* p, int64_t K, const T* t, double gscale, T* g) {
    return with_row_vector<T>(K, [&](auto v) {
        using V = decltype(v);
        const T gs = static_cast<T>(gscale);
        V loss{};
        for_each_vector_read_first<V>(p, K, [&](int64_t k, mask_t<V> fresh, V pk) {
            const V d = pk - load<V>(t + k), counted = select<V>(fresh, d, V{});
            loss += counted * counted;
            if (g) store(g + k, d * gs);
        });
        return 0.5 * static_cast<double>(hsum(loss));
    });
}

}  // namespace fastlin::FASTLIN_ISA
