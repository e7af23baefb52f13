#include "least_squares.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "blas.hpp"

namespace fastlin {

namespace {

template <class T>
[[noreturn]] void throw_not_finite(const char* name, int64_t i, int64_t j, bool one_d, T v) {
    const std::string at = one_d ? std::to_string(i) : std::to_string(i) + ", " + std::to_string(j);
    throw std::invalid_argument(std::string(name) + ": expected finite values, got " + name + "[" +
                                at + "] = " + std::to_string(static_cast<double>(v)));
}

// Column means of A (n, m) in double, rows in order; also checks finiteness.
template <class T>
std::vector<double> checked_column_means(const char* name, const T* A, int64_t n, int64_t m,
                                         bool one_d) {
    std::vector<double> mean(m, 0.0);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < m; ++j) {
            const T v = A[i * m + j];
            if (!std::isfinite(v)) throw_not_finite(name, i, j, one_d, v);
            mean[j] += v;
        }
    }
    for (double& v : mean) v /= static_cast<double>(n);
    return mean;
}

// Rows [i0, i0 + n) of A (., m) minus `mean` (zero when not centring), in double.
template <class T>
void centred_rows(const T* A, int64_t i0, int64_t n, int64_t m, const std::vector<double>& mean,
                  double* out) {
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j)
            out[i * m + j] = static_cast<double>(A[(i0 + i) * m + j]) - mean[j];
}

double upper_symmetric_one_norm(const std::vector<double>& A, int64_t n) {
    std::vector<double> col(n, 0.0);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i; j < n; ++j) {
            const double v = std::abs(A[i * n + j]);
            col[j] += v;
            if (j != i) col[i] += v;
        }
    }
    return n ? *std::max_element(col.begin(), col.end()) : 0.0;
}

}  // namespace

template <class T>
LeastSquaresMethod least_squares(const LeastSquaresProblem& p, const T* X, const T* Tg, double* W,
                                 double* b) {
    // One thread, with the BLAS single-threaded: the sums over N of X^T X
    // are then the same for every thread count.
    blas::use_one_thread();
    const int64_t N = p.N, D = p.D, K = p.K;
    const std::vector<double> x_mean0 = checked_column_means("X", X, N, D, false);
    const std::vector<double> t_mean0 = checked_column_means("T", Tg, N, K, p.targets_1d);
    // No targets: W (0, D) and b (0,) are empty, and LAPACK must not see a
    // system with no right-hand side (gelsd rejects it).
    if (K == 0) return LeastSquaresMethod::cholesky;
    const std::vector<double> x_mean = p.fit_bias ? x_mean0 : std::vector<double>(D, 0.0);
    const std::vector<double> t_mean = p.fit_bias ? t_mean0 : std::vector<double>(K, 0.0);
    const double ridge = 2.0 * static_cast<double>(N) * p.reg;
    std::vector<double> Wt(D * K);  // W^T (D, K)

    // Normal equations, accumulated over blocks of centred rows (about 4 MiB
    // of X at a time, at least 64 rows) so that the centred X is never held.
    std::vector<double> A(D * D, 0.0), B(D * K, 0.0);
    {
        const int64_t rows =
            std::clamp<int64_t>((int64_t(4) << 20) / std::max<int64_t>(1, D * 8), 64, 65536);
        std::vector<double> xb(std::min(rows, N) * D), tb(std::min(rows, N) * K);
        for (int64_t i0 = 0; i0 < N; i0 += rows) {
            const int64_t n = std::min(rows, N - i0);
            centred_rows(X, i0, n, D, x_mean, xb.data());
            centred_rows(Tg, i0, n, K, t_mean, tb.data());
            blas::syrk_upper_at_a(D, n, 1.0, xb.data(), D, 1.0, A.data(), D);
            blas::gemm(true, false, D, K, n, 1.0, xb.data(), D, tb.data(), K, 1.0, B.data(), K);
        }
    }
    // ||X||_F^2 of the uncentred X: trace(Xc^T Xc) + N ||mean||^2.
    double x_norm2 = 0.0;
    for (int64_t j = 0; j < D; ++j)
        x_norm2 += A[j * D + j] + static_cast<double>(N) * x_mean[j] * x_mean[j];
    for (int64_t j = 0; j < D; ++j) A[j * D + j] += ridge;
    // Conditioning is judged against the uncentred data's scale, not the centred Gram's own:
    // centring leaves rounding noise of eps times that scale, which must not pass as well-posed.
    const double anorm = std::max(upper_symmetric_one_norm(A, D), x_norm2 + ridge);
    const double min_rcond = std::sqrt(std::numeric_limits<double>::epsilon());
    LeastSquaresMethod method = LeastSquaresMethod::cholesky;
    if (D > 0 && blas::potrf_upper(D, A.data()) == 0 && anorm > 0.0 &&
        blas::pocon_upper(D, A.data(), anorm) >= min_rcond) {
        blas::potrs_upper(D, K, A.data(), B.data());
        Wt = std::move(B);
    } else if (D > 0) {
        // Minimum-norm solve of the centred (and, with reg, stacked) system by SVD.
        // Singular values below eps * max(m, n) * ||[X uncentred; sqrt(ridge) I]||_F are zero:
        // relative to the data's scale, so centring's rounding noise never becomes a W.
        method = LeastSquaresMethod::min_norm;
        const int64_t m = ridge > 0.0 ? N + D : N;
        const int64_t rows_b = std::max(m, D);
        std::vector<double> Xs(m * D, 0.0), Ts(rows_b * K, 0.0), s(std::min(m, D));
        centred_rows(X, 0, N, D, x_mean, Xs.data());
        centred_rows(Tg, 0, N, K, t_mean, Ts.data());
        if (ridge > 0.0)
            for (int64_t j = 0; j < D; ++j) Xs[(N + j) * D + j] = std::sqrt(ridge);
        const double eps = std::numeric_limits<double>::epsilon();
        const double cutoff = eps * static_cast<double>(std::max(m, D)) *
                              std::sqrt(x_norm2 + static_cast<double>(D) * ridge);
        std::vector<double> Xcopy(Xs);
        if (blas::singular_values(m, D, Xcopy.data(), s.data()) != 0) {
            throw std::runtime_error("least_squares: the SVD of X did not converge");
        }
        Xcopy = std::vector<double>();
        if (s[0] <= cutoff) {
            std::fill(Ts.begin(), Ts.end(), 0.0);  // every singular value is zero: W = 0
        } else {
            int64_t rank = 0;
            if (blas::gelsd(m, D, K, Xs.data(), Ts.data(), s.data(), cutoff / s[0], &rank) != 0) {
                throw std::runtime_error("least_squares: the SVD of X did not converge");
            }
        }
        std::copy(Ts.begin(), Ts.begin() + D * K, Wt.begin());
    }
    for (int64_t k = 0; k < K; ++k)
        for (int64_t j = 0; j < D; ++j) W[k * D + j] = Wt[j * K + k];
    if (b) {
        for (int64_t k = 0; k < K; ++k) {
            double v = t_mean[k];
            for (int64_t j = 0; j < D; ++j) v -= W[k * D + j] * x_mean[j];
            b[k] = v;
        }
    }
    return method;
}

template LeastSquaresMethod least_squares(const LeastSquaresProblem&, const float*, const float*,
                                          double*, double*);
template LeastSquaresMethod least_squares(const LeastSquaresProblem&, const double*, const double*,
                                          double*, double*);

}  // namespace fastlin
