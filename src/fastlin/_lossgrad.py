"""The result type of the fused "linear layer + loss + backward" functions.

Kept in its own small module so that ``fastlin`` (compiled) and
``fastlin.reference`` (plain NumPy) return the very same class.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from ._typing import FloatArray, Loss


class LossGrad(NamedTuple):
    """Loss and gradients of ``loss(X @ W.T + b)`` + ``reg * sum(W**2)``.

    Attributes
    ----------
    loss : float or ndarray
        The reduced loss as a Python float (accumulated in float64), or the
        per-sample losses, shape ``(N,)``, for ``reduction="none"``.
    dW : ndarray
        Gradient with respect to ``W``, shape ``(C, D)``.
    db : ndarray or None
        Gradient with respect to ``b``, shape ``(C,)``; ``None`` when ``b`` is
        ``None``.
    dX : ndarray or None
        Gradient with respect to ``X``, shape ``(N, D)``; ``None`` unless
        ``return_dX=True``.
    """

    loss: Loss
    dW: FloatArray
    db: Optional[FloatArray]
    dX: Optional[FloatArray]
