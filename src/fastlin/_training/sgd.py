"""Mini-batch SGD for the estimators, on ``fastlin._sgd``'s epochs."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from .fitting import check_number
from .lbfgs import FitResult
from .objective import Objective, evaluate

def check_sgd_parameters(estimator):
    """Checks the estimator's SGD parameters, naming the one that is wrong."""
    check_number("batch_size", estimator.batch_size, low=1, integer=True)
    check_number("learning_rate", estimator.learning_rate, low=0, low_open=True)
    check_number("momentum", estimator.momentum, low=0)
    if estimator.momentum >= 1:
        raise ValueError(f"momentum: expected a value in [0, 1), got {estimator.momentum!r}")
    check_number("validation_fraction", estimator.validation_fraction, low=0, low_open=True)
    if estimator.validation_fraction >= 1:
        raise ValueError("validation_fraction: expected a value in (0, 1), got "
                         f"{estimator.validation_fraction!r}")
    check_number("n_iter_no_change", estimator.n_iter_no_change, low=1, integer=True)


def _split(objective, estimator, rng):
    """The training rows and the validation objective of ``early_stopping``:
    a stratified ``validation_fraction`` of the rows, copied once."""
    rows = np.arange(objective.n_samples)
    train, held_out = train_test_split(rows, test_size=estimator.validation_fraction,
                                       random_state=rng, stratify=objective.y)
    sample_weight = objective.sample_weight
    validation = Objective(objective.fused, objective.X[held_out], objective.y[held_out],
                           objective.reg, None if sample_weight is None else
                           sample_weight[held_out], objective.options)
    return np.sort(train), validation


def fit_sgd(estimator, objective, W, b, *, state=None, epochs=None):
    """Runs ``epochs`` epochs of SGD (``estimator.max_iter`` when ``None``)
    on ``objective`` from ``(W, b)``, which are updated in place."""
    from .._sgd import SGDOptions, sgd_epochs

    rng = check_random_state(estimator.random_state)
    train_rows, validation = None, None
    if estimator.early_stopping and epochs is None:
        train_rows, validation = _split(objective, estimator, rng)

    def batch_loss_grad(rows, W, b, dW_out, db_out):
        result = evaluate(objective, W, b, rows if train_rows is None else train_rows[rows])
        dW_out[...] = result.dW
        if db_out is not None:
            db_out[...] = result.db
        return result.loss

    def validation_loss(W, b):
        return evaluate(validation, W, b).loss

    options = SGDOptions(batch_size=estimator.batch_size,
                         learning_rate=float(estimator.learning_rate),
                         lr_schedule=estimator.lr_schedule, momentum=float(estimator.momentum),
                         nesterov=bool(estimator.nesterov),
                         max_epochs=estimator.max_iter if epochs is None else epochs,
                         tol=None if epochs is not None else estimator.tol,
                         n_iter_no_change=estimator.n_iter_no_change)
    n_samples = objective.n_samples if train_rows is None else len(train_rows)
    result = sgd_epochs(batch_loss_grad, n_samples, W, b, options, rng, state=state,
                        validation_loss=None if validation is None else validation_loss,
                        verbose=estimator.verbose)
    converged = result.converged or epochs is not None or estimator.tol is None
    return FitResult(W, b, result.n_iter, list(result.loss_curve), converged,
                     state=result.state)
