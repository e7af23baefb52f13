#include "reduction.hpp"

#include <stdexcept>
#include <string>

namespace fastlin {

double check_labels_and_count(const int64_t* y, int64_t N, int64_t C, const RowWeights& w,
                              bool has_ignore_index, int64_t ignore_index) {
    double counted = 0.0;
    for (int64_t i = 0; i < N; ++i) {
        const int64_t yi = y[i];
        if (has_ignore_index && yi == ignore_index) continue;
        if (yi < 0 || yi >= C) {
            throw std::invalid_argument("y: label y[" + std::to_string(i) + "] = " + std::to_string(yi) +
                                        " is outside [0, C) with C = " + std::to_string(C) +
                                        (has_ignore_index ? " (and is not ignore_index = " +
                                                                std::to_string(ignore_index) + ")"
                                                          : std::string()));
        }
        counted += (w.sample_weight ? w.sample_weight[i] : 1.0) *
                   (w.class_weight ? w.class_weight[yi] : 1.0);
    }
    return counted;
}

double sum_or_count(const double* v, int64_t n) {
    if (!v) return static_cast<double>(n);
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += v[i];
    return s;
}

}  // namespace fastlin
