// Opens the instruction-set region of a kernel source: each source in this
// folder includes it before any header of SIMD code, and isa_end.hpp at its
// end. CMakeLists.txt compiles each source once per variant of isa_list.hpp,
// with -DFASTLIN_ISA=<name>.
//
// The instruction set is switched on here, after every plain header (the C++
// library's and fastlin's own) has been read, and not with -mavx2 for the
// whole file: csrc/README.md says why. GCC takes `#pragma GCC target`; Clang
// does not apply that pragma to the intrinsics' own inline functions, so it
// gets the same target as an attribute on every function declared in the
// region (`#pragma clang attribute`). Code in the region lives in namespace
// fastlin::FASTLIN_ISA, so its names never meet another variant's.
#pragma once

#ifndef FASTLIN_ISA
#error "kernel sources are compiled with -DFASTLIN_ISA=<a variant of isa_list.hpp>"
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "blas.hpp"
#include "isa_list.hpp"
#include "linear.hpp"
#include "linear_losses.hpp"
#include "loss_options.hpp"
#include "parallel.hpp"
#include "platform.hpp"
#include "reduction.hpp"
#include "scores_losses.hpp"
#include "scratch.hpp"

// Each variant's level, which the kernels' tuning constants read: 0 for
// 16-byte vectors (SSE2 on x86-64, NEON on aarch64), 1 for AVX2, 2 for AVX-512.
#define FASTLIN_ISA_LEVEL_baseline 0
#define FASTLIN_ISA_LEVEL_avx2 1
#define FASTLIN_ISA_LEVEL_avx512 2
#define FASTLIN_ISA_LEVEL_neon 0
#define FASTLIN_ISA_CONCAT2(a, b) a##b
#define FASTLIN_ISA_CONCAT(a, b) FASTLIN_ISA_CONCAT2(a, b)
#define FASTLIN_ISA_LEVEL FASTLIN_ISA_CONCAT(FASTLIN_ISA_LEVEL_, FASTLIN_ISA)

// AVX-512 F/BW/DQ/VL: Skylake-X and later, Zen 4 (cpu_dispatch.cpp checks the same).
#if defined(__clang__)
#if FASTLIN_ISA_LEVEL == 2
#pragma clang attribute push( \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#elif FASTLIN_ISA_LEVEL == 1
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#endif
#else
#pragma GCC push_options
#if FASTLIN_ISA_LEVEL == 2
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#elif FASTLIN_ISA_LEVEL == 1
#pragma GCC target("avx2,fma")
#endif
#endif
#define FASTLIN_ISA_REGION 1
