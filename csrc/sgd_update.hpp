// The parameter update of stochastic gradient descent with momentum, in
// place and in one pass over the parameters, as PyTorch's torch.optim.SGD
// (dampening 0): v = momentum * v + g; p -= lr * (nesterov ? g + momentum * v : v).
// With momentum == 0 it is p -= lr * g and v is not touched (may be null).
#pragma once

#include <cstdint>

#include "isa_list.hpp"

namespace fastlin {

struct MomentumStep {
    double lr = 0.0;
    double momentum = 0.0;
    bool nesterov = false;
};

template <class T>
void momentum_update(T* param, T* velocity, const T* grad, int64_t n, const MomentumStep& s);

// The same update for one instruction set (simd/sgd_update_kernels.cpp).
#define FASTLIN_DECLARE_MOMENTUM_UPDATE(isa)                              \
    namespace isa {                                                       \
    template <class T>                                                    \
    void momentum_update(T*, T*, const T*, int64_t, const MomentumStep&); \
    }
FASTLIN_FOR_EACH_ISA(FASTLIN_DECLARE_MOMENTUM_UPDATE)
#undef FASTLIN_DECLARE_MOMENTUM_UPDATE

}  // namespace fastlin
