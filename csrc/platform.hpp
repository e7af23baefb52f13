// The few things fastlin asks of the operating system and the processor,
// one small interface for every platform it builds on (Linux and macOS,
// x86-64 and aarch64).
#pragma once

#include <cstddef>

namespace fastlin::platform {

// The cores this process may run on: its affinity mask on Linux (a
// container or taskset may allow fewer than the machine has), the
// machine's online cores elsewhere. At least 1.
int usable_cores();

// A huge page of the systems fastlin runs on (x86-64 and aarch64 Linux).
inline constexpr std::size_t kHugePageBytes = std::size_t(2) << 20;

// `bytes` of memory aligned to `alignment` (a power of two, a multiple of
// sizeof(void*)), freed with aligned_free; throws std::bad_alloc. Asks the
// system for huge pages where it grants them on request (Linux) when
// `alignment` is a multiple of kHugePageBytes.
void* aligned_alloc_bytes(std::size_t alignment, std::size_t bytes);
void aligned_free(void* p);

// The CPU's hint inside a spin-wait loop.
inline void cpu_relax() {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Orders streamed (non-temporal) stores before the stores that follow; a
// no-op where the ISA has no streamed stores.
inline void store_fence() {
#if defined(__x86_64__)
    __builtin_ia32_sfence();
#endif
}

}  // namespace fastlin::platform
