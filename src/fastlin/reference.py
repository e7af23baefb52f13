"""fastlin's whole public API in plain, vectorised NumPy: the oracle.

Every test checks the compiled ``fastlin`` against this module, and every
benchmark measures it as the "before". It is written to be read: one
vectorised NumPy expression per step of the math, no loop over samples, and
nothing compiled (it never imports ``fastlin._core``).

``import fastlin.reference as fl`` and ``import fastlin as fl`` give the same
functions with the same arguments and results; only the speed differs.

Conventions:

* ``X`` is ``(N, D)`` (one sample per row; ``linear``, ``linear_backward`` and
  ``bias_trick`` also take a single sample ``(D,)``), ``W`` is ``(C, D)``,
  ``b`` is ``(C,)`` or ``None``, scores ``S = X @ W.T + b`` are ``(N, C)``,
  labels ``y`` are ``(N,)`` integers in ``[0, C)`` of any integer dtype.
* Compute dtype: float32 when every floating input is bool, float16 or
  float32; float64 otherwise (integers, float64, and longdouble, which is
  computed in float64). Complex, object, string, date and void arrays raise
  ``TypeError``. The scores losses compute in the dtype of the scores ``S``
  (``P`` for ``squared_loss``): soft labels and targets are converted to it.
  The linear functions compute in the common dtype of ``X``, ``W``, ``b``.
* A gradient has the shape, and the float dtype (by the rule above), of the
  array it differentiates.
* A reduced loss is a Python ``float``, summed in float64 whatever the input
  dtype. ``reduction="none"`` returns the per-sample losses, an ``(N,)`` array
  of the compute dtype, and each row of the gradient is that sample's own
  gradient.
* ``weight`` is per class ``(C,)``, ``sample_weight`` per sample ``(N,)``; both
  must be finite and ``>= 0``. ``"mean"`` divides by the total weight of the
  counted samples; over zero total weight it is NaN with an all-zero
  gradient.
* Errors are ``ValueError`` (bad shape or value) or ``TypeError`` (bad dtype or
  type), and the message starts with the argument's name.
"""

from __future__ import annotations

import math

import numpy as np

from ._errors import LabelError
from ._lossgrad import LossGrad
from ._typing import FloatArray, LossAndGradient, Reduction, SvmVariant, npt

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

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_REDUCTIONS = ("mean", "sum", "none")
_SVM_VARIANTS = ("weston_watkins", "crammer_singer")
_INT64_MIN = int(np.iinfo(np.int64).min)
_INT64_MAX = int(np.iinfo(np.int64).max)


# --------------------------------------------------------------------------
# Argument checks (private)
# --------------------------------------------------------------------------


def _as_numeric(name, a):
    """``a`` as an ndarray of a real numeric dtype (bool, integer or float)."""
    if a is None:
        raise TypeError(f"{name}: expected an array, got None")
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: could not be converted to an array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: expected a real numeric array (bool, integer or float), got dtype {arr.dtype}"
        )
    return arr


def _float_dtype(*arrays):
    """float32 when every array is bool, float16 or float32; else float64."""
    for a in arrays:
        if a is None:
            continue
        kind, size = a.dtype.kind, a.dtype.itemsize
        if not (kind == "b" or (kind == "f" and size <= 4)):
            return _F64
    return _F32


