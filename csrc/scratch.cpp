#include "scratch.hpp"

#include <memory>

#include "platform.hpp"

namespace fastlin {

namespace {

// Buffers of 128 KiB or more (what glibc maps with mmap) start on a huge page
// and ask for huge pages, as NumPy's arrays do: page-aligned ones on 4 KiB
// pages slowed the pass (tuning notes: "Work space on huge pages").
constexpr std::size_t kHugePageFrom = std::size_t(128) << 10;

struct ThreadBuffers {
    struct Free {
        void operator()(unsigned char* p) const { platform::aligned_free(p); }
    };
    std::unique_ptr<unsigned char[], Free> data[static_cast<int>(ScratchSlot::count)];
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
        const std::size_t alignment = bytes >= kHugePageFrom ? platform::kHugePageBytes : 64;
        b.data[s].reset(
            static_cast<unsigned char*>(platform::aligned_alloc_bytes(alignment, bytes)));
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
