// Plain softmax cross-entropy (no class weights, no label smoothing) of
// several rows at once: loss and gradient, the hot path of softmax_loss and
// of the fused passes. softmax_hard_row (softmax_row.hpp) runs its plain rows
// through the same code, so a row's result does not depend on the rows it
// ran beside.
//
// One row is a chain of dependent steps (max, exp, sum, division, scaling,
// log) too long for the CPU to overlap with the next row when rows are short
// (C = 20): it waits on latency, not throughput. So rows run side by side:
//   - W <= C <= kMaxLaneColumns (W = lanes of a full vector): W rows at
//     once, one row per lane of every vector, after an in-register
//     transpose. No horizontal step, one vector log for W rows.
//   - otherwise two rows interleaved, kept in registers when each fits in
//     kMaxRegisterVectors vectors, else in three sweeps over L1.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "isa_namespace.hpp"
#include "lanes.hpp"
#include "row_prefetch.hpp"
#include "vec.hpp"
#include "vec_math.hpp"

namespace fastlin::FASTLIN_ISA {

// W rows (W = lanes<V>), row r from s[r] (C values, W <= C <=
// kMaxLaneBlocks * W), gradient to g[r] (g[0] null: none). Columns are
// transposed in W at a time, the last block overlapping the one before when
// C is not a multiple of W; on the way out the overlap is rewritten with the
// same values. Every load comes before the first store, so g may alias s,
// and pointers may repeat (a row given twice is written twice, alike).
// Labels must lie in [0, C).
template <class V>
inline void softmax_rows_in_lanes(const elem_t<V>* const* s, int64_t C, const int64_t* y,
                                  const double* gscale, elem_t<V>* const* g, double* loss) {
    using T = elem_t<V>;
    constexpr int W = lanes<V>;
    V col[kMaxLaneBlocks * W];  // col[j][r] = s[r][j], then exp, then the gradient
    ask_for_next_group<W>(s, g, C);
    const V label = labels_in_lanes<V>(y);
    V gs;
    for (int r = 0; r < W; ++r) gs[r] = static_cast<T>(gscale[r]);
    // The max and the target's score are taken from each block as it comes
    // out of the transpose, and the gradient is scaled as it goes into it:
    // no sweep of their own over col. A column in the overlap is visited
    // twice, alike (labels_in_lanes: where a lane's label is).
    V m = splat<V>(-std::numeric_limits<T>::infinity()), target{};
    for_each_transposed_block<V>(s, C, [&](int64_t c0, const V* block) {
        const V label_in_block = label - static_cast<T>(c0);
        for (int l = 0; l < W; ++l) {
            col[c0 + l] = block[l];
            m = vmax(m, block[l]);
            target = select<V>(label_in_block == static_cast<T>(l), block[l], target);
        }
    });
    V sum{};
    for (int64_t j = 0; j < C; ++j) {
        col[j] = exp_nonpositive(col[j] - m);
        sum += col[j];
    }
    // log in T: the sum lies in [1, C], so log is as exact as T allows.
    const V log_sum = log_positive(sum);
    for (int r = 0; r < W; ++r) loss[r] = (static_cast<double>(m[r]) - target[r]) + log_sum[r];
    if (!g[0]) return;
    const V p_scale = gs / sum;
    for_each_column_block<W>(C, [&](int64_t c0) {
        const V label_in_block = label - static_cast<T>(c0);
        V block[W];
        for (int l = 0; l < W; ++l)
            block[l] =
                col[c0 + l] * p_scale - select<V>(label_in_block == static_cast<T>(l), gs, V{});
        transpose(block);
        for (int r = 0; r < W; ++r) store(g[r] + c0, block[r]);
    });
}

// R rows interleaved, each in NV vectors kept in registers from the max to
// the scaled gradient (C in ((NV-1) W, NV W]). The last vector overlaps the
// one before when C is not a multiple of W: its stale lanes are left out of
// the sum and rewritten with the same values. Every load of a row comes
// before its first store, so g may alias s.
template <int R, int NV, class V>
inline void softmax_rows_in_registers(const elem_t<V>* const* s, int64_t C, const int64_t* y,
                                      const double* gscale, elem_t<V>* const* g, double* loss) {
    using T = elem_t<V>;
    constexpr int W = lanes<V>;
    int64_t offset[NV];
    for (int k = 0; k < NV; ++k) offset[k] = k < NV - 1 ? k * W : C - W;
    const mask_t<V> fresh_in_last =
        lane_index<V>() >= splat<V>(static_cast<T>((NV - 1) * W - (C - W)));
    V e[R][NV];
    double gap[R];
    T sum[R];
    for (int r = 0; r < R; ++r) {
        for (int k = 0; k < NV; ++k) e[r][k] = load<V>(s[r] + offset[k]);
        V mv = e[r][0];
        for (int k = 1; k < NV; ++k) mv = vmax(mv, e[r][k]);
        const T m = hmax(mv);
        gap[r] = static_cast<double>(m) - s[r][y[r]];
        V sv{};
        for (int k = 0; k < NV; ++k) {
            e[r][k] = exp_nonpositive(e[r][k] - m);
            sv += k < NV - 1 ? e[r][k] : select<V>(fresh_in_last, e[r][k], V{});
        }
        sum[r] = hsum(sv);
    }
    if (g[0]) {
        for (int r = 0; r < R; ++r) {
            const T p_scale = static_cast<T>(gscale[r] / sum[r]);
            for (int k = 0; k < NV; ++k) store(g[r] + offset[k], e[r][k] * p_scale);
            g[r][y[r]] -= static_cast<T>(gscale[r]);
        }
    }
    // log last, once no vector is live: it is a library call, which would
    // spill them. In T: the sum lies in [1, C], so log is as exact as T
    // allows, and logf costs half of log.
    for (int r = 0; r < R; ++r) loss[r] = gap[r] + std::log(sum[r]);
}

// The same arithmetic for rows of any length, sweeping each row three times:
// max; exp, stored in g; scaling of g. The exp sweep asks for the next
// group's rows, R C values on (ask_ahead).
template <int R, class V>
inline void softmax_rows_in_three_sweeps(const elem_t<V>* const* s, int64_t C, const int64_t* y,
                                         const double* gscale, elem_t<V>* const* g, double* loss) {
    using T = elem_t<V>;
    V mv[R];
    for (int r = 0; r < R; ++r) mv[r] = splat<V>(-std::numeric_limits<T>::infinity());
    for_each_vector<V>(C, [&](int64_t c, mask_t<V>) {
        for (int r = 0; r < R; ++r) mv[r] = vmax(mv[r], load<V>(s[r] + c));
    });
    T m[R];
    double gap[R];
    for (int r = 0; r < R; ++r) {
        m[r] = hmax(mv[r]);
        gap[r] = static_cast<double>(m[r]) - s[r][y[r]];  // before g (maybe s) is written
    }
    V sv[R] = {};
    with_ask_ahead<T>(C, [&](auto asks) {
        for_each_vector<V>(C, [&](int64_t c, mask_t<V> fresh) {
            for (int r = 0; r < R; ++r) {
                if constexpr (decltype(asks)::value) ask_ahead(s[r], g[r], c, R * C);
                const V e = exp_nonpositive(load<V>(s[r] + c) - m[r]);
                sv[r] += select<V>(fresh, e, V{});
                if (g[r]) store(g[r] + c, select<V>(fresh, e, load<V>(g[r] + c)));
            }
        });
    });
    T sum[R];
    for (int r = 0; r < R; ++r) sum[r] = hsum(sv[r]);
    if (g[0]) {
        T p_scale[R];
        for (int r = 0; r < R; ++r) p_scale[r] = static_cast<T>(gscale[r] / sum[r]);
        for_each_vector<V>(C, [&](int64_t c, mask_t<V> fresh) {
            for (int r = 0; r < R; ++r) {
                const V old = load<V>(g[r] + c);
                store(g[r] + c, select<V>(fresh, old * p_scale[r], old));
            }
        });
        for (int r = 0; r < R; ++r) g[r][y[r]] -= static_cast<T>(gscale[r]);
    }
    for (int r = 0; r < R; ++r) loss[r] = gap[r] + std::log(sum[r]);
}

// Up to 4 vectors a row: two rows of 4 then hold 8 of the 16 AVX2
// registers, leaving the rest to exp (tuning notes: "Softmax rows in
// registers").
inline constexpr int kMaxRegisterVectors = 4;

// R interleaved rows of `vectors` vectors each.
template <int R, class V, int NV = 1>
inline void softmax_rows_of(int64_t vectors, const elem_t<V>* const* s, int64_t C, const int64_t* y,
                            const double* gscale, elem_t<V>* const* g, double* loss) {
    if constexpr (NV > kMaxRegisterVectors) {
        softmax_rows_in_three_sweeps<R, V>(s, C, y, gscale, g, loss);
    } else if (vectors == NV) {
        softmax_rows_in_registers<R, NV, V>(s, C, y, gscale, g, loss);
    } else {
        softmax_rows_of<R, V, NV + 1>(vectors, s, C, y, gscale, g, loss);
    }
}

// The most rows one call takes: a full group in lanes.
template <class T>
inline constexpr int kMaxPlainRows = kLanes<T>;

// Rows s[0..n) (1 <= n <= kMaxPlainRows<T>), their labels in [0, C), gradients to
// g[0..n) (g[0] null: none), losses to loss[0..n).
template <class T>
inline void softmax_plain_rows(int n, const T* const* s, int64_t C, const int64_t* y,
                               const double* gscale, T* const* g, double* loss) {
    constexpr int W = kLanes<T>;
    if (C >= W && C <= kMaxLaneColumns<T>) {
        return as_full_group<W>(n, s, y, gscale, g, loss,
                                [&](auto s_, auto y_, auto gs_, auto g_, auto loss_) {
                                    softmax_rows_in_lanes<Vec<T, W>>(s_, C, y_, gs_, g_, loss_);
                                });
    }
    with_row_vector<T>(C, [&](auto v) {
        using V = decltype(v);
        const int64_t vectors = (C + lanes<V> - 1) / lanes<V>;
        int r = 0;
        for (; r + 2 <= n; r += 2)
            softmax_rows_of<2, V>(vectors, s + r, C, y + r, gscale + r, g + r, loss + r);
        if (r < n) softmax_rows_of<1, V>(vectors, s + r, C, y + r, gscale + r, g + r, loss + r);
    });
}

}  // namespace fastlin::FASTLIN_ISA
