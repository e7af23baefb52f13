// Plain softmax cross-entropy (no class weights, no label smoothing) of
// several rows at once: loss and gradient, the hot path of softmax_loss and
// of the fused passes. softmax_hard_row (row_losses.hpp) runs its plain rows
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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "isa_namespace.hpp"
#include "vec.hpp"

namespace fastlin::FASTLIN_ISA {

// Rows of up to kMaxLaneBlocks full vectors go in lanes; longer ones go two
// rows in registers or in three sweeps, which were as fast or faster there
// with the rows streaming from memory. Measured on a Zen 3 core, one
// thread, ns a row in lanes against the other path (medians of alternating
// runs):
// - AVX2, rows in cache (N = 2000): float32 (W = 8) C = 25: 23 / 33, C =
//   32: 26 / 33, C = 40: 32 / 38, C = 48: 38 / 42, C = 64: 49-67 / 53-74,
//   C = 80: 59 / 59; float64 (W = 4) C = 13: 30 / 40, C = 20: 48-49 /
//   61-62, C = 32: 60 / 65.
// - AVX2, rows streaming (N = 200000): float32 C = 25: 38-43 / 51-53, C =
//   33: 46-49 / 65-66, C = 40: 44-58 / 42-60 (0.95-1.04x), C = 48: 54-103
//   / 48-70 (0.68-0.89x), C = 64: 0.59-0.63x; float64 C = 13: 33 / 43,
//   C = 17: 53-54 / 80-82, C = 20: 44-58 / 51-71, C = 24: 52-68 / 56-80.
//   So 5 blocks: float32 up to C = 40, float64 up to C = 20.
// - The baseline (SSE2, W = 4 and 2): lanes beyond 3 blocks were slower,
//   0.91-0.95x in cache (float32 C = 20 and 32, float64 C = 7 to 16).
// - AVX-512 (W = 16 and 8) has not been measured beyond 3 blocks.
inline constexpr int kMaxLaneBlocks = FASTLIN_ISA_LEVEL == 1 ? 5 : 3;
template <class T>
inline constexpr int64_t kMaxLaneColumns = kMaxLaneBlocks * kLanes<T>;

// Software prefetch of the rows that come next. A group of rows waited on
// memory for its rows and then computed with no memory traffic under way:
// compute and memory added up. So a group asks for the next group's rows of
// s and of its gradient g (when not null, for writing) while it computes:
// ask_ahead requests the line of the value at c + `ahead` (the rows of a
// batch lie C apart in every caller). The address is computed as an
// integer: a request past the end of the batch is only a hint, never a
// fault, but a pointer out of bounds would be.
// - In lanes, each row's first and last value, W rows on. Measured in one
//   process, N = 200000 float32: C = 20 1.16-1.22x faster, C = 13 1.11x,
//   C = 24 1.12-1.30x; in cache (N = 2000, 20000) and in the fused pass
//   unchanged. (A request a line over the whole next group measured
//   slower, 1.03x.) Rows longer than kAskEndsRowBytes have lines between
//   their ends that nothing asks for: for them, a request a line over the
//   whole next group. Measured in lanes, N = 200000, one thread: float32
//   C = 32 42 ns a row against 86 with the ends only, C = 50 70 against
//   141; at C = 20 the lines were 0.95-0.99x.
// - In the exp sweep of the three sweeps, each vector's place, R rows on.
//   Measured at N = 20000, C = 1000: float32 1.20-1.34x faster, float64
//   1.14-1.23x. Rows shorter than kAskAheadRowBytes go without
//   (with_ask_ahead): the hardware's own prefetch keeps up with them, and
//   the requests cost 3-5% (C = 40 float32, C = 20 float64).
inline constexpr int64_t kAskAheadRowBytes = 256;
inline constexpr int64_t kAskEndsRowBytes = 96;

// f(std::true_type) for rows of n values of T long enough to ask ahead,
// f(std::false_type) otherwise: decided once a row, not in its loop.
template <class T, class F>
inline auto with_ask_ahead(int64_t n, F&& f) {
    if (n * static_cast<int64_t>(sizeof(T)) >= kAskAheadRowBytes) return f(std::true_type{});
    return f(std::false_type{});
}

template <class T>
inline void ask_ahead(const T* s, const T* g, int64_t c, int64_t ahead) {
    const uintptr_t step = static_cast<uintptr_t>(ahead) * sizeof(T);
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(s + c) + step), 0);
    if (g) __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(g + c) + step), 1);
}

