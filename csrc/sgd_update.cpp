// The public momentum update: forwards to the chosen variant.
#include "sgd_update.hpp"

#include "cpu_dispatch.hpp"

namespace fastlin {

template <class T>
void momentum_update(T* param, T* velocity, const T* grad, int64_t n, const MomentumStep& s) {
    using Update = void (*)(T*, T*, const T*, int64_t, const MomentumStep&);
#define FASTLIN_MOMENTUM_UPDATE(isa) &isa::momentum_update<T>,
    static const Update table[] = {FASTLIN_FOR_EACH_ISA(FASTLIN_MOMENTUM_UPDATE)};
#undef FASTLIN_MOMENTUM_UPDATE
    active_entry(table)(param, velocity, grad, n, s);
}

template void momentum_update<float>(float*, float*, const float*, int64_t, const MomentumStep&);
template void momentum_update<double>(double*, double*, const double*, int64_t,
                                      const MomentumStep&);

}  // namespace fastlin
