#include "scratch.hpp"

#include <memory>

namespace fastlin {

namespace {

struct ThreadBuffers {
    std::unique_ptr<unsigned char[]> data[static_cast<int>(ScratchSlot::count)];
    std::size_t bytes[static_cast<int>(ScratchSlot::count)] = {};
};

ThreadBuffers& buffers() {
    thread_local ThreadBuffers b;
    return b;
}

}  // namespace

void* acquire_scratch(ScratchSlot slot, std::size_t bytes) {
    ThreadBuffers& b = buffers();
    const int s = static_cast<int>(slot);
    if (b.bytes[s] < bytes) {
        b.data[s].reset();  // before the new one: never both held
        b.data[s].reset(new unsigned char[bytes]);
        b.bytes[s] = bytes;
    }
    return b.data[s].get();
}

void release_scratch(ScratchSlot slot) {
    ThreadBuffers& b = buffers();
    const int s = static_cast<int>(slot);
    if (b.bytes[s] > kKeepScratchBytes) {
        b.data[s].reset();
        b.bytes[s] = 0;
    }
}

}  // namespace fastlin
