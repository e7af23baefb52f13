"""One evaluation of a fused loss over the row chunks of Dask arrays.

Each chunk's fused pass runs where the chunk is, with ``reduction="sum"`` and
no penalty; it returns its partial sums (loss, ``dW``, ``db``) and its weight
count, the denominator of ``"mean"``. The partials are added in a tree over
the chunk index whose shape depends only on the number of chunks, so for a
given chunking the sum is the same bit for bit whatever the scheduler and the
number of workers (a worker adds the subtrees whose chunks it holds, the
client the rest). The client then divides for ``"mean"`` and adds the
penalty once, as the in-memory function does.
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
    labels = y.astype(np.int64, copy=False)
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


def _level_sizes(n):
    """Node counts of the reduction tree over ``n`` chunks, leaves first."""
    sizes = [n]
    while sizes[-1] > 1:
        sizes.append(-(-sizes[-1] // SPLIT_EVERY))
    return sizes


def _children(sizes, level, j):
    """The children of node ``j`` of tree level ``level`` (1 the lowest sums):
    ``(level - 1, i)`` for ``SPLIT_EVERY`` consecutive ``i``."""
    stop = min((j + 1) * SPLIT_EVERY, sizes[level - 1])
    return [(level - 1, i) for i in range(j * SPLIT_EVERY, stop)]


def _tree(dsk, keys, token):
    """Adds to ``dsk`` the sum of the partials at ``keys`` in the tree over their
    index; returns the root's key."""
    sizes = _level_sizes(len(keys))
    names = {0: keys}
    for level in range(1, len(sizes)):
        name = f"fastlin-sum{level}-{token}"
        names[level] = [(name, j) for j in range(sizes[level])]
        for j, key in enumerate(names[level]):
            dsk[key] = (add_partials, *(names[lv][i] for lv, i in _children(sizes, level, j)))
    return names[len(sizes) - 1][0]


def add_complete_subtrees(pieces, n):
    """Adds up every node of the tree over ``n`` chunks whose children are all
    in ``pieces`` (``{(level, index): Partial}``, the chunks at level 0), in
    the tree's order, replacing the children by their sum. A worker does this
    for the chunks it holds; the client, with every worker's pieces, is left
    with the root alone, the same bit for bit as the tree of tasks."""
    sizes = _level_sizes(n)
    for level in range(1, len(sizes)):
        for j in range(sizes[level]):
            kids = _children(sizes, level, j)
            if all(k in pieces for k in kids):
                pieces[(level, j)] = add_partials(*(pieces.pop(k) for k in kids))
    return pieces


def _root(n):
    return (len(_level_sizes(n)) - 1, 0)


def worker_pieces(loss, W, b, chunks, *, options, per_row, n):
    """The pass over the chunks one worker holds, ``[(index, offset, X, y,
    sample_weight)]``: the sums of the tree it can complete alone, and each
    chunk's per-row results when asked for."""
    pieces, rows = {}, {}
    for i, offset, X, y, sample_weight in chunks:
        part = chunk_partial(
            loss, X, y, sample_weight, W, b, offset, options=options, per_row=per_row
        )
        rows[i] = part.rows
        pieces[(0, i)] = part._replace(rows=None)
    return add_complete_subtrees(pieces, n), rows


def _block_keys(a):
    """The keys of a row-chunked array's blocks, one per row chunk."""
    return [k[0] if isinstance(k, list) else k for k in a.__dask_keys__()]


