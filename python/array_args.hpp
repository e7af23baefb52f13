// Turning Python arguments into the raw, checked arrays the kernels take.
// Every error names the argument, what was seen and what was expected; C++
// std::invalid_argument reaches Python as ValueError, py::type_error as TypeError.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "loss_options.hpp"

namespace fastlin::bind {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

std::string shape_str(const py::array& a);

// Any array-like, as an ndarray (no copy when it already is one). Rejects
// dtypes that are not numbers (complex, object, strings, dates) with TypeError.
py::array as_numeric_array(py::handle obj, const char* name);

// The float type a float input computes in, by NumPy's promotion with float32:
// float64 for float64, integers and wider floats; float32 for float32,
// float16 and bool.
enum class FloatType { f32, f64 };
FloatType float_type_of(const py::array& a);

void require_ndim(const py::array& a, const char* name, int ndim, const char* expected);

// A C-contiguous copy (or the array itself when it already is one) in T.
template <class T>
carray<T> as_float_array(const py::array& a) {
    return carray<T>::ensure(a);
}

// Integer class labels of shape (n,) as int64 (any integer dtype; unsigned
// values beyond int64 are rejected here, so they can never wrap onto
// ignore_index).
carray<int64_t> as_labels(const py::array& y, const char* name, int64_t n);

// Optional non-negative, finite float64 weights of shape (n,); an empty array
// stands for None.
carray<double> as_weights(py::handle w, const char* name, int64_t n, const char* n_name);

inline const double* ptr_or_null(const carray<double>& a) {
    return a.size() ? a.data() : nullptr;
}

// A loss's per-class `weight` (C,) and per-sample `sample_weight` (N,), each
// None or checked by as_weights (weight first), and the kernels' view of them,
// valid while this lives. Every loss binding converts its weights here.
struct LossWeights {
    carray<double> class_weight, sample_weight;
    RowWeights row_weights() const {
        return {ptr_or_null(class_weight), ptr_or_null(sample_weight)};
    }
};
LossWeights loss_weights(py::handle weight, py::handle sample_weight, int64_t C, int64_t N);

// The options, from any Python object, checked: a reduction or variant that
// is not one of the names is a ValueError (whatever its type); a number of
// the wrong type a TypeError naming the option; flags take Python's truth.
Reduction reduction_arg(py::handle r);
SvmVariant variant_arg(py::handle v);
double real_arg(py::handle v, const char* name);
int64_t int_arg(py::handle v, const char* name);
bool flag_arg(py::handle v);
double label_smoothing_arg(py::handle v);  // in [0, 1]
double margin_arg(py::handle v);           // finite
double reg_arg(py::handle v);              // finite, >= 0

// Returns the loss for Python: a float, or for "none" the per-row array.
template <class T>
py::object loss_object(double reduced, Reduction r, carray<T>& row_loss) {
    if (r == Reduction::none) return std::move(row_loss);
    return py::float_(reduced);
}

}  // namespace fastlin::bind
