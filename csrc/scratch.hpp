// Work space of the calling thread, kept from one call to the next.
//
// Why: the fused pass needs a few MiB of work space per thread and call (a
// block's scores, its copy of X, W packed, the dW partials). glibc serves
// blocks that large from mmap unless its adaptive threshold has grown past
// them, which depends on what the process freed before, and a fresh mapping
// faults in every page again (tuning notes: "Work space kept between calls").
//
// A Scratch<T> is n uninitialised elements of the calling thread's buffer
// for `slot`, valid while it lives. Buffers that live at the same time on
// one thread need distinct slots. Up to kKeepScratchBytes a buffer is kept
// for the thread's next call (held until the thread ends: the pool's
// workers live as long as the process); a larger one is freed with its
// Scratch.
#pragma once

#include <cstddef>

namespace fastlin {

enum class ScratchSlot { dw_partials, w_for_scores, w_for_dx, scores, x_panels, count };

// 4 MiB covers TinyPlaces (3.7 MB of dW partials, 1.5 MiB copies of X_blk);
// a worker holds at most two buffers (scores, x_panels), the caller five.
inline constexpr std::size_t kKeepScratchBytes = std::size_t(4) << 20;

void* acquire_scratch(ScratchSlot slot, std::size_t bytes);
void release_scratch(ScratchSlot slot);  // frees the buffer if beyond kKeepScratchBytes

template <class T>
class Scratch {
  public:
    Scratch(ScratchSlot slot, std::size_t n)
        : slot_(slot), data_(static_cast<T*>(acquire_scratch(slot, n * sizeof(T)))) {}
    ~Scratch() { release_scratch(slot_); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    T* get() const { return data_; }

  private:
    ScratchSlot slot_;
    T* data_;
};

}  // namespace fastlin
