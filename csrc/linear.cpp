#include "linear.hpp"

#include <vector>

#include "blas.hpp"

namespace fastlin {

template <class T>
void add_column_sums(const T* G, int64_t n, int64_t C, double* acc) {
    for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < C; ++c) acc[c] += G[i * C + c];
}

template <class T>
void linear_forward(const T* X, const T* W, const T* b, int64_t N, int64_t D, int64_t C, T* S) {
    if (b) {
        for (int64_t i = 0; i < N; ++i)
            for (int64_t c = 0; c < C; ++c) S[i * C + c] = b[c];
    }
    blas::gemm(false, true, N, C, D, T(1), X, D, W, D, b ? T(1) : T(0), S, C);
}

template <class T>
void linear_backward(const T* dS, const T* X, const T* W, int64_t N, int64_t D, int64_t C, T* dX, T* dW,
                     T* db) {
    if (dX) blas::gemm(false, false, N, D, C, T(1), dS, C, W, D, T(0), dX, D);
    if (dW) blas::gemm(true, false, C, D, N, T(1), dS, C, X, D, T(0), dW, D);
    if (db) {
        std::vector<double> acc(C, 0.0);
        add_column_sums(dS, N, C, acc.data());
        for (int64_t c = 0; c < C; ++c) db[c] = static_cast<T>(acc[c]);
    }
}

#define FASTLIN_INSTANTIATE(T)                                                                            \
    template void add_column_sums(const T*, int64_t, int64_t, double*);                                  \
    template void linear_forward(const T*, const T*, const T*, int64_t, int64_t, int64_t, T*);           \
    template void linear_backward(const T*, const T*, const T*, int64_t, int64_t, int64_t, T*, T*, T*);
FASTLIN_INSTANTIATE(float)
FASTLIN_INSTANTIATE(double)
#undef FASTLIN_INSTANTIATE

}  // namespace fastlin
