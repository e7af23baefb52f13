"""CS231n's classic signatures, computed by fastlin.

Code written against the assignment's functions runs unchanged, faster::

    from fastlin.compat.cs231n import softmax_loss_vectorized, svm_loss_vectorized
    loss, dW = softmax_loss_vectorized(W, X, y, reg)   # W: (D, C), no bias

Here ``W`` has the assignment's shape ``(D, C)`` (fastlin's own functions take
``(C, D)``), the data loss is the mean over the ``N`` samples, and the penalty
is ``reg * sum(W * W)`` with gradient ``2 * reg * W``, as in the assignment.
The layer losses ``softmax_loss(x, y)`` and ``svm_loss(x, y)`` take scores
``x`` of shape ``(N, C)`` and return the mean loss and ``dx``.
"""

from __future__ import annotations

import numpy as np

from .._linear import linear_softmax_loss, linear_svm_loss
from .._scores_losses import softmax_loss as _softmax_loss
from .._scores_losses import svm_loss as _svm_loss
from .._typing import FloatArray, LossAndGradient, npt

__all__ = ["softmax_loss", "softmax_loss_vectorized", "svm_loss", "svm_loss_vectorized"]


def _weights_dc(W):
    if W is None:
        raise TypeError("W: expected an array of shape (D, C), got None")
    try:
        W = np.asarray(W)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"W: could not be converted to an array ({exc})") from None
    if W.dtype.kind not in "biuf":
        raise TypeError(f"W: expected a real numeric array, got dtype {W.dtype}")
    if W.ndim != 2:
        raise ValueError(f"W: expected shape (D, C), got shape {W.shape}")
    return W


def _scores_named_x(loss, x, y):
    """``loss(x, y)``, with errors about the scores naming them ``x``, this
    module's name for them."""
    try:
        return loss(x, y)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        if msg.startswith("S:"):
            raise type(exc)("x:" + msg[2:]) from None
        raise


def softmax_loss_vectorized(
    W: npt.ArrayLike, X: npt.ArrayLike, y: npt.ArrayLike, reg: float
) -> tuple[float, FloatArray]:
    """Softmax loss and gradient of a linear classifier without bias.

    Parameters
    ----------
    W : array_like, shape (D, C)
    X : array_like, shape (N, D)
    y : array_like, shape (N,), integers in ``[0, C)``
    reg : float
        L2 strength: adds ``reg * sum(W * W)``.

    Returns
    -------
    loss : float
    dW : ndarray, shape (D, C)
    """
    r = linear_softmax_loss(X, y, _weights_dc(W).T, reg=reg)
    return float(r.loss), np.ascontiguousarray(r.dW.T)


def svm_loss_vectorized(
    W: npt.ArrayLike, X: npt.ArrayLike, y: npt.ArrayLike, reg: float
) -> tuple[float, FloatArray]:
    """Multiclass SVM (hinge, margin 1) loss and gradient without bias.

    Parameters
    ----------
    W : array_like, shape (D, C)
    X : array_like, shape (N, D)
    y : array_like, shape (N,), integers in ``[0, C)``
    reg : float
        L2 strength: adds ``reg * sum(W * W)``.

    Returns
    -------
    loss : float
    dW : ndarray, shape (D, C)
    """
    r = linear_svm_loss(X, y, _weights_dc(W).T, reg=reg)
    return float(r.loss), np.ascontiguousarray(r.dW.T)


def softmax_loss(x: npt.ArrayLike, y: npt.ArrayLike) -> LossAndGradient:
    """Softmax cross-entropy layer: mean loss of scores ``x`` (N, C) and ``dx``."""
    return _scores_named_x(_softmax_loss, x, y)


def svm_loss(x: npt.ArrayLike, y: npt.ArrayLike) -> LossAndGradient:
    """Multiclass SVM layer (margin 1): mean loss of scores ``x`` (N, C) and ``dx``."""
    return _scores_named_x(_svm_loss, x, y)
