// The public scores-loss entry points: forward to the chosen variant.
#include "scores_losses.hpp"

#include "cpu_dispatch.hpp"

namespace fastlin {

namespace {

template <class T>
const ScoresKernels<T>& kernels() {
#define FASTLIN_SCORES_KERNELS(isa) isa::scores_kernels<T>(),
    static const ScoresKernels<T> table[] = {FASTLIN_FOR_EACH_ISA(FASTLIN_SCORES_KERNELS)};
#undef FASTLIN_SCORES_KERNELS
    return active_entry(table);
}

}  // namespace

template <class T>
double softmax_loss_hard(const ScoresBatch<T>& b, const int64_t* y, const SoftmaxOptions& o) {
    return kernels<T>().softmax_hard(b, y, o);
}

template <class T>
double softmax_loss_soft(const ScoresBatch<T>& b, const T* target, const SoftmaxOptions& o) {
    return kernels<T>().softmax_soft(b, target, o);
}

template <class T>
double svm_loss(const ScoresBatch<T>& b, const int64_t* y, const SvmOptions& o) {
    return kernels<T>().svm(b, y, o);
}

template <class T>
double squared_loss(const ScoresBatch<T>& b, const T* target, const SquaredOptions& o) {
    return kernels<T>().squared(b, target, o);
}

template <class T>
void exp_nonpositive_array(const T* x, T* y, int64_t n) {
    kernels<T>().exp(x, y, n);
}

template <class T>
void log_positive_array(const T* x, T* y, int64_t n) {
    kernels<T>().log(x, y, n);
}

#define FASTLIN_INSTANTIATE(T)                                                                    \
    template double softmax_loss_hard<T>(const ScoresBatch<T>&, const int64_t*,                   \
                                         const SoftmaxOptions&);                                  \
    template double softmax_loss_soft<T>(const ScoresBatch<T>&, const T*, const SoftmaxOptions&); \
    template double svm_loss<T>(const ScoresBatch<T>&, const int64_t*, const SvmOptions&);        \
    template double squared_loss<T>(const ScoresBatch<T>&, const T*, const SquaredOptions&);      \
    template void exp_nonpositive_array<T>(const T*, T*, int64_t);                                \
    template void log_positive_array<T>(const T*, T*, int64_t);
FASTLIN_INSTANTIATE(float)
FASTLIN_INSTANTIATE(double)
#undef FASTLIN_INSTANTIATE

}  // namespace fastlin
