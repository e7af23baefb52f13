"""fastlin on Dask arrays: the fused losses over row chunks, on any Dask scheduler.

``fastlin.dask.linear_softmax_loss(X, y, W, b, ...)`` (and ``linear_svm_loss``,
``linear_squared_loss``) take the arguments of the in-memory functions, with
``X`` a Dask array of shape ``(N, D)`` chunked along its rows, and the per-row
arguments (``y``, soft labels or targets, ``sample_weight``) Dask or NumPy
arrays of ``N`` rows; ``W``, ``b`` and the per-class ``weight`` are NumPy.
They return the same :class:`fastlin.LossGrad` of NumPy arrays as in memory.

How one call runs: each chunk of rows gets the in-memory fused pass (with
``reduction="sum"``), run where the chunk is. Arrays persisted on a
``dask.distributed`` cluster get one task per worker, over the chunks that
worker holds, with ``W`` sent in it; other arrays (streamed from storage, or
on another scheduler) a graph of one task per chunk, ``W`` entering it once
as an object every chunk task depends on. The chunks' partial sums (loss,
``dW``, ``db``, weight count) are added in a tree over the chunk index (8
children a node), so that for a given chunking the result is the same bit
for bit for every scheduler and number of workers. Then the sum is divided
for ``"mean"`` and ``reg * sum(W**2)`` added once.

Requires the optional dependencies: ``pip install "fastlin[dask]"``.
"""

from __future__ import annotations

try:
    import dask.array as da
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError('fastlin.dask needs Dask: pip install "fastlin[dask]"') from exc

import numpy as np

from . import _dask_pass
from . import reference as _reference

__all__ = ["linear_softmax_loss", "linear_squared_loss", "linear_svm_loss"]


def _row_chunked(name, a, X, ndim):
    """``a`` as a Dask array with ``X``'s row chunks and one chunk across columns."""
    if a is None:
        return None
    if not isinstance(a, da.Array):
        a = np.asarray(a)
        if a.dtype == object:
            raise TypeError(f"{name}: expected a real numeric array, got dtype object")
    if a.ndim not in ndim:
        shapes = " or ".join(("(N,)", "(N, C)")[d - 1] for d in ndim)
        raise ValueError(
            f"{name}: expected shape {shapes} with N = {X.shape[0]} rows to match X "
            f"of shape {X.shape}, got shape {a.shape}"
        )
    if a.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name}: expected {X.shape[0]} rows to match X of shape {X.shape}, got shape {a.shape}"
        )
    if not isinstance(a, da.Array):
        return da.from_array(a, chunks=(X.chunks[0],) + a.shape[1:])
    if a.chunks[0] != X.chunks[0] or (a.ndim == 2 and a.numblocks[1] != 1):
        a = a.rechunk((X.chunks[0],) + a.shape[1:])
    return a


def _samples(X):
    if not isinstance(X, da.Array):
        raise TypeError(
            f"X: expected a dask.array.Array, got {type(X).__name__}; "
            "for NumPy arrays use fastlin's in-memory functions"
        )
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (N, D), got shape {X.shape}")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError("X: the row chunk sizes are unknown (NaN); call X.compute_chunk_sizes()")
    if X.numblocks[1] != 1:  # each task needs whole rows
        X = X.rechunk({1: -1})
    return X


def _empty(a):
    """Zero rows of ``a``'s dtype and trailing shape: what the in-memory probe sees."""
    return None if a is None else np.empty((0,) + a.shape[1:], dtype=a.dtype)


def _pass(
    loss, X, y, W, b, reg, return_dX, sample_weight, reduction, options, y_name, dW_out, db_out
):
    X = _samples(X)
    W = np.asarray(W) if isinstance(W, da.Array) else W
    b = np.asarray(b) if isinstance(b, da.Array) else b
    y = _row_chunked(y_name, y, X, (1, 2))
    sample_weight = _row_chunked("sample_weight", sample_weight, X, (1,))
    # The in-memory function on zero rows checks W, b, reg, the options and
    # the dtypes with its own messages, and gives the dtypes of the results.
    probe = _dask_pass._FUSED[loss](
        np.empty((0, X.shape[1]), X.dtype),
        _empty(y),
        W,
        b,
        reg=reg,
        return_dX=return_dX,
        sample_weight=_empty(sample_weight),
        reduction=reduction,
        dW_out=dW_out,
        db_out=db_out,
        **options,
    )
    W = np.asarray(W)
    b = None if b is None else np.asarray(b)
    res = _dask_pass.evaluate(
        loss, X, y, sample_weight, W, b, float(reg), reduction, options, return_dX, probe
    )
    if dW_out is not None:
        dW_out[...] = res.dW
        res = res._replace(dW=dW_out)
    if db_out is not None:
        db_out[...] = res.db
        res = res._replace(db=db_out)
    return res


_NOTE = """
    Distributed (:mod:`fastlin.dask`): ``X`` is a Dask array ``(N, D)``
    chunked along rows (column chunks are merged first); the per-row
    arguments are Dask or NumPy arrays of ``N`` rows, rechunked to ``X``'s row
    chunks when they differ; ``W``, ``b``, ``weight`` are NumPy. Returns NumPy
    results; with ``reduction="none"`` or ``return_dX`` the per-row results
    are gathered on the client (they are as long as ``X``). A bad label or
    sample weight raises the in-memory error naming its global row.
"""


def _document(fn):
    doc = getattr(_reference, fn.__name__).__doc__
    if doc:  # None under python -OO
        fn.__doc__ = doc.rstrip() + "\n" + _NOTE
    return fn


@_document
def linear_softmax_loss(
    X,
    y,
    W,
    b=None,
    *,
    reg=0.0,
    return_dX=False,
    weight=None,
    sample_weight=None,
    ignore_index=-100,
    label_smoothing=0.0,
    reduction="mean",
    dW_out=None,
    db_out=None,
):
    options = dict(weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing)
    return _pass(
        "softmax",
        X,
        y,
        W,
        b,
        reg,
        return_dX,
        sample_weight,
        reduction,
        options,
        "y",
        dW_out,
        db_out,
    )


@_document
def linear_svm_loss(
    X,
    y,
    W,
    b=None,
    *,
    reg=0.0,
    return_dX=False,
    margin=1.0,
    squared=False,
    variant="weston_watkins",
    weight=None,
    sample_weight=None,
    reduction="mean",
    dW_out=None,
    db_out=None,
):
    options = dict(margin=margin, squared=squared, variant=variant, weight=weight)
    return _pass(
        "svm", X, y, W, b, reg, return_dX, sample_weight, reduction, options, "y", dW_out, db_out
    )


@_document
def linear_squared_loss(
    X,
    T,
    W,
    b=None,
    *,
    reg=0.0,
    return_dX=False,
    sample_weight=None,
    reduction="mean",
    dW_out=None,
    db_out=None,
):
    return _pass(
        "squared", X, T, W, b, reg, return_dX, sample_weight, reduction, {}, "T", dW_out, db_out
    )
