// The fused linear + loss passes for one instruction set (compiled once per
// variant, see isa_begin.hpp). How the work is cut: FusedPlan in
// linear_losses.hpp.
#include "isa_begin.hpp"

#include "few_class_products.hpp"
#include "loss_functors.hpp"
#include "row_loop.hpp"

namespace fastlin::FASTLIN_ISA {

namespace {

template <class T>
FewClassBlocks few_class_blocks() {
    return {kMaxFewClasses<T>, kFewBlockBytes, kFewMaxGroups};
}

// Everything a block of rows needs, whichever plan runs it.
template <class T, class Loss>
struct FusedPass {
    const LinearLossBatch<T>& a;
    const Loss& loss;
    double scale;
    int64_t rows;

    int64_t blocks() const { return (a.N + rows - 1) / rows; }
    int64_t block_start(int64_t k) const { return k * rows; }
    int64_t block_rows(int64_t k) const { return std::min(rows, a.N - k * rows); }
    T* row_out(int64_t i0) const { return a.row_loss ? a.row_loss + i0 : nullptr; }

    // The loss of rows [i0, i0 + n) whose scores are in S (row stride C),
    // turned into their gradient in place.
    double loss_rows(int64_t i0, int64_t n, T* S) const {
        return apply_row_loss(i0, i0 + n, a.C, S, S, loss.sample_weight, scale, row_out(i0), loss);
    }
};

// Row groups: each group runs its blocks on one thread into its own dW
// partial (group 0 straight into dW), then the partials are added in order.
template <class T, class Loss>
void run_row_groups(const FusedPass<T, Loss>& p, int64_t groups, bool few,
                    std::vector<double>& block_sums, std::vector<double>& db_acc) {
    const auto& a = p.a;
    const int64_t C = a.C, D = a.D, blocks = p.blocks(), dw_size = C * D;
    // Work space kept by each thread between calls (scratch.hpp), left
    // uninitialised: each group's first block writes its partial whole.
    const Scratch<T> partials(ScratchSlot::dw_partials,
                              static_cast<size_t>((groups - 1) * dw_size));
    std::vector<double> db_parts(a.db ? static_cast<size_t>(groups * C) : 0, 0.0);
    // For the hand-written products: W packed, shared by all groups (in
    // panels of features too for dX).
    const Scratch<T> Wp(ScratchSlot::w_for_scores,
                        few ? static_cast<size_t>(D * class_vectors<T>(C) * kLanes<T>) : 0);
    if (few) pack_classes(a.W, C, D, Wp.get());
    const Scratch<T> Wf(ScratchSlot::w_for_dx,
                        few && a.dX ? static_cast<size_t>(feature_panels_size<T>(C, D)) : 0);
    if (few && a.dX) pack_feature_panels(a.W, C, D, Wf.get());
    const int64_t max_rows = std::min(p.rows, a.N);
    parallel_for(groups, [&](int64_t g) {
        const Scratch<T> S(ScratchSlot::scores, static_cast<size_t>(max_rows * C));
        const Scratch<T> Xp(ScratchSlot::x_panels,
                            few ? static_cast<size_t>(feature_panels_size<T>(max_rows, D)) : 0);
        T* dW = g == 0 ? a.dW : partials.get() + (g - 1) * dw_size;
        const int64_t k0 = g * blocks / groups, k1 = (g + 1) * blocks / groups;
        for (int64_t k = k0; k < k1; ++k) {
            const int64_t i0 = p.block_start(k), n = p.block_rows(k);
            const T* Xb = a.X + i0 * D;
            if (few) {
                scores_and_pack(Xb, n, D, Wp.get(), a.b, C, S.get(), Xp.get());
            } else {
                linear_forward_serial(Xb, a.W, a.b, n, D, C, S.get(), C);
            }
            block_sums[k] = p.loss_rows(i0, n, S.get());
            if (few) {
                add_gradient_product(S.get(), n, C, Xp.get(), D, k == k0, dW);
            } else {
                blas::gemm(true, false, C, D, n, T(1), S.get(), C, Xb, D, k == k0 ? T(0) : T(1), dW,
                           D);
            }
            if (a.db) add_column_sums(S.get(), n, C, 0, C, db_parts.data() + g * C);
            if (a.dX && few) {
                input_gradient_product(S.get(), n, C, Wf.get(), D, a.dX + i0 * D);
            } else if (a.dX) {
                blas::gemm(false, false, n, D, C, T(1), S.get(), C, a.W, D, T(0), a.dX + i0 * D, D);
            }
        }
    });
    if (groups > 1) {
        parallel_for(num_pieces(dw_size, kPieceRows * kPieceCols), [&](int64_t k) {
            const int64_t e0 = k * kPieceRows * kPieceCols,
                          e1 = std::min(dw_size, e0 + kPieceRows * kPieceCols);
            for (int64_t g = 1; g < groups; ++g) {
                const T* part = partials.get() + (g - 1) * dw_size;
                for (int64_t e = e0; e < e1; ++e) a.dW[e] += part[e];
            }
        });
    }
    for (int64_t g = 0; g < groups && a.db; ++g)
        for (int64_t c = 0; c < C; ++c) db_acc[c] += db_parts[g * C + c];
}

// Stripes: blocks in order; each product of a block cut into fixed stripes of
// classes (scores, dW, db) or features (dX), and the loss into row pieces.
template <class T, class Loss>
void run_stripes(const FusedPass<T, Loss>& p, std::vector<double>& block_sums,
                 std::vector<double>& db_acc) {
    const auto& a = p.a;
    const int64_t C = a.C, D = a.D, blocks = p.blocks();
    // Rows of a block per piece of the loss (one exp per class, C of them).
    constexpr int64_t kLossRows = 4;
    const int64_t loss_pieces = num_pieces(p.rows, kLossRows);
    block_sums.assign(static_cast<size_t>(blocks * loss_pieces), 0.0);
    std::vector<T> S(static_cast<size_t>(std::min(p.rows, a.N) * C));
    const int64_t class_stripes = num_pieces(C, kPieceCols),
                  feature_stripes = num_pieces(D, kPieceCols);
    for (int64_t k = 0; k < blocks; ++k) {
        const int64_t i0 = p.block_start(k), n = p.block_rows(k);
        const T* Xb = a.X + i0 * D;
        parallel_for(class_stripes, [&](int64_t s) {
            const int64_t c0 = s * kPieceCols, nc = std::min(kPieceCols, C - c0);
            linear_forward_serial(Xb, a.W + c0 * D, a.b ? a.b + c0 : nullptr, n, D, nc,
                                  S.data() + c0, C);
        });
        parallel_for(num_pieces(n, kLossRows), [&](int64_t r) {
            const int64_t r0 = r * kLossRows, nr = std::min(kLossRows, n - r0);
            block_sums[k * loss_pieces + r] = p.loss_rows(i0 + r0, nr, S.data() + r0 * C);
        });
        parallel_for(class_stripes, [&](int64_t s) {
            const int64_t c0 = s * kPieceCols, nc = std::min(kPieceCols, C - c0);
            blas::gemm(true, false, nc, D, n, T(1), S.data() + c0, C, Xb, D, k == 0 ? T(0) : T(1),
                       a.dW + c0 * D, D);
            if (a.db) add_column_sums(S.data(), n, C, c0, c0 + nc, db_acc.data());
        });
        if (a.dX) {
            parallel_for(feature_stripes, [&](int64_t s) {
                const int64_t d0 = s * kPieceCols, nd = std::min(kPieceCols, D - d0);
                blas::gemm(false, false, n, nd, C, T(1), S.data(), C, a.W + d0, D, T(0),
                           a.dX + i0 * D + d0, D);
            });
        }
    }
}

template <class T, class Loss>
double run_linear_loss(const LinearLossBatch<T>& a, const Loss& loss, Reduction r) {
    const int64_t N = a.N, D = a.D, C = a.C;
    const double denom = loss.denominator(N);  // throws on a bad label before any write
    const FusedPlan plan = fused_plan(N, D, C, sizeof(T), few_class_blocks<T>());
    const FusedPass<T, Loss> pass{a, loss, reduction_scale(r, denom), plan.rows};
    std::vector<double> block_sums(static_cast<size_t>(pass.blocks()), 0.0);
    std::vector<double> db_acc(a.db ? C : 0, 0.0);

    if (N == 0 || mean_of_nothing(r, denom)) {
        // Nothing counts: a zero gradient (even where scores would be NaN).
        std::fill(a.dW, a.dW + C * D, T(0));
        if (a.dX) std::fill(a.dX, a.dX + N * D, T(0));
    } else if (plan.groups > 0) {
        run_row_groups(pass, plan.groups, plan.few_classes, block_sums, db_acc);
    } else {
        run_stripes(pass, block_sums, db_acc);
    }
    if (a.db)
        for (int64_t c = 0; c < C; ++c) a.db[c] = static_cast<T>(db_acc[c]);

    double total = 0.0;
    for (double s : block_sums) total += s;
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

struct LinearRunner {
    template <class T, class Loss>
    static double run(const LinearLossBatch<T>& a, const Loss& loss, Reduction r) {
        return run_linear_loss(a, loss, r);
    }
};

}  // namespace

template <class T>
LinearKernels<T> linear_kernels() {
    using E = LossEntryPoints<T, LinearLossBatch<T>, LinearRunner>;
    return {&E::softmax_hard, &E::softmax_soft, &E::svm, &E::squared, few_class_blocks<T>()};
}

template LinearKernels<float> linear_kernels<float>();
template LinearKernels<double> linear_kernels<double>();

}  // namespace fastlin::FASTLIN_ISA

#include "isa_end.hpp"
