"""The linear layer and the fused "linear layer + loss + backward" passes.

Computed by the compiled kernels with the GIL released, matrix products by
OpenBLAS (scipy-openblas32). float32 and float64 run natively: the common
dtype of ``X``, ``W`` and ``b`` is float32 when each of them is float32 (or
float16, or bool), float64 otherwise. C-contiguous arrays of that dtype avoid
a copy; any other strides or dtypes are converted once.

The fused ``linear_*_loss`` functions work through ``X`` in blocks of rows
(at most about 1 MiB of scores per block, at least 64 rows): the block's
scores ``X_blk @ W.T + b``, then the loss and its gradient written over the
scores in place, then ``dW += G_blk.T @ X_blk``, ``db += G_blk.sum(0)`` and
``dX_blk = G_blk @ W`` while the block is still in cache. The ``(N, C)``
scores are never held in memory: beyond the inputs and outputs the memory is
``O(block x C)``. Blocks are visited in order, so results are deterministic.
"""

from __future__ import annotations

from . import _core
from ._lossgrad import LossGrad

_LINEAR_DOC = """
    The scores ``S = X @ W.T + b`` are computed in the common dtype of ``X``,
    ``W`` and ``b``; ``dW``, ``db``, ``dX`` come back in the float dtypes of
    ``W``, ``b`` and ``X``. ``X`` must be 2-D (a single sample is
    ``X[None, :]``). The penalty ``reg * sum(W**2)`` (not the bias) is added
    once to the reduced loss and ``2 * reg * W`` to ``dW``. With
    ``reduction="none"`` the per-sample losses get no penalty, while ``dW``
    still gets ``2 * reg * W``: the gradients are then those of
    ``sum_i l_i + reg * sum(W**2)``.

    Computed in one pass over blocks of rows of ``X``: the ``(N, C)`` scores
    are never held in memory (see :mod:`fastlin`).
"""


def linear(X, W, b=None):
    """Scores of a linear classifier, ``S = X @ W.T + b``.

    Parameters
    ----------
    X : array_like, shape (N, D) or (D,)
        Samples as rows, or a single sample.
    W : array_like, shape (C, D)
        One row (template) per class.
    b : array_like, shape (C,), optional
        Bias; none when ``None``.

    Returns
    -------
    S : ndarray, shape (N, C), or (C,) for a single sample
        In the common dtype of ``X``, ``W`` and ``b``.
    """
    return _core.linear(X, W, b)


def linear_backward(dS, X, W):
    """Backward pass of :func:`linear`: gradients from the upstream ``dS``.

    ``dX = dS @ W``, ``dW = dS.T @ X``, ``db = dS.sum(0)`` (``db`` summed in
    float64).

    Parameters
    ----------
    dS : array_like, shape (N, C), or (C,) with a single sample
        Gradient of the loss with respect to the scores.
    X : array_like, shape (N, D), or (D,)
        The samples the scores were computed from (same ndim as ``dS``).
    W : array_like, shape (C, D)

    Returns
    -------
    dX, dW, db : ndarray
        Shapes of ``X``, ``W`` and ``(C,)``. Computed in the common dtype of
        ``dS``, ``X``, ``W``; ``dX`` and ``dW`` are returned in the float
        dtypes of ``X`` and ``W``, ``db`` in the compute dtype.
    """
    return _core.linear_backward(dS, X, W)


def bias_trick(X, W, b):
    """Fold the bias into the weights: ``X1 = [X, 1]``, ``W1 = [W, b]``.

    ``linear(X1, W1) == linear(X, W, b)`` (up to rounding).

    Parameters
    ----------
    X : array_like, shape (N, D) or (D,)
    W : array_like, shape (C, D)
    b : array_like, shape (C,)
        Required (pass zeros for no bias).

    Returns
    -------
    X1 : ndarray, shape (N, D + 1) or (D + 1,)
        ``X`` with a column of ones appended, in ``X``'s float dtype.
    W1 : ndarray, shape (C, D + 1)
        ``W`` with ``b`` appended as its last column, in the common float
        dtype of ``W`` and ``b``.
    """
    return _core.bias_trick(X, W, b)


def linear_softmax_loss(X, y, W, b=None, *, reg=0.0, return_dX=False, weight=None,
                        sample_weight=None, ignore_index=-100, label_smoothing=0.0,
                        reduction="mean"):
    """Linear layer, softmax cross-entropy and backward in one pass.

    Same as ``S = linear(X, W, b)``; ``loss, dS = softmax_loss(S, y, ...)``;
    ``dX, dW, db = linear_backward(dS, X, W)``; plus the L2 penalty.
    {linear_doc}
    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like, shape (N,) of integers, or (N, C) of floats (soft labels)
    W : array_like, shape (C, D)
    b : array_like, shape (C,), optional
    reg : float >= 0, default 0
    return_dX : bool, default False
    weight, sample_weight, ignore_index, label_smoothing, reduction
        As :func:`fastlin.softmax_loss`.

    Returns
    -------
    LossGrad
        ``(loss, dW, db, dX)``; ``db`` is None when ``b`` is None, ``dX`` is
        None unless ``return_dX``.
    """
    return LossGrad(*_core.linear_softmax_loss(X, y, W, b, reg, return_dX, weight, sample_weight,
                                               ignore_index, label_smoothing, reduction))


