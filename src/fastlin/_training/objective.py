"""The training objective: one fused ``linear_<loss>_loss`` pass per evaluation.

Every evaluation of the objective, by every solver, goes through
:func:`evaluate`, so a different backend for ``X`` (a Dask array) changes one
function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._linear import linear_softmax_loss, linear_squared_loss, linear_svm_loss
from . import dask_data

# Each classifier loss: the fused function and the options that pick it.
CLASSIFIER_LOSSES = {
    "softmax": (linear_softmax_loss, {}),
    "svm": (linear_svm_loss, {"squared": False, "variant": "weston_watkins"}),
    "squared_hinge": (linear_svm_loss, {"squared": True, "variant": "weston_watkins"}),
    "crammer_singer": (linear_svm_loss, {"squared": False, "variant": "crammer_singer"}),
}


@dataclass(frozen=True)
class Objective:
    """``fused(X, y, W, b, reg=reg, sample_weight=sample_weight, **options).loss``.

    ``options`` holds the loss's own options (``weight=`` class weights,
    ``margin=``, ``label_smoothing=`` ...). ``X`` is float32 or float64 and
    ``W``, ``b`` are given to the pass in ``X``'s dtype, so ``X`` is never
    converted.
    """

    fused: object
    X: object
    y: object
    reg: float
    sample_weight: object = None
    options: dict = field(default_factory=dict)

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def n_samples(self):
        return self.X.shape[0]


def evaluate(objective, W, b, batch=None, dW_out=None, db_out=None):
    """The objective's ``LossGrad`` at ``(W, b)``: over all rows, or over
    ``batch``, the ``(X, y, sample_weight)`` of a mini-batch. With
    ``dW_out`` (and ``db_out``) the gradient is written into them."""
    X, y, sample_weight = (
        batch if batch is not None else (objective.X, objective.y, objective.sample_weight)
    )
    buffers = {} if dW_out is None else {"dW_out": dW_out, "db_out": db_out}
    fused = objective.fused
    if dask_data.is_dask_array(X):  # one pass over the chunks, on the cluster
        fused = dask_data.distributed_fused(fused)
    return fused(
        X, y, W, b, reg=objective.reg, sample_weight=sample_weight, **objective.options, **buffers
    )


def classifier_objective(
    loss, X, y_index, reg, *, class_weight=None, sample_weight=None, margin=1.0, label_smoothing=0.0
):
    """The :class:`Objective` of a classifier loss (a name of ``CLASSIFIER_LOSSES``)."""
    fused, options = CLASSIFIER_LOSSES[loss]
    options = dict(options, weight=class_weight)
    if loss == "softmax":
        options["label_smoothing"] = label_smoothing
    else:
        options["margin"] = margin
    return Objective(fused, X, y_index, reg, sample_weight, options)


def regression_objective(X, T, reg, *, sample_weight=None):
    """The :class:`Objective` of the squared loss."""
    return Objective(linear_squared_loss, X, T, reg, sample_weight)


def initial_parameters(n_outputs, n_features, dtype, fit_intercept):
    """Zero ``(W, b)`` in ``dtype`` (``b`` is ``None`` without an intercept)."""
    W = np.zeros((n_outputs, n_features), dtype=dtype)
    b = np.zeros(n_outputs, dtype=dtype) if fit_intercept else None
    return W, b
