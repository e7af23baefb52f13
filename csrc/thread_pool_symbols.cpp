// The thread pool's knobs as plain C symbols, exported from each Python
// module that links the kernels: threadpoolctl finds a library's pool by the
// symbols the loaded shared object exports (fastlin/_threadpoolctl.py).
#include "parallel.hpp"

extern "C" {

__attribute__((visibility("default"))) int fastlin_get_num_threads(void) {
    return fastlin::get_num_threads();
}

__attribute__((visibility("default"))) void fastlin_set_num_threads(int n) {
    fastlin::set_num_threads(n < 1 ? 1 : (n > 4096 ? 4096 : n));  // the range set_num_threads takes
}

}  // extern "C"
