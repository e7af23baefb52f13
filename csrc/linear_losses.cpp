// The public fused-pass entry points: forward to the chosen variant.
#include "linear_losses.hpp"

#include <algorithm>

#include "blas.hpp"
#include "cpu_dispatch.hpp"

namespace fastlin {

namespace {

// Whether the products of the row groups run by few_class_products.hpp:
// where its scores tile holds all classes, not for a handful of rows
// (W would be packed for little: for one image the BLAS's matrix-vector
// product reads W once).
bool few_classes(int64_t N, int64_t C, int64_t max_few_classes) {
    constexpr int64_t kMinRows = 8;
    return N >= kMinRows && C <= max_few_classes;
}

}  // namespace

FusedPlan fused_plan(int64_t N, int64_t D, int64_t C, int64_t elem_size,
                     const FewClassBlocks& few_blocks) {
    // All partials of the row groups together stay within 32 MiB, and there
    // are at most 16 groups for the BLAS (one per core of a 16-core
    // machine), few_blocks.max_groups for the hand-written products.
    constexpr int64_t kPartialBytes = int64_t(32) << 20, kBlasMaxGroups = 16, kMinBlocks = 16;
    const bool few = few_classes(N, C, few_blocks.max_classes);
    const int64_t dw_bytes = std::max<int64_t>(1, C * D * elem_size);
    const int64_t max_groups =
        std::min(few ? few_blocks.max_groups : kBlasMaxGroups, kPartialBytes / dw_bytes);
    if (max_groups >= 2) {
        // A block keeps X_blk and its scores within 4 MiB (L3): OpenBLAS
        // packs its operands and runs closer to its peak on more rows
        // (tuning notes: "Fused pass blocks"). The hand-written products
        // of few classes keep their copy of X_blk within few_blocks.block_bytes
        // instead. Yet never fewer than 16 blocks when N allows, so that 16
        // threads have work, and never fewer than 64 rows (128 for the BLAS):
        // below that the products run far from peak and each extra group adds
        // a dW partial to clear and sum. Rows in multiples of 16.
        const int64_t block_bytes = few ? few_blocks.block_bytes : int64_t(4) << 20;
        const int64_t cache_rows = block_bytes / std::max<int64_t>(1, std::max(C, D) * elem_size);
        const int64_t share_rows = (N + kMinBlocks - 1) / kMinBlocks;
        int64_t rows = std::min(cache_rows, (share_rows + 15) / 16 * 16);
        rows = std::clamp<int64_t>(rows - rows % 16, few ? 64 : 128, 1024);
        const int64_t blocks = (N + rows - 1) / rows;
        return {rows, std::clamp<int64_t>(blocks, 1, max_groups), few};
    }
    // Stripes: the scores block may take up to 32 MiB (C = 32000 float32:
    // 262 rows). More rows per block mean fewer passes over dW, which each
    // block reads and writes once; at least 64 rows.
    const int64_t rows = std::clamp<int64_t>(kPartialBytes / (C * elem_size), 64, 4096);
    return {rows, 0, false};
}

namespace {

template <class T>
const LinearKernels<T>& kernels() {
#define FASTLIN_LINEAR_KERNELS(isa) isa::linear_kernels<T>(),
    static const LinearKernels<T> table[] = {FASTLIN_FOR_EACH_ISA(FASTLIN_LINEAR_KERNELS)};
#undef FASTLIN_LINEAR_KERNELS
    blas::use_one_thread();
    return active_entry(table);
}

}  // namespace

FusedPlan active_fused_plan(int64_t N, int64_t D, int64_t C, int64_t elem_size) {
    return fused_plan(N, D, C, elem_size,
                      elem_size == sizeof(float) ? kernels<float>().few_class_blocks
                                                 : kernels<double>().few_class_blocks);
}

template <class T>
double linear_softmax_hard(const LinearLossBatch<T>& a, const int64_t* y, const SoftmaxOptions& o) {
    return kernels<T>().softmax_hard(a, y, o);
}

template <class T>
double linear_softmax_soft(const LinearLossBatch<T>& a, const T* target, const SoftmaxOptions& o) {
    return kernels<T>().softmax_soft(a, target, o);
}

template <class T>
double linear_svm(const LinearLossBatch<T>& a, const int64_t* y, const SvmOptions& o) {
    return kernels<T>().svm(a, y, o);
}

template <class T>
double linear_squared(const LinearLossBatch<T>& a, const T* target, const SquaredOptions& o) {
    return kernels<T>().squared(a, target, o);
}

#define FASTLIN_INSTANTIATE(T)                                                                   \
    template double linear_softmax_hard<T>(const LinearLossBatch<T>&, const int64_t*,            \
                                           const SoftmaxOptions&);                               \
    template double linear_softmax_soft<T>(const LinearLossBatch<T>&, const T*,                  \
                                           const SoftmaxOptions&);                               \
    template double linear_svm<T>(const LinearLossBatch<T>&, const int64_t*, const SvmOptions&); \
    template double linear_squared<T>(const LinearLossBatch<T>&, const T*, const SquaredOptions&);
FASTLIN_INSTANTIATE(float)
FASTLIN_INSTANTIATE(double)
#undef FASTLIN_INSTANTIATE

}  // namespace fastlin
