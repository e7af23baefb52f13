// Which instruction-set variant of the kernels runs (isa_list.hpp). On x86-64
// chosen once, at first use, from CPUID; FASTLIN_CPU=<name> forces one (for
// tests and benchmarks). A variant the CPU cannot run is never chosen.
// Elsewhere there is one variant, the platform's native one.
#pragma once

#include <cstddef>

#include "isa_list.hpp"

namespace fastlin {

#define FASTLIN_ISA_ENUMERATOR(name) name,
enum class Isa { FASTLIN_FOR_EACH_ISA(FASTLIN_ISA_ENUMERATOR) };
#undef FASTLIN_ISA_ENUMERATOR

// Every variant of this build, worst first.
#define FASTLIN_ISA_ITEM(name) Isa::name,
inline constexpr Isa kAllIsas[] = {FASTLIN_FOR_EACH_ISA(FASTLIN_ISA_ITEM)};
#undef FASTLIN_ISA_ITEM

const char* isa_name(Isa isa);
bool cpu_supports(Isa isa);
Isa active_isa();
// Forces a variant; throws std::invalid_argument for an unknown name or one
// this CPU cannot run.
void set_active_isa(const char* name);

// The table of entry points of the variant that runs now: table[i] is
// variant i's, made with FASTLIN_FOR_EACH_ISA in the same order.
template <class Table, std::size_t N>
const Table& active_entry(const Table (&table)[N]) {
    static_assert(N == sizeof(kAllIsas) / sizeof(kAllIsas[0]), "one table entry per variant");
    return table[static_cast<int>(active_isa())];
}

}  // namespace fastlin
