"""fastlin.dask's losses against the in-memory functions, on a real cluster and synchronously."""

from __future__ import annotations

import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import dask  # noqa: E402
import numpy as np  # noqa: E402
from dask_cluster import client, local_cluster  # noqa: E402,F401

import fastlin  # noqa: E402
import fastlin.dask as fld  # noqa: E402

TOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}

# Row chunks: uneven, one of a single row, one longer than the rest together.
N, D, C = 1009, 23, 7
CHUNKS = (120, 1, 300, 88, 500)


def close(got, want, dtype, what):
    """Equal within the relative tolerance of ``dtype``, an array's entries measured
    against its largest entry (a gradient entry is a cancellation of larger terms)."""
    if want is None:
        assert got is None, what
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (what, got.dtype, want.dtype)
    tol = TOL[np.dtype(dtype)]
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, equal_nan=True, err_msg=what)


def assert_same_lossgrad(got, want, dtype):
    assert type(got) is fastlin.LossGrad
    assert type(got.loss) is type(want.loss)
    for name in fastlin.LossGrad._fields:
        close(getattr(got, name), getattr(want, name), dtype, name)


def problem(rng, dtype, case):
    """In-memory arguments of one case: ``(function name, X, y, W, b, options)``."""
    X = rng.standard_normal((N, D)).astype(dtype)
    W = (0.5 * rng.standard_normal((C, D))).astype(dtype)
    b = rng.standard_normal(C).astype(dtype)
    y = rng.integers(0, C, N)
    sw = rng.random(N) * 2
    w = rng.random(C) + 0.5
    if case == "softmax":
        return "linear_softmax_loss", X, y, W, b, {}
    if case == "softmax weighted":
        y[::5] = -100
        return (
            "linear_softmax_loss",
            X,
            y,
            W,
            b,
            dict(weight=w, sample_weight=sw, label_smoothing=0.1, reg=0.01),
        )
    if case == "softmax ignore_index 3":
        return "linear_softmax_loss", X, y, W, None, dict(ignore_index=3, weight=w)
    if case == "softmax soft labels":
        t = rng.random((N, C))
        return (
            "linear_softmax_loss",
            X,
            t / t.sum(1, keepdims=True),
            W,
            b,
            dict(sample_weight=sw, label_smoothing=0.2, weight=w),
        )
    if case == "svm weighted":
        return (
            "linear_svm_loss",
            X,
            y.astype(np.int32),
            W,
            b,
            dict(weight=w, sample_weight=sw, reg=0.1),
        )
    if case == "crammer_singer squared":
        return "linear_svm_loss", X, y, W, b, dict(variant="crammer_singer", squared=True)
    if case == "squared":
        return (
            "linear_squared_loss",
            X,
            rng.standard_normal((N, C)),
            W,
            b,
            dict(sample_weight=sw, reg=0.05),
        )
    if case == "squared one output":
        return "linear_squared_loss", X, rng.standard_normal(N), W[:1], b[:1], {}
    raise AssertionError(case)


CASES = [
    "softmax",
    "softmax weighted",
    "softmax ignore_index 3",
    "softmax soft labels",
    "svm weighted",
    "crammer_singer squared",
    "squared",
    "squared one output",
]


def distributed_args(X, y, options, y_as_dask=True):
    Xd = da.from_array(X, chunks=(CHUNKS, D))
    yd = da.from_array(y, chunks=(CHUNKS,) + y.shape[1:]) if y_as_dask else y
    options = dict(options)
    if "sample_weight" in options:  # chunked unlike X: rechunked to X's rows
        options["sample_weight"] = da.from_array(options["sample_weight"], chunks=250)
    return Xd, yd, options


def persisted(Xd, yd, options):
    """The arrays of ``distributed_args`` persisted on the cluster (with the
    row chunks of ``Xd``): each pass then runs one task per worker."""
    options = dict(options)
    if "sample_weight" in options:
        options["sample_weight"] = options["sample_weight"].rechunk((Xd.chunks[0],))
    Xd, yd, sw = dask.persist(Xd, yd, options.get("sample_weight"))
    if sw is not None:
        options["sample_weight"] = sw
    return Xd, yd, options


@pytest.fixture(params=["synchronous", "cluster", "persisted"])
def scheduler(request):
    """Runs the test on Dask's synchronous scheduler, or on the 2-process
    cluster with the arrays in the graph or persisted on the workers."""
    if request.param != "synchronous":
        request.getfixturevalue("client")
        with dask.config.set(scheduler="dask.distributed"):
            yield request.param
    else:
        with dask.config.set(scheduler="synchronous"):
            yield request.param


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_in_memory(case, dtype, scheduler, rng):
    name, X, y, W, b, options = problem(rng, dtype, case)
    want = getattr(fastlin, name)(X, y, W, b, **options)
    Xd, yd, opts = distributed_args(X, y, options)
    if scheduler == "persisted":
        Xd, yd, opts = persisted(Xd, yd, opts)
    got = getattr(fld, name)(Xd, yd, W, b, **opts)
    assert_same_lossgrad(got, want, dtype)


