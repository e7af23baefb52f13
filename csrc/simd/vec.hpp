// SIMD vectors as GCC/Clang vector extensions: one source whose width follows
// the instruction set it is compiled for (16, 32 or 64 bytes; 16 on aarch64,
// where they become NEON), with the few operations the compiler does not
// find by itself. A vector of 1 lane serves rows shorter than a vector, so
// each kernel is written once.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "isa_namespace.hpp"

namespace fastlin::FASTLIN_ISA {

inline constexpr int kVectorBytes = FASTLIN_ISA_LEVEL == 2 ? 64 : FASTLIN_ISA_LEVEL == 1 ? 32 : 16;

template <class T, int W>
struct VecOf {
    typedef T type __attribute__((vector_size(sizeof(T) * W)));
};
template <class T, int W>
using Vec = typename VecOf<T, W>::type;

// Lanes of a full-width vector of T.
template <class T>
inline constexpr int kLanes = kVectorBytes / static_cast<int>(sizeof(T));

template <class V>
using elem_t = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<V>()[0])>>;
template <class V>
inline constexpr int lanes = static_cast<int>(sizeof(V) / sizeof(elem_t<V>));
// The mask type a comparison of two V gives (lanes of all ones or zeros).
template <class V>
using mask_t = decltype(std::declval<V>() < std::declval<V>());

