#include "cpu_dispatch.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fastlin {

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::avx512: return "avx512";
        case Isa::avx2: return "avx2";
        default: return "baseline";
    }
}

bool cpu_supports(Isa isa) {
    switch (isa) {
        case Isa::avx512:
            // The avx512 kernels are built with AVX512F/BW/DQ/VL (Skylake-X and later, Zen 4).
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("fma");
        case Isa::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        default:
            return true;
    }
}

namespace {

Isa parse_isa(const char* name) {
    for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
        if (std::strcmp(name, isa_name(isa)) == 0) return isa;
    throw std::invalid_argument(std::string("FASTLIN_CPU: expected baseline, avx2 or avx512, got '") + name + "'");
}

Isa best_isa() {
    if (const char* forced = std::getenv("FASTLIN_CPU"); forced && *forced) {
        const Isa isa = parse_isa(forced);
        // An unknown or unsupported forced variant falls back to the best
        // supported one: a bad environment variable must not stop the import
        // (show_config() reports what runs).
        if (cpu_supports(isa)) return isa;
    }
    for (Isa isa : {Isa::avx512, Isa::avx2})
        if (cpu_supports(isa)) return isa;
    return Isa::baseline;
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
            isa = cpu_supports(Isa::avx512) ? Isa::avx512 : cpu_supports(Isa::avx2) ? Isa::avx2 : Isa::baseline;
        }
        v = static_cast<int>(isa);
        g_isa.store(v, std::memory_order_relaxed);
    }
    return static_cast<Isa>(v);
}

void set_active_isa(const char* name) {
    const Isa isa = parse_isa(name);
    if (!cpu_supports(isa))
        throw std::invalid_argument(std::string("cpu: this CPU cannot run the ") + name + " variant");
    g_isa.store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace fastlin