@pytest.mark.parametrize("reduction", ["sum", "none"])
@pytest.mark.parametrize("case", ["softmax weighted", "svm weighted", "squared"])
def test_reductions_and_dX_match_in_memory(case, reduction, rng):
    name, X, y, W, b, options = problem(rng, np.float64, case)
    want = getattr(fastlin, name)(X, y, W, b, reduction=reduction, return_dX=True, **options)
    Xd, yd, opts = distributed_args(X, y, options, y_as_dask=False)
    with dask.config.set(scheduler="synchronous"):
        got = getattr(fld, name)(Xd, yd, W, b, reduction=reduction, return_dX=True, **opts)
    assert_same_lossgrad(got, want, np.float64)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_per_row_results_from_persisted_chunks(reduction, client, rng):
    name, X, y, W, b, options = problem(rng, np.float64, "softmax weighted")
    want = fastlin.linear_softmax_loss(X, y, W, b, reduction=reduction, return_dX=True, **options)
    Xd, yd, opts = persisted(*distributed_args(X, y, options))
    got = fld.linear_softmax_loss(Xd, yd, W, b, reduction=reduction, return_dX=True, **opts)
    assert_same_lossgrad(got, want, np.float64)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 64, 65, 150])
@pytest.mark.parametrize("holding", ["runs", "interleaved", "random"])
def test_subtrees_added_by_workers_give_the_tree_of_tasks_bit_for_bit(n, holding, rng):
    from fastlin import _dask_pass

    parts = [
        _dask_pass.Partial(float(rng.standard_normal()), 1.0, rng.standard_normal((3, 4)), None)
        for _ in range(n)
    ]
    dsk = {("chunk", i): p for i, p in enumerate(parts)}
    root = _dask_pass._tree(dsk, [("chunk", i) for i in range(n)], "t")
    want = dask.get(dsk, root)
    workers = 3
    owner = {
        "runs": [i * workers // n for i in range(n)],
        "interleaved": [i % workers for i in range(n)],
        "random": list(rng.integers(0, workers, n)),
    }[holding]
    pieces = {}
    for w in range(workers):
        held = {(0, i): parts[i] for i in range(n) if owner[i] == w}
        pieces.update(_dask_pass.add_complete_subtrees(held, n))
    got = _dask_pass.add_complete_subtrees(pieces, n)
    assert list(got) == [_dask_pass._root(n)]
    total = got[_dask_pass._root(n)]
    assert total.loss == want.loss
    np.testing.assert_array_equal(total.dW, want.dW)


def test_mean_dX_is_scaled_by_the_global_count(rng):
    name, X, y, W, b, options = problem(rng, np.float32, "softmax weighted")
    want = fastlin.linear_softmax_loss(X, y, W, b, return_dX=True, **options)
    with dask.config.set(scheduler="synchronous"):
        Xd, yd, opts = distributed_args(X, y, options)
        got = fld.linear_softmax_loss(Xd, yd, W, b, return_dX=True, **opts)
    assert_same_lossgrad(got, want, np.float32)


def test_gradient_buffers_are_written_in_place(rng):
    _name, X, y, W, b, options = problem(rng, np.float32, "softmax weighted")
    want = fastlin.linear_softmax_loss(X, y, W, b, **options)
    dW_out, db_out = np.full_like(W, np.nan), np.full_like(b, np.nan)
    Xd, yd, opts = distributed_args(X, y, options)
    with dask.config.set(scheduler="synchronous"):
        got = fld.linear_softmax_loss(Xd, yd, W, b, dW_out=dW_out, db_out=db_out, **opts)
    assert got.dW is dW_out and got.db is db_out
    assert_same_lossgrad(got, want, np.float32)


def test_everything_ignored_is_a_nan_mean_and_zero_gradient(rng):
    X = rng.standard_normal((50, 4))
    W = rng.standard_normal((3, 4))
    y = np.full(50, -100)
    want = fastlin.linear_softmax_loss(X, y, W, np.zeros(3), reg=0.5)
    with dask.config.set(scheduler="synchronous"):
        got = fld.linear_softmax_loss(da.from_array(X, chunks=7), y, W, np.zeros(3), reg=0.5)
    assert np.isnan(got.loss) and np.isnan(want.loss)
    np.testing.assert_array_equal(got.dW, want.dW)
    np.testing.assert_array_equal(got.db, want.db)


def test_column_chunks_are_merged(rng):
    name, X, y, W, b, options = problem(rng, np.float64, "softmax")
    want = fastlin.linear_softmax_loss(X, y, W, b)
    with dask.config.set(scheduler="synchronous"):
        got = fld.linear_softmax_loss(da.from_array(X, chunks=(200, 5)), y, W, b)
    assert_same_lossgrad(got, want, np.float64)


@pytest.mark.parametrize("case", ["softmax weighted", "crammer_singer squared", "squared"])
def test_bit_identical_across_schedulers_and_worker_counts(case, client, rng):
    name, X, y, W, b, options = problem(rng, np.float32, case)
    Xd, yd, opts = distributed_args(X, y, options)
    fn = getattr(fld, name)
    results = {}
    for scheduler in ["synchronous", "threads", "dask.distributed"]:
        with dask.config.set(scheduler=scheduler, num_workers=3):
            results[scheduler] = fn(Xd, yd, W, b, **opts)
    # One worker with three threads, in this process: it leaves the process's
    # kernel thread count as it was.
    threads = fastlin.get_num_threads()
    Xp, yp, opts_p = persisted(Xd, yd, opts)
    results["persisted"] = fn(Xp, yp, W, b, **opts_p)
    with local_cluster(n_workers=1, threads_per_worker=3, processes=False) as one:
        results["one worker"] = fn(Xd, yd, W, b, **opts)
        assert one is not None
    assert fastlin.get_num_threads() == threads
    assert set(client.run(fastlin.get_num_threads).values()) == {1}
    first = results.pop("synchronous")
    for scheduler, got in results.items():
        assert got.loss == first.loss, scheduler
        for name in ("dW", "db"):
            np.testing.assert_array_equal(
                getattr(got, name), getattr(first, name), err_msg=f"{name} on {scheduler}"
            )


def test_bad_label_names_the_global_row_and_the_cluster_stays_usable(client, rng):
    name, X, y, W, b, options = problem(rng, np.float64, "softmax")
    Xd = da.from_array(X, chunks=(CHUNKS, D))
    bad = y.copy()
    bad[421 + 17] = C  # row 17 of the fourth chunk
    with pytest.raises(ValueError, match=r"y\[438\] = 7 is outside \[0, C\)") as info:
        fld.linear_softmax_loss(Xd, da.from_array(bad, chunks=(CHUNKS,)), W, b)
    with pytest.raises(ValueError) as in_memory:
        fastlin.linear_softmax_loss(X, bad, W, b)
    assert str(info.value) == str(in_memory.value)
    Xp, badp = dask.persist(Xd, da.from_array(bad, chunks=(CHUNKS,)))
    with pytest.raises(ValueError) as on_workers:
        fld.linear_softmax_loss(Xp, badp, W, b)
    assert str(on_workers.value) == str(in_memory.value)
    sw = np.ones(N)
    sw[1000] = -1.0
    with pytest.raises(ValueError, match=r"sample_weight\[1000\]"):
        fld.linear_svm_loss(Xd, y, W, b, sample_weight=sw)
    # The cluster still answers, with both workers.
    assert len(client.scheduler_info()["workers"]) == 2
    assert_same_lossgrad(
        fld.linear_softmax_loss(Xd, y, W, b), fastlin.linear_softmax_loss(X, y, W, b), np.float64
    )


def test_bad_arguments_raise_the_in_memory_errors(rng):
    X = rng.standard_normal((30, 4))
    W = rng.standard_normal((3, 4))
    y = rng.integers(0, 3, 30)
    Xd = da.from_array(X, chunks=7)
    with pytest.raises(TypeError, match="X: expected a dask.array.Array"):
        fld.linear_softmax_loss(X, y, W)
    with pytest.raises(ValueError, match=r"X: expected shape \(N, D\)"):
        fld.linear_softmax_loss(Xd[0], y, W)
    with pytest.raises(ValueError, match="y: expected 30 rows"):
        fld.linear_softmax_loss(Xd, y[:29], W)
    with pytest.raises(ValueError, match="sample_weight: expected 30 rows"):
        fld.linear_squared_loss(Xd, X[:, :3], W, sample_weight=np.ones(31))
    for kwargs in [
        dict(reduction="avg"),
        dict(label_smoothing=-1.0),
        dict(weight=np.ones(2)),
        dict(reg=-1.0),
    ]:
        with pytest.raises(ValueError) as in_memory:
            fastlin.linear_softmax_loss(X, y, W, **kwargs)
        with pytest.raises(ValueError) as got:
            fld.linear_softmax_loss(Xd, y, W, **kwargs)
        assert str(got.value) == str(in_memory.value)
    with pytest.raises(ValueError, match="W"):
        fld.linear_svm_loss(Xd, y, W[:, :3])
