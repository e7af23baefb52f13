// Bindings of the linear layer and the fused "linear + loss + backward"
// passes: linear, linear_backward, bias_trick, linear_softmax_loss,
// linear_svm_loss, linear_squared_loss, least_squares.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "array_args.hpp"
#include "gradient_out.hpp"
#include "output_arrays.hpp"
#include "least_squares.hpp"
#include "linear.hpp"
#include "linear_losses.hpp"

namespace fastlin::bind {

namespace {

// `out` in the float type that `like` computes in (no copy when it already is).
py::object as_float_type_of(const py::array& out, const py::array& like) {
    py::dtype want = float_type_of(like) == FloatType::f32 ? py::dtype::of<float>() : py::dtype::of<double>();
    if (out.dtype().is(want) || out.dtype().equal(want)) return out;
    return out.attr("astype")(want);
}

// The model's arguments, checked: W (C, D), X (N, D) (or (D,) where allowed),
// b (C,) or None.
struct Model {
    py::array X, W, b;  // b is meaningful only when has_b
    bool has_b = false;
    int64_t N = 0, D = 0, C = 0;
    bool single = false;  // X was one sample (D,)
    bool f32 = true;      // computes in float32
};

Model model_args(py::handle X_obj, py::handle W_obj, py::handle b_obj, bool allow_1d) {
    Model m;
    m.W = as_numeric_array(W_obj, "W");
    require_ndim(m.W, "W", 2, "(C, D)");
    m.C = m.W.shape(0);
    m.D = m.W.shape(1);
    m.X = as_numeric_array(X_obj, "X");
    if (m.X.ndim() != 2 && !(allow_1d && m.X.ndim() == 1)) {
        throw std::invalid_argument(std::string("X: expected shape ") + (allow_1d ? "(N, D) or (D,)" : "(N, D)") +
                                    ", got shape " + shape_str(m.X) +
                                    (!allow_1d && m.X.ndim() == 1 ? "; for a single sample use X[None, :]" : ""));
    }
    if (m.X.shape(m.X.ndim() - 1) != m.D) {
        throw std::invalid_argument("X: expected " + std::to_string(m.D) + " features to match W of shape " +
                                    shape_str(m.W) + ", got shape " + shape_str(m.X));
    }
    m.single = m.X.ndim() == 1;
    m.N = m.single ? 1 : m.X.shape(0);
    if (!b_obj.is_none()) {
        m.b = as_numeric_array(b_obj, "b");
        m.has_b = true;
        if (m.b.ndim() != 1 || m.b.shape(0) != m.C) {
            throw std::invalid_argument("b: expected shape (" + std::to_string(m.C) + ",) to match W of shape " +
                                        shape_str(m.W) + ", got shape " + shape_str(m.b));
        }
    }
    m.f32 = float_type_of(m.X) == FloatType::f32 && float_type_of(m.W) == FloatType::f32 &&
            (!m.has_b || float_type_of(m.b) == FloatType::f32);
    return m;
}

// ---------------------------------------------------------------- linear

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
    carray<T> dS = as_float_array<T>(dS_arr), X = as_float_array<T>(m.X), W = as_float_array<T>(m.W);
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
        const std::string expected = m.single ? "(" + std::to_string(m.C) + ",)"
                                              : "(" + std::to_string(m.N) + ", " + std::to_string(m.C) + ")";
        throw std::invalid_argument("dS: expected shape " + expected + " to match X of shape " + shape_str(m.X) +
                                    " and W of shape " + shape_str(m.W) + ", got shape " + shape_str(dS));
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

// ------------------------------------------------------ fused linear + loss

struct FusedOptions {
    double reg = 0.0;
    bool return_dX = false;
    Reduction reduction = Reduction::mean;
    py::object dW_out, db_out;  // the caller's gradient buffers, or None
    bool has_dW_out() const { return !dW_out.is_none(); }
    bool has_db_out() const { return !db_out.is_none(); }
};

// `inputs`: every array argument of the call, which the buffers may not overlap.
FusedOptions fused_options(const Model& m, py::handle reg, py::handle return_dX, py::handle reduction,
                           py::handle dW_out, py::handle db_out, std::initializer_list<py::handle> inputs) {
    FusedOptions o{reg_arg(reg), flag_arg(return_dX), reduction_arg(reduction), py::none(), py::none()};
    o.dW_out = checked_gradient_out(dW_out, "dW_out", gradient_dtype(m.W), {m.C, m.D}, inputs);
    if (!db_out.is_none() && !m.has_b)
        throw std::invalid_argument("db_out: given, but b is None (there is no bias gradient)");
    if (m.has_b) o.db_out = checked_gradient_out(db_out, "db_out", gradient_dtype(m.b), {m.C}, inputs);
    if (o.has_dW_out() && o.has_db_out() &&
        extents_overlap(py::reinterpret_borrow<py::array>(o.dW_out), py::reinterpret_borrow<py::array>(o.db_out)))
        throw std::invalid_argument("db_out: shares memory with dW_out; give separate arrays");
    return o;
}

Model fused_model(py::handle X, py::handle W, py::handle b) {
    Model m = model_args(X, W, b, false);
    if (m.C < 1) throw std::invalid_argument("W: expected at least one class (C >= 1), got shape " + shape_str(m.W));
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
    py::object dW_result = o.has_dW_out() ? filled_gradient_out(o.dW_out, dW) : as_float_type_of(dW, m.W);
    py::object db_result = !m.has_b         ? py::none()
                           : o.has_db_out() ? filled_gradient_out(o.db_out, db)
                                            : as_float_type_of(db, m.b);
    return py::make_tuple(loss_object(value, o.reduction, row_loss), dW_result, db_result,
                          o.return_dX ? as_float_type_of(dX, m.X) : py::none());
}

template <class T>
py::tuple linear_softmax_typed(const Model& m, const py::array& y, const FusedOptions& fo, SoftmaxOptions so,
                               py::handle weight, py::handle sample_weight) {
    carray<double> cw = as_weights(weight, "weight", m.C, "C, one per class");
    carray<double> sw = as_weights(sample_weight, "sample_weight", m.N, "N, one per sample");
    so.weights = {ptr_or_null(cw), ptr_or_null(sw)};
    so.reduction = fo.reduction;
    if (y.dtype().kind() == 'f') {
        if (y.ndim() != 2) {  // as softmax_loss: float labels must be soft labels
            throw py::type_error("y: expected integer class labels (N,) or float class probabilities (N, C), got " +
                                 py::str(y.dtype()).cast<std::string>() + " of shape " + shape_str(y));
        }
        if (y.shape(0) != m.N || y.shape(1) != m.C) {
            throw std::invalid_argument("y: soft labels must have the shape of the scores (N, C) = (" +
                                        std::to_string(m.N) + ", " + std::to_string(m.C) + "), got shape " +
                                        shape_str(y));
        }
        carray<T> t = as_float_array<T>(y);
        return run_fused<T>(m, fo, [&](const LinearLossBatch<T>& a) { return linear_softmax_soft(a, t.data(), so); });
    }
    carray<int64_t> labels = as_labels(y, "y", m.N);
    return run_fused<T>(m, fo, [&](const LinearLossBatch<T>& a) { return linear_softmax_hard(a, labels.data(), so); });
}

py::tuple linear_softmax_loss_py(py::handle X, py::handle y_obj, py::handle W, py::handle b, py::handle reg,
                                 py::handle return_dX, py::handle weight, py::handle sample_weight,
                                 py::handle ignore_index, py::handle label_smoothing, py::handle reduction,
                                 py::handle dW_out, py::handle db_out) {
    Model m = fused_model(X, W, b);
    py::array y = as_numeric_array(y_obj, "y");
    if (y.dtype().kind() == 'b') throw py::type_error("y: expected integer class labels, got dtype bool");
    const FusedOptions fo =
        fused_options(m, reg, return_dX, reduction, dW_out, db_out, {X, y_obj, W, b, weight, sample_weight});
    SoftmaxOptions so;
    so.ignore_index = int_arg(ignore_index, "ignore_index");
    so.label_smoothing = label_smoothing_arg(label_smoothing);
    return m.f32 ? linear_softmax_typed<float>(m, y, fo, so, weight, sample_weight)
                 : linear_softmax_typed<double>(m, y, fo, so, weight, sample_weight);
}

template <class T>
py::tuple linear_svm_typed(const Model& m, const py::array& y, const FusedOptions& fo, SvmOptions so,
                           py::handle weight, py::handle sample_weight) {
    carray<int64_t> labels = as_labels(y, "y", m.N);
    carray<double> cw = as_weights(weight, "weight", m.C, "C, one per class");
    carray<double> sw = as_weights(sample_weight, "sample_weight", m.N, "N, one per sample");
    so.weights = {ptr_or_null(cw), ptr_or_null(sw)};
    so.reduction = fo.reduction;
    return run_fused<T>(m, fo, [&](const LinearLossBatch<T>& a) { return linear_svm(a, labels.data(), so); });
}

py::tuple linear_svm_loss_py(py::handle X, py::handle y_obj, py::handle W, py::handle b, py::handle reg,
                             py::handle return_dX, py::handle margin, py::handle squared, py::handle variant,
                             py::handle weight, py::handle sample_weight, py::handle reduction,
                             py::handle dW_out, py::handle db_out) {
    Model m = fused_model(X, W, b);
    py::array y = as_numeric_array(y_obj, "y");
    const FusedOptions fo =
        fused_options(m, reg, return_dX, reduction, dW_out, db_out, {X, y_obj, W, b, weight, sample_weight});
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
    carray<double> sw = as_weights(sample_weight, "sample_weight", m.N, "N, one per sample");
    SquaredOptions so{ptr_or_null(sw), fo.reduction};
    return run_fused<T>(m, fo, [&](const LinearLossBatch<T>& a) { return linear_squared(a, Tt.data(), so); });
}

py::tuple linear_squared_loss_py(py::handle X, py::handle T_obj, py::handle W, py::handle b, py::handle reg,
                                 py::handle return_dX, py::handle sample_weight, py::handle reduction,
                                 py::handle dW_out, py::handle db_out) {
    Model m = fused_model(X, W, b);
    py::array Tt = as_numeric_array(T_obj, "T");
    const bool ok = (Tt.ndim() == 2 && Tt.shape(0) == m.N && Tt.shape(1) == m.C) ||
                    (m.C == 1 && Tt.ndim() == 1 && Tt.shape(0) == m.N);
    if (!ok) {
        throw std::invalid_argument("T: expected shape (N, C) = (" + std::to_string(m.N) + ", " +
                                    std::to_string(m.C) + ")" + (m.C == 1 ? " or (N,) since C == 1" : "") +
                                    " to match the scores X @ W.T, got shape " + shape_str(Tt));
    }
    const FusedOptions fo =
        fused_options(m, reg, return_dX, reduction, dW_out, db_out, {X, T_obj, W, b, sample_weight});
    return m.f32 ? linear_squared_typed<float>(m, Tt, fo, sample_weight)
                 : linear_squared_typed<double>(m, Tt, fo, sample_weight);
}

// ------------------------------------------------------------ least squares

template <class T>
py::tuple least_squares_typed(const py::array& X_arr, const py::array& T_arr, const LeastSquaresProblem& p,
                              bool f32) {
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

py::tuple least_squares_py(py::handle X_obj, py::handle T_obj, py::handle reg_obj, py::handle fit_bias_obj) {
    py::array X = as_numeric_array(X_obj, "X");
    require_ndim(X, "X", 2, "(N, D)");
    if (X.shape(0) == 0)
        throw std::invalid_argument("X: expected at least one sample (N >= 1), got shape " + shape_str(X));
    py::array Tt = as_numeric_array(T_obj, "T");
    if ((Tt.ndim() != 1 && Tt.ndim() != 2) || Tt.shape(0) != X.shape(0)) {
        throw std::invalid_argument("T: expected shape (N, K) or (N,) with N = " + std::to_string(X.shape(0)) +
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
    return f32 ? least_squares_typed<float>(X, Tt, p, true) : least_squares_typed<double>(X, Tt, p, false);
}

}  // namespace

void register_linear(py::module_& m) {
    using namespace pybind11::literals;
    m.def("linear", &linear_py, "X"_a, "W"_a, "b"_a);
    m.def("linear_backward", &linear_backward_py, "dS"_a, "X"_a, "W"_a);
    m.def("bias_trick", &bias_trick_py, "X"_a, "W"_a, "b"_a);
    m.def("linear_softmax_loss", &linear_softmax_loss_py, "X"_a, "y"_a, "W"_a, "b"_a, "reg"_a, "return_dX"_a,
          "weight"_a, "sample_weight"_a, "ignore_index"_a, "label_smoothing"_a, "reduction"_a, "dW_out"_a, "db_out"_a);
    m.def("linear_svm_loss", &linear_svm_loss_py, "X"_a, "y"_a, "W"_a, "b"_a, "reg"_a, "return_dX"_a, "margin"_a,
          "squared"_a, "variant"_a, "weight"_a, "sample_weight"_a, "reduction"_a, "dW_out"_a, "db_out"_a);
    m.def("linear_squared_loss", &linear_squared_loss_py, "X"_a, "T"_a, "W"_a, "b"_a, "reg"_a, "return_dX"_a,
          "sample_weight"_a, "reduction"_a, "dW_out"_a, "db_out"_a);
    m.def("least_squares", &least_squares_py, "X"_a, "T"_a, "reg"_a, "fit_bias"_a);
    // For tests of the block boundaries: how the fused pass cuts its work,
    // (rows per block, row groups or 0 for stripes, hand-written products).
    m.def("_fused_plan", [](int64_t N, int64_t D, int64_t C, int64_t itemsize) {
        const FusedPlan p = active_fused_plan(N, D, C, itemsize);
        return py::make_tuple(p.rows, p.groups, p.few_classes);
    }, "N"_a, "D"_a, "C"_a, "itemsize"_a);
}

}  // namespace fastlin::bind
