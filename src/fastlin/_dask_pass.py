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

import functools
import math
import multiprocessing
import os
import re
import uuid
from typing import NamedTuple, Optional

import dask
import numpy as np
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph

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
    rows: Optional[tuple] = None  # a chunk's (per-sample losses, dX), when asked for


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
    """In a worker process a nanny started, each task's kernel runs on one
    thread (unless ``FASTLIN_NUM_THREADS`` says otherwise): the worker's
    threads are the parallelism, as the nanny sets ``OMP_NUM_THREADS=1`` for
    BLAS. Workers in the user's own process (``processes=False``) leave the
    process's thread count alone."""
    global _threads_set
    if _threads_set:
        return
    _threads_set = True
    if "FASTLIN_NUM_THREADS" not in os.environ and _in_nanny_worker_process():
        _runtime.set_num_threads(1)


def _in_nanny_worker_process():
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False  # not in a worker
    return multiprocessing.current_process().name != "MainProcess"


_threads_set = False


def chunk_partial(loss, X, y, sample_weight, W, b, offset, *, options, per_row):
    """The fused pass over one chunk of rows starting at global row ``offset``:
    its :class:`Partial`, with the chunk's ``(per-sample losses, dX)`` when
    ``per_row`` asks for them (``reduction="none"``, ``return_dX``)."""
    _one_thread_per_task_in_workers()
    want_losses, want_dX = per_row
    try:
        res = _FUSED[loss](
            X,
            y,
            W,
            b,
            reg=0.0,
            return_dX=want_dX,
            sample_weight=sample_weight,
            reduction="none" if want_losses else "sum",
            **options,
        )
    except (ValueError, TypeError) as exc:
        raise _error_at_global_rows(exc, offset) from None
    total = float(np.sum(res.loss, dtype=np.float64)) if want_losses else res.loss
    rows = (res.loss if want_losses else None, res.dX) if (want_losses or want_dX) else None
    return Partial(
        total,
        weight_count(loss, y, sample_weight, options),
        res.dW.astype(np.float64),
        None if res.db is None else res.db.astype(np.float64),
        rows,
    )


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


def _tree(dsk, keys, token, split_every=SPLIT_EVERY):
    """Adds to ``dsk`` the sum of the partials at ``keys`` in a tree over their
    index; returns the root's key."""
    level = 0
    while len(keys) > 1:
        name = f"fastlin-sum{level}-{token}"
        groups = [keys[i : i + split_every] for i in range(0, len(keys), split_every)]
        for j, group in enumerate(groups):
            dsk[(name, j)] = (add_partials, *group)
        keys = [(name, j) for j in range(len(groups))]
        level += 1
    return keys[0]


def _block_keys(a):
    """The keys of a row-chunked array's blocks, one per row chunk."""
    return [k[0] if isinstance(k, list) else k for k in a.__dask_keys__()]


def evaluate(loss, X, y, sample_weight, W, b, reg, reduction, options, return_dX, probe):
    """Loss and gradients over all chunks, as the in-memory function returns them.

    ``X``, ``y``, ``sample_weight`` (or None) are Dask arrays of the same row
    chunks; ``probe`` is the in-memory result on zero rows (the output dtypes).
    The graph is written directly: one task per chunk and the tree, ``W`` and
    ``b`` one key each (sent once), so building it costs next to nothing.
    """
    per_row = (reduction == "none", return_dX)
    token = uuid.uuid4().hex
    dsk = {f"fastlin-W-{token}": W}
    b_key = None
    if b is not None:
        b_key = f"fastlin-b-{token}"
        dsk[b_key] = b
    run = functools.partial(chunk_partial, loss, options=options, per_row=per_row)
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
    sw_keys = _block_keys(sample_weight) if sample_weight is not None else None
    chunk = f"fastlin-chunk-{token}"
    keys = []
    for i, (x_key, y_key) in enumerate(zip(_block_keys(X), _block_keys(y))):
        dsk[(chunk, i)] = (
            run,
            x_key,
            y_key,
            None if sw_keys is None else sw_keys[i],
            f"fastlin-W-{token}",
            b_key,
            offsets[i],
        )
        keys.append((chunk, i))
    root = _tree(dsk, keys, token)
    outputs = [root]
    if any(per_row):
        dsk[f"fastlin-rows-{token}"] = (list, keys)
        outputs.append(f"fastlin-rows-{token}")
    arrays = [a for a in (X, y, sample_weight) if a is not None]
    graph = HighLevelGraph.from_collections(chunk, dsk, dependencies=arrays)
    results = dask.compute(*[Delayed(key, graph, layer=chunk) for key in outputs])
    rows = [p.rows for p in results[1]] if any(per_row) else []
    return finish(results[0], rows, W, reg, reduction, probe)


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
