#include "platform.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <new>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#include <sys/mman.h>
#endif

namespace fastlin::platform {

int usable_cores() {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n >= 1) return n;
    }
#endif
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online >= 1) return static_cast<int>(online);
    const unsigned n = std::thread::hardware_concurrency();
    return n ? static_cast<int>(n) : 1;
}

void* aligned_alloc_bytes(std::size_t alignment, std::size_t bytes) {
    // posix_memalign rather than std::aligned_alloc: the latter needs macOS 10.15.
    void* p = nullptr;
    if (posix_memalign(&p, alignment, bytes ? bytes : 1) != 0) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // Huge pages where the system grants them on request, as NumPy asks for
    // its own large arrays.
    if (alignment % kHugePageBytes == 0) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void aligned_free(void* p) {
    free(p);
}

}  // namespace fastlin::platform
