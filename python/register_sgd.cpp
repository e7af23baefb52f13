// Binding of the in-place momentum update that fastlin's SGD solver runs
// after each mini-batch's fused pass.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <string>

#include "array_args.hpp"
#include "gradient_out.hpp"
#include "sgd_update.hpp"

namespace fastlin::bind {

namespace {

// `obj` as a writeable (unless `read_only_ok`), C-contiguous float32 or
// float64 ndarray; with `like`, of its dtype and shape and apart from it.
py::array update_operand(py::handle obj, const char* name, bool read_only_ok,
                         const py::array* like) {
    const std::string n(name);
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(n + ": expected a numpy.ndarray, got " +
                             py::str(py::type::of(obj)).cast<std::string>());
    py::array a = py::reinterpret_borrow<py::array>(obj);
    const bool f32 = a.dtype().equal(py::dtype::of<float>()),
               f64 = a.dtype().equal(py::dtype::of<double>());
    if (!f32 && !f64)
        throw py::type_error(n + ": expected dtype float32 or float64, got " +
                             py::str(a.dtype()).cast<std::string>());
    if (!(a.flags() & py::array::c_style))
        throw std::invalid_argument(n + ": expected a C-contiguous array");
    if (!read_only_ok && !a.writeable())
        throw std::invalid_argument(n + ": expected a writeable array");
    if (like) {
        if (!a.dtype().equal(like->dtype()))
            throw py::type_error(
                n + ": expected dtype " + py::str(like->dtype()).cast<std::string>() +
                " (the parameter's), got " + py::str(a.dtype()).cast<std::string>());
        if (a.ndim() != like->ndim() || !std::equal(a.shape(), a.shape() + a.ndim(), like->shape()))
            throw std::invalid_argument(n + ": expected the parameter's shape " + shape_str(*like) +
                                        ", got " + shape_str(a));
        if (extents_overlap(a, *like))
            throw std::invalid_argument(n + ": shares memory with the parameter");
    }
    return a;
}

template <class T>
void update_typed(py::array& p, py::array* v, const py::array& g, const MomentumStep& s) {
    T* pp = static_cast<T*>(p.mutable_data());
    T* vp = v ? static_cast<T*>(v->mutable_data()) : nullptr;
    const T* gp = static_cast<const T*>(g.data());
    const int64_t n = p.size();
    py::gil_scoped_release nogil;
    momentum_update(pp, vp, gp, n, s);
}

void momentum_update_py(py::handle param, py::handle velocity, py::handle grad, double lr,
                        double momentum, bool nesterov) {
    py::array p = update_operand(param, "param", false, nullptr);
    py::array g = update_operand(grad, "grad", true, &p);
    py::array v;
    if (momentum != 0.0) {
        v = update_operand(velocity, "velocity", false, &p);
        if (extents_overlap(v, g)) throw std::invalid_argument("velocity: shares memory with grad");
    }
    const MomentumStep s{lr, momentum, nesterov};
    if (p.dtype().equal(py::dtype::of<float>())) {
        update_typed<float>(p, v ? &v : nullptr, g, s);
    } else {
        update_typed<double>(p, v ? &v : nullptr, g, s);
    }
}

}  // namespace

void register_sgd(py::module_& m) {
    using namespace pybind11::literals;
    m.def("_momentum_update", &momentum_update_py, "param"_a, "velocity"_a, "grad"_a, "lr"_a,
          "momentum"_a, "nesterov"_a,
          "In place: v = momentum * v + grad; param -= lr * (nesterov ? grad + momentum * v : v). "
          "With momentum == 0: param -= lr * grad (velocity unused).");
}

}  // namespace fastlin::bind
