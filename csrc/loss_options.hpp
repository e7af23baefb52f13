// Options shared by the scores losses and the fused linear passes.
#pragma once

#include <cstdint>

namespace fastlin {

enum class Reduction { mean, sum, none };
enum class SvmVariant { weston_watkins, crammer_singer };

// How sample i counts in a reduced loss: c_i = sample_weight[i] * class_weight[y_i]
// (1 where a pointer is null). Both arrays are float64 whatever the scores' dtype,
// so that the weights are never rounded twice.
struct RowWeights {
    const double* class_weight = nullptr;   // (C,) or null
    const double* sample_weight = nullptr;  // (N,) or null
};

struct SoftmaxOptions {
    RowWeights weights;
    int64_t ignore_index = -100;
    double label_smoothing = 0.0;
    Reduction reduction = Reduction::mean;
};

struct SvmOptions {
    RowWeights weights;
    double margin = 1.0;
    bool squared = false;
    SvmVariant variant = SvmVariant::weston_watkins;
    Reduction reduction = Reduction::mean;
};

struct SquaredOptions {
    const double* sample_weight = nullptr;  // (N,) or null
    Reduction reduction = Reduction::mean;
};

}  // namespace fastlin
