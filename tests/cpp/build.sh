#!/usr/bin/env bash
# Builds the C++ kernel test (kernels_test.cpp) with the plain-loop BLAS of
# reference_blas/, for the processor ARCH (x86_64 or aarch64), whose
# variants are read from csrc/isa_list.hpp as CMake reads them.
#   tests/cpp/build.sh CXX ARCH OUTDIR [extra compiler flags...]
# e.g. tests/cpp/build.sh aarch64-linux-gnu-g++ aarch64 /tmp/kt
set -euo pipefail
cxx=$1 arch=$2 out=$3
shift 3
root="$(cd "$(dirname "$0")/../.." && pwd)"
isas=$(sed -n "s/^#define FASTLIN_ISAS_${arch}(X) //p" "$root/csrc/isa_list.hpp" | grep -o 'X([a-z0-9_]*)' |
       sed 's/X(\(.*\))/\1/')
[ -n "$isas" ] || { echo "no variants for $arch in csrc/isa_list.hpp" >&2; exit 1; }
mkdir -p "$out"
flags=(-std=c++17 -O3 -DNDEBUG -Wall -Wextra -pthread -I"$root/csrc" -I"$root/tests/cpp/reference_blas" "$@")
pids=()
for isa in $isas; do
    for src in scores_kernels linear_kernels; do
        "$cxx" "${flags[@]}" -fno-trapping-math -DFASTLIN_ISA="$isa" -c "$root/csrc/simd/$src.cpp" \
            -o "$out/$src.$isa.o" &
        pids+=($!)
    done
done
for src in cpu_dispatch parallel platform reduction scratch scores_losses linear linear_losses; do
    "$cxx" "${flags[@]}" -c "$root/csrc/$src.cpp" -o "$out/$src.o" &
    pids+=($!)
done
"$cxx" "${flags[@]}" -c "$root/tests/cpp/reference_blas/reference_blas.cpp" -o "$out/reference_blas.o" &
pids+=($!)
"$cxx" "${flags[@]}" -c "$root/tests/cpp/kernels_test.cpp" -o "$out/kernels_test.o" &
pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done
"$cxx" "${flags[@]}" "$out"/*.o -o "$out/kernels_test"
echo "built $out/kernels_test (variants: $(echo $isas))"
