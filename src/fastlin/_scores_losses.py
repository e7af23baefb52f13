"""Losses on a batch of scores, computed by the compiled kernels.

Each function checks its arguments and runs in C++ with the GIL released.
float32 and float64 scores run natively; other real dtypes follow NumPy's
promotion with float32 (integers compute in float64). Any strides or memory
order are accepted; C-contiguous arrays of the scores' dtype avoid a copy.
"""

from __future__ import annotations

from . import _core
from ._typing import LossAndGradient, Reduction, SvmVariant, npt


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
    """Softmax cross-entropy of scores ``S`` (N, C) and its gradient ``dS``.

    ``y`` is either integer labels (N,) in ``[0, C)`` (``ignore_index`` rows add
    nothing and are not counted) or float class probabilities (N, C) (soft labels).
    Matches ``torch.nn.functional.cross_entropy`` with the same ``weight``,
    ``ignore_index``, ``label_smoothing`` and ``reduction``; ``sample_weight``
    (N,) multiplies each sample's loss. With hard labels, sample ``i``
    contributes ``sw_i * ((1-eps) * w_{y_i} * -log p_{i,y_i} + eps/C * sum_c w_c * -log p_ic)``
    and ``"mean"`` divides by ``sum_i sw_i * w_{y_i}``; with soft labels
    ``"mean"`` divides by ``sum_i sw_i`` (N without sample weights). A mean over
    nothing is NaN with a zero gradient. ``-inf`` logits are masked classes;
    with soft labels a class of zero target probability adds nothing (0 log 0 = 0).

    Returns ``(loss, dS)``: ``loss`` a Python float (accumulated in float64), or
    for ``reduction="none"`` the per-sample losses (N,); ``dS`` has the shape and
    float dtype of ``S``, or is None when ``grad=False``.
    """
    return _core.softmax_loss(
        S, y, weight, sample_weight, ignore_index, label_smoothing, reduction, grad
    )


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
    """Multiclass SVM hinge loss of scores ``S`` (N, C) and its gradient ``dS``.

    ``variant="weston_watkins"`` (the lecture's):
    ``L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + margin)^p``;
    ``variant="crammer_singer"``: ``L_i = max(0, margin + max_{j != y_i} s_j - s_{y_i})^p``
    (a tie in the max gives the gradient to the first maximising class);
    ``p = 2`` when ``squared``. A margin term is active where it is strictly
    positive. Sample ``i`` counts with ``c_i = sample_weight[i] * weight[y_i]``:
    ``"none"`` gives ``c_i L_i``, ``"sum"`` their sum, ``"mean"`` their sum over
    ``sum_i c_i``. ``torch.nn.functional.multi_margin_loss(S, y, p, margin,
    weight, reduction="sum")`` equals this loss with ``reduction="sum"`` over C.

    Returns ``(loss, dS)`` as :func:`softmax_loss` does.
    """
    return _core.svm_loss(S, y, margin, squared, variant, weight, sample_weight, reduction, grad)


def squared_loss(
    P: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    sample_weight: npt.ArrayLike | None = None,
    reduction: Reduction = "mean",
    grad: bool = True,
) -> LossAndGradient:
    """Squared (linear-regression) loss ``L_i = 1/2 ||p_i - t_i||^2`` and ``dP``.

    ``P`` and ``T`` are both (N,) or both (N, K). ``"mean"`` is per sample (not
    per element): ``sum_i sw_i L_i / sum_i sw_i``. Returns ``(loss, dP)`` as
    :func:`softmax_loss` does; ``dP`` has the shape and float dtype of ``P``.
    """
    return _core.squared_loss(P, T, sample_weight, reduction, grad)
