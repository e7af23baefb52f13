// Closes the instruction-set region opened by isa_begin.hpp.
#pragma GCC pop_options
#undef FASTLIN_ISA_REGION
