"""fastlin's thread pool as threadpoolctl sees it.

threadpoolctl (what scikit-learn and joblib use against oversubscription)
finds thread pools in the shared libraries loaded in the process. This
registers a controller that recognises fastlin's compiled modules by the C
symbols they export (``fastlin_get_num_threads``, ``fastlin_set_num_threads``),
so that ``threadpool_info()`` lists the pool and ``threadpool_limits(n)``
caps it. threadpoolctl is optional: without it (or before 3.2, which has no
``register``) nothing happens.
"""

from __future__ import annotations

import importlib.util

from ._version import __version__

_registered = False


def register_with_threadpoolctl() -> None:
    """Registers the controller once, if threadpoolctl 3.2 or later is installed."""
    global _registered
    if _registered or importlib.util.find_spec("threadpoolctl") is None:
        return
    import threadpoolctl

    if not hasattr(threadpoolctl, "register"):
        return

    class FastlinController(threadpoolctl.LibController):  # type: ignore[misc]
        user_api = "fastlin"
        internal_api = "fastlin"
        # _core runs the Python API; capi (fastlin.capi) links its own copy of the pool.
        filename_prefixes = ("_core", "capi")
        check_symbols = ("fastlin_get_num_threads", "fastlin_set_num_threads")

        def get_num_threads(self) -> int:
            return int(self.dynlib.fastlin_get_num_threads())

        def set_num_threads(self, num_threads: int) -> None:
            self.dynlib.fastlin_set_num_threads(int(num_threads))

        def get_version(self) -> str:
            return __version__

    threadpoolctl.register(FastlinController)
    _registered = True