def _real(name, value):
    """``value`` as a Python float (a real number, not a string)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a real number, got {value!r}") from None


def _check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _check_reg(reg):
    reg = _real("reg", reg)
    if not (math.isfinite(reg) and reg >= 0.0):
        raise ValueError(f"reg: expected a finite number >= 0, got {reg!r}")
    return reg


def _check_weights(name, w, n, what):
    """Optional weights of shape ``(n,)``, finite and >= 0, as float64."""
    if w is None:
        return None
    a = _as_numeric(name, w)
    if a.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},) ({what}), got shape {a.shape}")
    a = a.astype(_F64)
    bad = ~(np.isfinite(a) & (a >= 0.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name}: weights must be finite and >= 0, got {name}[{i}] = {a[i]}")
    return a


def _check_labels(y, N, C, ignore_index=None):
    """Integer labels ``y`` of shape ``(N,)`` in ``[0, C)``, ``ignore_index`` aside.

    Returns ``(labels, keep)``: int64 labels with ignored rows set to 0 (a safe
    index), and the boolean mask of the rows that count.
    """
    if y.dtype.kind not in "iu":
        raise TypeError(f"y: expected integer class labels, got dtype {y.dtype}")
    if y.shape != (N,):
        raise ValueError(
            f"y: expected shape ({N},) to match the rows of the scores, got shape {y.shape}"
        )
    if y.dtype.kind == "u" and y.dtype.itemsize == 8:
        # Values beyond int64 would wrap when converted (possibly onto
        # ignore_index): they are out of range, say so.
        big = y > np.uint64(_INT64_MAX)
        if big.any():
            i = int(np.argmax(big))
            raise LabelError(f"y: label y[{i}] = {int(y[i])} is outside [0, C) with C = {C}")
    y64 = y.astype(np.int64)
    if ignore_index is not None and _INT64_MIN <= ignore_index <= _INT64_MAX:
        ignored = y64 == ignore_index
    else:
        ignored = np.zeros(N, dtype=bool)
    bad = ~ignored & ((y64 < 0) | (y64 >= C))
    if bad.any():
        i = int(np.argmax(bad))
        msg = f"y: label y[{i}] = {int(y64[i])} is outside [0, C) with C = {C}"
        if ignore_index is not None:
            msg += f" (and is not ignore_index = {ignore_index})"
        raise LabelError(msg)
    keep = ~ignored
    return np.where(keep, y64, 0), keep


def _scores(S):
    """Scores ``S`` of shape ``(N, C)``, ``C >= 1``, in their compute dtype."""
    S = _as_numeric("S", S)
    if S.ndim != 2:
        raise ValueError(
            f"S: expected shape (N, C), got shape {S.shape}"
            + ("; for a single sample use S[None, :]" if S.ndim == 1 else "")
        )
    if S.shape[1] < 1:
        raise ValueError(f"S: expected at least one class (C >= 1), got shape {S.shape}")
    dtype = _float_dtype(S)
    return np.asarray(S, dtype=dtype), dtype


def _quiet():
    """No RuntimeWarning for inf/NaN arithmetic: NaN in, NaN out, silently."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _finish(L, G, sw, denom, reduction, dtype=None):
    """Apply sample weights and the reduction to per-row losses and gradients.

    ``L`` (N,) are the per-row losses (class weights included), in the compute
    dtype or in float64, and ``G`` the matching per-row gradients (or None) in
    the compute ``dtype`` (``L.dtype`` when not given); ``sw`` the float64
    sample weights or None; ``denom`` the float64 "mean" denominator. "none"
    returns the losses in ``dtype``; the reductions sum ``L`` as it is.
    """
    dtype = L.dtype if dtype is None else np.dtype(dtype)
    with _quiet():
        if sw is not None:
            L = L * sw.astype(L.dtype)
            if G is not None:
                G = G * sw.astype(dtype).reshape((-1,) + (1,) * (G.ndim - 1))
        if reduction == "none":
            return L.astype(dtype, copy=False), G
        total = float(np.sum(L, dtype=np.float64))
        if reduction == "sum":
            return total, G
        if denom > 0.0:
            if G is not None:
                G = G * dtype.type(1.0 / denom)
            return total / denom, G
    # A mean over nothing (no rows, all ignored, zero total weight).
    return math.nan, (None if G is None else np.zeros_like(G))


# --------------------------------------------------------------------------
# The linear layer
# --------------------------------------------------------------------------


def _weights_arg(W):
    W = _as_numeric("W", W)
    if W.ndim != 2:
        raise ValueError(f"W: expected shape (C, D), got shape {W.shape}")
    return W


def _samples_arg(X, W, allow_1d=True):
    X = _as_numeric("X", X)
    if allow_1d and X.ndim not in (1, 2):
        raise ValueError(f"X: expected shape (N, D) or (D,), got shape {X.shape}")
    if not allow_1d and X.ndim != 2:
        raise ValueError(
            f"X: expected shape (N, D), got shape {X.shape}"
            + ("; for a single sample use X[None, :]" if X.ndim == 1 else "")
        )
    if X.shape[-1] != W.shape[1]:
        raise ValueError(
            f"X: expected {W.shape[1]} features to match W of shape {W.shape}, got shape {X.shape}"
        )
    return X


def _bias_arg(b, W):
    if b is None:
        return None
    b = _as_numeric("b", b)
    if b.shape != (W.shape[0],):
        raise ValueError(
            f"b: expected shape ({W.shape[0]},) to match W of shape {W.shape}, got shape {b.shape}"
        )
    return b


