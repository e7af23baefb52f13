// Losses on a batch of scores S (N, C), C-contiguous, with their gradients:
// the public entry points, which run the instruction-set variant chosen by
// cpu_dispatch on the threads of parallel.hpp. Each returns the reduced loss
// (the sum for Reduction::none, whose per-row losses go to `row_loss`). `dS`
// and `row_loss` may be null. Bad labels throw std::invalid_argument before
// anything is written.
#pragma once

#include <cstdint>

#include "isa_list.hpp"
#include "loss_options.hpp"

namespace fastlin {

template <class T>
struct ScoresBatch {
    const T* S = nullptr;  // (N, C)
    int64_t N = 0, C = 0;
    T* dS = nullptr;        // (N, C) or null
    T* row_loss = nullptr;  // (N,) or null
};

template <class T>
double softmax_loss_hard(const ScoresBatch<T>& b, const int64_t* y, const SoftmaxOptions& o);
// Soft labels: `target` is (N, C), C-contiguous, rows of class probabilities.
template <class T>
double softmax_loss_soft(const ScoresBatch<T>& b, const T* target, const SoftmaxOptions& o);
template <class T>
double svm_loss(const ScoresBatch<T>& b, const int64_t* y, const SvmOptions& o);
// Predictions P = b.S with K = b.C outputs per row, against `target` (N, K).
template <class T>
double squared_loss(const ScoresBatch<T>& b, const T* target, const SquaredOptions& o);

// y[i] = exp(x[i]) for x[i] <= 0 by the kernels' own vectorised exp
// (vec.hpp), for the tests of its accuracy.
template <class T>
void exp_nonpositive_array(const T* x, T* y, int64_t n);
// y[i] = log(x[i]) for positive normal x[i], likewise.
template <class T>
void log_positive_array(const T* x, T* y, int64_t n);

// The same entry points for one instruction set, gathered in a table.
template <class T>
struct ScoresKernels {
    decltype(&softmax_loss_hard<T>) softmax_hard;
    decltype(&softmax_loss_soft<T>) softmax_soft;
    decltype(&svm_loss<T>) svm;
    decltype(&squared_loss<T>) squared;
    decltype(&exp_nonpositive_array<T>) exp;
    decltype(&log_positive_array<T>) log;
};

// Defined by simd/scores_kernels.cpp, once per instruction set.
#define FASTLIN_DECLARE_SCORES_KERNELS(isa) \
    namespace isa {                         \
    template <class T>                      \
    ScoresKernels<T> scores_kernels();      \
    }
FASTLIN_FOR_EACH_ISA(FASTLIN_DECLARE_SCORES_KERNELS)
#undef FASTLIN_DECLARE_SCORES_KERNELS

}  // namespace fastlin
