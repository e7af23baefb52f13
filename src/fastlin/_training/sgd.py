"""Mini-batch SGD for the estimators, on ``fastlin._sgd``'s epochs."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from .._sgd import BatchGather, SGDOptions, sgd_epochs
from .fitting import check_number
from .lbfgs import FitResult
from .objective import Objective, evaluate


def check_sgd_parameters(estimator):
    """Checks the SGD parameters that ``SGDOptions`` does not see."""
    check_number("validation_fraction", estimator.validation_fraction, low=0, low_open=True)
    if estimator.validation_fraction >= 1:
        raise ValueError(
            "validation_fraction: expected a value in (0, 1), got "
            f"{estimator.validation_fraction!r}"
        )


def sgd_options(estimator, epochs=None):
    """The estimator's ``SGDOptions`` (which check the values, naming them);
    ``epochs`` given (``partial_fit``) runs exactly that many."""
    return SGDOptions(
        batch_size=estimator.batch_size,
        learning_rate=estimator.learning_rate,
        lr_schedule=estimator.lr_schedule,
        momentum=estimator.momentum,
        nesterov=bool(estimator.nesterov),
        max_epochs=estimator.max_iter if epochs is None else epochs,
        tol=None if epochs is not None else estimator.tol,
        n_iter_no_change=estimator.n_iter_no_change,
    )


def _split(objective, estimator, rng):
    """The training rows and the validation objective of ``early_stopping``:
    a stratified ``validation_fraction`` of the rows, copied once."""
    rows = np.arange(objective.n_samples)
    train, held_out = train_test_split(
        rows, test_size=estimator.validation_fraction, random_state=rng, stratify=objective.y
    )
    sample_weight = objective.sample_weight
    validation = Objective(
        objective.fused,
        objective.X[held_out],
        objective.y[held_out],
        objective.reg,
        None if sample_weight is None else sample_weight[held_out],
        objective.options,
    )
    return np.sort(train), validation


def fit_sgd(estimator, objective, W, b, *, state=None, epochs=None):
    """Runs ``epochs`` epochs of SGD (``estimator.max_iter`` when ``None``)
    on ``objective`` from ``(W, b)``, which are updated in place, resuming
    from ``state`` (the ``FitResult.state`` of a previous call) if given.

    Each mini-batch is gathered into buffers made once and evaluated by one
    fused pass that writes its gradient into the solver's buffers.
    """
    options = sgd_options(estimator, epochs)
    # partial_fit resumes the random stream too, so that its epochs shuffle as
    # the epochs of one fit do.
    state, rng = state if state is not None else (None, check_random_state(estimator.random_state))
    train_rows, validation = None, None
    if estimator.early_stopping and epochs is None:
        train_rows, validation = _split(objective, estimator, rng)
    gather = BatchGather(estimator.batch_size, objective.X, objective.y, objective.sample_weight)

    def batch_loss_grad(rows, W, b, dW_out, db_out):
        batch = gather(rows if train_rows is None else train_rows[rows])
        return evaluate(objective, W, b, batch, dW_out=dW_out, db_out=db_out).loss

    def validation_loss(W, b):
        return evaluate(validation, W, b).loss

    n_samples = objective.n_samples if train_rows is None else len(train_rows)
    result = sgd_epochs(
        batch_loss_grad,
        n_samples,
        W,
        b,
        options,
        rng,
        state=state,
        validation_loss=None if validation is None else validation_loss,
        verbose=estimator.verbose,
    )
    converged = result.converged or epochs is not None or estimator.tol is None
    return FitResult(
        W, b, result.n_iter, list(result.loss_curve), converged, state=(result.state, rng)
    )
