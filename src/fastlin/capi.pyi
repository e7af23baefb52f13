# fastlin.capi is for Cython code (``cimport``, see capi.pxd); from Python it
# holds only the hook by which fastlin.set_num_threads reaches its pool.

def _set_num_threads(n: int) -> None: ...
