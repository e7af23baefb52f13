// SIMD vectors as GCC/Clang vector extensions: one source whose width follows
// the instruction set it is compiled for (16, 32 or 64 bytes), with exp(),
// log() and a transpose in plain vector arithmetic. A vector of 1 lane
// serves rows shorter than a vector, so each kernel is written once.
#pragma once

#include <immintrin.h>

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
// A store that goes around the caches (no read of the line first); p must be
// aligned to the vector's size.
template <class V>
inline void stream(elem_t<V>* p, V v) {
    constexpr bool f32 = std::is_same_v<elem_t<V>, float>;
    if constexpr (sizeof(V) == 16) {
        if constexpr (f32) _mm_stream_ps(p, __builtin_bit_cast(__m128, v));
        else _mm_stream_pd(p, __builtin_bit_cast(__m128d, v));
    } else if constexpr (sizeof(V) == 32) {
        if constexpr (f32) _mm256_stream_ps(p, __builtin_bit_cast(__m256, v));
        else _mm256_stream_pd(p, __builtin_bit_cast(__m256d, v));
    } else {
        static_assert(sizeof(V) == 16 || sizeof(V) == 32, "stream: a vector of 16 or 32 bytes");
    }
}
// x - 0 rather than 0 + x: exact for every x (0 + -0 is +0), so it compiles
// to a bare broadcast.
template <class V>
inline V splat(elem_t<V> x) {
    return x - V{};
}
// a > b ? a : b, as one max instruction: the compiler does not always see
// that pattern (exp_nonpositive's clamp became a compare and a blend). Max
// returns b where either is NaN, as the expression does, so the bits are
// the same.
template <class V>
inline V vmax(V a, V b) {
    using T = elem_t<V>;
    static_assert(std::is_floating_point_v<T>, "vmax is for float and double lanes");
    constexpr bool f32 = std::is_same_v<T, float>;
    if constexpr (sizeof(V) == 16) {
        if constexpr (f32) return __builtin_bit_cast(V, _mm_max_ps(__builtin_bit_cast(__m128, a), __builtin_bit_cast(__m128, b)));
        else return __builtin_bit_cast(V, _mm_max_pd(__builtin_bit_cast(__m128d, a), __builtin_bit_cast(__m128d, b)));
    } else if constexpr (sizeof(V) == 32) {
        if constexpr (f32) return __builtin_bit_cast(V, _mm256_max_ps(__builtin_bit_cast(__m256, a), __builtin_bit_cast(__m256, b)));
        else return __builtin_bit_cast(V, _mm256_max_pd(__builtin_bit_cast(__m256d, a), __builtin_bit_cast(__m256d, b)));
    } else if constexpr (sizeof(V) == 64) {
        // The maskz forms with every lane on: GCC 12's _mm512_max_ps warns
        // of its own uninitialized placeholder.
        if constexpr (f32)
            return __builtin_bit_cast(V, _mm512_maskz_max_ps(0xffff, __builtin_bit_cast(__m512, a), __builtin_bit_cast(__m512, b)));
        else
            return __builtin_bit_cast(V, _mm512_maskz_max_pd(0xff, __builtin_bit_cast(__m512d, a), __builtin_bit_cast(__m512d, b)));
    } else {
        return a > b ? a : b;
    }
}
template <class V>
inline V select(mask_t<V> m, V a, V b) {
    return m ? a : b;
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
            if (!(i & H)) swap_off_diagonal_blocks<H>(v[i], v[i + H], std::make_index_sequence<lanes<V>>{});
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
// be forwarded), once a row. Measured on svm_loss at N = 200000, C = 20
// float32: 5-6% faster.
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

// 1.5 * 2^23 (2^52 for double): adding it rounds a float of magnitude below
// 2^22 (2^51) to an integer held in the low mantissa bits, so integers and
// floats convert through the bits, without float <-> int instructions (AVX2
// has none between double and int64).
template <class T>
inline constexpr T kIntegerMagic = sizeof(T) == 4 ? T(12582912.0f) : T(6755399441055744.0);

// exp(x) for x <= 0, the only arguments softmax has (s - max s):
// 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 split in two parts
// (Cody-Waite), exp(r) on |r| <= ln2/2 by a polynomial, 2^n built in the
// exponent bits. n is read off the bits of x / ln 2 + kIntegerMagic.
// Leaving out positive x saves the overflow clamp and lets 2^n be built in
// one step (n <= 0).
//
// Its cost is latency (a chain of dependent steps), so the polynomials go by
// Estrin's scheme, and x is clamped at kExpZeroBelow, where n = -127
// (-1023) gives 2^n = +0 through the bits: exactly 0 for -inf and every
// x <= kExpZeroBelow without a compare and blend. A NaN passes the clamp.
//
// Accuracy, measured by tests/test_vec_math.py against numpy.exp: float32
// within 2 ulp, float64 within 3 ulp, from log(2^-125) resp. log(2^-1021) up
// to 0; below that, results of at most 2^-124 (2^-1020), and exactly 0 at and
// below kExpZeroBelow. NaN stays NaN. Positive x give garbage.
template <class T>
inline constexpr T kExpZeroBelow = sizeof(T) == 4 ? T(-88.0) : T(-709.0);

template <class V>
inline V exp_nonpositive(V x) {
    using T = elem_t<V>;
    constexpr bool f32 = sizeof(T) == 4;
    using I = Vec<std::conditional_t<f32, int32_t, int64_t>, lanes<V>>;
    const T magic = kIntegerMagic<T>;
    const V xc = vmax(splat<V>(kExpZeroBelow<T>), x);           // NaN > c is false: NaN passes
    const V t = xc * static_cast<T>(1.4426950408889634) + magic;
    const V n = t - magic;
    constexpr int mant = f32 ? 23 : 52, bias = f32 ? 127 : 1023;
    const I two_to_n = (__builtin_bit_cast(I, t) - __builtin_bit_cast(I, splat<V>(magic)) + bias) << mant;
    const V r = (xc - n * static_cast<T>(f32 ? 0.693359375 : 6.93145751953125e-1)) -
                n * static_cast<T>(f32 ? -2.12194440e-4 : 1.42860682030941723212e-6);
    const V r2 = r * r;
    V p;
    if constexpr (f32) {
        // Cephes expf polynomial.
        const V c01 = r * 1.6666665459e-1f + 5.0000001201e-1f;
        const V c23 = r * 8.3334519073e-3f + 4.1665795894e-2f;
        const V c45 = r * 1.9875691500e-4f + 1.3981999507e-3f;
        p = (c45 * r2 + c23) * r2 + c01;
    } else {
        // Taylor series to r^12 (1/k! for k = 2..12): truncation error <
        // 2e-17 on |r| <= ln2/2.
        const V r4 = r2 * r2;
        const V c01 = r * (1.0 / 6) + 1.0 / 2, c23 = r * (1.0 / 120) + 1.0 / 24;
        const V c45 = r * (1.0 / 5040) + 1.0 / 720, c67 = r * (1.0 / 362880) + 1.0 / 40320;
        const V c89 = r * (1.0 / 39916800) + 1.0 / 3628800;
        const V c0123 = c23 * r2 + c01, c4567 = c67 * r2 + c45;
        const V c8910 = r2 * (1.0 / 479001600) + c89;
        p = (c8910 * r4 + c4567) * r4 + c0123;
    }
    return (p * r2 + r + static_cast<T>(1)) * __builtin_bit_cast(V, two_to_n);
}

// log(x) for positive normal x (softmax sums lie in [1, C]): fdlibm's log.
// x = 2^k (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)), s = f / (2 + f),
// log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)), R a polynomial in s^2 (7
// terms in double, musl's 4 in float), k ln 2 added in two parts.
// Accuracy, measured by tests/test_vec_math.py against numpy.log: within
// 1 ulp over the positive normal numbers in float32 and float64. NaN stays
// NaN; zero, negative, subnormal and infinite x give garbage.
template <class V>
inline V log_positive(V x) {
    using T = elem_t<V>;
    constexpr bool f32 = sizeof(T) == 4;
    using U = std::conditional_t<f32, int32_t, int64_t>;
    using I = Vec<U, lanes<V>>;
    constexpr int mant = f32 ? 23 : 52;
    const U sqrt_half = f32 ? U(0x3f3504f3) : U(0x3fe6a09e667f3bcdLL);
    const U mant_mask = (U(1) << mant) - 1;
    // Shifting by the bits of sqrt(1/2) puts the mantissa range at
    // [sqrt(1/2), sqrt(2)): k from the exponent field, 1 + f from the rest.
    const I shifted = __builtin_bit_cast(I, x) - sqrt_half;
    const I k = shifted >> mant;
    const V one_plus_f = __builtin_bit_cast(V, (shifted & mant_mask) + sqrt_half);
    const V f = one_plus_f - static_cast<T>(1);
    const V s = f / (static_cast<T>(2) + f);
    const V z = s * s, w = z * z;
    V r;
    if constexpr (f32) {
        const V t1 = w * (0.40000972152f + w * 0.24279078841f);
        const V t2 = z * (0.66666662693f + w * 0.28498786688f);
        r = t1 + t2;
    } else {
        const V t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
        const V t2 = z * (6.666666666666735130e-01 +
                          w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
        r = t1 + t2;
    }
    // k as a float through the bits of kIntegerMagic + k.
    const T magic = kIntegerMagic<T>;
    const V kf = __builtin_bit_cast(V, k + __builtin_bit_cast(I, splat<V>(magic))) - magic;
    const T ln2_hi = f32 ? 6.9313812256e-01f : 6.93147180369123816490e-01;
    const T ln2_lo = f32 ? 9.0580006145e-06f : 1.90821492927058770002e-10;
    const V hfsq = static_cast<T>(0.5) * f * f;
    const V y = kf * ln2_hi - ((hfsq - (s * (hfsq + r) + kf * ln2_lo)) - f);
    return x != x ? x : y;
}

// The vector functions over an array, for the tests of their accuracy.
template <class T, class F>
inline void map_array(const T* x, T* y, int64_t n, F&& f) {
    using V = Vec<T, kLanes<T>>;
    using V1 = Vec<T, 1>;
    int64_t i = 0;
    for (; i + kLanes<T> <= n; i += kLanes<T>) store(y + i, f(load<V>(x + i)));
    for (; i < n; ++i) store(y + i, f(load<V1>(x + i)));
}
template <class T>
inline void exp_array(const T* x, T* y, int64_t n) {
    map_array(x, y, n, [](auto v) { return exp_nonpositive(v); });
}
template <class T>
inline void log_array(const T* x, T* y, int64_t n) {
    map_array(x, y, n, [](auto v) { return log_positive(v); });
}

}  // namespace fastlin::FASTLIN_ISA
