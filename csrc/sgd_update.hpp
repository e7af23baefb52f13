// The parameter update of stochastic gradient descent with momentum, in
// place and in one pass over the parameters, as PyTorch's torch.optim.SGD
// (dampening 0): v = momentum * v + g; p -= lr * (nesterov ? g + momentum * v : v).
// With momentum == 0 it is p -= lr * g and v is not touched (may be null).
#pragma once

#include <cstdint>

namespace fastlin {

struct MomentumStep {
    double lr = 0.0;
    double momentum = 0.0;
    bool nesterov = false;
};

template <class T>
void momentum_update(T* param, T* velocity, const T* grad, int64_t n, const MomentumStep& s);

// The same update for one instruction set (sgd_update_kernels.cpp).
namespace baseline { template <class T> void momentum_update(T*, T*, const T*, int64_t, const MomentumStep&); }
namespace avx2 { template <class T> void momentum_update(T*, T*, const T*, int64_t, const MomentumStep&); }
namespace avx512 { template <class T> void momentum_update(T*, T*, const T*, int64_t, const MomentumStep&); }

}  // namespace fastlin
