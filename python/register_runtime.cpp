// Bindings of the runtime knobs: threads, the instruction-set variant, and
// what the BLAS reports about itself.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "array_args.hpp"
#include "blas.hpp"
#include "cpu_dispatch.hpp"
#include "parallel.hpp"
#include "scores_losses.hpp"

namespace fastlin::bind {

namespace {

// f(in, out, n) over a float array of any shape, in its float type.
template <class F>
py::object map_vector_function(py::handle x_obj, F&& f) {
    py::array x = as_numeric_array(x_obj, "x");
    auto run = [&](auto zero) -> py::object {
        using T = decltype(zero);
        carray<T> in = as_float_array<T>(x);
        carray<T> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
        f(in.data(), out.mutable_data(), static_cast<int64_t>(in.size()));
        return std::move(out);
    };
    return float_type_of(x) == FloatType::f32 ? run(0.0f) : run(0.0);
}

void set_threads(py::handle n_obj) {
    const int64_t n = int_arg(n_obj, "n");
    if (n < 1 || n > 4096)
        throw std::invalid_argument("n: expected a number of threads in [1, 4096], got " +
                                    std::to_string(n));
    set_num_threads(static_cast<int>(n));
}

}  // namespace

void register_runtime(py::module_& m) {
    using namespace pybind11::literals;
    // The BLAS runs single-threaded inside fastlin's own pieces of work
    // (linear.hpp says why); this is fastlin's private copy of OpenBLAS, so
    // NumPy's BLAS is untouched.
    blas::set_num_threads(1);
    m.def("get_num_threads", &get_num_threads);
    m.def("set_num_threads", &set_threads, "n"_a);
    m.def("cpu_variant", [] { return std::string(isa_name(active_isa())); });
    m.def(
        "set_cpu_variant", [](const std::string& name) { set_active_isa(name.c_str()); }, "name"_a);
    m.def("supported_cpu_variants", [] {
        std::vector<std::string> out;
        for (Isa isa : kAllIsas)
            if (cpu_supports(isa)) out.emplace_back(isa_name(isa));
        return out;
    });
    // The kernels' vector exp (x <= 0) and log (x > 0), for the tests of
    // their accuracy.
    m.def(
        "_exp_nonpositive",
        [](py::handle x) {
            return map_vector_function(
                x, [](const auto* in, auto* out, int64_t n) { exp_nonpositive_array(in, out, n); });
        },
        "x"_a);
    m.def(
        "_log_positive",
        [](py::handle x) {
            return map_vector_function(
                x, [](const auto* in, auto* out, int64_t n) { log_positive_array(in, out, n); });
        },
        "x"_a);
    m.def("blas_config",
          [] { return std::string(blas::config()) + " (core " + blas::core_name() + ")"; });
    m.def("blas_num_threads", &blas::get_num_threads);
}

}  // namespace fastlin::bind
