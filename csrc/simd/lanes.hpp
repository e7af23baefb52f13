// The helpers of the kernels that run W rows at once, one row per lane of
// every vector, after an in-register transpose (softmax_rows.hpp,
// svm_weston_watkins.hpp, svm_crammer_singer.hpp): no horizontal step a row.
#pragma once

#include <algorithm>
#include <cstdint>

#include "isa_namespace.hpp"
#include "vec.hpp"

namespace fastlin::FASTLIN_ISA {

// Rows of up to kMaxLaneBlocks full vectors go in lanes; longer ones go one
// or two at a time, as fast with the rows streaming from memory. The counts
// per instruction set, and which are measured, are in the tuning notes
// ("Rows in lanes").
inline constexpr int kMaxLaneBlocks = FASTLIN_ISA_LEVEL == 1 ? 5 : 3;
template <class T>
inline constexpr int64_t kMaxLaneColumns = kMaxLaneBlocks * kLanes<T>;

// f(c0) for the column blocks c0 = 0, W, 2W, ... of rows of C >= W values,
// the last at C - W, overlapping the block before when W does not divide C.
template <int W, class F>
inline void for_each_column_block(int64_t C, F&& f) {
    for (int64_t j0 = 0; j0 < C; j0 += W) f(std::min<int64_t>(j0, C - W));
}

// f(c0, block) for each column block of the W rows s[r], transposed:
// block[l][r] = s[r][c0 + l].
template <class V, class F>
inline void for_each_transposed_block(const elem_t<V>* const* s, int64_t C, F&& f) {
    constexpr int W = lanes<V>;
    for_each_column_block<W>(C, [&](int64_t c0) {
        V block[W];
        for (int r = 0; r < W; ++r) block[r] = load<V>(s[r] + c0);
        transpose(block);
        f(c0, block);
    });
}

// A group of 1 <= n <= W rows as a full one: lane l takes row min(l, n - 1),
// so the other lanes repeat the last row (the same values, computed and
// written again).
template <int W, class P>
inline void fill_lanes(int n, const P* in, P* out) {
    for (int l = 0; l < W; ++l) out[l] = in[std::min(l, n - 1)];
}

// The labels y[0..W) in the lanes of a vector (exact: small integers), for
// the kernels in lanes, which find a row's label in the block of columns at
// c0 where label - c0 == l.
template <class V>
inline V labels_in_lanes(const int64_t* y) {
    V label;
    for (int r = 0; r < lanes<V>; ++r) label[r] = static_cast<elem_t<V>>(y[r]);
    return label;
}

// kernel(s, y, gscale, g, loss) over a full group of W rows made of the
// n <= W given (fill_lanes), keeping the n losses; a full group straight.
template <int W, class T, class Kernel>
inline void as_full_group(int n, const T* const* s, const int64_t* y, const double* gscale,
                          T* const* g, double* loss, Kernel&& kernel) {
    if (n == W) return kernel(s, y, gscale, g, loss);
    const T* sp[W];
    T* gp[W];
    int64_t yp[W];
    double gsp[W], lp[W];
    fill_lanes<W>(n, s, sp);
    fill_lanes<W>(n, g, gp);
    fill_lanes<W>(n, y, yp);
    fill_lanes<W>(n, gscale, gsp);
    kernel(sp, yp, gsp, gp, lp);
    std::copy(lp, lp + n, loss);
}

}  // namespace fastlin::FASTLIN_ISA
