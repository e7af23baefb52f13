// Bindings of the linear layer: linear, linear_backward, bias_trick.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <string>
#include <vector>

#include "array_args.hpp"
#include "linear.hpp"
#include "model_args.hpp"
#include "output_arrays.hpp"

namespace fastlin::bind {

namespace {

template <class T>
py::array linear_typed(const Model& m) {
    carray<T> X = as_float_array<T>(m.X), W = as_float_array<T>(m.W);
    carray<T> b = m.has_b ? as_float_array<T>(m.b) : carray<T>(0);
    carray<T> S = m.single ? carray<T>(m.C) : new_output<T>({m.N, m.C});
    const T* bp = m.has_b ? b.data() : nullptr;
    T* Sp = S.mutable_data();
    {
        py::gil_scoped_release nogil;
        linear_forward(X.data(), W.data(), bp, m.N, m.D, m.C, Sp);
    }
    return S;
}

py::array linear_py(py::handle X, py::handle W, py::handle b) {
    Model m = model_args(X, W, b, true);
    return m.f32 ? linear_typed<float>(m) : linear_typed<double>(m);
}

template <class T>
py::tuple linear_backward_typed(const Model& m, const py::array& dS_arr) {
    carray<T> dS = as_float_array<T>(dS_arr), X = as_float_array<T>(m.X),
              W = as_float_array<T>(m.W);
    std::vector<py::ssize_t> xshape(m.X.shape(), m.X.shape() + m.X.ndim());
    carray<T> dX = new_output<T>(xshape), dW = new_output<T>({m.C, m.D}), db(m.C);
    T *dXp = dX.mutable_data(), *dWp = dW.mutable_data(), *dbp = db.mutable_data();
    {
        py::gil_scoped_release nogil;
        linear_backward(dS.data(), X.data(), W.data(), m.N, m.D, m.C, dXp, dWp, dbp);
    }
    return py::make_tuple(as_float_type_of(dX, m.X), as_float_type_of(dW, m.W), db);
}

py::tuple linear_backward_py(py::handle dS_obj, py::handle X_obj, py::handle W_obj) {
    Model m = model_args(X_obj, W_obj, py::none(), true);
    py::array dS = as_numeric_array(dS_obj, "dS");
    const bool ok = m.single ? (dS.ndim() == 1 && dS.shape(0) == m.C)
                             : (dS.ndim() == 2 && dS.shape(0) == m.N && dS.shape(1) == m.C);
    if (!ok) {
        const std::string expected =
            m.single ? "(" + std::to_string(m.C) + ",)"
                     : "(" + std::to_string(m.N) + ", " + std::to_string(m.C) + ")";
        throw std::invalid_argument("dS: expected shape " + expected + " to match X of shape " +
                                    shape_str(m.X) + " and W of shape " + shape_str(m.W) +
                                    ", got shape " + shape_str(dS));
    }
    m.f32 = m.f32 && float_type_of(dS) == FloatType::f32;
    return m.f32 ? linear_backward_typed<float>(m, dS) : linear_backward_typed<double>(m, dS);
}

// X1 = [X, 1] in X's float type, W1 = [W, b] in the common float type of W and b.
template <class TX, class TW>
py::tuple bias_trick_typed(const Model& m) {
    carray<TX> X = as_float_array<TX>(m.X);
    carray<TW> W = as_float_array<TW>(m.W), b = as_float_array<TW>(m.b);
    const int64_t D1 = m.D + 1;
    carray<TX> X1 = m.single ? carray<TX>(D1) : carray<TX>(std::vector<py::ssize_t>{m.N, D1});
    carray<TW> W1(std::vector<py::ssize_t>{m.C, D1});
    const TX* x = X.data();
    TX* x1 = X1.mutable_data();
    for (int64_t i = 0; i < m.N; ++i) {
        std::copy(x + i * m.D, x + (i + 1) * m.D, x1 + i * D1);
        x1[i * D1 + m.D] = TX(1);
    }
    const TW *w = W.data(), *bb = b.data();
    TW* w1 = W1.mutable_data();
    for (int64_t c = 0; c < m.C; ++c) {
        std::copy(w + c * m.D, w + (c + 1) * m.D, w1 + c * D1);
        w1[c * D1 + m.D] = bb[c];
    }
    return py::make_tuple(X1, W1);
}

py::tuple bias_trick_py(py::handle X_obj, py::handle W_obj, py::handle b_obj) {
    if (b_obj.is_none()) {
        py::array W = as_numeric_array(W_obj, "W");
        const std::string c = W.ndim() == 2 ? std::to_string(W.shape(0)) : "C";
        throw py::type_error("b: expected an array of shape (" + c + ",), got None");
    }
    Model m = model_args(X_obj, W_obj, b_obj, true);
    const bool x32 = float_type_of(m.X) == FloatType::f32;
    const bool w32 = float_type_of(m.W) == FloatType::f32 && float_type_of(m.b) == FloatType::f32;
    if (x32) return w32 ? bias_trick_typed<float, float>(m) : bias_trick_typed<float, double>(m);
    return w32 ? bias_trick_typed<double, float>(m) : bias_trick_typed<double, double>(m);
}

}  // namespace

void register_linear(py::module_& m) {
    using namespace pybind11::literals;
    m.def("linear", &linear_py, "X"_a, "W"_a, "b"_a);
    m.def("linear_backward", &linear_backward_py, "dS"_a, "X"_a, "W"_a);
    m.def("bias_trick", &bias_trick_py, "X"_a, "W"_a, "b"_a);
}

}  // namespace fastlin::bind
