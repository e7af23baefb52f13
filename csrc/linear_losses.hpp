// "Linear layer + loss + backward" in one pass over the rows of X, with the
// loss functors of loss_functors.hpp (the per-row definitions are not copied).
//
// Per block of rows: S_blk = X_blk W^T + b (BLAS) into a (block x C) buffer;
// the loss functor turns S_blk into its gradient G_blk in place; then, while
// G_blk is still in cache, dW += G_blk^T X_blk, db += column sums of G_blk and
// dX_blk = G_blk W. Besides inputs and outputs, memory is O(block x C): the
// N x C scores are never held.
//
// The entry points run the instruction-set variant chosen by cpu_dispatch.
// Each returns the reduced loss plus the penalty (for "none", the plain sum
// of the row losses, without penalty). Labels are checked before anything is
// written.
#pragma once

#include <cstdint>

#include "isa_list.hpp"
#include "loss_options.hpp"

namespace fastlin {

template <class T>
struct LinearLossBatch {
    const T* X = nullptr;  // (N, D), C-contiguous
    const T* W = nullptr;  // (C, D), C-contiguous
    const T* b = nullptr;  // (C,) or null
    int64_t N = 0, D = 0, C = 0;
    double reg = 0.0;       // adds reg * sum(W**2) to a reduced loss, 2 reg W to dW
    T* dW = nullptr;        // (C, D), always written
    T* db = nullptr;        // (C,) or null
    T* dX = nullptr;        // (N, D) or null
    T* row_loss = nullptr;  // (N,) or null: the per-row losses of reduction "none"
};

// How the fused pass cuts its work: from the shapes and the variant's
// FewClassBlocks only, never from the thread count, so results are
// bit-identical for any number of threads.
//  - groups > 0: "row groups". The blocks of rows are dealt out, in order, to
//    `groups` groups; each group runs its blocks one after the other on one
//    thread into its own dW (and db) partial, and the partials are added in
//    group order. For models whose dW is small (C * D within kPartialBytes /
//    2), e.g. C = 20 classes: X_blk stays in L2 between the product that
//    reads it for the scores and the one that reads it for dW.
//  - groups == 0: "stripes". Blocks run one after the other; within a block
//    each product is cut into fixed stripes of classes (or features) that run
//    side by side. For a large dW (C = 32000), which could not be copied per
//    group.
//  - few_classes (row groups only): both products of a block by the
//    hand-written kernels of few_class_products.hpp instead of the BLAS,
//    where their scores tiles hold all classes in two chunks (C <=
//    max_few_classes, which depends on the instruction set: 48 float32 and
//    24 float64 with AVX2).
struct FusedPlan {
    int64_t rows;      // rows per block
    int64_t groups;    // number of row groups, or 0 for stripes
    bool few_classes;  // products by few_class_products.hpp
};
// What the products of few_class_products.hpp take, and the blocks and row
// groups they run in: each depends on the instruction set.
struct FewClassBlocks {
    int64_t max_classes;  // classes their scores tiles hold (two chunks)
    int64_t block_bytes;  // X_blk within this many bytes (at least 64 rows)
    int64_t max_groups;   // row groups at most
};
FusedPlan fused_plan(int64_t N, int64_t D, int64_t C, int64_t elem_size,
                     const FewClassBlocks& few_blocks);
// The plan of the variant that runs now (for tests).
FusedPlan active_fused_plan(int64_t N, int64_t D, int64_t C, int64_t elem_size);

template <class T>
double linear_softmax_hard(const LinearLossBatch<T>& a, const int64_t* y, const SoftmaxOptions& o);
template <class T>
double linear_softmax_soft(const LinearLossBatch<T>& a, const T* target, const SoftmaxOptions& o);
template <class T>
double linear_svm(const LinearLossBatch<T>& a, const int64_t* y, const SvmOptions& o);
template <class T>
double linear_squared(const LinearLossBatch<T>& a, const T* target, const SquaredOptions& o);

// The same entry points for one instruction set, gathered in a table.
template <class T>
struct LinearKernels {
    decltype(&linear_softmax_hard<T>) softmax_hard;
    decltype(&linear_softmax_soft<T>) softmax_soft;
    decltype(&linear_svm<T>) svm;
    decltype(&linear_squared<T>) squared;
    FewClassBlocks few_class_blocks;
};

// Defined by simd/linear_kernels.cpp, once per instruction set.
#define FASTLIN_DECLARE_LINEAR_KERNELS(isa) \
    namespace isa {                         \
    template <class T>                      \
    LinearKernels<T> linear_kernels();      \
    }
FASTLIN_FOR_EACH_ISA(FASTLIN_DECLARE_LINEAR_KERNELS)
#undef FASTLIN_DECLARE_LINEAR_KERNELS

}  // namespace fastlin
