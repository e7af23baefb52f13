// Bindings of the losses on scores: softmax_loss, svm_loss, squared_loss.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "array_args.hpp"
#include "output_arrays.hpp"
#include "scores_losses.hpp"

namespace fastlin::bind {

namespace {

struct ScoresArrays {
    py::array S;
    int64_t N, C;
};

ScoresArrays scores_arg(py::handle S_obj, const char* name) {
    py::array S = as_numeric_array(S_obj, name);
    require_ndim(S, name, 2, "(N, C)");
    if (S.shape(1) == 0)
        throw std::invalid_argument(std::string(name) +
                                    ": expected at least one class (C >= 1), got shape " +
                                    shape_str(S));
    return {S, static_cast<int64_t>(S.shape(0)), static_cast<int64_t>(S.shape(1))};
}

// Output arrays: the gradient (when wanted) and the per-row losses (for "none").
template <class T>
struct Outputs {
    carray<T> dS, row_loss;
    ScoresBatch<T> batch(const carray<T>& S, int64_t N, int64_t C) {
        return {S.data(), N, C, dS.size() ? dS.mutable_data() : nullptr,
                row_loss.size() ? row_loss.mutable_data() : nullptr};
    }
};

template <class T>
Outputs<T> make_outputs(const py::array& like, int64_t N, Reduction r, bool grad) {
    Outputs<T> out{carray<T>(0), carray<T>(0)};
    std::vector<py::ssize_t> shape(like.shape(), like.shape() + like.ndim());
    if (grad) out.dS = new_output<T>(shape);
    if (r == Reduction::none) out.row_loss = carray<T>(N);
    return out;
}

template <class T>
py::tuple result(double loss, Reduction r, Outputs<T>& out, bool grad) {
    return py::make_tuple(loss_object(loss, r, out.row_loss),
                          grad ? py::object(out.dS) : py::none());
}

template <class T>
py::tuple softmax_typed(const ScoresArrays& s, const py::array& y, py::handle weight,
                        py::handle sample_weight, int64_t ignore_index, double label_smoothing,
                        Reduction r, bool grad) {
    carray<T> S = as_float_array<T>(s.S);
    const LossWeights w = loss_weights(weight, sample_weight, s.C, s.N);
    SoftmaxOptions o{w.row_weights(), ignore_index, label_smoothing, r};
    Outputs<T> out = make_outputs<T>(s.S, s.N, r, grad);
    double loss;
    if (y.dtype().kind() == 'f') {
        if (y.ndim() != 2) {
            throw py::type_error(
                "y: expected integer class labels (N,) or float class probabilities (N, C), got " +
                py::str(y.dtype()).cast<std::string>() + " of shape " + shape_str(y));
        }
        if (y.shape(0) != s.N || y.shape(1) != s.C) {
            throw std::invalid_argument("y: soft labels must have the shape of S " +
                                        shape_str(s.S) + ", got " + shape_str(y));
        }
        carray<T> t = as_float_array<T>(y);
        py::gil_scoped_release nogil;
        loss = softmax_loss_soft(out.batch(S, s.N, s.C), t.data(), o);
    } else {
        carray<int64_t> labels = as_labels(y, "y", s.N);
        py::gil_scoped_release nogil;
        loss = softmax_loss_hard(out.batch(S, s.N, s.C), labels.data(), o);
    }
    return result(loss, r, out, grad);
}

py::tuple softmax_loss(py::handle S_obj, py::handle y_obj, py::handle weight,
                       py::handle sample_weight, py::handle ignore_index_obj,
                       py::handle label_smoothing_obj, py::handle reduction, py::handle grad_obj) {
    ScoresArrays s = scores_arg(S_obj, "S");
    py::array y = as_numeric_array(y_obj, "y");
    if (y.dtype().kind() == 'b')
        throw py::type_error("y: expected integer class labels, got dtype bool");
    const Reduction r = reduction_arg(reduction);
    const int64_t ignore_index = int_arg(ignore_index_obj, "ignore_index");
    const double label_smoothing = label_smoothing_arg(label_smoothing_obj);
    const bool grad = flag_arg(grad_obj);
    if (float_type_of(s.S) == FloatType::f32)
        return softmax_typed<float>(s, y, weight, sample_weight, ignore_index, label_smoothing, r,
                                    grad);
    return softmax_typed<double>(s, y, weight, sample_weight, ignore_index, label_smoothing, r,
                                 grad);
}

template <class T>
py::tuple svm_typed(const ScoresArrays& s, const py::array& y, SvmOptions o, py::handle weight,
                    py::handle sample_weight, bool grad) {
    carray<T> S = as_float_array<T>(s.S);
    carray<int64_t> labels = as_labels(y, "y", s.N);
    const LossWeights w = loss_weights(weight, sample_weight, s.C, s.N);
    o.weights = w.row_weights();
    Outputs<T> out = make_outputs<T>(s.S, s.N, o.reduction, grad);
    double loss;
    {
        py::gil_scoped_release nogil;
        loss = svm_loss(out.batch(S, s.N, s.C), labels.data(), o);
    }
    return result(loss, o.reduction, out, grad);
}

py::tuple svm_loss_py(py::handle S_obj, py::handle y_obj, py::handle margin, py::handle squared,
                      py::handle variant, py::handle weight, py::handle sample_weight,
                      py::handle reduction, py::handle grad) {
    ScoresArrays s = scores_arg(S_obj, "S");
    py::array y = as_numeric_array(y_obj, "y");
    SvmOptions o;
    o.margin = margin_arg(margin);
    o.squared = flag_arg(squared);
    o.variant = variant_arg(variant);
    o.reduction = reduction_arg(reduction);
    if (float_type_of(s.S) == FloatType::f32)
        return svm_typed<float>(s, y, o, weight, sample_weight, flag_arg(grad));
    return svm_typed<double>(s, y, o, weight, sample_weight, flag_arg(grad));
}

template <class T>
py::tuple squared_typed(const py::array& P_arr, const py::array& T_arr, py::handle sample_weight,
                        Reduction r, bool grad) {
    const int64_t N = P_arr.shape(0);
    const int64_t K = P_arr.ndim() == 2 ? P_arr.shape(1) : 1;
    carray<T> P = as_float_array<T>(P_arr);
    carray<T> Tt = as_float_array<T>(T_arr);
    const LossWeights w = loss_weights(py::none(), sample_weight, 0, N);
    SquaredOptions o{w.row_weights().sample_weight, r};
    Outputs<T> out = make_outputs<T>(P_arr, N, r, grad);
    double loss;
    {
        py::gil_scoped_release nogil;
        loss = squared_loss(out.batch(P, N, K), Tt.data(), o);
    }
    return result(loss, r, out, grad);
}

py::tuple squared_loss_py(py::handle P_obj, py::handle T_obj, py::handle sample_weight,
                          py::handle reduction, py::handle grad_obj) {
    py::array P = as_numeric_array(P_obj, "P");
    py::array Tt = as_numeric_array(T_obj, "T");
    if (P.ndim() != 1 && P.ndim() != 2) {
        throw std::invalid_argument("P: expected shape (N,) or (N, K), got shape " + shape_str(P));
    }
    if (Tt.ndim() != P.ndim() || !std::equal(P.shape(), P.shape() + P.ndim(), Tt.shape())) {
        throw std::invalid_argument("T: expected the shape of P " + shape_str(P) + ", got shape " +
                                    shape_str(Tt));
    }
    const Reduction r = reduction_arg(reduction);
    const bool grad = flag_arg(grad_obj);
    if (float_type_of(P) == FloatType::f32)
        return squared_typed<float>(P, Tt, sample_weight, r, grad);
    return squared_typed<double>(P, Tt, sample_weight, r, grad);
}

}  // namespace

void register_scores_losses(py::module_& m) {
    using namespace pybind11::literals;
    m.def("softmax_loss", &softmax_loss, "S"_a, "y"_a, "weight"_a, "sample_weight"_a,
          "ignore_index"_a, "label_smoothing"_a, "reduction"_a, "grad"_a);
    m.def("svm_loss", &svm_loss_py, "S"_a, "y"_a, "margin"_a, "squared"_a, "variant"_a, "weight"_a,
          "sample_weight"_a, "reduction"_a, "grad"_a);
    m.def("squared_loss", &squared_loss_py, "P"_a, "T"_a, "sample_weight"_a, "reduction"_a,
          "grad"_a);
}

}  // namespace fastlin::bind
