// Bindings of the runtime knobs: threads and the instruction-set variant.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_dispatch.hpp"
#include "parallel.hpp"

namespace fastlin::bind {

namespace py = pybind11;

void register_runtime(py::module_& m) {
    using namespace pybind11::literals;
    m.def("get_num_threads", &get_num_threads);
    m.def("set_num_threads", [](int n) {
        if (n < 1) throw std::invalid_argument("n: expected a number of threads >= 1, got " + std::to_string(n));
        set_num_threads(n);
    }, "n"_a);
    m.def("cpu_variant", [] { return std::string(isa_name(active_isa())); });
    m.def("set_cpu_variant", [](const std::string& name) { set_active_isa(name.c_str()); }, "name"_a);
    m.def("supported_cpu_variants", [] {
        std::vector<std::string> out;
        for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
            if (cpu_supports(isa)) out.emplace_back(isa_name(isa));
        return out;
    });
}

}  // namespace fastlin::bind
