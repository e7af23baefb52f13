"""Run-time knobs: threads, the instruction-set variant, and a summary."""

from __future__ import annotations

import os
import sys
import warnings
from typing import TextIO

from . import _core


def get_num_threads() -> int:
    """Threads fastlin's kernels use (the BLAS runs single-threaded inside them).

    Starts at ``FASTLIN_NUM_THREADS`` or, without it, the number of cores this
    process may use. Results are bit-for-bit the same for every thread count.
    """
    return _core.get_num_threads()


def set_num_threads(n: int) -> None:
    """Set the threads of fastlin's kernels (``n >= 1``); NumPy's own BLAS is not affected.

    Also sets those of :mod:`fastlin.capi` (the Cython API, which links its own
    copy of the kernels) when it is loaded.
    """
    _core.set_num_threads(n)
    capi = sys.modules.get("fastlin.capi")
    if capi is not None:
        capi._set_num_threads(n)


def cpu_variant() -> str:
    """The instruction-set variant of the kernels that runs.

    On x86-64 ``baseline``, ``avx2`` or ``avx512``, chosen once, at import, as
    the best the CPU supports; the environment variable ``FASTLIN_CPU``
    forces one (a variant the CPU cannot run is refused with a warning and the
    best supported one runs instead). On aarch64 there is one, ``neon``.
    """
    return _core.cpu_variant()


def show_config(file: TextIO | None = None) -> None:
    """Print the version, the kernel variant, the threads and the BLAS in use."""
    from . import __version__

    out = file or sys.stdout
    print(f"fastlin {__version__}", file=out)
    supported = ", ".join(_core.supported_cpu_variants())
    print(f"  kernels:  {_core.cpu_variant()} (supported: {supported})", file=out)
    blas_threads = _core.blas_num_threads()
    print(
        f"  threads:  {_core.get_num_threads()} (each BLAS call inside: {blas_threads})", file=out
    )
    print(f"  BLAS:     scipy-openblas32, {_core.blas_config()}", file=out)


def _warn_if_forced_variant_refused() -> None:
    forced = os.environ.get("FASTLIN_CPU", "")
    if forced and forced != _core.cpu_variant():
        warnings.warn(
            f"FASTLIN_CPU={forced!r} is not a variant this CPU can run (supported: "
            f"{', '.join(_core.supported_cpu_variants())}); running {_core.cpu_variant()!r}",
            RuntimeWarning,
            stacklevel=3,
        )
