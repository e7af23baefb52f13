// Multiclass SVM, Crammer-Singer, of one row of scores or of W rows searched
// at once in lanes: the loss and, when `g` is not null, its gradient scaled
// by `gscale`; large gradients may be written by streamed stores.
//
// `g` may alias `s`: every function reads what it needs of a score before it
// overwrites it, so a fused pass can turn a block of scores into its gradient
// in place. Each is written once over a vector type V (vec.hpp) and run with
// full-width vectors, or with 1-lane vectors for rows shorter than one vector.
// Sample weights and the reduction are the row loop's business
// (row_loop.hpp), not these.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "isa_namespace.hpp"
#include "lanes.hpp"
#include "row_prefetch.hpp"
#include "vec.hpp"

namespace fastlin::FASTLIN_ISA {

// Multiclass SVM, Crammer-Singer: w_y * max(0, margin + max_{j != y} s_j - s_y)^p.
// Ties in the max give the gradient to the first maximising class; a NaN
// among the s_j (j != y) makes the loss NaN and the gradient zero.
//
// A row is searched first (its target's score sy, the largest other score
// mx, NaN when any other is NaN, and the first class jmax holding it, C when
// none beats -inf), then finished: the loss, and whether the gradient has
// its two entries, gc at jmax and -gc at y (all others are zero).
template <class T>
inline double svm_crammer_singer_result(T sy, T mx, int64_t jmax, int64_t C, int64_t y,
                                        const double* class_weight, double margin, bool squared,
                                        double gscale, bool& has_gradient, T& gc) {
    const T h = hinge(Vec<T, 1>{mx - sy + static_cast<T>(margin)})[0];
    const double wy = class_weight ? class_weight[y] : 1.0;
    has_gradient = h > 0 && jmax < C;  // h > 0 needs a finite or +inf maximum, found at jmax
    gc = has_gradient ? static_cast<T>(gscale * wy * (squared ? 2.0 * h : 1.0)) : T(0);
    return wy * (squared ? static_cast<double>(h) * h : static_cast<double>(h));
}

// The result above, with the two entries written into a row g the caller
// has cleared (g may be s: the search has read all it needs).
template <class T>
inline double svm_crammer_singer_finish(T sy, T mx, int64_t jmax, int64_t C, int64_t y,
                                        const double* class_weight, double margin, bool squared,
                                        double gscale, T* g) {
    bool has_gradient;
    T gc;
    const double loss = svm_crammer_singer_result(sy, mx, jmax, C, y, class_weight, margin, squared,
                                                  gscale, has_gradient, gc);
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
// streamed waits for it to reach memory and read it back). Never where the
// ISA has no streamed stores.
template <class T>
inline bool can_stream_rows(const T* g, int64_t C) {
    return kHasStreamingStores && reinterpret_cast<uintptr_t>(g) % sizeof(StreamVector<T>) == 0 &&
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
        stream<V>(g + c,
                  select<V>(idx == jv, splat<V>(gj), select<V>(idx == yv, splat<V>(gy), V{})));
    }
}

// stream_gradient: write g with streamed stores (the caller has checked
// can_stream_rows), for outputs too large to stay in cache.
template <class T>
inline double svm_crammer_singer_row(const T* s, int64_t C, int64_t y, const double* class_weight,
                                     double margin, bool squared, double gscale, T* g,
                                     bool stream_gradient = false) {
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
        const double loss = svm_crammer_singer_result(sy, mx, jmax, C, y, class_weight, margin,
                                                      squared, gscale, has_gradient, gc);
        // Without a gradient both entries go to C, out of the row: all zeros.
        stream_two_entry_row(g, C, has_gradient ? jmax : C, gc, has_gradient ? y : C,
                             static_cast<T>(-gc));
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
inline void svm_crammer_singer_search_in_lanes(const elem_t<V>* const* s, int64_t C,
                                               const int64_t* y, elem_t<V>* sy, elem_t<V>* mx,
                                               int64_t* jmax) {
    using T = elem_t<V>;
    constexpr int W = lanes<V>;
    T* const no_gradient[W] = {};  // not the gradient's rows (tuning notes: "Rows in lanes")
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
// up to kAskEndsRowBytes, where asking for each row's two ends covers it;
// none (0) where lanes did not pay or are not tuned, AVX-512 among them
// (tuning notes: "Rows in lanes").
template <class T>
inline constexpr int64_t kMaxCrammerSingerLaneColumns =
    FASTLIN_ISA_LEVEL == 2 ? 0 : kAskEndsRowBytes / static_cast<int64_t>(sizeof(T));

// Rows s[0..n) (1 <= n <= kLanes<T>) of Crammer-Singer of W <= C values,
// up to kAskEndsRowBytes: searched in lanes, then finished row by row.
template <class T>
inline void svm_crammer_singer_rows(int n, const T* const* s, int64_t C, const int64_t* y,
                                    const double* class_weight, double margin, bool squared,
                                    const double* gscale, T* const* g, double* loss) {
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
        // (tuning notes: "Rows in lanes").
        constexpr int max_vectors =
            (kAskEndsRowBytes / static_cast<int64_t>(sizeof(T)) + W - 1) / W;
        if (g[r])
            for (int k = 0; k < max_vectors; ++k)
                if (k * W < C) store(g[r] + std::min<int64_t>(k * W, C - W), V{});
        loss[r] = svm_crammer_singer_finish(sy[r], mx[r], jmax[r], C, y[r], class_weight, margin,
                                            squared, gscale[r], g[r]);
    }
}

}  // namespace fastlin::FASTLIN_ISA
