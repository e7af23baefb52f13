#include "array_args.hpp"

#include <cmath>

#include "reduction.hpp"

namespace fastlin::bind {

// Plain string building, no iostreams: a module whose libstdc++ is linked
// statically (as some toolchains do) meets the process's own libstdc++ in
// the iostream locale machinery and crashes there (seen with GCC 13 on the
// 16-core machine); std::to_string does not touch it.
std::string shape_str(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) s += (d ? ", " : "") + std::to_string(a.shape(d));
    if (a.ndim() == 1) s += ',';
    return s + ')';
}

py::array as_numeric_array(py::handle obj, const char* name) {
    if (obj.is_none()) throw py::type_error(std::string(name) + ": expected an array, got None");
    py::array a;
    try {
        a = py::array::ensure(obj);
    } catch (py::error_already_set&) {
        a = py::array();
    }
    if (!a) throw py::type_error(std::string(name) + ": could not be converted to an array");
    const char kind = a.dtype().kind();
    if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
        throw py::type_error(std::string(name) + ": expected a real numeric array, got dtype " +
                             py::str(a.dtype()).cast<std::string>());
    }
    return a;
}

FloatType float_type_of(const py::array& a) {
    const char kind = a.dtype().kind();
    if (kind == 'b' || (kind == 'f' && a.itemsize() <= 4)) return FloatType::f32;
    return FloatType::f64;
}

void require_ndim(const py::array& a, const char* name, int ndim, const char* expected) {
    if (a.ndim() != ndim) {
        throw std::invalid_argument(std::string(name) + ": expected shape " + expected +
                                    ", got shape " + shape_str(a));
    }
}

carray<int64_t> as_labels(const py::array& y, const char* name, int64_t n) {
    const char kind = y.dtype().kind();
    if (kind != 'i' && kind != 'u') {
        throw py::type_error(std::string(name) + ": expected integer class labels, got dtype " +
                             py::str(y.dtype()).cast<std::string>());
    }
    if (y.ndim() != 1 || y.shape(0) != n) {
        throw std::invalid_argument(std::string(name) + ": expected shape (" + std::to_string(n) +
                                    ",) to match the rows of the scores, got shape " +
                                    shape_str(y));
    }
    if (kind == 'u' && y.itemsize() == 8) {
        auto u = py::array_t<uint64_t, py::array::forcecast>::ensure(y);
        auto v = u.unchecked<1>();
        for (py::ssize_t i = 0; i < v.shape(0); ++i) {
            if (v(i) > static_cast<uint64_t>(INT64_MAX)) {
                throw LabelError(std::string(name) + ": label " + name + "[" + std::to_string(i) +
                                 "] = " + std::to_string(v(i)) + " is outside [0, C)");
            }
        }
    }
    return carray<int64_t>::ensure(y);
}

carray<double> as_weights(py::handle w, const char* name, int64_t n, const char* n_name) {
    if (w.is_none()) return carray<double>(0);
    py::array a = as_numeric_array(w, name);
    if (a.ndim() != 1 || a.shape(0) != n) {
        throw std::invalid_argument(std::string(name) + ": expected shape (" + std::to_string(n) +
                                    ",) (" + n_name + "), got shape " + shape_str(a));
    }
    carray<double> d = carray<double>::ensure(a);
    const double* p = d.data();
    for (int64_t i = 0; i < n; ++i) {
        if (!(p[i] >= 0.0) || !std::isfinite(p[i])) {
            throw std::invalid_argument(std::string(name) +
                                        ": weights must be finite and >= 0, got " + name + "[" +
                                        std::to_string(i) + "] = " + std::to_string(p[i]));
        }
    }
    return d;
}

LossWeights loss_weights(py::handle weight, py::handle sample_weight, int64_t C, int64_t N) {
    LossWeights w{as_weights(weight, "weight", C, "C, one per class"), carray<double>(0)};
    w.sample_weight = as_weights(sample_weight, "sample_weight", N, "N, one per sample");
    return w;
}

namespace {

// The option's value as it would print in Python, for messages.
std::string repr_of(py::handle v) {
    return py::repr(v).cast<std::string>();
}

}  // namespace

Reduction reduction_arg(py::handle r) {
    if (py::isinstance<py::str>(r)) {
        const std::string v = r.cast<std::string>();
        if (v == "mean") return Reduction::mean;
        if (v == "sum") return Reduction::sum;
        if (v == "none") return Reduction::none;
    }
    throw std::invalid_argument("reduction: expected 'mean', 'sum' or 'none', got " + repr_of(r));
}

SvmVariant variant_arg(py::handle v) {
    if (py::isinstance<py::str>(v)) {
        const std::string s = v.cast<std::string>();
        if (s == "weston_watkins") return SvmVariant::weston_watkins;
        if (s == "crammer_singer") return SvmVariant::crammer_singer;
    }
    throw std::invalid_argument("variant: expected 'weston_watkins' or 'crammer_singer', got " +
                                repr_of(v));
}

double real_arg(py::handle v, const char* name) {
    // Python and NumPy real numbers (bool counts, as in Python); not strings,
    // complex numbers or arrays of several values.
    if (py::isinstance<py::str>(v) || PyComplex_Check(v.ptr()) || !PyNumber_Check(v.ptr()))
        throw py::type_error(std::string(name) + ": expected a real number, got " + repr_of(v));
    const double d = PyFloat_AsDouble(v.ptr());
    if (d == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    return d;
}

int64_t int_arg(py::handle v, const char* name) {
    // Python and NumPy integers (operator.index), not bool or float.
    if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr()))
        throw py::type_error(std::string(name) + ": expected an integer, got " + repr_of(v));
    int overflow = 0;
    py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
    if (!i) throw py::error_already_set();
    const long long out = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
    if (overflow)
        throw std::invalid_argument(std::string(name) + ": expected an integer within int64, got " +
                                    repr_of(v));
    return out;
}

bool flag_arg(py::handle v) {
    const int t = PyObject_IsTrue(v.ptr());
    if (t < 0) throw py::error_already_set();
    return t == 1;
}

double label_smoothing_arg(py::handle v) {
    const double eps = real_arg(v, "label_smoothing");
    if (!(eps >= 0.0 && eps <= 1.0))
        throw std::invalid_argument("label_smoothing: expected a value in [0, 1], got " +
                                    std::to_string(eps));
    return eps;
}

double margin_arg(py::handle v) {
    const double margin = real_arg(v, "margin");
    if (!std::isfinite(margin))
        throw std::invalid_argument("margin: expected a finite number, got " +
                                    std::to_string(margin));
    return margin;
}

double reg_arg(py::handle v) {
    const double reg = real_arg(v, "reg");
    if (!(std::isfinite(reg) && reg >= 0.0))
        throw std::invalid_argument("reg: expected a finite number >= 0, got " +
                                    std::to_string(reg));
    return reg;
}

}  // namespace fastlin::bind
