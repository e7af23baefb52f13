#include "output_arrays.hpp"

#include <memory>
#include <mutex>

#include "platform.hpp"

namespace fastlin::bind {

namespace {

using platform::kHugePageBytes;

struct Block {
    void* data = nullptr;
    std::size_t bytes = 0;
};

std::mutex g_lock;
Block g_released;  // the last block handed back, not yet reused

std::size_t rounded(std::size_t bytes) {
    return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
}

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
    return platform::aligned_alloc_bytes(kHugePageBytes, rounded(bytes));
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
        platform::aligned_free(unused);
    });
}

}  // namespace fastlin::bind
