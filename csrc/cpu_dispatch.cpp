#include "cpu_dispatch.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fastlin {

const char* isa_name(Isa isa) {
    switch (isa) {
#define FASTLIN_ISA_NAME_CASE(name) \
    case Isa::name:                 \
        return #name;
        FASTLIN_FOR_EACH_ISA(FASTLIN_ISA_NAME_CASE)
#undef FASTLIN_ISA_NAME_CASE
    }
    return "unknown";
}

bool cpu_supports(Isa isa) {
#if defined(__x86_64__)
    switch (isa) {
        case Isa::avx512:
            // The avx512 kernels are built with AVX512F/BW/DQ/VL (Skylake-X and later, Zen 4).
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("fma");
        case Isa::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::baseline:
            return true;
    }
    return false;
#else
    // One variant, built for what every processor of the platform has.
    (void)isa;
    return true;
#endif
}

namespace {

std::string isa_names() {
    std::string names;
    for (Isa isa : kAllIsas) names += (names.empty() ? "" : ", ") + std::string(isa_name(isa));
    return names;
}

Isa parse_isa(const char* name) {
    for (Isa isa : kAllIsas)
        if (std::strcmp(name, isa_name(isa)) == 0) return isa;
    throw std::invalid_argument("FASTLIN_CPU: expected one of " + isa_names() + ", got '" + name +
                                "'");
}

Isa best_supported_isa() {
    Isa best = kAllIsas[0];
    for (Isa isa : kAllIsas)
        if (cpu_supports(isa)) best = isa;
    return best;
}

Isa best_isa() {
    if (const char* forced = std::getenv("FASTLIN_CPU"); forced && *forced) {
        const Isa isa = parse_isa(forced);
        // An unknown or unsupported forced variant falls back to the best
        // supported one: a bad environment variable must not stop the import
        // (show_config() reports what runs).
        if (cpu_supports(isa)) return isa;
    }
    return best_supported_isa();
}

std::atomic<int> g_isa{-1};

}  // namespace

Isa active_isa() {
    int v = g_isa.load(std::memory_order_relaxed);
    if (v < 0) {
        Isa isa;
        try {
            isa = best_isa();
        } catch (const std::invalid_argument&) {
            isa = best_supported_isa();
        }
        v = static_cast<int>(isa);
        g_isa.store(v, std::memory_order_relaxed);
    }
    return static_cast<Isa>(v);
}

void set_active_isa(const char* name) {
    const Isa isa = parse_isa(name);
    if (!cpu_supports(isa))
        throw std::invalid_argument(std::string("cpu: this CPU cannot run the ") + name +
                                    " variant");
    g_isa.store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace fastlin
