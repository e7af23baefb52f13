#include "reduction.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "parallel.hpp"

namespace fastlin {

namespace {

[[noreturn]] void throw_bad_label(int64_t i, int64_t yi, int64_t C, bool has_ignore_index,
                                  int64_t ignore_index) {
    throw LabelError("y: label y[" + std::to_string(i) + "] = " + std::to_string(yi) +
                     " is outside [0, C) with C = " + std::to_string(C) +
                     (has_ignore_index
                          ? " (and is not ignore_index = " + std::to_string(ignore_index) + ")"
                          : std::string()));
}

}  // namespace

double check_labels_and_count(const int64_t* y, int64_t N, int64_t C, const RowWeights& w,
                              bool has_ignore_index, int64_t ignore_index) {
    auto ignored = [&](int64_t yi) { return has_ignore_index && yi == ignore_index; };
    auto bad = [&](int64_t yi) {
        return !ignored(yi) && static_cast<uint64_t>(yi) >= static_cast<uint64_t>(C);
    };
    if (w.sample_weight || w.class_weight) {
        double counted = 0.0;
        for (int64_t i = 0; i < N; ++i) {
            if (bad(y[i])) throw_bad_label(i, y[i], C, has_ignore_index, ignore_index);
            if (!ignored(y[i]))
                counted += (w.sample_weight ? w.sample_weight[i] : 1.0) *
                           (w.class_weight ? w.class_weight[y[i]] : 1.0);
        }
        return counted;
    }
    // Without weights: a count of rows, in integers (the same value as
    // adding 1.0 a row, exact below 2^53), in fixed pieces on the thread
    // pool, without a branch a label: reading y is what this costs. A piece
    // with a bad label is read again for the first one.
    constexpr int64_t kLabelsPerPiece = int64_t(1) << 15;
    const int64_t pieces = (N + kLabelsPerPiece - 1) / kLabelsPerPiece;
    auto piece_end = [&](int64_t k) { return std::min(N, (k + 1) * kLabelsPerPiece); };
    std::vector<int64_t> rows(static_cast<size_t>(pieces));
    std::vector<char> has_bad(static_cast<size_t>(pieces));
    parallel_for(pieces, [&](int64_t k) {
        int64_t n = 0;
        bool any = false;
        for (int64_t i = k * kLabelsPerPiece; i < piece_end(k); ++i) {
            n += !ignored(y[i]);
            any |= bad(y[i]);
        }
        rows[k] = n;
        has_bad[k] = any;
    });
    int64_t total = 0;
    for (int64_t k = 0; k < pieces; ++k) {
        for (int64_t i = k * kLabelsPerPiece; has_bad[k] && i < piece_end(k); ++i)
            if (bad(y[i])) throw_bad_label(i, y[i], C, has_ignore_index, ignore_index);
        total += rows[k];
    }
    return static_cast<double>(total);
}

double sum_or_count(const double* v, int64_t n) {
    if (!v) return static_cast<double>(n);
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += v[i];
    return s;
}

}  // namespace fastlin
