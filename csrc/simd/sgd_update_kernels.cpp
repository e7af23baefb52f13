// The momentum update for one instruction set (compiled once per variant,
// see csrc/README.md): plain loops the compiler vectorises. The arithmetic is
// in T, as torch.optim.SGD's on float32 parameters.
#include "sgd_update.hpp"

#include "isa_begin.hpp"

namespace fastlin::FASTLIN_ISA {

template <class T>
void momentum_update(T* __restrict param, T* __restrict velocity, const T* __restrict grad,
                     int64_t n, const MomentumStep& s) {
    const T lr = static_cast<T>(s.lr), mu = static_cast<T>(s.momentum);
    if (s.momentum == 0.0) {
        for (int64_t k = 0; k < n; ++k) param[k] -= lr * grad[k];
    } else if (s.nesterov) {
        for (int64_t k = 0; k < n; ++k) {
            const T v = mu * velocity[k] + grad[k];
            velocity[k] = v;
            param[k] -= lr * (grad[k] + mu * v);
        }
    } else {
        for (int64_t k = 0; k < n; ++k) {
            const T v = mu * velocity[k] + grad[k];
            velocity[k] = v;
            param[k] -= lr * v;
        }
    }
}

template void momentum_update<float>(float*, float*, const float*, int64_t, const MomentumStep&);
template void momentum_update<double>(double*, double*, const double*, int64_t,
                                      const MomentumStep&);

}  // namespace fastlin::FASTLIN_ISA

#include "isa_end.hpp"
