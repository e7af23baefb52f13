"""The estimators on Dask arrays: the data checks, labels, class weights, and predictions.

Imported by the estimators' helpers only when an argument is a Dask array, so
that fastlin's estimators work without Dask installed. Each ``lbfgs``
evaluation is one pass of :mod:`fastlin.dask` over the row chunks; the labels
take one pass (``classes_``), ``class_weight="balanced"`` one more (a bincount).
"""

from __future__ import annotations

import functools
import sys

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

# Persist ("auto") when the data take at most this share of the workers' memory:
# Dask starts spilling to disk at 60%, and then reading the source is no slower.
PERSIST_SHARE = 0.5


def is_dask_array(a):
    """Whether ``a`` is a Dask array (without importing Dask when no one has)."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(a, module.Array)


def check_fit_data(estimator, X, y, multi_output):
    """``X`` chunked by rows in float32 or float64, ``y`` chunked like its rows,
    both persisted when ``estimator.persist`` says so."""
    import dask

    from .. import dask as fld

    solver = getattr(estimator, "solver", "lbfgs")
    if solver != "lbfgs":
        raise ValueError(
            f"solver={solver!r} does not take Dask arrays; use solver='lbfgs' "
            "(one distributed pass over the chunks per evaluation)"
        )
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X: expected a real numeric array, got dtype {X.dtype}")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    X = fld._samples(X)
    y = fld._row_chunked("y", y, X, (1, 2) if multi_output else (1,))
    if X.shape[0] < 1:
        raise ValueError(f"X: expected at least one sample, got shape {X.shape}")
    estimator.n_features_in_ = X.shape[1]
    if hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    if should_persist(getattr(estimator, "persist", "auto"), X, y):
        X, y = dask.persist(X, y)
    return X, y


def should_persist(choice, *arrays):
    """``persist`` resolved: ``"auto"`` persists when the arrays take at most
    half of the workers' memory (of this machine's free memory without a
    ``dask.distributed`` client)."""
    if choice != "auto":
        if not isinstance(choice, (bool, np.bool_)):
            raise ValueError(f"persist: expected 'auto', True or False, got {choice!r}")
        return bool(choice)
    nbytes = sum(a.nbytes for a in arrays)
    return nbytes <= PERSIST_SHARE * _memory()


def _memory():
    """The workers' total memory limit, or this machine's available memory."""
    import psutil

    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):
        return psutil.virtual_memory().available
    limits = [w.get("memory_limit") or 0 for w in client.scheduler_info()["workers"].values()]
    return sum(limits) if limits and all(limits) else psutil.virtual_memory().available


def _positions(block, classes):
    return np.searchsorted(classes, block).astype(np.int64, copy=False)


def encode_labels(y):
    """``(classes_, y_index)``: the sorted distinct labels (one pass over ``y``)
    and the int64 position of each label among them (``y`` itself when the
    labels are already the positions)."""
    import dask

    if y.ndim != 1:
        raise ValueError(f"y: expected shape (n_samples,), got shape {y.shape}")
    # One task a chunk and the rest on the client: da.unique's tree of tasks
    # costs a scheduler round trip a level.
    blocks = dask.compute(
        *[dask.delayed(np.unique)(b) for b in y.to_delayed(optimize_graph=False).ravel()]
    )
    classes = np.unique(np.concatenate(blocks))
    check_classification_targets(classes)  # the same verdict as on all of y
    if y.dtype == np.int64 and np.array_equal(classes, np.arange(len(classes))):
        return classes, y
    y_index = y.map_blocks(_positions, classes, dtype=np.int64)
    if _persisted_on_cluster(y):  # then the positions too, not recomputed every pass
        y_index = y_index.persist()
    return classes, y_index


def _persisted_on_cluster(a):
    """Whether every chunk of ``a`` is held by the workers of the active
    ``dask.distributed`` client (the test a pass makes before it runs one
    task per worker)."""
    from .. import _dask_pass

    return _dask_pass._persisted_chunks([a])[0] is not None


def check_sample_weight(sample_weight, X):
    """``sample_weight`` as a float64 Dask array chunked like ``X``'s rows.

    Negative or non-finite weights are found by the passes themselves (the
    error names the row); here one pass checks that some weight is positive.
    """
    from .. import dask as fld

    sample_weight = fld._row_chunked("sample_weight", sample_weight, X, (1,))
    sample_weight = sample_weight.astype(np.float64)
    if _persisted_on_cluster(X):  # with X, so each pass stays one task per worker
        sample_weight = sample_weight.persist()
    if not bool((sample_weight > 0).any().compute()):
        raise ValueError("sample_weight: every weight is zero; at least one must be positive")
    return sample_weight


def balanced_class_weights(classes, y_index):
    """scikit-learn's ``"balanced"`` weights ``N / (C * count_c)`` from one bincount pass."""
    import dask.array as da

    counts = da.bincount(y_index, minlength=len(classes)).compute()
    return y_index.shape[0] / (len(classes) * counts.astype(np.float64))


def distributed_fused(fused):
    """The :mod:`fastlin.dask` function of the in-memory fused function ``fused``."""
    from .. import dask as fld

    return getattr(fld, fused.__name__)


def map_rows(method, X):
    """``method`` (an in-memory prediction) applied to each row chunk of ``X``:
    a Dask array with ``X``'s row chunks."""
    from .. import dask as fld

    X = fld._samples(X)
    one = method(np.zeros((1, X.shape[1]), dtype=X.dtype))  # the output's dtype and columns
    if one.ndim == 1:
        return X.map_blocks(method, drop_axis=1, dtype=one.dtype, meta=np.empty((0,), one.dtype))
    return X.map_blocks(
        method,
        chunks=(X.chunks[0], one.shape[1:]),
        dtype=one.dtype,
        meta=np.empty((0, one.shape[1]), one.dtype),
    )


def dask_rows(method):
    """Decorates a prediction method so that a Dask array ``X`` gives a Dask
    array, computed chunk by chunk (the method's in-memory form on each)."""

    @functools.wraps(method)
    def wrapper(self, X):
        if is_dask_array(X):
            return map_rows(functools.partial(method, self), X)
        return method(self, X)

    return wrapper


def reject(what, X):
    """A clear error where a Dask array is not taken."""
    if is_dask_array(X):
        raise TypeError(
            f"{what} takes in-memory arrays, not a Dask array; give it one chunk "
            "at a time (x.compute()), or use fit"
        )
