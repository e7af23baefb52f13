// Included by every header of SIMD code: they may only be read inside the
// instruction-set region of a kernel source (csrc/README.md says why), and
// put what they define inside namespace fastlin::FASTLIN_ISA.
#pragma once

#ifndef FASTLIN_ISA_REGION
#error "include isa_begin.hpp before any header of SIMD code"
#endif
