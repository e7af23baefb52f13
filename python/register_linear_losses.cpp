// Bindings of the fused "linear + loss + backward" passes:
// linear_softmax_loss, linear_svm_loss, linear_squared_loss.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "array_args.hpp"
#include "gradient_out.hpp"
#include "linear_losses.hpp"
#include "model_args.hpp"
#include "output_arrays.hpp"

namespace fastlin::bind {

namespace {

struct FusedOptions {
    double reg = 0.0;
    bool return_dX = false;
    Reduction reduction = Reduction::mean;
    py::object dW_out, db_out;  // the caller's gradient buffers, or None
    bool has_dW_out() const { return !dW_out.is_none(); }
    bool has_db_out() const { return !db_out.is_none(); }
};

// `inputs`: every array argument of the call, which the buffers may not overlap.
FusedOptions fused_options(const Model& m, py::handle reg, py::handle return_dX,
                           py::handle reduction, py::handle dW_out, py::handle db_out,
                           std::initializer_list<py::handle> inputs) {
    FusedOptions o{reg_arg(reg), flag_arg(return_dX), reduction_arg(reduction), py::none(),
                   py::none()};
    o.dW_out = checked_gradient_out(dW_out, "dW_out", gradient_dtype(m.W), {m.C, m.D}, inputs);
    if (!db_out.is_none() && !m.has_b)
        throw std::invalid_argument("db_out: given, but b is None (there is no bias gradient)");
    if (m.has_b)
        o.db_out = checked_gradient_out(db_out, "db_out", gradient_dtype(m.b), {m.C}, inputs);
    if (o.has_dW_out() && o.has_db_out() &&
        extents_overlap(py::reinterpret_borrow<py::array>(o.dW_out),
                        py::reinterpret_borrow<py::array>(o.db_out)))
        throw std::invalid_argument("db_out: shares memory with dW_out; give separate arrays");
    return o;
}

Model fused_model(py::handle X, py::handle W, py::handle b) {
    Model m = model_args(X, W, b, false);
    if (m.C < 1)
        throw std::invalid_argument("W: expected at least one class (C >= 1), got shape " +
                                    shape_str(m.W));
    return m;
}

// Runs the fused pass `kernel(batch)` (a lambda over converted inputs that
// outlive the call) and returns (loss, dW, db, dX), each gradient in the float
// type of its argument.
template <class T, class Kernel>
py::tuple run_fused(const Model& m, const FusedOptions& o, const Kernel& kernel) {
    carray<T> X = as_float_array<T>(m.X), W = as_float_array<T>(m.W);
    carray<T> b = m.has_b ? as_float_array<T>(m.b) : carray<T>(0);
    carray<T> dW(0), db(0);
    T* dWp = o.has_dW_out() ? gradient_target<T>(o.dW_out, dW, {m.C, m.D})
                            : (dW = new_output<T>({m.C, m.D})).mutable_data();
    T* dbp = !m.has_b         ? nullptr
             : o.has_db_out() ? gradient_target<T>(o.db_out, db, {m.C})
                              : (db = carray<T>(m.C)).mutable_data();
    carray<T> dX = o.return_dX ? new_output<T>({m.N, m.D}) : carray<T>(0);
    carray<T> row_loss = o.reduction == Reduction::none ? carray<T>(m.N) : carray<T>(0);
    LinearLossBatch<T> batch;
    batch.X = X.data();
    batch.W = W.data();
    batch.b = m.has_b ? b.data() : nullptr;
    batch.N = m.N;
    batch.D = m.D;
    batch.C = m.C;
    batch.reg = o.reg;
    batch.dW = dWp;
    batch.db = dbp;
    batch.dX = o.return_dX ? dX.mutable_data() : nullptr;
    batch.row_loss = o.reduction == Reduction::none ? row_loss.mutable_data() : nullptr;
    double value;
    {
        py::gil_scoped_release nogil;
        value = kernel(batch);
    }
    py::object dW_result =
        o.has_dW_out() ? filled_gradient_out(o.dW_out, dW) : as_float_type_of(dW, m.W);
    py::object db_result = !m.has_b         ? py::none()
                           : o.has_db_out() ? filled_gradient_out(o.db_out, db)
                                            : as_float_type_of(db, m.b);
    return py::make_tuple(loss_object(value, o.reduction, row_loss), dW_result, db_result,
                          o.return_dX ? as_float_type_of(dX, m.X) : py::none());
}

template <class T>
py::tuple linear_softmax_typed(const Model& m, const py::array& y, const FusedOptions& fo,
                               SoftmaxOptions so, py::handle weight, py::handle sample_weight) {
    const LossWeights w = loss_weights(weight, sample_weight, m.C, m.N);
    so.weights = w.row_weights();
    so.reduction = fo.reduction;
    if (y.dtype().kind() == 'f') {
        if (y.ndim() != 2) {  // as softmax_loss: float labels must be soft labels
            throw py::type_error(
                "y: expected integer class labels (N,) or float class probabilities (N, C), got " +
                py::str(y.dtype()).cast<std::string>() + " of shape " + shape_str(y));
        }
        if (y.shape(0) != m.N || y.shape(1) != m.C) {
            throw std::invalid_argument(
                "y: soft labels must have the shape of the scores (N, C) = (" +
                std::to_string(m.N) + ", " + std::to_string(m.C) + "), got shape " + shape_str(y));
        }
        carray<T> t = as_float_array<T>(y);
        return run_fused<T>(m, fo, [&](const LinearLossBatch<T>& a) {
            return linear_softmax_soft(a, t.data(), so);
        });
    }
    carray<int64_t> labels = as_labels(y, "y", m.N);
    return run_fused<T>(m, fo, [&](const LinearLossBatch<T>& a) {
        return linear_softmax_hard(a, labels.data(), so);
    });
}

py::tuple linear_softmax_loss_py(py::handle X, py::handle y_obj, py::handle W, py::handle b,
                                 py::handle reg, py::handle return_dX, py::handle weight,
                                 py::handle sample_weight, py::handle ignore_index,
                                 py::handle label_smoothing, py::handle reduction,
                                 py::handle dW_out, py::handle db_out) {
    Model m = fused_model(X, W, b);
    py::array y = as_numeric_array(y_obj, "y");
    if (y.dtype().kind() == 'b')
        throw py::type_error("y: expected integer class labels, got dtype bool");
    const FusedOptions fo = fused_options(m, reg, return_dX, reduction, dW_out, db_out,
                                          {X, y_obj, W, b, weight, sample_weight});
    SoftmaxOptions so;
    so.ignore_index = int_arg(ignore_index, "ignore_index");
    so.label_smoothing = label_smoothing_arg(label_smoothing);
    return m.f32 ? linear_softmax_typed<float>(m, y, fo, so, weight, sample_weight)
                 : linear_softmax_typed<double>(m, y, fo, so, weight, sample_weight);
}

template <class T>
py::tuple linear_svm_typed(const Model& m, const py::array& y, const FusedOptions& fo,
                           SvmOptions so, py::handle weight, py::handle sample_weight) {
    carray<int64_t> labels = as_labels(y, "y", m.N);
    const LossWeights w = loss_weights(weight, sample_weight, m.C, m.N);
    so.weights = w.row_weights();
    so.reduction = fo.reduction;
    return run_fused<T>(
        m, fo, [&](const LinearLossBatch<T>& a) { return linear_svm(a, labels.data(), so); });
}

py::tuple linear_svm_loss_py(py::handle X, py::handle y_obj, py::handle W, py::handle b,
                             py::handle reg, py::handle return_dX, py::handle margin,
                             py::handle squared, py::handle variant, py::handle weight,
                             py::handle sample_weight, py::handle reduction, py::handle dW_out,
                             py::handle db_out) {
    Model m = fused_model(X, W, b);
    py::array y = as_numeric_array(y_obj, "y");
    const FusedOptions fo = fused_options(m, reg, return_dX, reduction, dW_out, db_out,
                                          {X, y_obj, W, b, weight, sample_weight});
    SvmOptions so;
    so.margin = margin_arg(margin);
    so.squared = flag_arg(squared);
    so.variant = variant_arg(variant);
    return m.f32 ? linear_svm_typed<float>(m, y, fo, so, weight, sample_weight)
                 : linear_svm_typed<double>(m, y, fo, so, weight, sample_weight);
}

template <class T>
py::tuple linear_squared_typed(const Model& m, const py::array& Tt_arr, const FusedOptions& fo,
                               py::handle sample_weight) {
    carray<T> Tt = as_float_array<T>(Tt_arr);
    const LossWeights w = loss_weights(py::none(), sample_weight, 0, m.N);
    SquaredOptions so{w.row_weights().sample_weight, fo.reduction};
    return run_fused<T>(
        m, fo, [&](const LinearLossBatch<T>& a) { return linear_squared(a, Tt.data(), so); });
}

py::tuple linear_squared_loss_py(py::handle X, py::handle T_obj, py::handle W, py::handle b,
                                 py::handle reg, py::handle return_dX, py::handle sample_weight,
                                 py::handle reduction, py::handle dW_out, py::handle db_out) {
    Model m = fused_model(X, W, b);
    py::array Tt = as_numeric_array(T_obj, "T");
    const bool ok = (Tt.ndim() == 2 && Tt.shape(0) == m.N && Tt.shape(1) == m.C) ||
                    (m.C == 1 && Tt.ndim() == 1 && Tt.shape(0) == m.N);
    if (!ok) {
        throw std::invalid_argument("T: expected shape (N, C) = (" + std::to_string(m.N) + ", " +
                                    std::to_string(m.C) + ")" +
                                    (m.C == 1 ? " or (N,) since C == 1" : "") +
                                    " to match the scores X @ W.T, got shape " + shape_str(Tt));
    }
    const FusedOptions fo = fused_options(m, reg, return_dX, reduction, dW_out, db_out,
                                          {X, T_obj, W, b, sample_weight});
    return m.f32 ? linear_squared_typed<float>(m, Tt, fo, sample_weight)
                 : linear_squared_typed<double>(m, Tt, fo, sample_weight);
}

}  // namespace

void register_linear_losses(py::module_& m) {
    using namespace pybind11::literals;
    m.def("linear_softmax_loss", &linear_softmax_loss_py, "X"_a, "y"_a, "W"_a, "b"_a, "reg"_a,
          "return_dX"_a, "weight"_a, "sample_weight"_a, "ignore_index"_a, "label_smoothing"_a,
          "reduction"_a, "dW_out"_a, "db_out"_a);
    m.def("linear_svm_loss", &linear_svm_loss_py, "X"_a, "y"_a, "W"_a, "b"_a, "reg"_a,
          "return_dX"_a, "margin"_a, "squared"_a, "variant"_a, "weight"_a, "sample_weight"_a,
          "reduction"_a, "dW_out"_a, "db_out"_a);
    m.def("linear_squared_loss", &linear_squared_loss_py, "X"_a, "T"_a, "W"_a, "b"_a, "reg"_a,
          "return_dX"_a, "sample_weight"_a, "reduction"_a, "dW_out"_a, "db_out"_a);
    // For tests of the block boundaries: how the fused pass cuts its work,
    // (rows per block, row groups or 0 for stripes, hand-written products).
    m.def(
        "_fused_plan",
        [](int64_t N, int64_t D, int64_t C, int64_t itemsize) {
            const FusedPlan p = active_fused_plan(N, D, C, itemsize);
            return py::make_tuple(p.rows, p.groups, p.few_classes);
        },
        "N"_a, "D"_a, "C"_a, "itemsize"_a);
}

}  // namespace fastlin::bind
