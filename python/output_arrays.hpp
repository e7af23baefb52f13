// New output arrays of the bindings (gradients, scores), uninitialised as
// numpy.empty makes them: every kernel writes its outputs whole.
#pragma once

#include <pybind11/numpy.h>

#include <cstddef>
#include <vector>

#include "array_args.hpp"

namespace fastlin::bind {

// Outputs of kRecycledBytes or more reuse the memory of the last such output
// that Python released, when it had the same size. glibc maps blocks that
// large afresh for each allocation and unmaps them on free, and the kernel
// zeroes each new page as a kernel first writes it: a pass over the output
// before the real one (tuning notes: "Recycled outputs"). Smaller blocks stay in glibc's heap
// between calls. At most one released output stays allocated, for the next call.
inline constexpr std::size_t kRecycledBytes = std::size_t(32) << 20;

// A block of `bytes` (>= kRecycledBytes), aligned for huge pages, and the
// capsule that hands it back when the array that owns it is freed.
void* recycled_buffer(std::size_t bytes);
py::capsule recycling_owner(void* data, std::size_t bytes);

template <class T>
carray<T> new_output(const std::vector<py::ssize_t>& shape) {
    std::size_t n = 1;
    for (py::ssize_t d : shape) n *= static_cast<std::size_t>(d);
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kRecycledBytes) return carray<T>(shape);
    void* data = recycled_buffer(bytes);
    return carray<T>(shape, static_cast<T*>(data), recycling_owner(data, bytes));
}

}  // namespace fastlin::bind
