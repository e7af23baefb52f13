// Kernel sources are compiled once per instruction set (CMakeLists.txt), each
// time with -DFASTLIN_ISA=<baseline|avx2|avx512>, and put everything they
// define inside namespace fastlin::FASTLIN_ISA: inline helpers compiled with
// different flags must not share a name, or the linker would keep one copy
// for all variants. Only headers of that kind include this one.
#pragma once

#ifndef FASTLIN_ISA
#error "kernel sources are compiled with -DFASTLIN_ISA=baseline|avx2|avx512"
#endif
