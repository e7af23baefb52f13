"""fastlin: the linear classifier of a first deep-learning course, fast.

``import fastlin as fl`` is a drop-in for ``import fastlin.reference as fl``
(the same API in plain NumPy): only the speed changes.
"""

from ._errors import LabelError
from ._linear import (
    bias_trick,
    least_squares,
    linear,
    linear_backward,
    linear_softmax_loss,
    linear_squared_loss,
    linear_svm_loss,
)
from ._lossgrad import LossGrad
from ._runtime import (
    _warn_if_forced_variant_refused,
    cpu_variant,
    get_num_threads,
    set_num_threads,
    show_config,
)
from ._scores_losses import softmax_loss, squared_loss, svm_loss
from ._threadpoolctl import register_with_threadpoolctl as _register_with_threadpoolctl
from ._version import __version__

_warn_if_forced_variant_refused()
_register_with_threadpoolctl()

# The estimators need scikit-learn, an optional dependency (fastlin[sklearn]):
# imported on first use, so that `import fastlin` works without it.
_ESTIMATORS = ("LinearClassifier", "LinearRegression")


def __getattr__(name):
    if name in _ESTIMATORS:
        try:
            from . import _training
        except ImportError as error:
            if error.name is None or not error.name.startswith(("sklearn", "scipy")):
                raise
            raise ImportError(
                f"fastlin.{name} needs scikit-learn and SciPy: pip install 'fastlin[sklearn]'"
            ) from error
        return getattr(_training, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))


__all__ = [
    "LabelError",
    "LinearClassifier",
    "LinearRegression",
    "LossGrad",
    "__version__",
    "bias_trick",
    "cpu_variant",
    "get_include",
    "get_num_threads",
    "least_squares",
    "linear",
    "linear_backward",
    "linear_softmax_loss",
    "linear_squared_loss",
    "linear_svm_loss",
    "set_num_threads",
    "show_config",
    "softmax_loss",
    "squared_loss",
    "svm_loss",
]


def get_include() -> str:
    """The directory to give the C/C++ compiler and Cython for ``fastlin.capi``.

    A Cython module that does ``from fastlin.capi cimport softmax_loss`` is
    built with ``include_dirs=[fastlin.get_include()]`` (cythonize's and the
    compiler's), as with ``numpy.get_include()``: it is the directory that
    holds the ``fastlin`` package, so that ``fastlin/capi.pxd`` is found.
    """
    import os

    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
