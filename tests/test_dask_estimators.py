"""The estimators on Dask arrays: fits on a real cluster against the in-memory fits."""

from __future__ import annotations

import os
import signal
import threading

import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
pytest.importorskip("sklearn")

import dask
import numpy as np
from dask_cluster import client, local_cluster  # noqa: F401
from sklearn.exceptions import ConvergenceWarning

import fastlin
import fastlin.dask as fld
from fastlin._training.dask_data import should_persist


def blobs(rng, n, d, c, dtype):
    """Overlapping Gaussian classes with string labels, so the fit has work to do."""
    centres = rng.standard_normal((c, d))
    k = rng.integers(0, c, n)
    X = (centres[k] + 1.5 * rng.standard_normal((n, d))).astype(dtype)
    return X, np.array([f"class {i}" for i in range(c)])[k]


def assert_fits_agree(got, want, rtol):
    np.testing.assert_array_equal(got.classes_, want.classes_)
    scale = np.max(np.abs(want.coef_))
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(got.intercept_, want.intercept_, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_on_the_cluster_matches_in_memory(dtype, client, rng):
    X, y = blobs(rng, 3000, 12, 5, dtype)
    sw = rng.random(3000) + 0.5
    params = dict(reg=1e-3, class_weight="balanced", max_iter=200, tol=1e-4)
    want = fastlin.LinearClassifier(**params).fit(X, y, sample_weight=sw)
    Xd = da.from_array(X, chunks=((700, 800, 1, 1499), 12))
    got = fastlin.LinearClassifier(**params).fit(Xd, da.from_array(y, chunks=600), sample_weight=sw)
    assert got.coef_.dtype == want.coef_.dtype == dtype
    assert_fits_agree(got, want, 1e-4)
    assert got.n_features_in_ == 12

    for method in ["predict", "decision_function", "predict_proba", "predict_log_proba"]:
        lazy = getattr(got, method)(Xd)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == Xd.chunks[0], method
        computed = lazy.compute()
        expected = getattr(got, method)(X)
        assert computed.dtype == expected.dtype, method
        if method == "predict":
            np.testing.assert_array_equal(computed, expected)
        else:  # a chunk of one row takes another product kernel: rounding may differ
            np.testing.assert_allclose(
                computed,
                expected,
                rtol=1e-5 if dtype == np.float32 else 1e-13,
                atol=1e-6,
                err_msg=method,
            )


def test_binary_decision_function_is_one_column(client, rng):
    X, y = blobs(rng, 500, 4, 2, np.float64)
    clf = fastlin.LinearClassifier(reg=1e-2).fit(da.from_array(X, chunks=128), y)
    scores = clf.decision_function(da.from_array(X, chunks=128))
    assert scores.shape == (500,)
    np.testing.assert_array_equal(scores.compute(), clf.decision_function(X))


def test_squared_hinge_fit_matches_in_memory(client, rng):
    X, y = blobs(rng, 2000, 8, 4, np.float64)
    params = dict(loss="squared_hinge", reg=1e-2, max_iter=300)
    want = fastlin.LinearClassifier(**params).fit(X, y)
    got = fastlin.LinearClassifier(**params).fit(da.from_array(X, chunks=450), y)
    assert_fits_agree(got, want, 1e-4)


def test_regression_fit_matches_in_memory(client, rng):
    X = rng.standard_normal((2500, 9))
    T = X @ rng.standard_normal((9, 3)) + rng.standard_normal((2500, 3))
    want = fastlin.LinearRegression(solver="lbfgs", reg=1e-3).fit(X, T)
    Xd = da.from_array(X, chunks=600)
    got = fastlin.LinearRegression(solver="lbfgs", reg=1e-3).fit(Xd, T)
    np.testing.assert_allclose(
        got.coef_, want.coef_, rtol=1e-4, atol=1e-4 * np.abs(want.coef_).max()
    )
    pred = got.predict(Xd)
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), got.predict(X))
    with pytest.raises(ValueError, match="solver='exact' does not take Dask arrays"):
        fastlin.LinearRegression().fit(Xd, T)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_persisted_and_streamed_fits_are_identical(client, rng):
    X, y = blobs(rng, 2000, 10, 3, np.float32)
    Xd = da.from_array(X, chunks=300)
    fits = [
        fastlin.LinearClassifier(reg=1e-3, persist=p, max_iter=10).fit(Xd, y) for p in (True, False)
    ]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    np.testing.assert_array_equal(fits[0].intercept_, fits[1].intercept_)
    assert should_persist("auto", Xd)
    with pytest.raises(ValueError, match="persist: expected 'auto', True or False"):
        fastlin.LinearClassifier(persist="yes").fit(Xd, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_synchronous_scheduler_gives_the_cluster_fit_bit_for_bit(client, rng):
    X, y = blobs(rng, 1500, 6, 3, np.float64)
    Xd = da.from_array(X, chunks=200)
    on_cluster = fastlin.LinearClassifier(reg=1e-3, max_iter=10).fit(Xd, y)
    with dask.config.set(scheduler="synchronous"):
        synchronous = fastlin.LinearClassifier(reg=1e-3, max_iter=10).fit(Xd, y)
    np.testing.assert_array_equal(on_cluster.coef_, synchronous.coef_)


def test_bad_input_raises_and_leaves_no_fit(client, rng):
    X, y = blobs(rng, 900, 5, 3, np.float64)
    Xd = da.from_array(X, chunks=200)
    clf = fastlin.LinearClassifier()
    sw = np.ones(900)
    sw[650] = -2.0
    with pytest.raises(ValueError, match=r"sample_weight\[650\]"):
        clf.fit(Xd, y, sample_weight=sw)
    assert not hasattr(clf, "coef_")
    with pytest.raises(ValueError, match="solver='sgd' does not take Dask arrays"):
        fastlin.LinearClassifier(solver="sgd").fit(Xd, y)
    with pytest.raises(TypeError, match="partial_fit takes in-memory arrays"):
        clf.partial_fit(Xd, y, classes=np.unique(y))
    with pytest.raises(ValueError, match="every weight is zero"):
        clf.fit(Xd, y, sample_weight=np.zeros(900))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(Xd, rng.random(900))
    assert len(client.scheduler_info()["workers"]) == 2


@pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")
def test_a_worker_killed_mid_fit_costs_a_recomputation_not_the_fit(client, rng, monkeypatch):
    X, y = blobs(rng, 60_000, 40, 6, np.float64)
    Xd = da.from_array(X, chunks=5000)
    params = dict(reg=1e-3, max_iter=15, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        undisturbed = fastlin.LinearClassifier(**params).fit(Xd, y)

    pids = client.run(os.getpid)
    victim = pids[sorted(pids)[0]]
    evaluations = []
    killed = threading.Event()
    real = fld.linear_softmax_loss

    def counting(*args, **kwargs):
        evaluations.append(1)
        if len(evaluations) == 4:  # while this evaluation's tasks run
            threading.Timer(0.02, lambda: (os.kill(victim, signal.SIGKILL), killed.set())).start()
        return real(*args, **kwargs)

    monkeypatch.setattr(fld, "linear_softmax_loss", counting)
    with pytest.warns(ConvergenceWarning):  # it stops at max_iter, as the first did
        disturbed = fastlin.LinearClassifier(**params).fit(Xd, y)
    assert killed.is_set() and len(evaluations) > 4
    np.testing.assert_array_equal(disturbed.coef_, undisturbed.coef_)
    np.testing.assert_array_equal(disturbed.intercept_, undisturbed.intercept_)
    client.wait_for_workers(2, timeout=30)  # the nanny restarted the killed worker
    assert victim not in client.run(os.getpid).values()


@pytest.mark.slow
def test_zarr_store_streamed_through_memory_limited_workers(tmp_path, rng):
    zarr = pytest.importorskip("zarr")
    # 480 MB of float64 against 2 workers of 400 MiB, which hold about 145 MiB
    # each before any data: "auto" streams it, and it could not be persisted.
    n, d, chunk = 600_000, 100, 20_000
    store = zarr.create_array(
        str(tmp_path / "X.zarr"),
        shape=(n, d),
        chunks=(chunk, d),
        dtype=np.float64,
        compressors=None,
    )
    centres = rng.standard_normal((4, d))
    k = rng.integers(0, 4, n)
    for start in range(0, n, chunk):
        rows = slice(start, start + chunk)
        store[rows] = centres[k[rows]] + 2.0 * rng.standard_normal((chunk, d))
    params = dict(reg=1e-3, max_iter=8, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        want = fastlin.LinearClassifier(**params).fit(store[:], k)
    with local_cluster(memory_limit="400MiB") as c:
        pids = c.run(os.getpid)
        Xd = da.from_zarr(str(tmp_path / "X.zarr"))
        assert not should_persist("auto", Xd)
        with pytest.warns(ConvergenceWarning):
            got = fastlin.LinearClassifier(**params).fit(Xd, da.from_array(k, chunks=chunk))
        assert c.run(os.getpid) == pids  # no worker died (of memory or otherwise)
    assert_fits_agree(got, want, 1e-10)
