#include "array_args.hpp"

#include <cmath>
#include <sstream>

namespace fastlin::bind {

std::string shape_str(const py::array& a) {
    std::ostringstream s;
    s << '(';
    for (py::ssize_t d = 0; d < a.ndim(); ++d) s << (d ? ", " : "") << a.shape(d);
    if (a.ndim() == 1) s << ',';
    s << ')';
    return s.str();
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
        throw std::invalid_argument(std::string(name) + ": expected shape " + expected + ", got shape " +
                                    shape_str(a));
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
                                    ",) to match the rows of the scores, got shape " + shape_str(y));
    }
    if (kind == 'u' && y.itemsize() == 8) {
        auto u = py::array_t<uint64_t, py::array::forcecast>::ensure(y);
        auto v = u.unchecked<1>();
        for (py::ssize_t i = 0; i < v.shape(0); ++i) {
            if (v(i) > static_cast<uint64_t>(INT64_MAX)) {
                throw std::invalid_argument(std::string(name) + ": label " + name + "[" + std::to_string(i) +
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
        throw std::invalid_argument(std::string(name) + ": expected shape (" + std::to_string(n) + ",) (" +
                                    n_name + "), got shape " + shape_str(a));
    }
    carray<double> d = carray<double>::ensure(a);
    const double* p = d.data();
    for (int64_t i = 0; i < n; ++i) {
        if (!(p[i] >= 0.0) || !std::isfinite(p[i])) {
            throw std::invalid_argument(std::string(name) + ": weights must be finite and >= 0, got " +
                                        name + "[" + std::to_string(i) + "] = " + std::to_string(p[i]));
        }
    }
    return d;
}

Reduction parse_reduction(const std::string& r) {
    if (r == "mean") return Reduction::mean;
    if (r == "sum") return Reduction::sum;
    if (r == "none") return Reduction::none;
    throw std::invalid_argument("reduction: expected 'mean', 'sum' or 'none', got '" + r + "'");
}

SvmVariant parse_variant(const std::string& v) {
    if (v == "weston_watkins") return SvmVariant::weston_watkins;
    if (v == "crammer_singer") return SvmVariant::crammer_singer;
    throw std::invalid_argument("variant: expected 'weston_watkins' or 'crammer_singer', got '" + v + "'");
}

double checked_label_smoothing(double eps) {
    if (!(eps >= 0.0 && eps <= 1.0))
        throw std::invalid_argument("label_smoothing: expected a value in [0, 1], got " + std::to_string(eps));
    return eps;
}

double checked_margin(double margin) {
    if (!std::isfinite(margin))
        throw std::invalid_argument("margin: expected a finite number, got " + std::to_string(margin));
    return margin;
}

}  // namespace fastlin::bind
