"""One evaluation of a fused loss over the row chunks of Dask arrays.

Each chunk's fused pass runs where the chunk is, with ``reduction="sum"`` and
no penalty; it returns its partial sums (loss, ``dW``, ``db``) and its weight
count, the denominator of ``"mean"``. The partials are added in a tree over
the chunk index whose shape depends only on the number of chunks, so for a
given chunking the sum is the same bit for bit whatever the scheduler and the
number of workers. The client then divides for ``"mean"`` and adds the penalty
once, as the in-memory function does.
"""

from __future__ import annotations

import math
import os
import re
from typing import NamedTuple, Optional

import dask
import numpy as np

from . import _linear, _runtime
from ._lossgrad import LossGrad

# Children of one node of the reduction tree: its depth is log_8(chunks).
SPLIT_EVERY = 8

_FUSED = {
    "softmax": _linear.linear_softmax_loss,
    "svm": _linear.linear_svm_loss,
    "squared": _linear.linear_squared_loss,
}

# Per-row arguments whose index an error message may name, e.g. "y[6]".
_ROW_INDEX = re.compile(r"\b(y|T|sample_weight)\[(\d+)\]")

_INT64 = np.iinfo(np.int64)


class Partial(NamedTuple):
    """The sums of one chunk (or of a subtree of chunks), in float64."""

    loss: float
    count: float
    dW: np.ndarray
    db: Optional[np.ndarray]


def _error_at_global_rows(exc, offset):
    """The same exception with every row index shifted by the chunk's ``offset``."""
    message = _ROW_INDEX.sub(lambda m: f"{m[1]}[{int(m[2]) + offset}]", str(exc))
    try:
        return type(exc)(message)
    except Exception:  # an exception type that does not take one message
        return exc


def weight_count(loss, y, sample_weight, options):
    """``sum_i c_i`` over the counted rows: the denominator of the in-memory ``"mean"``.

    Hard labels count ``sample_weight[i] * weight[y[i]]`` (rows equal to the
    softmax ``ignore_index`` not at all); soft labels and regression targets
    count ``sample_weight[i]`` (1 each without sample weights). Called after
    the chunk's fused pass has validated the labels.
    """
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    y = np.asarray(y)
    if loss == "squared" or y.dtype.kind == "f":
        return float(y.shape[0]) if sw is None else float(np.sum(sw))
    labels = y.astype(np.int64)
    keep = np.ones(labels.shape, dtype=bool)
    ignore_index = options.get("ignore_index") if loss == "softmax" else None
    if ignore_index is not None and _INT64.min <= ignore_index <= _INT64.max:
        keep = labels != ignore_index
    c = np.ones(labels.shape) if sw is None else sw
    weight = options.get("weight")
    if weight is not None:
        c = c * np.asarray(weight, dtype=np.float64)[np.where(keep, labels, 0)]
    return float(np.sum(c[keep]))


def _one_thread_per_task_in_workers():
    """In a ``dask.distributed`` worker, each task's kernel runs on one thread
    (unless ``FASTLIN_NUM_THREADS`` says otherwise): the worker's threads are
    the parallelism, as Dask's nanny sets ``OMP_NUM_THREADS=1`` for BLAS."""
    global _threads_set
    if _threads_set:
        return
    _threads_set = True
    if "FASTLIN_NUM_THREADS" in os.environ:
        return
    try:
        from distributed import get_worker
        get_worker()
    except (ImportError, ValueError):
        return  # not in a worker: the caller's own process and thread count
    _runtime.set_num_threads(1)


_threads_set = False


