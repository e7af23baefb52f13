"""fastlin: the linear classifier of a first deep-learning course, fast.

``import fastlin as fl`` is a drop-in for ``import fastlin.reference as fl``
(the same API in plain NumPy): only the speed changes.
"""

from ._linear import (bias_trick, least_squares, linear, linear_backward, linear_softmax_loss,
                      linear_squared_loss, linear_svm_loss)
from ._lossgrad import LossGrad
from ._runtime import _warn_if_forced_variant_refused, cpu_variant, get_num_threads, set_num_threads, show_config
from ._scores_losses import softmax_loss, squared_loss, svm_loss

_warn_if_forced_variant_refused()

__version__ = "0.1.0"

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
            raise ImportError(f"fastlin.{name} needs scikit-learn and SciPy: "
                              f"pip install 'fastlin[sklearn]'") from error
        return getattr(_training, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))

__all__ = [
    "LinearClassifier",
    "LinearRegression",
    "LossGrad",
    "bias_trick",
    "cpu_variant",
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
