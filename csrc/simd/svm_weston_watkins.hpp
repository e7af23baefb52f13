// Multiclass SVM, Weston-Watkins, of one row of scores or of W rows at once
// in lanes: the loss and, when `g` is not null, its gradient scaled by
// `gscale`.
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

#include "isa_namespace.hpp"
#include "lanes.hpp"
#include "row_prefetch.hpp"
#include "vec.hpp"

namespace fastlin::FASTLIN_ISA {

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
        // to float once. The squared one in double, the factor 2 last: 2 gw
        // overflows where gw > max / 2, and a row with no active class then
        // got 0 * inf = NaN instead of 0 (float64 did before this too).
        if (g)
            g[y] = squared ? static_cast<T>(-2.0 * (static_cast<double>(gw) * hsum(active)))
                           : -(gw * hsum(active));
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
                                             const double* class_weight, double margin,
                                             bool squared, const double* gscale,
                                             elem_t<V>* const* g, double* loss) {
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
        gy[r] = squared ? static_cast<T>(-2.0 * (static_cast<double>(gw[r]) * active[r]))
                        : -(gw[r] * active[r]);
    for_each_column_block<W>(C, [&](int64_t c0) {
        const V label_in_block = label - static_cast<T>(c0);
        V block[W];
        for (int l = 0; l < W; ++l)
            block[l] = select<V>(label_in_block == static_cast<T>(l), gy, col[c0 + l]);
        transpose(block);
        for (int r = 0; r < W; ++r) store(g[r] + c0, block[r]);
    });
}

// Rows in lanes only where they beat rows one by one: float32 with AVX2,
// rows up to kAskEndsRowBytes (C <= 24) (tuning notes: "Rows in lanes").
template <class T>
inline constexpr int64_t kMaxWestonWatkinsLaneColumns =
    sizeof(T) == 4 && FASTLIN_ISA_LEVEL == 1
        ? std::min(kAskEndsRowBytes / static_cast<int64_t>(sizeof(T)), kMaxLaneColumns<T>)
        : 0;

// Rows s[0..n) (1 <= n <= kLanes<T>) of Weston-Watkins, kLanes<T> <= C <=
// kMaxWestonWatkinsLaneColumns<T>, in lanes.
template <class T>
inline void svm_weston_watkins_rows(int n, const T* const* s, int64_t C, const int64_t* y,
                                    const double* class_weight, double margin, bool squared,
                                    const double* gscale, T* const* g, double* loss) {
    constexpr int W = kLanes<T>;
    as_full_group<W>(n, s, y, gscale, g, loss,
                     [&](auto s_, auto y_, auto gs_, auto g_, auto loss_) {
                         svm_weston_watkins_rows_in_lanes<Vec<T, W>>(
                             s_, C, y_, class_weight, margin, squared, gs_, g_, loss_);
                     });
}

}  // namespace fastlin::FASTLIN_ISA
