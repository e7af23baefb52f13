"""fastlin on a Dask cluster against fastlin in memory and dask-ml, on the same cores.

Run from the repository (fastlin, the ``dask`` extra, zarr and dask-ml installed):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benches/dask_fit.py [sections]

Sections (default: all): ``latency`` (one evaluation of a tiny problem: the
fixed cost of a pass, at 1, 2 and 4 workers), ``losses`` (one evaluation of
N=500000, D=512, C=20 float32 at 1, 2 and 4 workers against in memory),
``fit`` (the same data, 10 L-BFGS iterations, on 2 workers against in
memory), ``dask-ml`` (binary N=200000, D=256 against dask-ml's lbfgs on the
same cluster) and ``zarr`` (a 1.2 GB Zarr store streamed through 2 workers of
400 MiB each). Every cluster is a ``LocalCluster`` of worker processes with
one thread each; times are medians of repeats, and the ratios are what to
compare (the machine is shared and its absolute times are noisy).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import warnings

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, wait
from sklearn.exceptions import ConvergenceWarning

import fastlin
import fastlin.dask as fld

N, D, C, CHUNK = 500_000, 512, 20, 31_250  # 1 GB of float32 in 16 chunks


def chunk_of(i, rows, d, c, seed, spread=0.3):
    """Row chunk ``i`` of a problem: the same numbers on a worker and in memory.
    Classes are Gaussians around centres ``spread`` times standard normal."""
    rng = np.random.default_rng([seed, i])
    centres = np.random.default_rng(seed).standard_normal((c, d)).astype(np.float32)
    k = rng.integers(0, c, rows)
    X = centres[k] * np.float32(spread) + rng.standard_normal((rows, d), dtype=np.float32)
    return X, k


def problem(n, d, c, chunk, seed=0, spread=0.3):
    """``(X, y)`` as NumPy arrays."""
    parts = [
        chunk_of(i, min(chunk, n - s), d, c, seed, spread) for i, s in enumerate(range(0, n, chunk))
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _chunk_as(dtype, i, rows, d, c, seed, spread):
    X, y = chunk_of(i, rows, d, c, seed, spread)
    return X.astype(dtype, copy=False), y


def dask_problem(n, d, c, chunk, seed=0, spread=0.3, dtype=np.float32):
    """``(X, y)`` as Dask arrays made on the workers, chunk by chunk: the
    scheduler spreads them evenly, as it does data loaded from storage."""
    xs, ys = [], []
    for i, s in enumerate(range(0, n, chunk)):
        rows = min(chunk, n - s)
        part = dask.delayed(_chunk_as, nout=2)(dtype, i, rows, d, c, seed, spread)
        xs.append(da.from_delayed(part[0], (rows, d), dtype))
        ys.append(da.from_delayed(part[1], (rows,), np.int64))
    return da.concatenate(xs), da.concatenate(ys)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def cluster(n_workers, **kwargs):
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,
        **kwargs,
    )


def section_latency(args):
    print("\n## latency: one evaluation, N=2000, D=10, C=3 float32 (the fixed cost of a pass)")
    X, y = problem(2000, 10, 3, 250)
    W, b = np.zeros((3, 10), np.float32), np.zeros(3, np.float32)
    memory = median_time(lambda: fastlin.linear_softmax_loss(X, y, W, b), 50)
    print(f"in memory: {memory * 1e3:.3f} ms")
    for workers in (1, 2, 4):
        with cluster(workers) as lc, Client(lc):
            Xd, yd = dask.persist(da.from_array(X, chunks=250), da.from_array(y, chunks=250))
            wait([Xd, yd])
            fld.linear_softmax_loss(Xd, yd, W, b)
            t = median_time(lambda Xd=Xd, yd=yd: fld.linear_softmax_loss(Xd, yd, W, b), 30)
            print(f"{workers} worker(s), 8 chunks: {t * 1e3:.1f} ms")


def section_losses(args):
    print(f"\n## losses: one evaluation, N={N}, D={D}, C={C} float32, {N // CHUNK} chunks")
    X, y = problem(N, D, C, CHUNK)
    W = np.random.default_rng(1).standard_normal((C, D)).astype(np.float32) * 0.01
    b = np.zeros(C, np.float32)
    want = fastlin.linear_softmax_loss(X, y, W, b, reg=1e-4)
    memory = median_time(lambda: fastlin.linear_softmax_loss(X, y, W, b, reg=1e-4), args.repeats)
    print(f"in memory ({fastlin.get_num_threads()} threads): {memory:.3f} s")
    X = None  # 1 GB the client no longer needs
    for workers in (1, 2, 4):
        with cluster(workers) as lc, Client(lc):
            Xd, yd = dask.persist(*dask_problem(N, D, C, CHUNK))
            wait([Xd, yd])
            got = fld.linear_softmax_loss(Xd, yd, W, b, reg=1e-4)
            err = np.max(np.abs(got.dW - want.dW)) / np.max(np.abs(want.dW))
            t = median_time(
                lambda Xd=Xd, yd=yd: fld.linear_softmax_loss(Xd, yd, W, b, reg=1e-4), args.repeats
            )
            print(
                f"{workers} worker(s): {t:.3f} s = {t / memory:.2f}x in memory "
                f"(loss rel. diff {abs(got.loss - want.loss) / want.loss:.1e}, "
                f"dW {err:.1e})"
            )


def _fit(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fastlin.LinearClassifier(**params).fit(X, y)


def section_fit(args):
    X, y = problem(N, D, C, CHUNK)
    for profiler in (True, False):
        print(
            f"\n## fit: 10 L-BFGS iterations, N={N}, D={D}, C={C} float32, 2 workers x 1 "
            f"thread, Dask's statistical profiler in the workers {'on' if profiler else 'off'}"
        )
        with dask.config.set({"distributed.worker.profile.enabled": profiler}):
            _fit_on_cluster(X, y, args)


def _fit_on_cluster(X, y, args):
    params = dict(reg=1e-4, max_iter=10, tol=0.0)
    with cluster(2) as lc, Client(lc):
        Xd, yd = dask.persist(*dask_problem(N, D, C, CHUNK))
        wait([Xd, yd])
        memory, distributed = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            a = _fit(X, y, **params)
            memory.append(time.perf_counter() - start)
            start = time.perf_counter()
            b = _fit(Xd, yd, **params)
            distributed.append(time.perf_counter() - start)
        rel = np.max(np.abs(a.coef_ - b.coef_)) / np.max(np.abs(a.coef_))
        m, d = float(np.median(memory)), float(np.median(distributed))
        print(
            f"in memory ({fastlin.get_num_threads()} threads): {m:.2f} s; cluster: {d:.2f} s "
            f"= {d / m:.2f}x (coef_ rel. diff {rel:.1e}, {a.n_iter_} iterations each)"
        )


def _import_both():
    import dask_glm  # noqa: F401
    import dask_ml.linear_model  # noqa: F401

    import fastlin._dask_pass  # noqa: F401


def section_dask_ml(args):
    from dask_ml.linear_model import LogisticRegression as DaskMLLogisticRegression

    n, d = 200_000, 256
    print(
        f"\n## dask-ml: binary N={n}, D={d} float64, 2 workers x 1 thread, lbfgs, "
        "C=1, max_iter=100, tol=1e-4 (dask-ml's defaults) for both"
    )
    with cluster(2) as lc, Client(lc) as client:
        Xd, yd = dask.persist(*dask_problem(n, d, 2, 25_000, 7, 0.05, np.float64))
        wait([Xd, yd])
        client.run(_import_both)  # warm workers for both contenders, not for the first only
        start = time.perf_counter()
        # LogisticRegression(C=1) on N samples is reg = 1 / (2 N)
        ours = _fit(Xd, yd, reg=1.0 / (2 * n), max_iter=100, tol=1e-4)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # dask-ml's own, about Dask's config
            theirs = DaskMLLogisticRegression(solver="lbfgs", C=1.0, max_iter=100, tol=1e-4).fit(
                Xd, yd
            )
        t_theirs = time.perf_counter() - start
        acc_ours = float((ours.predict(Xd) == yd).mean().compute())
        acc_theirs = float((theirs.predict(Xd) == yd).mean().compute())
    print(
        f"fastlin: {t_ours:.2f} s ({ours.n_iter_} iterations), accuracy {acc_ours:.4f}; "
        f"dask-ml: {t_theirs:.2f} s, "
        f"accuracy {acc_theirs:.4f}; fastlin {t_theirs / t_ours:.1f}x faster"
    )


def _peak_memory(client, stop, peaks):
    import psutil

    while not stop.is_set():
        for addr, rss in client.run(lambda: psutil.Process().memory_info().rss).items():
            peaks[addr] = max(peaks.get(addr, 0), rss)
        stop.wait(0.2)


def section_zarr(args):
    import zarr

    n, d, chunk = 600_000, 500, 10_000  # 1.2 GB of float32 in chunks of 20 MB
    print(f"\n## zarr: {n * d * 4 / 1e9:.1f} GB store, 2 workers of 400 MiB, streamed")
    params = dict(reg=1e-4, max_iter=10, tol=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.zarr")
        store = zarr.create_array(
            path, shape=(n, d), chunks=(chunk, d), dtype=np.float32, compressors=None
        )
        ys = []
        for i, s in enumerate(range(0, n, chunk)):
            Xc, yc = chunk_of(i, chunk, d, 10, seed=3)
            store[s : s + chunk] = Xc
            ys.append(yc)
        y = np.concatenate(ys)
        start = time.perf_counter()
        want = _fit(store[:], y, **params)
        t_memory = time.perf_counter() - start
        with cluster(2, memory_limit="400MiB") as lc, Client(lc) as client:
            pids = client.run(os.getpid)
            Xd = da.from_zarr(path)
            stop, peaks = threading.Event(), {}
            watcher = threading.Thread(target=_peak_memory, args=(client, stop, peaks))
            watcher.start()
            start = time.perf_counter()
            got = _fit(Xd, da.from_array(y, chunks=chunk), **params)
            t_cluster = time.perf_counter() - start
            stop.set()
            watcher.join()
            same_workers = client.run(os.getpid) == pids
    rel = np.max(np.abs(got.coef_ - want.coef_)) / np.max(np.abs(want.coef_))
    print(
        f"in memory: {t_memory:.1f} s; streamed on the cluster: {t_cluster:.1f} s; "
        f"no worker restarted: {same_workers}; peak worker memory "
        f"{max(peaks.values()) / 2**20:.0f} MiB; coef_ rel. diff {rel:.1e}"
    )


SECTIONS = {
    "latency": section_latency,
    "losses": section_losses,
    "fit": section_fit,
    "dask-ml": section_dask_ml,
    "zarr": section_zarr,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # No choices= here: argparse checks an empty list against them and fails.
    parser.add_argument("sections", nargs="*", help=", ".join(SECTIONS) + " (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {list(SECTIONS)}")
    fastlin.show_config()
    for name in args.sections or SECTIONS:
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
