// The arguments of a linear model, X (N, D), W (C, D) and b (C,) or None,
// checked once for every binding that takes them (the layer, its backward
// pass, the bias trick, the fused losses).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "array_args.hpp"

namespace fastlin::bind {

// The model's arguments, checked: W (C, D), X (N, D) (or (D,) where allowed),
// b (C,) or None.
struct Model {
    py::array X, W, b;  // b is meaningful only when has_b
    bool has_b = false;
    int64_t N = 0, D = 0, C = 0;
    bool single = false;  // X was one sample (D,)
    bool f32 = true;      // computes in float32
};

// X (N, D), or (D,) for one sample where allow_1d; W (C, D); b (C,) or None.
Model model_args(py::handle X_obj, py::handle W_obj, py::handle b_obj, bool allow_1d);

// `out` in the float type that `like` computes in (no copy when it already is).
py::object as_float_type_of(const py::array& out, const py::array& like);

}  // namespace fastlin::bind
