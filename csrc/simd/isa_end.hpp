// Closes the instruction-set region opened by isa_begin.hpp.
#if defined(__clang__)
#if FASTLIN_ISA_LEVEL > 0
#pragma clang attribute pop
#endif
#else
#pragma GCC pop_options
#endif
#undef FASTLIN_ISA_REGION
