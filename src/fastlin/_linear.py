"""The linear layer and the fused "linear layer + loss + backward" passes.

Computed by the compiled kernels with the GIL released, matrix products by
OpenBLAS (scipy-openblas32), except the products of a fused pass with few
classes (up to 48 float32 or 24 float64 with AVX2), which fastlin's own
kernels run, reading ``X`` from memory once (csrc/simd/few_class_products.hpp).
float32 and float64 run natively: the common dtype of ``X``, ``W`` and ``b``
is float32 when each of them is float32 (or float16, or bool), float64
otherwise. C-contiguous arrays of that dtype avoid
a copy; any other strides or dtypes are converted once.

The fused ``linear_*_loss`` functions work through ``X`` in blocks of rows:
the block's scores ``X_blk @ W.T + b``, then the loss and its gradient
written over the scores in place, then ``dW += G_blk.T @ X_blk``,
``db += G_blk.sum(0)`` and ``dX_blk = G_blk @ W`` while the block is still in
cache. The ``(N, C)`` scores are never held in memory: beyond the inputs and
outputs the memory is ``O(block x C)`` (and, for a small ``dW``, up to 16
private partials of it, 64 with AVX-512's few-class kernels, 32 MiB at most).
How the work is cut depends on the shapes and the instruction-set variant
only, never on the thread count, so results are bit-for-bit the same for any
number of threads (csrc/linear_losses.hpp, FusedPlan).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from . import _core
from . import reference as _reference
from ._lossgrad import LossGrad
from ._typing import FloatArray, Reduction, SvmVariant, npt

_FUSED_NOTE = """
    Compiled: one pass over blocks of rows of ``X`` (see :mod:`fastlin._linear`);
    the ``(N, C)`` scores are never held in memory.
"""

_LEAST_SQUARES_NOTE = """
    Compiled: the centred normal equations are accumulated over blocks of
    rows and solved by Cholesky -- the lecture's ``W* = (X^T X)^-1 X^T T`` --
    where they are well posed. When the factorisation fails or the estimated
    reciprocal condition number of the system, measured against the scale of
    the uncentred ``X``, is below ``sqrt(eps)`` (about 1.5e-8; beyond that the
    normal equations, which square the condition number of ``X``, would lose
    more than half the digits), ``W`` comes from a minimum-norm SVD solve
    (LAPACK ``gelsd``) with the cutoff above.
"""


_Function = TypeVar("_Function", bound=Callable[..., Any])


def _document(note: str = "") -> Callable[[_Function], _Function]:
    """Gives a function the docstring of the reference function of the same
    name (one definition of the API's documentation), plus a note on how
    fastlin computes it."""

    def decorate(fn: _Function) -> _Function:
        doc = getattr(_reference, fn.__name__).__doc__
        if doc:  # None under python -OO
            fn.__doc__ = doc.rstrip() + "\n" + note if note else doc
        return fn

    return decorate


@_document()
def linear(X: npt.ArrayLike, W: npt.ArrayLike, b: npt.ArrayLike | None = None) -> FloatArray:
    return _core.linear(X, W, b)


@_document()
def linear_backward(
    dS: npt.ArrayLike, X: npt.ArrayLike, W: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    return _core.linear_backward(dS, X, W)


@_document()
def bias_trick(
    X: npt.ArrayLike, W: npt.ArrayLike, b: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    return _core.bias_trick(X, W, b)


@_document(_FUSED_NOTE)
def linear_softmax_loss(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    W: npt.ArrayLike,
    b: npt.ArrayLike | None = None,
    *,
    reg: float = 0.0,
    return_dX: bool = False,
    weight: npt.ArrayLike | None = None,
    sample_weight: npt.ArrayLike | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    dW_out: FloatArray | None = None,
    db_out: FloatArray | None = None,
) -> LossGrad:
    return LossGrad(
        *_core.linear_softmax_loss(
            X,
            y,
            W,
            b,
            reg,
            return_dX,
            weight,
            sample_weight,
            ignore_index,
            label_smoothing,
            reduction,
            dW_out,
            db_out,
        )
    )


@_document(_FUSED_NOTE)
def linear_svm_loss(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    W: npt.ArrayLike,
    b: npt.ArrayLike | None = None,
    *,
    reg: float = 0.0,
    return_dX: bool = False,
    margin: float = 1.0,
    squared: bool = False,
    variant: SvmVariant = "weston_watkins",
    weight: npt.ArrayLike | None = None,
    sample_weight: npt.ArrayLike | None = None,
    reduction: Reduction = "mean",
    dW_out: FloatArray | None = None,
    db_out: FloatArray | None = None,
) -> LossGrad:
    return LossGrad(
        *_core.linear_svm_loss(
            X,
            y,
            W,
            b,
            reg,
            return_dX,
            margin,
            squared,
            variant,
            weight,
            sample_weight,
            reduction,
            dW_out,
            db_out,
        )
    )


@_document(_FUSED_NOTE)
def linear_squared_loss(
    X: npt.ArrayLike,
    T: npt.ArrayLike,
    W: npt.ArrayLike,
    b: npt.ArrayLike | None = None,
    *,
    reg: float = 0.0,
    return_dX: bool = False,
    sample_weight: npt.ArrayLike | None = None,
    reduction: Reduction = "mean",
    dW_out: FloatArray | None = None,
    db_out: FloatArray | None = None,
) -> LossGrad:
    return LossGrad(
        *_core.linear_squared_loss(
            X, T, W, b, reg, return_dX, sample_weight, reduction, dW_out, db_out
        )
    )


@_document(_LEAST_SQUARES_NOTE)
def least_squares(
    X: npt.ArrayLike, T: npt.ArrayLike, *, reg: float = 0.0, fit_bias: bool = True
) -> tuple[FloatArray, FloatArray | None]:
    W, b, _method = _core.least_squares(X, T, reg, fit_bias)
    return W, b
