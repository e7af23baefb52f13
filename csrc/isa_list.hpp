// The one list of the instruction-set variants the kernels are compiled in,
// per processor, worst first. CMakeLists.txt reads the FASTLIN_ISAS_* lines
// (keep each on one line) to make one object library per variant; the
// variant enum, its names and the dispatch tables are made from
// FASTLIN_FOR_EACH_ISA. Adding a variant: a name here, its level and target
// in simd/isa_begin.hpp, its CPU check in cpu_dispatch.cpp.
//
// x86-64 compiles each variant for its instruction set and picks one at run
// time; elsewhere the kernels compile once, at the platform's native vector
// width (NEON on aarch64), with no run-time dispatch.
#pragma once

#define FASTLIN_ISAS_x86_64(X) X(baseline) X(avx2) X(avx512)
#define FASTLIN_ISAS_aarch64(X) X(neon)

#if defined(__x86_64__)
#define FASTLIN_FOR_EACH_ISA(X) FASTLIN_ISAS_x86_64(X)
#elif defined(__aarch64__)
#define FASTLIN_FOR_EACH_ISA(X) FASTLIN_ISAS_aarch64(X)
#else
#error "fastlin's kernels are built for x86-64 and aarch64 only"
#endif
