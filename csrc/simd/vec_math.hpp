// exp and log in plain vector arithmetic (vec.hpp), for softmax's rows: exact
// enough to match the C library to an ulp or three, and in vectors rather
// than one call a value. The tests of their accuracy call them through
// exp_array and log_array.
#pragma once

#include <cstdint>
#include <type_traits>

#include "isa_namespace.hpp"
#include "vec.hpp"

namespace fastlin::FASTLIN_ISA {

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
    const V xc = vmax(splat<V>(kExpZeroBelow<T>), x);  // NaN > c is false: NaN passes
    const V t = xc * static_cast<T>(1.4426950408889634) + magic;
    const V n = t - magic;
    constexpr int mant = f32 ? 23 : 52, bias = f32 ? 127 : 1023;
    const I two_to_n = (__builtin_bit_cast(I, t) - __builtin_bit_cast(I, splat<V>(magic)) + bias)
                       << mant;
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
        const V t1 = w * (3.999999999940941908e-01 +
                          w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
        const V t2 = z * (6.666666666666735130e-01 +
                          w * (2.857142874366239149e-01 +
                               w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
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
