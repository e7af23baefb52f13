// Gradient buffers the caller gives (dW_out=, db_out=, as scikit-learn's
// gradient_out=): checked here, then written in place by the fused pass, so
// a training loop allocates nothing per step.
#pragma once

#include <pybind11/numpy.h>

#include <initializer_list>
#include <vector>

#include "array_args.hpp"

namespace fastlin::bind {

// `out` (None for "allocate") checked as a writeable, C-contiguous ndarray of
// exactly `dtype` and `shape` whose memory overlaps none of `inputs` (the
// arguments as the caller passed them; non-arrays are skipped): TypeError for
// a wrong type or dtype, ValueError otherwise. None stays None.
py::object checked_gradient_out(py::handle out, const char* name, const py::dtype& dtype,
                                const std::vector<py::ssize_t>& shape,
                                std::initializer_list<py::handle> inputs);

// Whether two arrays' memory ranges (their extents, as numpy.may_share_memory) overlap.
bool extents_overlap(const py::array& a, const py::array& b);

// The dtype of a gradient of `like`: float32 or float64 by float_type_of.
py::dtype gradient_dtype(const py::array& like);

// Where the pass writes a gradient of `shape` computed in T: into `out` when
// it is given in T, else into a new array kept in `scratch`.
template <class T>
T* gradient_target(const py::object& out, carray<T>& scratch,
                   const std::vector<py::ssize_t>& shape) {
    py::array a = py::reinterpret_borrow<py::array>(out);
    if (a.dtype().equal(py::dtype::of<T>())) return static_cast<T*>(a.mutable_data());
    scratch = carray<T>(shape);
    return scratch.mutable_data();
}

// `out` after the pass: holding `computed` (cast) when the pass wrote elsewhere.
py::object filled_gradient_out(const py::object& out, const py::array& computed);

}  // namespace fastlin::bind
