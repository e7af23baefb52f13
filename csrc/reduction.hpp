// How a reduction turns row losses into the returned loss and gradient scale.
// Plain C++ shared by every kernel variant.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "loss_options.hpp"

namespace fastlin {

// Rows are summed in blocks of this many, each block in double, the block
// sums then in order: the reduced loss does not depend on how rows are split
// between threads. It is also the unit of work handed to a thread.
constexpr int64_t kRowsPerSumBlock = 256;

inline int64_t num_sum_blocks(int64_t N) {
    return (N + kRowsPerSumBlock - 1) / kRowsPerSumBlock;
}

// Gradient scale of the reduced loss: 1/denominator for "mean" (0 when
// nothing counts, with a NaN loss), 1 for "sum" and "none".
inline double reduction_scale(Reduction r, double denominator) {
    if (r != Reduction::mean) return 1.0;
    return denominator > 0.0 ? 1.0 / denominator : 0.0;
}

// A "mean" over rows that all count zero (N = 0, every row ignored or
// weighted 0): its loss is NaN and its gradient zero, as NumPy's mean of
// nothing and PyTorch give; kernels skip the rows (a NaN score must not turn
// the zero gradient into NaN).
inline bool mean_of_nothing(Reduction r, double denominator) {
    return r == Reduction::mean && !(denominator > 0.0);
}

inline double reduce_total(Reduction r, double total, double denominator) {
    if (r != Reduction::mean) return total;
    return denominator > 0.0 ? total / denominator : std::numeric_limits<double>::quiet_NaN();
}

// A label outside [0, C). An std::invalid_argument, so that callers that only
// know bad input still see one; the bindings raise it as fastlin.LabelError.
struct LabelError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Checks every label against [0, C) (ignore_index aside) and returns the sum
// over counted rows of sample_weight[i] * class_weight[y_i]. Throws
// LabelError naming the first bad label.
double check_labels_and_count(const int64_t* y, int64_t N, int64_t C, const RowWeights& w,
                              bool has_ignore_index, int64_t ignore_index);

// The sum of v[0..n), or n when v is null.
double sum_or_count(const double* v, int64_t n);

}  // namespace fastlin
