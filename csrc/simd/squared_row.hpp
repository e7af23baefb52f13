// Squared loss of one row of predictions against its targets: the loss and,
// when `g` is not null, its gradient scaled by `gscale`.
//
// `g` may alias `s`: every function reads what it needs of a score before it
// overwrites it, so a fused pass can turn a block of scores into its gradient
// in place. Each is written once over a vector type V (vec.hpp) and run with
// full-width vectors, or with 1-lane vectors for rows shorter than one vector.
// Sample weights and the reduction are the row loop's business
// (row_loop.hpp), not these.
#pragma once

#include <cstdint>

#include "isa_namespace.hpp"
#include "vec.hpp"

namespace fastlin::FASTLIN_ISA {

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
