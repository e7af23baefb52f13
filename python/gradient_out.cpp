#include "gradient_out.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace fastlin::bind {

namespace {

// [lowest byte, one past the highest byte) that an array's elements touch.
std::pair<const char*, const char*> extent(const py::array& a) {
    const char* lo = static_cast<const char*>(a.data());
    const char* hi = lo;
    if (a.size() == 0) return {lo, lo};
    for (py::ssize_t d = 0; d < a.ndim(); ++d) {
        const py::ssize_t span = (a.shape(d) - 1) * a.strides(d);
        (span < 0 ? lo : hi) += span;
    }
    return {lo, hi + a.itemsize()};
}

std::string dims_str(const std::vector<py::ssize_t>& shape) {
    std::string s = "(";
    for (size_t d = 0; d < shape.size(); ++d) s += (d ? ", " : "") + std::to_string(shape[d]);
    if (shape.size() == 1) s += ',';
    return s + ')';
}

}  // namespace

bool extents_overlap(const py::array& a, const py::array& b) {
    const auto ea = extent(a), eb = extent(b);
    return ea.first < eb.second && eb.first < ea.second;
}

py::object checked_gradient_out(py::handle out, const char* name, const py::dtype& dtype,
                                const std::vector<py::ssize_t>& shape,
                                std::initializer_list<py::handle> inputs) {
    if (out.is_none()) return py::none();
    const std::string n(name);
    if (!py::isinstance<py::array>(out)) {
        throw py::type_error(n + ": expected a numpy.ndarray to write the gradient into, got " +
                             py::str(py::type::of(out)).cast<std::string>());
    }
    py::array a = py::reinterpret_borrow<py::array>(out);
    if (!a.dtype().equal(dtype)) {
        throw py::type_error(n + ": expected dtype " + py::str(dtype).cast<std::string>() +
                             " (the gradient's), got dtype " +
                             py::str(a.dtype()).cast<std::string>());
    }
    const bool shape_ok = a.ndim() == static_cast<py::ssize_t>(shape.size()) &&
                          std::equal(shape.begin(), shape.end(), a.shape());
    if (!shape_ok) {
        throw std::invalid_argument(n + ": expected shape " + dims_str(shape) + ", got shape " +
                                    shape_str(a));
    }
    if (!(a.flags() & py::array::c_style))
        throw std::invalid_argument(n + ": expected a C-contiguous array");
    if (!a.writeable())
        throw std::invalid_argument(n + ": expected a writeable array, got a read-only one");
    for (py::handle in : inputs) {
        if (py::isinstance<py::array>(in) &&
            extents_overlap(a, py::reinterpret_borrow<py::array>(in))) {
            throw std::invalid_argument(
                n + ": shares memory with an input of the call; give a separate array");
        }
    }
    return a;
}

py::dtype gradient_dtype(const py::array& like) {
    return float_type_of(like) == FloatType::f32 ? py::dtype::of<float>() : py::dtype::of<double>();
}

py::object filled_gradient_out(const py::object& out, const py::array& computed) {
    if (computed.size()) out.attr("__setitem__")(py::ellipsis(), computed);
    return out;
}

}  // namespace fastlin::bind