def linear_svm_loss(X, y, W, b=None, *, reg=0.0, return_dX=False, margin=1.0, squared=False,
                    variant="weston_watkins", weight=None, sample_weight=None, reduction="mean"):
    """Linear layer, multiclass SVM loss and backward in one pass.

    Same as ``S = linear(X, W, b)``; ``loss, dS = svm_loss(S, y, ...)``;
    ``dX, dW, db = linear_backward(dS, X, W)``; plus the L2 penalty.
    {linear_doc}
    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
    W : array_like, shape (C, D)
    b : array_like, shape (C,), optional
    reg : float >= 0, default 0
    return_dX : bool, default False
    margin, squared, variant, weight, sample_weight, reduction
        As :func:`fastlin.svm_loss`.

    Returns
    -------
    LossGrad
        ``(loss, dW, db, dX)``.
    """
    return LossGrad(*_core.linear_svm_loss(X, y, W, b, reg, return_dX, margin, squared, variant,
                                           weight, sample_weight, reduction))


def linear_squared_loss(X, T, W, b=None, *, reg=0.0, return_dX=False, sample_weight=None,
                        reduction="mean"):
    """Linear layer, squared loss and backward in one pass (linear regression).

    Same as ``P = linear(X, W, b)``; ``loss, dP = squared_loss(P, T, ...)``;
    ``dX, dW, db = linear_backward(dP, X, W)``; plus the L2 penalty. With
    ``"mean"`` the loss is ``1/(2N) ||X W^T + b - T||^2 + reg ||W||^2``, which
    :func:`least_squares` minimises exactly.
    {linear_doc}
    Parameters
    ----------
    X : array_like, shape (N, D)
    T : array_like, shape (N, C); or (N,) when ``C == 1``
        Targets, converted to the scores' compute dtype.
    W : array_like, shape (C, D)
    b : array_like, shape (C,), optional
    reg : float >= 0, default 0
    return_dX : bool, default False
    sample_weight, reduction
        As :func:`fastlin.squared_loss`.

    Returns
    -------
    LossGrad
        ``(loss, dW, db, dX)``.
    """
    return LossGrad(*_core.linear_squared_loss(X, T, W, b, reg, return_dX, sample_weight,
                                               reduction))


for _f in (linear_softmax_loss, linear_svm_loss, linear_squared_loss):
    if _f.__doc__:  # None under python -OO
        _f.__doc__ = _f.__doc__.replace("{linear_doc}", _LINEAR_DOC)
del _f


def least_squares(X, T, *, reg=0.0, fit_bias=True):
    """Exact minimiser of :func:`linear_squared_loss` (``reduction="mean"``).

    Minimises ``1/(2N) ||X W^T + b - T||^2 + reg ||W||^2`` over ``W`` (and
    ``b`` when ``fit_bias``). The bias is not penalised: it is fitted by
    centring, ``b = mean(T) - W mean(X)``, and ``W`` solves the centred normal
    equations ``(Xc^T Xc + 2 N reg I) W^T = Xc^T Tc``, accumulated over blocks
    of rows and solved by Cholesky: the lecture's ``W* = (X^T X)^-1 X^T T``.

    That closed form cannot be used directly when ``Xc^T Xc`` is singular
    (fewer samples than features, repeated columns) or nearly so: when the
    Cholesky factorisation fails, or the estimated reciprocal condition number
    of the system is below ``sqrt(eps)`` (about 1.5e-8, where solving the
    normal equations would lose more than half the digits), ``W`` comes from
    a minimum-norm SVD solve (LAPACK ``gelsd``) of ``Xc`` -- or, with
    ``reg > 0``, of the stacked ``[Xc; sqrt(2 N reg) I]`` -- which is
    ``numpy.linalg.lstsq``'s answer: with ``reg == 0`` and a singular system,
    the minimiser with the smallest ``||W||`` (the bias is outside the norm).

    Computed in float64 whatever the inputs, returned in the common float
    dtype of ``X`` and ``T``.

    Parameters
    ----------
    X : array_like, shape (N, D)
        ``N >= 1`` samples, finite.
    T : array_like, shape (N, K) or (N,)
        Targets, finite.
    reg : float >= 0, default 0
    fit_bias : bool, default True
        When False the model has no bias and ``b`` is None.

    Returns
    -------
    W : ndarray, shape (K, D); (1, D) when ``T`` is (N,)
    b : ndarray, shape (K,); (1,) when ``T`` is (N,); or None
    """
    W, b, _method = _core.least_squares(X, T, reg, fit_bias)
    return W, b
