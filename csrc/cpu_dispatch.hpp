// Which instruction-set variant of the kernels runs. Chosen once, at first
// use, from CPUID; FASTLIN_CPU=baseline|avx2|avx512 forces one (for tests and
// benchmarks). A variant the CPU cannot run is never chosen.
#pragma once

namespace fastlin {

enum class Isa { baseline = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
bool cpu_supports(Isa isa);
Isa active_isa();
// Forces a variant; throws std::invalid_argument for an unknown name or one
// this CPU cannot run.
void set_active_isa(const char* name);

}  // namespace fastlin