def chunk_partial(loss, X, y, sample_weight, W, b, offset, options, per_row):
    """The fused pass over one chunk of rows starting at global row ``offset``.

    Returns ``(Partial, rows)``; ``rows`` is ``(per-sample losses, dX)`` of the
    chunk when ``per_row`` asks for them (``reduction="none"``, ``return_dX``),
    else ``None``.
    """
    _one_thread_per_task_in_workers()
    want_losses, want_dX = per_row
    try:
        res = _FUSED[loss](X, y, W, b, reg=0.0, return_dX=want_dX, sample_weight=sample_weight,
                           reduction="none" if want_losses else "sum", **options)
    except (ValueError, TypeError) as exc:
        raise _error_at_global_rows(exc, offset) from None
    total = float(np.sum(res.loss, dtype=np.float64)) if want_losses else res.loss
    partial = Partial(total, weight_count(loss, y, sample_weight, options),
                      res.dW.astype(np.float64),
                      None if res.db is None else res.db.astype(np.float64))
    rows = (res.loss if want_losses else None, res.dX) if (want_losses or want_dX) else None
    return partial, rows


def add_partials(*parts):
    """The sum of partials, added in the order given (the fixed order of the tree)."""
    first = parts[0]
    loss, count = first.loss, first.count
    dW = first.dW.copy()
    db = None if first.db is None else first.db.copy()
    for p in parts[1:]:
        loss += p.loss
        count += p.count
        dW += p.dW
        if db is not None:
            db += p.db
    return Partial(loss, count, dW, db)


def tree_sum(parts, split_every=SPLIT_EVERY):
    """Delayed sum of delayed partials, in a tree over their index."""
    combine = dask.delayed(add_partials, pure=False)
    while len(parts) > 1:
        parts = [combine(*parts[i:i + split_every]) for i in range(0, len(parts), split_every)]
    return parts[0]


class ChunkedArgs(NamedTuple):
    """The per-chunk Delayed objects of a pass's row-chunked arguments."""

    X: list
    y: list
    sample_weight: Optional[list]
    offsets: list


def chunked_args(X, y, sample_weight):
    """Delayed blocks of the row-chunked Dask arrays (the graph optimised once)."""
    blocks = [a.to_delayed().ravel().tolist() if a is not None else None
              for a in (X, y, sample_weight)]
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
    return ChunkedArgs(blocks[0], blocks[1], blocks[2], offsets)


def evaluate(loss, args, W, b, reg, reduction, options, return_dX, probe):
    """Loss and gradients over all chunks, as the in-memory function returns them.

    ``probe`` is the in-memory result on zero rows (the dtypes of the outputs).
    """
    per_row = (reduction == "none", return_dX)
    W_d = dask.delayed(W, pure=True)
    b_d = None if b is None else dask.delayed(b, pure=True)
    task = dask.delayed(chunk_partial, pure=False, nout=2)
    outs = [task(loss, x, y, None if args.sample_weight is None else args.sample_weight[i],
                 W_d, b_d, args.offsets[i], options, per_row)
            for i, (x, y) in enumerate(zip(args.X, args.y))]
    root = tree_sum([o[0] for o in outs])
    rows = [o[1] for o in outs] if any(per_row) else []
    total, rows = dask.compute(root, rows)
    return finish(total, rows, W, reg, reduction, probe)


def finish(total, rows, W, reg, reduction, probe):
    """Divide for ``"mean"``, add the penalty once, cast to the in-memory dtypes."""
    loss, dW, db = total.loss, total.dW, total.db
    scale = 1.0
    if reduction == "mean":
        if total.count > 0.0:
            scale = 1.0 / total.count
            loss = loss / total.count
        else:  # a mean over nothing: NaN with a zero gradient, as in memory
            scale = 0.0
            loss = math.nan
        dW = dW * scale
        db = None if db is None else db * scale
    if reg > 0.0:
        W64 = np.asarray(W, dtype=np.float64)
        dW = dW + 2.0 * reg * W64
        if reduction != "none":
            loss += reg * float(np.sum(np.square(W64)))
    dW = dW.astype(probe.dW.dtype)
    db = None if db is None else db.astype(probe.db.dtype)
    dX = None
    if reduction == "none":
        loss = np.concatenate([r[0] for r in rows]).astype(probe.loss.dtype, copy=False)
    if probe.dX is not None:
        dX = np.concatenate([r[1] for r in rows]).astype(probe.dX.dtype, copy=False)
        if scale != 1.0:
            dX *= probe.dX.dtype.type(scale)
    return LossGrad(loss, dW, db, dX)
