// fastlin._core: wires together one register_* per family of functions.
#include <pybind11/pybind11.h>

namespace fastlin::bind {
void register_scores_losses(pybind11::module_& m);
void register_linear(pybind11::module_& m);
void register_runtime(pybind11::module_& m);
void register_sgd(pybind11::module_& m);
}

PYBIND11_MODULE(_core, m) {
    m.doc() = "fastlin's compiled kernels; use the functions of the fastlin package instead.";
    fastlin::bind::register_scores_losses(m);
    fastlin::bind::register_linear(m);
    fastlin::bind::register_runtime(m);
    fastlin::bind::register_sgd(m);
}
