"""Mini-batch stochastic gradient descent with momentum, over any objective
whose mini-batch gradient a callback writes into given buffers.

:func:`sgd_epochs` is the loop the estimators run for ``solver="sgd"`` and
``partial_fit``; it knows nothing of the loss or the data. Each step asks
``batch_loss_grad(rows, W, b, dW_out, db_out)`` for the objective of a
mini-batch and its gradient, written into two buffers made once per call,
then updates ``W`` and ``b`` in place with the compiled momentum update
(one pass over the parameters, as ``torch.optim.SGD``). Nothing of the size
of the parameters or of a batch is allocated per step.

How batches are formed: each epoch shuffles one index array in place from
``rng`` (every sample once per epoch, in a new random order, as scikit-learn's
``SGDClassifier`` and a PyTorch ``DataLoader(shuffle=True)``), and
``rows`` is a view of ``batch_size`` consecutive entries of it. The callback
gathers those rows; :class:`BatchGather` does it into buffers made once
(``np.take(..., out=, mode="clip")``: with ``mode="raise"`` NumPy buffers
``out`` internally, a copy per batch). Gathering reads the batch's rows once
more, which the fused pass then finds in cache: a few percent of an epoch on
the linear-probe shape. Shuffling whole contiguous blocks of rows instead
would read ``X`` in place, but it fixes which samples share a batch for the
whole fit, and a data set ordered by class would then see batches of a
single class.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import _core

__all__ = ["BatchGather", "SGDOptions", "SGDResult", "SGDState", "sgd_epochs"]

LR_SCHEDULES = ("constant", "invscaling", "cosine", "adaptive")

# "adaptive" divides the step by this when the objective stalls, and stops
# below the smallest step, as scikit-learn's SGD estimators.
_ADAPTIVE_DIVISOR = 5.0
_ADAPTIVE_MIN_LR = 1e-6


@dataclass(frozen=True)
class SGDOptions:
    """The settings of :func:`sgd_epochs`.

    Parameters
    ----------
    batch_size : int >= 1, default 256
        Rows per mini-batch; the last batch of an epoch holds the rest.
    learning_rate : float > 0, default 0.01
        The initial step size ``lr``.
    lr_schedule : str, default "constant"
        The step size ``lr_t`` of each update:

        * ``"constant"``: ``lr`` (PyTorch's ``SGD`` without a scheduler,
          scikit-learn's ``"constant"``).
        * ``"invscaling"``: ``lr / sqrt(1 + e)`` in epoch ``e`` (0 for the
          first epoch of the state): scikit-learn's inverse scaling with
          ``power_t = 0.5``, its time counted in epochs rather than samples so
          that the decay does not depend on the batch size.
        * ``"cosine"``: ``lr * (1 + cos(pi * t / T)) / 2`` at update ``t`` of
          this call, ``T = max_epochs * batches per epoch``: PyTorch's
          ``CosineAnnealingLR`` stepped per batch with ``eta_min = 0``. It
          anneals over one call, so it suits ``fit``, not ``partial_fit``.
        * ``"adaptive"``: ``lr`` until the objective has not improved by
          ``tol`` for ``n_iter_no_change`` epochs, then divided by 5 each
          time; stops once it is below ``1e-6`` (scikit-learn's
          ``"adaptive"``). Needs ``tol``.
    momentum : float in [0, 1), default 0.9
        ``v = momentum * v + g`` and ``W -= lr_t * v`` (PyTorch's form, with
        no dampening); 0 is plain SGD.
    nesterov : bool, default False
        Nesterov's momentum: ``W -= lr_t * (g + momentum * v)``, as
        ``torch.optim.SGD(nesterov=True)``.
    max_epochs : int >= 1, default 100
        The most epochs this call runs.
    tol : float >= 0 or None, default 1e-4
        Stop (or, for ``"adaptive"``, shrink the step) once the objective
        has not fallen below ``best - tol`` for ``n_iter_no_change``
        consecutive epochs, ``best`` being the lowest seen, as
        scikit-learn's ``SGDClassifier``. The objective is the validation
        loss when there is one, else the epoch's mean training objective.
        ``None`` runs all ``max_epochs``.
    n_iter_no_change : int >= 1, default 5
    """

    batch_size: int = 256
    learning_rate: float = 0.01
    lr_schedule: str = "constant"
    momentum: float = 0.9
    nesterov: bool = False
    max_epochs: int = 100
    tol: float | None = 1e-4
    n_iter_no_change: int = 5

    def __post_init__(self):
        _check_int("batch_size", self.batch_size, 1)
        _check_int("max_epochs", self.max_epochs, 1)
        _check_int("n_iter_no_change", self.n_iter_no_change, 1)
        lr = _check_real("learning_rate", self.learning_rate)
        if not lr > 0.0:
            raise ValueError(f"learning_rate: expected a finite value > 0, got {lr!r}")
        mu = _check_real("momentum", self.momentum)
        if not 0.0 <= mu < 1.0:
            raise ValueError(f"momentum: expected a value in [0, 1), got {mu!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"lr_schedule: expected one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}"
            )
        if self.tol is not None:
            tol = _check_real("tol", self.tol)
            if not tol >= 0.0:
                raise ValueError(f"tol: expected a finite value >= 0 or None, got {tol!r}")
        elif self.lr_schedule == "adaptive":
            raise ValueError(
                "tol: lr_schedule='adaptive' shrinks the step when the objective "
                "stalls by tol, so tol cannot be None"
            )


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{name}: expected an integer >= {low}, got {value!r}")


def _check_real(name, value):
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return value


@dataclass
class SGDState:
    """What carries over from one :func:`sgd_epochs` call to the next
    (``partial_fit``, ``warm_start``): pass ``result.state`` back in.

    Attributes
    ----------
    velocity_W, velocity_b : ndarray or None
        The momentum buffers (``None`` without momentum, or without bias).
    n_updates : int
        Updates made so far.
    n_epochs : int
        Epochs run so far (the ``e`` of ``"invscaling"``).
    lr_factor : float
        What ``"adaptive"`` has divided the step by so far.
    best_loss : float
        The lowest objective seen by the ``tol`` rule.
    n_no_improvement : int
        Epochs since the objective last fell by ``tol``.
    """

    velocity_W: np.ndarray | None = None
    velocity_b: np.ndarray | None = None
    n_updates: int = 0
    n_epochs: int = 0
    lr_factor: float = 1.0
    best_loss: float = math.inf
    n_no_improvement: int = 0


@dataclass(frozen=True)
class SGDResult:
    """What :func:`sgd_epochs` returns.

    Attributes
    ----------
    n_iter : int
        Epochs run by this call.
    loss_curve : list of float
        Per epoch, the mean training objective over its batches (each batch
        weighted by its rows), as the parameters moved during the epoch.
    validation_curve : list of float
        Per epoch, ``validation_loss(W, b)`` after it (empty without one).
    converged : bool
        True when the ``tol`` rule stopped the run, or when ``tol`` is None
        (all epochs were asked for); False when it stopped at ``max_epochs``.
    state : SGDState
    """

    n_iter: int
    loss_curve: list[float]
    converged: bool
    state: SGDState
    validation_curve: list[float] = field(default_factory=list)


class BatchGather:
    """Buffers, made once, that receive the rows of each mini-batch.

    ``gather = BatchGather(batch_size, X, y)``; then ``Xb, yb = gather(rows)``
    copies ``X[rows]`` and ``y[rows]`` into them and returns views of the
    first ``len(rows)`` rows. ``None`` among the arrays stays ``None`` (an
    absent ``sample_weight``). The views are overwritten by the next call.
    """

    def __init__(self, batch_size, *arrays):
        self._sources = arrays
        self._buffers = [
            None if a is None else np.empty((batch_size,) + a.shape[1:], a.dtype) for a in arrays
        ]

    def __call__(self, rows):
        n = len(rows)
        out = []
        for a, buf in zip(self._sources, self._buffers):
            if a is None:
                out.append(None)
                continue
            view = buf[:n]
            # mode="clip": the rows are valid, and "raise" would copy through a buffer.
            np.take(a, rows, axis=0, out=view, mode="clip")
            out.append(view)
        return tuple(out)


def _parameter(name, a):
    if not isinstance(a, np.ndarray) or a.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name}: expected a float32 or float64 numpy.ndarray, "
            f"got {getattr(a, 'dtype', type(a))}"
        )
    if not a.flags.c_contiguous or not a.flags.writeable:
        raise ValueError(f"{name}: expected a writeable C-contiguous array (updated in place)")
    return a


def _new_state(W, b, momentum):
    if momentum == 0.0:
        return SGDState()
    return SGDState(np.zeros_like(W), None if b is None else np.zeros_like(b))


def _checked_state(state, W, b, momentum):
    if state is None:
        return _new_state(W, b, momentum)
    if not isinstance(state, SGDState):
        raise TypeError(f"state: expected an SGDState (a result's .state) or None, got {state!r}")
    if momentum != 0.0:
        if state.velocity_W is None:  # the previous calls ran without momentum
            state.velocity_W = np.zeros_like(W)
        if b is not None and state.velocity_b is None:
            state.velocity_b = np.zeros_like(b)
        pairs = (("velocity_W", state.velocity_W, W), ("velocity_b", state.velocity_b, b))
        for name, v, p in pairs:
            if p is not None and (v.shape != p.shape or v.dtype != p.dtype):
                raise ValueError(
                    f"state: its {name} has shape {v.shape} and dtype {v.dtype}, "
                    f"the parameter shape {p.shape} and dtype {p.dtype}"
                )
    return state


def _learning_rate(options, state, update_in_call, total_updates):
    """The step size of the next update (see SGDOptions.lr_schedule)."""
    lr = options.learning_rate
    schedule = options.lr_schedule
    if schedule == "invscaling":
        return lr / math.sqrt(1.0 + state.n_epochs)
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + math.cos(math.pi * update_in_call / total_updates))
    if schedule == "adaptive":
        return lr / state.lr_factor
    return lr


def sgd_epochs(
    batch_loss_grad: Callable,
    n_samples: int,
    W: np.ndarray,
    b: np.ndarray | None,
    options: SGDOptions,
    rng: np.random.Generator,
    state: SGDState | None = None,
    validation_loss: Callable | None = None,
    verbose: int = 0,
) -> SGDResult:
    """Runs epochs of mini-batch SGD with momentum; ``W`` and ``b`` are
    updated in place.

    Parameters
    ----------
    batch_loss_grad : callable ``(rows, W, b, dW_out, db_out) -> float``
        The objective on the samples ``rows`` (an integer index array, a view
        into this call's shuffled order; gather with :class:`BatchGather`),
        regularisation included, its gradient written into ``dW_out``
        (``W``'s shape and dtype) and ``db_out`` (``None`` when ``b`` is).
        The fused ``linear_*_loss(..., dW_out=dW_out, db_out=db_out)`` does
        exactly this.
    n_samples : int >= 1
        Samples the row indices run over.
    W : ndarray (C, D), float32 or float64, C-contiguous
    b : ndarray (C,) of W's dtype, or None
    options : SGDOptions
    rng : numpy.random.Generator or numpy.random.RandomState
        Shuffles the samples at the start of each epoch; the same seed gives
        bit-for-bit the same run. A ``RandomState`` is what scikit-learn's
        ``check_random_state(random_state)`` gives.
    state : SGDState, optional
        The state a previous call returned, to continue from (momentum, step
        count, schedule, ``tol`` bookkeeping); None starts afresh.
    validation_loss : callable ``(W, b) -> float``, optional
        Evaluated after each epoch; the ``tol`` rule then watches it instead
        of the training objective (early stopping). The parameters of the
        last epoch are kept, as scikit-learn's ``SGDClassifier`` does, not
        those of the best one.
    verbose : int, default 0
        > 0 prints one line per epoch to stdout (epoch, objective, step
        size, time).

    Returns
    -------
    SGDResult

    Raises
    ------
    FloatingPointError
        When an epoch's objective is not finite (the step size is too large
        for the data): the parameters are then not usable.
    """
    if not isinstance(options, SGDOptions):
        raise TypeError(f"options: expected an SGDOptions, got {options!r}")
    if not isinstance(rng, (np.random.Generator, np.random.RandomState)):
        raise TypeError(f"rng: expected a numpy.random.Generator (or RandomState), got {rng!r}")
    _check_int("n_samples", n_samples, 1)
    W = _parameter("W", W)
    if b is not None:
        b = _parameter("b", b)
        if b.dtype != W.dtype or b.shape != W.shape[:1]:
            raise ValueError(
                f"b: expected shape ({W.shape[0]},) and dtype {W.dtype} to match W, "
                f"got shape {b.shape} and dtype {b.dtype}"
            )
    state = _checked_state(state, W, b, options.momentum)

    dW = np.empty_like(W)
    db = None if b is None else np.empty_like(b)
    # Each epoch shuffles the identity afresh, so that epochs split across
    # calls (partial_fit) draw the same orders as one call.
    identity = np.arange(n_samples)
    order = np.empty_like(identity)
    size = options.batch_size
    n_batches = -(-n_samples // size)
    total_updates = options.max_epochs * n_batches
    update = _core._momentum_update
    mu, nesterov = float(options.momentum), bool(options.nesterov)

    loss_curve, validation_curve = [], []
    converged = False
    update_in_call = 0
    for epoch in range(options.max_epochs):
        start = time.perf_counter()
        np.copyto(order, identity)
        rng.shuffle(order)
        total = 0.0
        lr = _learning_rate(options, state, update_in_call, total_updates)
        for k in range(n_batches):
            rows = order[k * size : (k + 1) * size]
            loss = batch_loss_grad(rows, W, b, dW, db)
            total += float(loss) * len(rows)
            if options.lr_schedule == "cosine":
                lr = _learning_rate(options, state, update_in_call, total_updates)
            update(W, state.velocity_W, dW, lr, mu, nesterov)
            if b is not None:
                update(b, state.velocity_b, db, lr, mu, nesterov)
            update_in_call += 1
        state.n_updates += n_batches
        state.n_epochs += 1
        epoch_loss = total / n_samples
        loss_curve.append(epoch_loss)
        if not math.isfinite(epoch_loss):
            raise FloatingPointError(
                f"the objective became {epoch_loss} in epoch {epoch + 1}: the step size "
                f"(learning_rate={options.learning_rate}) is too large for this data; lower "
                "it, or scale the features (e.g. sklearn's StandardScaler)"
            )
        watched = epoch_loss
        if validation_loss is not None:
            watched = float(validation_loss(W, b))
            validation_curve.append(watched)
        if verbose:
            shown = "" if validation_loss is None else f", validation {watched:.6g}"
            print(
                f"SGD epoch {state.n_epochs}: objective {epoch_loss:.6g}{shown}, "
                f"lr {lr:.3g}, {time.perf_counter() - start:.3f} s",
                file=sys.stdout,
                flush=True,
            )
        if options.tol is not None and _stalled(options, state, watched):
            if options.lr_schedule == "adaptive":
                state.lr_factor *= _ADAPTIVE_DIVISOR
                state.n_no_improvement = 0
                if options.learning_rate / state.lr_factor >= _ADAPTIVE_MIN_LR:
                    continue
            converged = True
            break
    return SGDResult(
        len(loss_curve), loss_curve, converged or options.tol is None, state, validation_curve
    )


def _stalled(options, state, loss):
    """scikit-learn's rule: an epoch counts as no improvement unless its
    objective is below the best so far by ``tol``."""
    if loss > state.best_loss - options.tol:
        state.n_no_improvement += 1
    else:
        state.n_no_improvement = 0
    state.best_loss = min(state.best_loss, loss)
    return state.n_no_improvement >= options.n_iter_no_change