def evaluate(loss, X, y, sample_weight, W, b, reg, reduction, options, return_dX, probe):
    """Loss and gradients over all chunks, as the in-memory function returns them.

    ``X``, ``y``, ``sample_weight`` (or None) are Dask arrays of the same row
    chunks; ``probe`` is the in-memory result on zero rows (the output dtypes).
    Arrays persisted on a ``dask.distributed`` cluster get one task per
    worker (:func:`_evaluate_on_workers`); others a graph of one task per
    chunk and the tree (:func:`_evaluate_graph`).
    """
    per_row = (reduction == "none", return_dX)
    arrays = [X, y] + ([] if sample_weight is None else [sample_weight])
    # Each chunk's first global row, for the row an error names.
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
    client, futures = _persisted_chunks(arrays)
    if client is not None:
        total, rows = _evaluate_on_workers(client, loss, futures, offsets, W, b, options, per_row)
    else:
        total, rows = _evaluate_graph(loss, X, y, sample_weight, offsets, W, b, options, per_row)
    return finish(total, rows, W, reg, reduction, probe)


def _persisted_chunks(arrays):
    """``(client, [futures of each array's chunks])`` when every chunk of
    every array is held by the workers of the client ``dask.compute`` would
    use, else ``(None, None)``."""
    try:
        from distributed import default_client, futures_of
    except ImportError:
        return None, None
    try:
        client = default_client()
    except ValueError:
        return None, None
    if dask.base.get_scheduler() != client.get:
        return None, None
    futures = []
    for a in arrays:
        by_key = {f.key: f for f in futures_of(a)}
        chunks = [by_key.get(k) for k in _block_keys(a)]
        if any(f is None or f.client is not client for f in chunks):
            return None, None
        futures.append(chunks)
    return client, futures


_last_pass_tasks = []


def _evaluate_on_workers(client, loss, futures, offsets, W, b, options, per_row):
    """One task per worker over the chunks it holds, ``W`` and ``b`` sent in
    each. Each worker adds the sums of the tree it holds whole; the client
    adds the rest. Against a task per chunk and per sum this saves most of
    the scheduler's fixed cost of a pass (docs, scaling out: "Why one task
    per worker"). A chunk whose holder is gone is recomputed where Dask chooses."""
    from distributed import wait

    n = len(futures[0])
    # Chunks still loading (a persist just begun, a worker's lost chunks being
    # recomputed) have no holder yet: grouped blindly, their task would pull
    # them across workers.
    wait(futures[0])
    holders = client.who_has(futures[0])
    groups = {}
    for i, f in enumerate(futures[0]):
        where = holders.get(f.key) or [None]
        groups.setdefault(where[0], []).append(i)
    sw = futures[2] if len(futures) > 2 else [None] * n
    # One map, so one message to the scheduler: the client batches what it
    # sends, and a second submit would wait out its 10 ms interval. Each
    # task's chunks are all on one worker, where the scheduler places it.
    run = functools.partial(worker_pieces, loss, W, b, options=options, per_row=per_row, n=n)
    tasks = client.map(
        run,
        [
            [(i, offsets[i], futures[0][i], futures[1][i], sw[i]) for i in chunks]
            for chunks in groups.values()
        ],
        pure=False,
    )
    # The client sends its messages at most every 10 ms: releasing the last
    # pass's results when it ended would hold back this submit that long.
    _last_pass_tasks[:] = tasks
    pieces, rows = {}, {}
    for worker_sums, worker_rows in client.gather(tasks):
        pieces.update(worker_sums)
        rows.update(worker_rows)
    total = add_complete_subtrees(pieces, n)[_root(n)]
    return total, [rows[i] for i in range(n)] if any(per_row) else []


def _evaluate_graph(loss, X, y, sample_weight, offsets, W, b, options, per_row):
    """The graph written directly: one task per chunk and the tree, ``W`` and
    ``b`` one key each (sent once), so building it costs next to nothing."""
    token = uuid.uuid4().hex
    dsk = {f"fastlin-W-{token}": W}
    b_key = None
    if b is not None:
        b_key = f"fastlin-b-{token}"
        dsk[b_key] = b
    run = functools.partial(chunk_partial, loss, options=options, per_row=per_row)
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
    return results[0], [p.rows for p in results[1]] if any(per_row) else []


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
