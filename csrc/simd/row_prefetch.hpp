// Software prefetch of the rows that come next. A group of rows waits on
// memory for its rows and then computes with no memory traffic under way;
// asking for the next group's rows (and gradient rows, for writing) while
// it computes overlaps the two (tuning notes: "Asking ahead").
//
// The rows of a batch lie C apart in every caller. Addresses are computed
// as integers: a request past the end of the batch is only a hint, never a
// fault, but a pointer out of bounds would be.
//  - Rows in lanes ask for each row's first and last value, W rows on, up
//    to kAskEndsRowBytes; longer rows for a request a line over the whole
//    next group (nothing else asks for the lines between their ends).
//  - The exp sweep of softmax's three sweeps asks for each vector's place,
//    R rows on, from kAskAheadRowBytes on: below, the hardware's own
//    prefetch keeps up and the requests only cost.
#pragma once

#include <cstdint>
#include <type_traits>

#include "isa_namespace.hpp"

namespace fastlin::FASTLIN_ISA {

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
    if (g)
        __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(g + c) + step),
                           1);
}

// The next group's rows s[r] and gradient rows g[r] (null: none) of a
// kernel in lanes (W rows at once). Always inlined: GCC may drop a call to a
// function of prefetches alone (tuning notes: "Asking ahead").
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

}  // namespace fastlin::FASTLIN_ISA
