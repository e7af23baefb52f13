#include "linear.hpp"

#include <algorithm>
#include <vector>

#include "blas.hpp"
#include "parallel.hpp"

namespace fastlin {

template <class T>
void add_column_sums(const T* G, int64_t n, int64_t ldG, int64_t c0, int64_t c1, double* acc) {
    for (int64_t i = 0; i < n; ++i)
        for (int64_t c = c0; c < c1; ++c) acc[c] += G[i * ldG + c];
}

template <class T>
void linear_forward_serial(const T* X, const T* W, const T* b, int64_t N, int64_t D, int64_t C,
                           T* S, int64_t ldS) {
    if (b) {
        for (int64_t i = 0; i < N; ++i) std::copy(b, b + C, S + i * ldS);
    }
    blas::gemm(false, true, N, C, D, T(1), X, D, W, D, b ? T(1) : T(0), S, ldS);
}

template <class T>
void linear_forward(const T* X, const T* W, const T* b, int64_t N, int64_t D, int64_t C, T* S) {
    blas::use_one_thread();
    parallel_for(num_pieces(N, kPieceRows), [&](int64_t k) {
        const int64_t i0 = k * kPieceRows, n = std::min(kPieceRows, N - i0);
        linear_forward_serial(X + i0 * D, W, b, n, D, C, S + i0 * C, C);
    });
}

template <class T>
void linear_backward(const T* dS, const T* X, const T* W, int64_t N, int64_t D, int64_t C, T* dX,
                     T* dW, T* db) {
    blas::use_one_thread();
    if (dX) {
        parallel_for(num_pieces(N, kPieceRows), [&](int64_t k) {
            const int64_t i0 = k * kPieceRows, n = std::min(kPieceRows, N - i0);
            blas::gemm(false, false, n, D, C, T(1), dS + i0 * C, C, W, D, T(0), dX + i0 * D, D);
        });
    }
    if (dW) {
        // dW's pieces are tiles of classes x features, each over all N rows.
        const int64_t tiles_c = num_pieces(C, kPieceCols), tiles_d = num_pieces(D, kPieceCols);
        parallel_for(tiles_c * tiles_d, [&](int64_t k) {
            const int64_t c0 = (k / tiles_d) * kPieceCols, d0 = (k % tiles_d) * kPieceCols;
            const int64_t nc = std::min(kPieceCols, C - c0), nd = std::min(kPieceCols, D - d0);
            blas::gemm(true, false, nc, nd, N, T(1), dS + c0, C, X + d0, D, T(0), dW + c0 * D + d0,
                       D);
        });
    }
    if (db) {
        std::vector<double> acc(C, 0.0);
        parallel_for(num_pieces(C, kPieceCols), [&](int64_t k) {
            const int64_t c0 = k * kPieceCols;
            add_column_sums(dS, N, C, c0, std::min(C, c0 + kPieceCols), acc.data());
        });
        for (int64_t c = 0; c < C; ++c) db[c] = static_cast<T>(acc[c]);
    }
}

#define FASTLIN_INSTANTIATE(T)                                                                     \
    template void add_column_sums(const T*, int64_t, int64_t, int64_t, int64_t, double*);          \
    template void linear_forward_serial(const T*, const T*, const T*, int64_t, int64_t, int64_t,   \
                                        T*, int64_t);                                              \
    template void linear_forward(const T*, const T*, const T*, int64_t, int64_t, int64_t, T*);     \
    template void linear_backward(const T*, const T*, const T*, int64_t, int64_t, int64_t, T*, T*, \
                                  T*);
FASTLIN_INSTANTIATE(float)
FASTLIN_INSTANTIATE(double)
#undef FASTLIN_INSTANTIATE

}  // namespace fastlin
