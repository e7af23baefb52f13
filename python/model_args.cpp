#include "model_args.hpp"

#include <string>

namespace fastlin::bind {

py::object as_float_type_of(const py::array& out, const py::array& like) {
    py::dtype want =
        float_type_of(like) == FloatType::f32 ? py::dtype::of<float>() : py::dtype::of<double>();
    if (out.dtype().is(want) || out.dtype().equal(want)) return out;
    return out.attr("astype")(want);
}

Model model_args(py::handle X_obj, py::handle W_obj, py::handle b_obj, bool allow_1d) {
    Model m;
    m.W = as_numeric_array(W_obj, "W");
    require_ndim(m.W, "W", 2, "(C, D)");
    m.C = m.W.shape(0);
    m.D = m.W.shape(1);
    m.X = as_numeric_array(X_obj, "X");
    if (m.X.ndim() != 2 && !(allow_1d && m.X.ndim() == 1)) {
        throw std::invalid_argument(
            std::string("X: expected shape ") + (allow_1d ? "(N, D) or (D,)" : "(N, D)") +
            ", got shape " + shape_str(m.X) +
            (!allow_1d && m.X.ndim() == 1 ? "; for a single sample use X[None, :]" : ""));
    }
    if (m.X.shape(m.X.ndim() - 1) != m.D) {
        throw std::invalid_argument("X: expected " + std::to_string(m.D) +
                                    " features to match W of shape " + shape_str(m.W) +
                                    ", got shape " + shape_str(m.X));
    }
    m.single = m.X.ndim() == 1;
    m.N = m.single ? 1 : m.X.shape(0);
    if (!b_obj.is_none()) {
        m.b = as_numeric_array(b_obj, "b");
        m.has_b = true;
        if (m.b.ndim() != 1 || m.b.shape(0) != m.C) {
            throw std::invalid_argument("b: expected shape (" + std::to_string(m.C) +
                                        ",) to match W of shape " + shape_str(m.W) +
                                        ", got shape " + shape_str(m.b));
        }
    }
    m.f32 = float_type_of(m.X) == FloatType::f32 && float_type_of(m.W) == FloatType::f32 &&
            (!m.has_b || float_type_of(m.b) == FloatType::f32);
    return m;
}

}  // namespace fastlin::bind
