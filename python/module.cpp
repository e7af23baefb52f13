// fastlin._core: wires together one register_* per family of functions.
#include <pybind11/pybind11.h>

#include <exception>

#include "reduction.hpp"

namespace fastlin::bind {
void register_scores_losses(pybind11::module_& m);
void register_linear(pybind11::module_& m);
void register_linear_losses(pybind11::module_& m);
void register_least_squares(pybind11::module_& m);
void register_runtime(pybind11::module_& m);
void register_sgd(pybind11::module_& m);
}  // namespace fastlin::bind

PYBIND11_MODULE(_core, m) {
    namespace py = pybind11;
    m.doc() = "fastlin's compiled kernels; use the functions of the fastlin package instead.";
    // A bad label is fastlin.LabelError (ValueError and IndexError), a Python
    // class so that fastlin.reference raises the very same one.
    py::register_local_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const fastlin::LabelError& e) {
            py::object label_error = py::module_::import("fastlin._errors").attr("LabelError");
            PyErr_SetString(label_error.ptr(), e.what());
        }
    });
    fastlin::bind::register_scores_losses(m);
    fastlin::bind::register_linear(m);
    fastlin::bind::register_linear_losses(m);
    fastlin::bind::register_least_squares(m);
    fastlin::bind::register_runtime(m);
    fastlin::bind::register_sgd(m);
}
