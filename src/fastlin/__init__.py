"""fastlin: the linear classifier of a first deep-learning course, fast.

``import fastlin as fl`` is a drop-in for ``import fastlin.reference as fl``
(the same API in plain NumPy): only the speed changes.
"""

from ._linear import (bias_trick, least_squares, linear, linear_backward, linear_softmax_loss,
                      linear_squared_loss, linear_svm_loss)
from ._lossgrad import LossGrad
from ._scores_losses import softmax_loss, squared_loss, svm_loss

__version__ = "0.1.0"

__all__ = [
    "LossGrad",
    "bias_trick",
    "least_squares",
    "linear",
    "linear_backward",
    "linear_softmax_loss",
    "linear_squared_loss",
    "linear_svm_loss",
    "softmax_loss",
    "squared_loss",
    "svm_loss",
]