def linear(X: npt.ArrayLike, W: npt.ArrayLike, b: npt.ArrayLike | None = None) -> FloatArray:
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
        In the common compute dtype of ``X``, ``W`` and ``b``.
    """
    W = _weights_arg(W)
    X = _samples_arg(X, W)
    b = _bias_arg(b, W)
    dtype = _float_dtype(X, W, b)
    with _quiet():
        S = np.asarray(X, dtype=dtype) @ np.asarray(W, dtype=dtype).T
        if b is not None:
            S += np.asarray(b, dtype=dtype)
    return S


def linear_backward(
    dS: npt.ArrayLike, X: npt.ArrayLike, W: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Backward pass of :func:`linear`: gradients from the upstream ``dS``.

    ``dX = dS @ W``, ``dW = dS.T @ X``, ``db = dS.sum(0)``.

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
        Shapes of ``X``, ``W`` and ``(C,)``. Computed in the common compute
        dtype of ``dS``, ``X``, ``W``; ``dX`` and ``dW`` are returned in the
        float dtypes of ``X`` and ``W``, ``db`` in the compute dtype.
    """
    W = _weights_arg(W)
    X = _samples_arg(X, W)
    dS = _as_numeric("dS", dS)
    expected = (X.shape[0], W.shape[0]) if X.ndim == 2 else (W.shape[0],)
    if dS.shape != expected:
        raise ValueError(
            f"dS: expected shape {expected} to match X of shape {X.shape} and "
            f"W of shape {W.shape}, got shape {dS.shape}"
        )
    dtype = _float_dtype(dS, X, W)
    dS = np.asarray(dS, dtype=dtype)
    Xc = np.asarray(X, dtype=dtype)
    Wc = np.asarray(W, dtype=dtype)
    with _quiet():
        dX = dS @ Wc
        if X.ndim == 2:
            dW = dS.T @ Xc
            db = dS.sum(axis=0)
        else:
            dW = np.outer(dS, Xc)
            db = dS.copy()
    return dX.astype(_float_dtype(X), copy=False), dW.astype(_float_dtype(W), copy=False), db


