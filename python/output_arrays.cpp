#include "output_arrays.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <mutex>
#include <memory>
#include <new>

namespace fastlin::bind {

namespace {

constexpr std::size_t kHugePage = std::size_t(2) << 20;

struct Block {
    void* data = nullptr;
    std::size_t bytes = 0;
};

std::mutex g_lock;
Block g_released;  // the last block handed back, not yet reused

std::size_t rounded(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* recycled_buffer(std::size_t bytes) {
    {
        std::lock_guard<std::mutex> lk(g_lock);
        if (g_released.data && g_released.bytes == bytes) {
            void* p = g_released.data;
            g_released = {};
            return p;
        }
    }
    // Huge pages where the system grants them on request, as NumPy asks
    // for its own large arrays.
    const std::size_t size = rounded(bytes);
    void* p = std::aligned_alloc(kHugePage, size);
    if (!p) throw std::bad_alloc();
    madvise(p, size, MADV_HUGEPAGE);
    return p;
}

py::capsule recycling_owner(void* data, std::size_t bytes) {
    auto* block = new Block{data, bytes};
    return py::capsule(block, [](void* b) {
        std::unique_ptr<Block> block(static_cast<Block*>(b));
        void* unused = nullptr;
        {
            std::lock_guard<std::mutex> lk(g_lock);
            unused = g_released.data;
            g_released = *block;
        }
        std::free(unused);
    });
}

}  // namespace fastlin::bind
