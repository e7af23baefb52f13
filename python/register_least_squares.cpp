// Binding of least_squares: the closed-form fit of a linear model.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "array_args.hpp"
#include "least_squares.hpp"

namespace fastlin::bind {

namespace {

template <class T>
py::tuple least_squares_typed(const py::array& X_arr, const py::array& T_arr,
                              const LeastSquaresProblem& p, bool f32) {
    carray<T> X = as_float_array<T>(X_arr), Tt = as_float_array<T>(T_arr);
    carray<double> W(std::vector<py::ssize_t>{p.K, p.D});
    carray<double> b = p.fit_bias ? carray<double>(p.K) : carray<double>(0);
    double* Wp = W.mutable_data();
    double* bp = p.fit_bias ? b.mutable_data() : nullptr;
    LeastSquaresMethod method;
    {
        py::gil_scoped_release nogil;
        method = least_squares(p, X.data(), Tt.data(), Wp, bp);
    }
    py::object Wo = W, bo = p.fit_bias ? py::object(b) : py::none();
    if (f32) {
        Wo = W.attr("astype")(py::dtype::of<float>());
        if (p.fit_bias) bo = b.attr("astype")(py::dtype::of<float>());
    }
    return py::make_tuple(Wo, bo, method == LeastSquaresMethod::cholesky ? "cholesky" : "min_norm");
}

py::tuple least_squares_py(py::handle X_obj, py::handle T_obj, py::handle reg_obj,
                           py::handle fit_bias_obj) {
    py::array X = as_numeric_array(X_obj, "X");
    require_ndim(X, "X", 2, "(N, D)");
    if (X.shape(0) == 0)
        throw std::invalid_argument("X: expected at least one sample (N >= 1), got shape " +
                                    shape_str(X));
    py::array Tt = as_numeric_array(T_obj, "T");
    if ((Tt.ndim() != 1 && Tt.ndim() != 2) || Tt.shape(0) != X.shape(0)) {
        throw std::invalid_argument(
            "T: expected shape (N, K) or (N,) with N = " + std::to_string(X.shape(0)) +
            " to match X of shape " + shape_str(X) + ", got shape " + shape_str(Tt));
    }
    const double reg = reg_arg(reg_obj);
    const bool fit_bias = flag_arg(fit_bias_obj);
    LeastSquaresProblem p;
    p.N = X.shape(0);
    p.D = X.shape(1);
    p.K = Tt.ndim() == 2 ? Tt.shape(1) : 1;
    p.reg = reg;
    p.fit_bias = fit_bias;
    p.targets_1d = Tt.ndim() == 1;
    const bool f32 = float_type_of(X) == FloatType::f32 && float_type_of(Tt) == FloatType::f32;
    // Computed in float64 whatever the inputs: the normal equations square the
    // condition number, which float32 cannot afford.
    return f32 ? least_squares_typed<float>(X, Tt, p, true)
               : least_squares_typed<double>(X, Tt, p, false);
}

}  // namespace

void register_least_squares(py::module_& m) {
    using namespace pybind11::literals;
    m.def("least_squares", &least_squares_py, "X"_a, "T"_a, "reg"_a, "fit_bias"_a);
}

}  // namespace fastlin::bind