def bias_trick(
    X: npt.ArrayLike, W: npt.ArrayLike, b: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
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
        ``W`` with ``b`` appended as its last column, in the common float dtype
        of ``W`` and ``b``.
    """
    W = _weights_arg(W)
    X = _samples_arg(X, W)
    if b is None:
        raise TypeError(f"b: expected an array of shape ({W.shape[0]},), got None")
    b = _bias_arg(b, W)
    xdt = _float_dtype(X)
    wdt = _float_dtype(W, b)
    ones = np.ones(X.shape[:-1] + (1,), dtype=xdt)
    X1 = np.concatenate([np.asarray(X, dtype=xdt), ones], axis=-1)
    W1 = np.concatenate([np.asarray(W, dtype=wdt), np.asarray(b, dtype=wdt)[:, None]], axis=1)
    return X1, W1


# --------------------------------------------------------------------------
# Losses on scores
# --------------------------------------------------------------------------


def softmax_loss(
    S: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    weight: npt.ArrayLike | None = None,
    sample_weight: npt.ArrayLike | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    grad: bool = True,
) -> LossAndGradient:
    """Softmax cross-entropy of scores ``S`` and its gradient ``dS``.

    Matches ``torch.nn.functional.cross_entropy(S, y, weight, ignore_index=...,
    label_smoothing=..., reduction=...)``; ``sample_weight`` is an extension.

    Hard labels ``y`` (N,), integers: with ``log p = s - m - log(sum(exp(s - m)))``
    (``m`` the row maximum, subtracted first) sample ``i`` contributes::

        l_i = sw_i * ((1-eps) * w_{y_i} * -log p_{i,y_i}
                      + eps/C * sum_c w_c * -log p_ic)

    (the second term only when ``eps = label_smoothing > 0``). Rows with
    ``y == ignore_index`` contribute 0, get a zero gradient and are not counted;
    ``"mean"`` is ``sum_i l_i / sum_i sw_i * w_{y_i}`` over the counted rows.

    Soft labels ``y`` (N, C), floats (class probabilities, not checked to sum
    to one, as PyTorch): ``t' = t (1-eps) + eps/C`` and
    ``l_i = -sw_i * sum_c w_c t'_ic log p_ic``; a term with ``w_c t'_ic == 0``
    adds exactly 0 even where ``p_ic == 0`` (0 log 0 = 0, so a masked class that
    is not a target does not poison the row; PyTorch gives NaN there).
    ``ignore_index`` does not apply, and ``"mean"`` divides by ``sum_i sw_i``
    (N without sample weights), as PyTorch divides by N.

    Extremes: logits of +-1e4 are exact; a ``-inf`` logit is a masked class
    (p = 0, zero gradient there), but with label smoothing it gives
    ``-log p = inf``, so the loss is inf (as PyTorch; with hard labels and
    ``w_c = 0`` on that class the term is ``0 * inf = NaN``, as PyTorch). A row
    whose target logit is ``-inf`` has loss inf; an all ``-inf`` row gives NaN.
    A NaN score makes that row's loss and gradient NaN and leaves the other
    rows alone. ``C = 1`` gives loss 0.

    Parameters
    ----------
    S : array_like, shape (N, C)
        Scores (logits); 2-D only, ``C >= 1``.
    y : array_like, shape (N,) of integers, or (N, C) of floats
        Class labels in ``[0, C)`` (any integer dtype, not bool), or soft labels.
    weight : array_like, shape (C,), optional
        Per-class weights ``w_c``, finite and >= 0.
    sample_weight : array_like, shape (N,), optional
        Per-sample weights ``sw_i``, finite and >= 0.
    ignore_index : int, default -100
        Hard label that marks a row to skip.
    label_smoothing : float in [0, 1], default 0
    reduction : {"mean", "sum", "none"}, default "mean"
    grad : bool, default True
        When False, the gradient is not computed and ``None`` is returned.

    Returns
    -------
    loss : float or ndarray
        The reduced loss as a Python float (summed in float64); for
        ``reduction="none"`` the ``(N,)`` array of ``l_i`` in ``S``'s compute
        dtype (0 for ignored rows). A mean over zero total weight is NaN.
    dS : ndarray or None
        Gradient of ``loss`` (or, for ``"none"``, row ``i`` of ``l_i``) with
        respect to ``S``, shape ``(N, C)``, in ``S``'s compute dtype:
        ``sw_i * (p_i * sum_c q_ic - q_i)`` (``q_i`` the weighted, smoothed
        target row) times ``1/denominator`` for ``"mean"``; all zeros when the
        mean's denominator is 0.
    """
    S, dtype = _scores(S)
    N, C = S.shape
    reduction = _check_reduction(reduction)
    eps = _real("label_smoothing", label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing: expected a value in [0, 1], got {label_smoothing!r}")
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(
        ignore_index, (int, np.integer)
    ):
        raise TypeError(f"ignore_index: expected an integer, got {ignore_index!r}")
    ignore_index = int(ignore_index)
    y = _as_numeric("y", y)
    if y.dtype.kind == "b":
        raise TypeError("y: expected integer class labels (or float soft labels), got dtype bool")
    soft = y.dtype.kind == "f"
    if soft and y.ndim != 2:
        raise TypeError(
            f"y: expected integer class labels of shape ({N},) or float soft labels "
            f"of shape {S.shape}, got dtype {y.dtype} and shape {y.shape}"
        )
    if soft and y.shape != S.shape:
        raise ValueError(f"y: soft labels must have the shape of S {S.shape}, got shape {y.shape}")
    w = _check_weights("weight", weight, C, "C, one per class")
    sw = _check_weights("sample_weight", sample_weight, N, "N, one per sample")
    wd = np.ones(C, dtype=dtype) if w is None else w.astype(dtype)  # w_c, compute dtype
    rows = np.arange(N)

    with _quiet():
        m = S.max(axis=1, keepdims=True)  # NaN wins, so a NaN row stays NaN
        # The loss terms in float64, as the compiled code sums them: the gap
        # m - s of float32 logits near +-3e38 overflows float32 but not float64.
        Z = S.astype(_F64) - m  # s - m <= 0
        E = np.exp(Z)
        sumexp = E.sum(axis=1, keepdims=True)
        lse = np.log(sumexp)  # log-sum-exp minus m
        neg_logp = lse - Z  # -log p_ic, float64
        P = (E / sumexp).astype(dtype)  # p_ic; the gradient is in dtype

        if soft:
            t = np.asarray(y, dtype=dtype)
            if eps > 0.0:
                t = t * (1.0 - eps) + eps / C
            q = wd * t  # weighted (smoothed) target
            q64 = q.astype(_F64)
            # sum_c q_c (m - s_c) + (sum_c q_c) lse: a class with q_c == 0 adds
            # nothing to the first sum (0 log 0 = 0), while a NaN in the row
            # still reaches the loss through lse even when the target is all 0.
            L = np.where(q != 0, -q64 * Z, 0).sum(axis=1) + q64.sum(axis=1) * lse[:, 0]
            denom = float(N) if sw is None else float(sw.sum())
            G = None
            if grad:
                G = P * q.sum(axis=1, keepdims=True) - q  # p * sum_c q_c - q
        else:
            labels, keep = _check_labels(y, N, C, ignore_index)
            wy = wd[labels]
            wd64 = wd.astype(_F64)
            L = (1.0 - eps) * wd64[labels] * neg_logp[rows, labels]
            if eps > 0.0:
                L = L + (eps / C) * (neg_logp * wd64).sum(axis=1)
            L = np.where(keep, L, 0)
            cw = np.ones(N) if w is None else w[labels]  # float64
            if sw is not None:
                cw = cw * sw
            denom = float(cw[keep].sum())
            G = None
            if grad:
                Q = (1.0 - eps) * wy + (eps / C) * wd.sum()  # sum_c q_ic
                G = P * Q[:, None]  # p * sum_c q_c
                G[rows, labels] -= (1.0 - eps) * wy
                if eps > 0.0:
                    G -= (eps / C) * wd
                G[~keep] = 0
        return _finish(L, G, sw, denom, reduction, dtype)


def svm_loss(
    S: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    margin: float = 1.0,
    squared: bool = False,
    variant: SvmVariant = "weston_watkins",
    weight: npt.ArrayLike | None = None,
    sample_weight: npt.ArrayLike | None = None,
    reduction: Reduction = "mean",
    grad: bool = True,
) -> LossAndGradient:
    """Multiclass SVM (hinge) loss of scores ``S`` and its gradient ``dS``.

    ``variant="weston_watkins"`` (the lecture's, cs231n's)::

        L_i = sum_{j != y_i} max(0, s_ij - s_{i,y_i} + margin)^p

    ``variant="crammer_singer"``::

        L_i = max(0, margin + max_{j != y_i} s_ij - s_{i,y_i})^p

    with ``p = 2`` when ``squared`` else 1. With ``C = 1`` there is no
    ``j != y_i`` and ``L_i = 0`` (both variants).

    Gradient (the lecture's subgradient): a margin term ``M = s_j - s_y + margin``
    is active where ``M > 0`` strictly (a NaN margin is not active); an active
    term adds ``g = 1`` (``2 M`` when squared) to ``dS_ij`` and ``-g`` to
    ``dS_{i,y_i}``. For Crammer-Singer a tie in the max gives the gradient to
    the FIRST maximising ``j`` (and a NaN score, if any, is the maximum).

    Sample ``i`` counts with ``c_i = sample_weight[i] * weight[y_i]``:
    ``"none"`` gives ``c_i L_i``, ``"sum"`` ``sum_i c_i L_i``, ``"mean"``
    ``sum_i c_i L_i / sum_i c_i`` (NaN with a zero gradient when that is 0).
    There is no ``ignore_index``. Relation to PyTorch::

        torch.nn.functional.multi_margin_loss(S, y, p, margin, weight,
                                              reduction="sum")
            == svm_loss(S, y, margin=margin, squared=(p == 2), weight=weight,
                        reduction="sum")[0] / C

    A NaN score gives a NaN loss for its row only.

    Parameters
    ----------
    S : array_like, shape (N, C)
    y : array_like, shape (N,)
        Integer labels in ``[0, C)`` (any integer dtype, not bool or float).
    margin : float, default 1.0
        Finite.
    squared : bool, default False
    variant : {"weston_watkins", "crammer_singer"}
    weight : array_like, shape (C,), optional
    sample_weight : array_like, shape (N,), optional
    reduction : {"mean", "sum", "none"}, default "mean"
    grad : bool, default True

    Returns
    -------
    loss : float or ndarray
        Python float, or the ``(N,)`` array of ``c_i L_i`` for ``"none"``.
    dS : ndarray or None
        Shape ``(N, C)``, in ``S``'s compute dtype.
    """
    S, dtype = _scores(S)
    N, C = S.shape
    reduction = _check_reduction(reduction)
    margin = _real("margin", margin)
    if not math.isfinite(margin):
        raise ValueError(f"margin: expected a finite number, got {margin!r}")
    if not isinstance(variant, str) or variant not in _SVM_VARIANTS:
        raise ValueError(f"variant: expected 'weston_watkins' or 'crammer_singer', got {variant!r}")
    y = _as_numeric("y", y)
    labels, _ = _check_labels(y, N, C)
    w = _check_weights("weight", weight, C, "C, one per class")
    sw = _check_weights("sample_weight", sample_weight, N, "N, one per sample")
    rows = np.arange(N)
    is_y = np.zeros((N, C), dtype=bool)
    is_y[rows, labels] = True
    s_y = S[rows, labels]

    with _quiet():
        G = np.zeros((N, C), dtype=dtype) if grad else None
        if variant == "weston_watkins":
            M = np.where(is_y, 0, S - s_y[:, None] + dtype.type(margin))
            H = np.maximum(M, 0)  # keeps NaN
            L = (H * H if squared else H).sum(axis=1)
            if grad:
                G[:] = np.where(M > 0, 2 * M if squared else 1, 0)
                G[rows, labels] = -G.sum(axis=1)
        elif C == 1:
            L = np.zeros(N, dtype=dtype)
        else:
            others = np.where(is_y, -np.inf, S)
            j = np.argmax(others, axis=1)  # first maximum (first NaN, if any)
            M = others[rows, j] - s_y + dtype.type(margin)
            H = np.maximum(M, 0)
            L = H * H if squared else H
            if grad:
                g = np.where(M > 0, 2 * M if squared else 1, 0).astype(dtype, copy=False)
                G[rows, j] = g
                G[rows, labels] -= g
        L = L.astype(dtype, copy=False)

        if w is not None:
            L = L * w.astype(dtype)[labels]
            if grad:
                G *= w.astype(dtype)[labels][:, None]
    cw = np.ones(N) if w is None else w[labels]
    if sw is not None:
        cw = cw * sw
    return _finish(L, G, sw, float(cw.sum()), reduction)


def squared_loss(
    P: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    sample_weight: npt.ArrayLike | None = None,
    reduction: Reduction = "mean",
    grad: bool = True,
) -> LossAndGradient:
    """Squared (linear-regression) loss ``L_i = 1/2 ||p_i - t_i||^2`` and ``dP``.

    Sample ``i`` contributes ``sw_i * L_i``; ``"mean"`` is per sample (not per
    element): ``sum_i sw_i L_i / sum_i sw_i`` (``/ N`` without sample
    weights), NaN with a zero gradient when that denominator is 0.

    Parameters
    ----------
    P : array_like, shape (N,) or (N, K)
        Predictions; the compute dtype is ``P``'s float dtype.
    T : array_like, same shape as ``P``
        Targets, converted to ``P``'s compute dtype.
    sample_weight : array_like, shape (N,), optional
    reduction : {"mean", "sum", "none"}, default "mean"
    grad : bool, default True

    Returns
    -------
    loss : float or ndarray
        Python float, or the ``(N,)`` array of ``sw_i L_i`` for ``"none"``.
    dP : ndarray or None
        ``sw_i (p_i - t_i)`` (times ``1/denominator`` for ``"mean"``), shape
        of ``P``, in ``P``'s compute dtype.
    """
    P = _as_numeric("P", P)
    T = _as_numeric("T", T)
    if P.ndim not in (1, 2):
        raise ValueError(f"P: expected shape (N,) or (N, K), got shape {P.shape}")
    if T.shape != P.shape:
        raise ValueError(f"T: expected the shape of P {P.shape}, got shape {T.shape}")
    reduction = _check_reduction(reduction)
    N = P.shape[0]
    sw = _check_weights("sample_weight", sample_weight, N, "N, one per sample")
    dtype = _float_dtype(P)
    with _quiet():
        R = np.asarray(P, dtype=dtype) - np.asarray(T, dtype=dtype)
        R2 = R * R
        L = 0.5 * (R2 if R.ndim == 1 else R2.sum(axis=1))
    denom = float(N) if sw is None else float(sw.sum())
    return _finish(L.astype(dtype, copy=False), R if grad else None, sw, denom, reduction)


# --------------------------------------------------------------------------
# Linear layer + loss + backward
# --------------------------------------------------------------------------


def _gradient_out(name, out, dtype, shape, inputs):
    """``out`` checked as a buffer to write a gradient of ``dtype`` and ``shape`` into."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"{name}: expected a numpy.ndarray to write the gradient into, got {type(out)}"
        )
    if out.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {dtype} (the gradient's), got dtype {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got shape {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array")
    if not out.flags.writeable:
        raise ValueError(f"{name}: expected a writeable array, got a read-only one")
    # Memory bounds, as the compiled check: writing into an input the pass
    # still reads would change the result.
    if any(isinstance(a, np.ndarray) and np.may_share_memory(out, a) for a in inputs):
        raise ValueError(f"{name}: shares memory with an input of the call; give a separate array")
    return out


def _gradient_outs(dW_out, db_out, W, b, inputs):
    """The checked ``dW_out`` and ``db_out`` of a ``linear_*_loss`` call."""
    dW_out = _gradient_out("dW_out", dW_out, _float_dtype(W), W.shape, inputs)
    if db_out is not None and b is None:
        raise ValueError("db_out: given, but b is None (there is no bias gradient)")
    if b is not None:
        db_out = _gradient_out("db_out", db_out, _float_dtype(b), b.shape, inputs)
    if dW_out is not None and db_out is not None and np.may_share_memory(dW_out, db_out):
        raise ValueError("db_out: shares memory with dW_out; give separate arrays")
    return dW_out, db_out


def _linear_loss(
    X, W, b, reg, return_dX, reduction, loss_of_scores, dW_out=None, db_out=None, inputs=()
):
    """Shared body of the ``linear_*_loss`` functions.

    ``loss_of_scores(S)`` returns ``(loss, dS)`` for the scores ``S``;
    ``inputs`` are the array arguments the output buffers may not overlap.
    """
    W_arg, X_arg, b_arg = W, X, b
    W = _weights_arg(W)
    if W.shape[0] < 1:
        raise ValueError(f"W: expected at least one class (C >= 1), got shape {W.shape}")
    X = _samples_arg(X, W, allow_1d=False)
    b = _bias_arg(b, W)
    reg = _check_reg(reg)
    reduction = _check_reduction(reduction)
    dW_out, db_out = _gradient_outs(dW_out, db_out, W, b, (X_arg, W_arg, b_arg) + tuple(inputs))
    dtype = _float_dtype(X, W, b)
    Xc = np.asarray(X, dtype=dtype)
    Wc = np.asarray(W, dtype=dtype)

    with _quiet():
        S = Xc @ Wc.T
        if b is not None:
            S += np.asarray(b, dtype=dtype)
        loss, dS = loss_of_scores(S)

        dW = dS.T @ Xc
        if reg > 0.0:
            dW += dtype.type(2.0 * reg) * Wc
            if reduction != "none":
                loss += reg * float(np.sum(np.square(W, dtype=np.float64)))
        db = None if b is None else dS.sum(axis=0).astype(_float_dtype(b), copy=False)
        dX = (dS @ Wc).astype(_float_dtype(X), copy=False) if return_dX else None
    dW = dW.astype(_float_dtype(W), copy=False)
    if dW_out is not None:
        dW_out[...] = dW
        dW = dW_out
    if db_out is not None:
        db_out[...] = db
        db = db_out
    return LossGrad(loss, dW, db, dX)


_LINEAR_DOC = """
    The scores ``S = X @ W.T + b`` are computed in the common compute dtype of
    ``X``, ``W`` and ``b``; ``dW``, ``db``, ``dX`` come back in the float
    dtypes of ``W``, ``b`` and ``X``. ``X`` must be 2-D (a single sample is
    ``X[None, :]``). The penalty ``reg * sum(W**2)`` (not the bias) is added
    once to the reduced loss and ``2 * reg * W`` to ``dW``. With
    ``reduction="none"`` the per-sample losses get no penalty, while ``dW``
    still gets ``2 * reg * W``: the gradients are then those of
    ``sum_i l_i + reg * sum(W**2)`` (each row of ``dX`` being its own
    sample's gradient).

    ``dW_out`` and ``db_out`` (as scikit-learn's ``gradient_out``), when
    given, receive ``dW`` and ``db`` in place and are the very arrays the
    result holds, so that a training loop allocates no gradient per step.
    Each must be a writeable, C-contiguous ndarray of exactly the gradient's
    dtype and shape (else ``TypeError`` for the type or dtype, ``ValueError``
    for the rest) whose memory overlaps no input of the call nor the other
    buffer (``ValueError``): a buffer the pass still reads from would change
    the result. ``db_out`` needs ``b``. On an error nothing is written.
"""


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
    """Linear layer, softmax cross-entropy and backward in one call.

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
        As :func:`softmax_loss`.
    dW_out : ndarray, shape (C, D), optional
    db_out : ndarray, shape (C,), optional
        Buffers the gradients are written into (see above).

    Returns
    -------
    LossGrad
        ``(loss, dW, db, dX)``; ``db`` is None when ``b`` is None, ``dX`` is
        None unless ``return_dX``.
    """
    return _linear_loss(
        X,
        W,
        b,
        reg,
        return_dX,
        reduction,
        lambda S: softmax_loss(
            S,
            y,
            weight=weight,
            sample_weight=sample_weight,
            ignore_index=ignore_index,
            label_smoothing=label_smoothing,
            reduction=reduction,
        ),
        dW_out,
        db_out,
        (y, weight, sample_weight),
    )


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
    """Linear layer, multiclass SVM loss and backward in one call.

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
        As :func:`svm_loss`.
    dW_out : ndarray, shape (C, D), optional
    db_out : ndarray, shape (C,), optional
        Buffers the gradients are written into (see above).

    Returns
    -------
    LossGrad
        ``(loss, dW, db, dX)``.
    """
    return _linear_loss(
        X,
        W,
        b,
        reg,
        return_dX,
        reduction,
        lambda S: svm_loss(
            S,
            y,
            margin=margin,
            squared=squared,
            variant=variant,
            weight=weight,
            sample_weight=sample_weight,
            reduction=reduction,
        ),
        dW_out,
        db_out,
        (y, weight, sample_weight),
    )


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
    """Linear layer, squared loss and backward in one call (linear regression).

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
        As :func:`squared_loss`.
    dW_out : ndarray, shape (C, D), optional
    db_out : ndarray, shape (C,), optional
        Buffers the gradients are written into (see above).

    Returns
    -------
    LossGrad
        ``(loss, dW, db, dX)``.
    """
    T_arg, T = T, _as_numeric("T", T)

    def loss_of_scores(S):
        N, C = S.shape
        if T.shape == (N, C):
            T2 = T
        elif C == 1 and T.shape == (N,):
            T2 = T.reshape(N, 1)
        else:
            also = " or (N,) since C == 1" if C == 1 else ""
            raise ValueError(
                f"T: expected shape (N, C) = ({N}, {C}){also} to match the scores "
                f"X @ W.T, got shape {T.shape}"
            )
        return squared_loss(S, T2, sample_weight=sample_weight, reduction=reduction)

    return _linear_loss(
        X, W, b, reg, return_dX, reduction, loss_of_scores, dW_out, db_out, (T_arg, sample_weight)
    )


for _f in (linear_softmax_loss, linear_svm_loss, linear_squared_loss):
    if _f.__doc__:  # None under python -OO
        _f.__doc__ = _f.__doc__.replace("{linear_doc}", _LINEAR_DOC)
del _f


# --------------------------------------------------------------------------
# Closed form
# --------------------------------------------------------------------------


def _min_norm_solve(A, B, scale2):
    """``numpy.linalg.lstsq(A, B)`` with singular values below
    ``eps * max(A.shape) * sqrt(scale2)`` taken as zero."""
    # The cutoff is relative to the uncentred data's scale (scale2 = its squared Frobenius norm),
    # not to A's own s_max, so the rounding noise centring leaves is never amplified into W.
    cutoff = np.finfo(_F64).eps * max(A.shape) * math.sqrt(scale2)
    s_max = np.linalg.svd(A, compute_uv=False)[0] if A.size else 0.0
    if s_max <= cutoff:
        return np.zeros((A.shape[1], B.shape[1]))
    return np.linalg.lstsq(A, B, rcond=cutoff / s_max)[0]


def least_squares(
    X: npt.ArrayLike, T: npt.ArrayLike, *, reg: float = 0.0, fit_bias: bool = True
) -> tuple[FloatArray, FloatArray | None]:
    """Exact minimiser of :func:`linear_squared_loss` (``reduction="mean"``).

    Minimises ``1/(2N) ||X W^T + b - T||^2 + reg ||W||^2`` over ``W`` (and
    ``b`` when ``fit_bias``). The bias is not penalised: it is fitted by
    centring, ``b = mean(T) - W mean(X)``, and ``W`` solves the centred problem
    ``(Xc^T Xc + 2 N reg I) W^T = Xc^T Tc``. With ``reg == 0`` this is
    ``numpy.linalg.lstsq(Xc, Tc)``: when ``Xc^T Xc`` is singular (``N < D``,
    repeated or constant columns) it returns the minimiser with the smallest
    ``||W||`` (the bias is outside the norm). Singular values below
    ``eps * max(N, D) * ||X||_F`` (``X`` uncentred) count as zero, so the
    rounding noise that centring leaves is not fitted: with every row of ``X``
    equal, ``W = 0`` and ``b = mean(T)``. With ``reg > 0`` the system is
    solved directly (``lstsq`` of the stacked system ``[Xc; sqrt(2 N reg) I]``,
    same cutoff, if it is numerically singular). Computed in float64 (a float32 solve is a
    poor oracle), returned in the common float dtype of ``X`` and ``T``.

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
    X = _as_numeric("X", X)
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (N, D), got shape {X.shape}")
    N, D = X.shape
    if N == 0:
        raise ValueError(f"X: expected at least one sample (N >= 1), got shape {X.shape}")
    T = _as_numeric("T", T)
    if T.ndim not in (1, 2) or T.shape[0] != N:
        raise ValueError(
            f"T: expected shape (N, K) or (N,) with N = {N} to match X of shape "
            f"{X.shape}, got shape {T.shape}"
        )
    reg = _check_reg(reg)
    dtype = _float_dtype(X, T)
    X64 = X.astype(_F64)
    T64 = T.astype(_F64).reshape(N, -1)
    for name, a in (("X", X), ("T", T)):
        bad = ~np.isfinite(a)
        if bad.any():
            idx = np.unravel_index(int(np.argmax(bad)), a.shape)
            raise ValueError(
                f"{name}: expected finite values, got "
                f"{name}[{', '.join(str(int(i)) for i in idx)}] = {a[idx]}"
            )

    if fit_bias:
        x_mean = X64.mean(axis=0)
        t_mean = T64.mean(axis=0)
        Xc, Tc = X64 - x_mean, T64 - t_mean
    else:
        Xc, Tc = X64, T64

    if reg == 0.0:
        Wt = _min_norm_solve(Xc, Tc, float(np.sum(X64 * X64)))
    else:
        ridge = 2.0 * N * reg
        A = Xc.T @ Xc + ridge * np.eye(D)
        try:
            Wt = np.linalg.solve(A, Xc.T @ Tc)
        except np.linalg.LinAlgError:
            stacked = np.vstack([Xc, math.sqrt(ridge) * np.eye(D)])
            Wt = _min_norm_solve(
                stacked,
                np.vstack([Tc, np.zeros((D, Tc.shape[1]))]),
                float(np.sum(X64 * X64)) + D * ridge,
            )
    W = Wt.T
    b = (t_mean - W @ x_mean).astype(dtype) if fit_bias else None
    return W.astype(dtype), b