// The helpers of the kernels in lanes (W rows at once, one row per lane):
//
// The next group's rows s[r] and gradient rows g[r] (null: none), asked
// for as described above. Always inlined: GCC counts a prefetch as no side
// effect, so a function of prefetches alone that it did not inline was found
// to do nothing and its call was dropped (0.7-0.9x, every request gone).
template <int W, class T>
[[gnu::always_inline]] inline void ask_for_next_group(const T* const* s, T* const* g, int64_t C) {
    if (C * static_cast<int64_t>(sizeof(T)) <= kAskEndsRowBytes) {
        for (int r = 0; r < W; ++r) {
            ask_ahead(s[r], g[r], 0, W * C);
            ask_ahead(s[r], g[r], C - 1, W * C);
        }
    } else {
        constexpr int64_t line = 64 / sizeof(T);
        for (int64_t c = 0; c < W * C; c += line) ask_ahead(s[0], g[0], c, W * C);
        ask_ahead(s[0], g[0], W * C - 1, W * C);
    }
}

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
inline void as_full_group(int n, const T* const* s, const int64_t* y, const double* gscale, T* const* g,
                          double* loss, Kernel&& kernel) {
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

// W rows (W = lanes<V>), row r from s[r] (C values, W <= C <=
// kMaxLaneBlocks * W), gradient to g[r] (g[0] null: none). Columns are
// transposed in W at a time, the last block overlapping the one before when
// C is not a multiple of W; on the way out the overlap is rewritten with the
// same values. Every load comes before the first store, so g may alias s,
// and pointers may repeat (a row given twice is written twice, alike).
// Labels must lie in [0, C).
template <class V>
inline void softmax_rows_in_lanes(const elem_t<V>* const* s, int64_t C, const int64_t* y, const double* gscale,
                                  elem_t<V>* const* g, double* loss) {
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
    // twice, alike (labels_in_lanes: where a lane's label is). With vmax as
    // one instruction and full groups passed straight through (softmax_plain_rows),
    // measured on a Zen 3 core, same bits: float32 C = 20 in cache 19 ns a
    // row against 21.5; softmax_loss N = 200000, C = 20 float32 1.13x
    // faster on two threads, float64 C = 8 1.10x.
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
            block[l] = col[c0 + l] * p_scale - select<V>(label_in_block == static_cast<T>(l), gs, V{});
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
inline void softmax_rows_in_registers(const elem_t<V>* const* s, int64_t C, const int64_t* y, const double* gscale,
                                      elem_t<V>* const* g, double* loss) {
    using T = elem_t<V>;
    constexpr int W = lanes<V>;
    int64_t offset[NV];
    for (int k = 0; k < NV; ++k) offset[k] = k < NV - 1 ? k * W : C - W;
    const mask_t<V> fresh_in_last = lane_index<V>() >= splat<V>(static_cast<T>((NV - 1) * W - (C - W)));
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
// registers, leaving the rest to exp. Measured at N = 200000, one thread,
// float32: 29-36 ns a row against 46-48 for three sweeps at C = 20, 41
// against 51 at C = 32; float64 at C = 20 (5 vectors) gained nothing.
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
inline void softmax_plain_rows(int n, const T* const* s, int64_t C, const int64_t* y, const double* gscale,
                               T* const* g, double* loss) {
    constexpr int W = kLanes<T>;
    if (C >= W && C <= kMaxLaneColumns<T>) {
        return as_full_group<W>(n, s, y, gscale, g, loss, [&](auto s_, auto y_, auto gs_, auto g_, auto loss_) {
            softmax_rows_in_lanes<Vec<T, W>>(s_, C, y_, gs_, g_, loss_);
        });
    }
    with_row_vector<T>(C, [&](auto v) {
        using V = decltype(v);
        const int64_t vectors = (C + lanes<V> - 1) / lanes<V>;
        int r = 0;
        for (; r + 2 <= n; r += 2) softmax_rows_of<2, V>(vectors, s + r, C, y + r, gscale + r, g + r, loss + r);
        if (r < n) softmax_rows_of<1, V>(vectors, s + r, C, y + r, gscale + r, g + r, loss + r);
    });
}

}  // namespace fastlin::FASTLIN_ISA