template <class V>
inline V load(const elem_t<V>* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
template <class V>
inline void store(elem_t<V>* p, V v) {
    __builtin_memcpy(p, &v, sizeof v);
}
// Whether this instruction set has stores that go around the caches.
#if defined(__x86_64__)
inline constexpr bool kHasStreamingStores = true;
#else
inline constexpr bool kHasStreamingStores = false;
#endif

// A store that goes around the caches (no read of the line first); p must be
// aligned to the vector's size. A plain store where the ISA has none (its
// callers then never choose it: kHasStreamingStores).
template <class V>
inline void stream(elem_t<V>* p, V v) {
#if defined(__x86_64__)
    constexpr bool f32 = std::is_same_v<elem_t<V>, float>;
    if constexpr (sizeof(V) == 16) {
        if constexpr (f32)
            _mm_stream_ps(p, __builtin_bit_cast(__m128, v));
        else
            _mm_stream_pd(p, __builtin_bit_cast(__m128d, v));
    } else if constexpr (sizeof(V) == 32) {
        if constexpr (f32)
            _mm256_stream_ps(p, __builtin_bit_cast(__m256, v));
        else
            _mm256_stream_pd(p, __builtin_bit_cast(__m256d, v));
    } else {
        static_assert(sizeof(V) == 16 || sizeof(V) == 32, "stream: a vector of 16 or 32 bytes");
    }
#else
    store(p, v);
#endif
}
// x - 0 rather than 0 + x: exact for every x (0 + -0 is +0), so it compiles
// to a bare broadcast.
template <class V>
inline V splat(elem_t<V> x) {
    return x - V{};
}
// a > b ? a : b, as one max instruction on x86, where GCC does not always
// see that pattern (exp_nonpositive's clamp became a compare and a blend).
// Max returns b where either is NaN, as the expression does, so the bits are
// the same.
template <class V>
inline V vmax(V a, V b) {
    using T = elem_t<V>;
    static_assert(std::is_floating_point_v<T>, "vmax is for float and double lanes");
#if defined(__x86_64__)
    constexpr bool f32 = std::is_same_v<T, float>;
    if constexpr (sizeof(V) == 16) {
        if constexpr (f32)
            return __builtin_bit_cast(
                V, _mm_max_ps(__builtin_bit_cast(__m128, a), __builtin_bit_cast(__m128, b)));
        else
            return __builtin_bit_cast(
                V, _mm_max_pd(__builtin_bit_cast(__m128d, a), __builtin_bit_cast(__m128d, b)));
    } else if constexpr (sizeof(V) == 32) {
        if constexpr (f32)
            return __builtin_bit_cast(
                V, _mm256_max_ps(__builtin_bit_cast(__m256, a), __builtin_bit_cast(__m256, b)));
        else
            return __builtin_bit_cast(
                V, _mm256_max_pd(__builtin_bit_cast(__m256d, a), __builtin_bit_cast(__m256d, b)));
    } else if constexpr (sizeof(V) == 64) {
        // The maskz forms with every lane on: GCC 12's _mm512_max_ps warns
        // of its own uninitialized placeholder.
        if constexpr (f32)
            return __builtin_bit_cast(V, _mm512_maskz_max_ps(0xffff, __builtin_bit_cast(__m512, a),
                                                             __builtin_bit_cast(__m512, b)));
        else
            return __builtin_bit_cast(V, _mm512_maskz_max_pd(0xff, __builtin_bit_cast(__m512d, a),
                                                             __builtin_bit_cast(__m512d, b)));
    } else {
        return a > b ? a : b;
    }
#else
    return a > b ? a : b;
#endif
}
template <class V>
inline V select(mask_t<V> m, V a, V b) {
    return m ? a : b;
}
// max(0, d) that keeps a NaN, so a NaN score gives a NaN loss (NaN in, NaN out).
template <class V>
inline V hinge(V d) {
    return select<V>((d > 0) | (d != d), d, V{});
}
// Integer lanes as wide as V's (indices exact beyond 2^24): their
// comparisons give the same masks as V's.
template <class V>
using index_vector_t = Vec<std::conditional_t<sizeof(elem_t<V>) == 4, int32_t, int64_t>, lanes<V>>;
// Lane indices 0, 1, ..., W-1.
template <class V>
inline V lane_index() {
    V v{};
    for (int i = 0; i < lanes<V>; ++i) v[i] = static_cast<elem_t<V>>(i);
    return v;
}
// The two halves of a vector, as vectors of half the lanes.
template <class V, std::size_t... I>
inline auto low_half(V v, std::index_sequence<I...>) {
    return __builtin_shufflevector(v, v, I...);
}
template <class V, std::size_t... I>
inline auto high_half(V v, std::index_sequence<I...>) {
    return __builtin_shufflevector(v, v, (I + sizeof...(I))...);
}

// Calls f(V{}) with V the widest vector that fits a row of n.
template <class T, class F>
inline auto with_row_vector(int64_t n, F&& f) {
    if (n >= kLanes<T>) return f(Vec<T, kLanes<T>>{});
    return f(Vec<T, 1>{});
}

// Horizontal sum, max and min as trees of half-width operations (log2 W
// steps), not W - 1 scalar extractions: once per row, they matter for short
// rows.
template <class V, class Op>
inline elem_t<V> hreduce(V v, Op op) {
    if constexpr (lanes<V> == 1) {
        return v[0];
    } else {
        constexpr auto half = std::make_index_sequence<lanes<V> / 2>{};
        return hreduce(op(low_half(v, half), high_half(v, half)), op);
    }
}
template <class V>
inline elem_t<V> hsum(V v) {
    return hreduce(v, [](auto a, auto b) { return a + b; });
}
template <class V>
inline elem_t<V> hmax(V v) {
    return hreduce(v, [](auto a, auto b) { return vmax(a, b); });
}
template <class V>
inline elem_t<V> hmin(V v) {
    return hreduce(v, [](auto a, auto b) { return a < b ? a : b; });
}

// Transposes the W x W matrix whose rows are v[0], ..., v[W-1] (W = lanes<V>)
// in place: log2 W rounds, each swapping the off-diagonal H x H blocks of
// every 2H x 2H block (H = W/2, ..., 1) with one two-vector shuffle per row.
template <int H, class V, std::size_t... L>
inline void swap_off_diagonal_blocks(V& a, V& b, std::index_sequence<L...>) {
    constexpr std::size_t W = sizeof...(L);
    const V upper = __builtin_shufflevector(a, b, ((L & H) ? W + L - H : L)...);
    const V lower = __builtin_shufflevector(a, b, ((L & H) ? W + L : L + H)...);
    a = upper;
    b = lower;
}
template <class V, int H = lanes<V> / 2>
inline void transpose(V* v) {
    if constexpr (H >= 1) {
        for (int i = 0; i < lanes<V>; ++i)
            if (!(i & H))
                swap_off_diagonal_blocks<H>(v[i], v[i + H], std::make_index_sequence<lanes<V>>{});
        transpose<V, H / 2>(v);
    }
}

// The lanes of the last vector of a row of n (at n - W) that the vectors
// before it, up to c, did not visit.
template <class V>
inline mask_t<V> lanes_from(int64_t c, int64_t n) {
    return lane_index<V>() >= splat<V>(static_cast<elem_t<V>>(c - (n - lanes<V>)));
}

// Visits a row of n >= lanes<V> values as vectors: f(c, fresh) for c = 0, W,
// 2W, ... and then once at c = n - W, a vector overlapping the one before,
// where `fresh` marks the lanes not visited yet (all lanes before that).
// Overlapping instead of a scalar tail keeps short rows (C = 20) in vectors;
// a pass that writes must keep the stale lanes as they are.
template <class V, class F>
inline void for_each_vector(int64_t n, F&& f) {
    constexpr int W = lanes<V>;
    const mask_t<V> all = splat<V>(0) == splat<V>(0);
    int64_t c = 0;
    for (; c + W <= n; c += W) f(c, all);
    if (c < n) f(n - W, lanes_from<V>(c, n));
}

// for_each_vector for a pass that writes whole vectors of its output (which
// may be x itself): f(c, fresh, x_c), x_c the vector of x at c, the
// overlapping last one read before the whole one before it is written. So f
// stores whole vectors, the stale lanes computed again alike, and never
// reads back what it stored: blending the stale lanes back needs that load,
// and a load that overlaps a store just made waits for the store (it cannot
// be forwarded), once a row (tuning notes: "Overlapping last vector").
template <class V, class F>
inline void for_each_vector_read_first(const elem_t<V>* x, int64_t n, F&& f) {
    constexpr int W = lanes<V>;
    if (n == 0) return;  // a row of no values (with 1-lane vectors)
    const mask_t<V> all = splat<V>(0) == splat<V>(0);
    int64_t c = 0;
    for (; c + 2 * W <= n; c += W) f(c, all, load<V>(x + c));
    const V whole = load<V>(x + c), last = load<V>(x + n - W);  // the same vector when W divides n
    f(c, all, whole);
    c += W;
    if (c < n) f(n - W, lanes_from<V>(c, n), last);
}

}  // namespace fastlin::FASTLIN_ISA
