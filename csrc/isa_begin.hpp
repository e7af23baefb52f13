// Opens the instruction-set region of a kernel source. Kernel sources are
// compiled once per instruction set (CMakeLists.txt passes
// -DFASTLIN_ISA=baseline|avx2|avx512) and include this header before any
// header of SIMD code, and isa_end.hpp at their end.
//
// The instruction set is switched on with `#pragma GCC target` here, after
// every plain header (the C++ library's and fastlin's own) has been read,
// not with -mavx2 for the whole file: inline functions of those headers (a
// std::vector constructor, std::fill, blas::gemm) are emitted as weak
// symbols that the linker merges across files, and a copy compiled for
// AVX-512 could then run on a CPU without it. Compiled before the pragma,
// they stay baseline x86-64; our SIMD code lives in namespace
// fastlin::FASTLIN_ISA, so its names never meet another variant's.
#pragma once

#ifndef FASTLIN_ISA
#error "kernel sources are compiled with -DFASTLIN_ISA=baseline|avx2|avx512"
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "blas.hpp"
#include "linear.hpp"
#include "linear_losses.hpp"
#include "loss_options.hpp"
#include "parallel.hpp"
#include "reduction.hpp"
#include "scores_losses.hpp"
#include "scratch.hpp"

#define FASTLIN_ISA_LEVEL_baseline 0
#define FASTLIN_ISA_LEVEL_avx2 1
#define FASTLIN_ISA_LEVEL_avx512 2
#define FASTLIN_ISA_CONCAT2(a, b) a##b
#define FASTLIN_ISA_CONCAT(a, b) FASTLIN_ISA_CONCAT2(a, b)
#define FASTLIN_ISA_LEVEL FASTLIN_ISA_CONCAT(FASTLIN_ISA_LEVEL_, FASTLIN_ISA)

#pragma GCC push_options
#if FASTLIN_ISA_LEVEL == 2
// AVX-512 F/BW/DQ/VL: Skylake-X and later, Zen 4 (cpu_dispatch.cpp checks the same).
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#elif FASTLIN_ISA_LEVEL == 1
#pragma GCC target("avx2,fma")
#endif
#define FASTLIN_ISA_REGION 1
