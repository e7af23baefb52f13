#include "linear_losses.hpp"

#include <algorithm>
#include <vector>

#include "blas.hpp"
#include "linear.hpp"
#include "row_loop.hpp"
#include "scores_losses.hpp"

namespace fastlin {

int64_t fused_block_rows(int64_t C, int64_t elem_size) {
    // The block of scores is written by the first product, rewritten in place
    // by the loss and read by the two products after it: 1 MiB keeps it in a
    // typical L2. At least 64 rows, so that the products still have rows
    // enough to run near the BLAS's peak when C is large (C = 32000 float32
    // gives an 8 MiB block, still far below N x C); at most 4096, since more
    // rows buy the products nothing. From 256 rows on, a multiple of the row
    // loop's summation block, so that the loss is summed in the same groups
    // as the scores losses sum it.
    constexpr int64_t kBlockBytes = int64_t(1) << 20;
    constexpr int64_t kMinRows = 64, kMaxRows = 4096;
    int64_t rows = kBlockBytes / std::max<int64_t>(1, C * elem_size);
    rows = std::clamp(rows, kMinRows, kMaxRows);
    if (rows >= kRowsPerSumBlock) rows -= rows % kRowsPerSumBlock;
    return rows;
}

template <class T, class Loss>
double run_linear_loss(const LinearLossBatch<T>& a, const Loss& loss, Reduction r) {
    const int64_t N = a.N, D = a.D, C = a.C;
    const double denom = loss.denominator(N);  // throws on a bad label before any write
    const double scale = reduction_scale(r, denom);
    const int64_t rows = fused_block_rows(C, sizeof(T));
    std::vector<T> block(static_cast<size_t>(std::min(rows, N) * C));
    std::vector<double> db_acc(a.db ? C : 0, 0.0);
    std::fill(a.dW, a.dW + C * D, T(0));

    // Blocks are visited in order and every sum is accumulated in that order:
    // the results do not depend on anything but the inputs.
    double total = 0.0;
    for (int64_t i0 = 0; i0 < N; i0 += rows) {
        const int64_t n = std::min(rows, N - i0);
        const T* Xb = a.X + i0 * D;
        T* G = block.data();
        linear_forward(Xb, a.W, a.b, n, D, C, G);
        total += apply_row_loss(i0, i0 + n, C, G, G, loss.sample_weight, scale,
                                a.row_loss ? a.row_loss + i0 : nullptr, loss);
        blas::gemm(true, false, C, D, n, T(1), G, C, Xb, D, T(1), a.dW, D);
        if (a.db) add_column_sums(G, n, C, db_acc.data());
        if (a.dX) blas::gemm(false, false, n, D, C, T(1), G, C, a.W, D, T(0), a.dX + i0 * D, D);
    }
    if (a.db)
        for (int64_t c = 0; c < C; ++c) a.db[c] = static_cast<T>(db_acc[c]);

    double result = reduce_total(r, total, denom);
    if (a.reg > 0.0) {
        const T two_reg = static_cast<T>(2.0 * a.reg);
        double sum_sq = 0.0;
        for (int64_t k = 0; k < C * D; ++k) {
            sum_sq += static_cast<double>(a.W[k]) * a.W[k];
            a.dW[k] += two_reg * a.W[k];
        }
        if (r != Reduction::none) result += a.reg * sum_sq;
    }
    return result;
}

#define FASTLIN_INSTANTIATE(T)                                                                           \
    template double run_linear_loss(const LinearLossBatch<T>&, const SoftmaxHardLoss<T>&, Reduction); \
    template double run_linear_loss(const LinearLossBatch<T>&, const SoftmaxSoftLoss<T>&, Reduction); \
    template double run_linear_loss(const LinearLossBatch<T>&, const SvmLoss<T>&, Reduction);         \
    template double run_linear_loss(const LinearLossBatch<T>&, const SquaredLoss<T>&, Reduction);
FASTLIN_INSTANTIATE(float)
FASTLIN_INSTANTIATE(double)
#undef FASTLIN_INSTANTIATE

}  // namespace fastlin
