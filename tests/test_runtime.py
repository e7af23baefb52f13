"""Run-time behaviour: every instruction-set variant against the reference,
bit-identical results for every thread count, the thread and variant knobs."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, VARIANTS, assert_loss_grad_close

import fastlin
import fastlin.compat.cs231n as cs231n
import fastlin.reference as ref
from fastlin import _core


@pytest.fixture
def threads():
    saved = fastlin.get_num_threads()
    yield fastlin.set_num_threads
    fastlin.set_num_threads(saved)


def _scores_cases(rng, dtype):
    # Shapes around the vector widths (4, 8, 16 lanes), with the tail vectors
    # that overlap the last full one, and a large case that goes to threads.
    for N, C in [
        (5, 1),
        (7, 2),
        (9, 3),
        (6, 7),
        (6, 8),
        (5, 9),
        (4, 17),
        (3, 20),
        (3, 33),
        (2, 1000),
        (4099, 20),
    ]:
        S = (rng.standard_normal((N, C)) * 3).astype(dtype)
        y = rng.integers(0, C, N)
        yield S, y


SCORES_CALLS = [
    ("softmax", lambda m, S, y: m.softmax_loss(S, y)),
    (
        "softmax-smooth-weighted",
        lambda m, S, y: m.softmax_loss(
            S, y, label_smoothing=0.1, weight=np.linspace(0.5, 1.5, S.shape[1]), reduction="none"
        ),
    ),
    (
        "softmax-ignore",
        lambda m, S, y: m.softmax_loss(
            S, np.where(np.arange(len(y)) % 3 == 1, -100, y), reduction="none"
        ),
    ),
    (
        "softmax-soft",
        lambda m, S, y: m.softmax_loss(S, np.full(S.shape, 1.0 / S.shape[1], S.dtype)),
    ),
    ("ww", lambda m, S, y: m.svm_loss(S, y, reduction="sum")),
    ("ww-squared", lambda m, S, y: m.svm_loss(S, y, squared=True, reduction="none")),
    ("cs", lambda m, S, y: m.svm_loss(S, y, variant="crammer_singer")),
    ("squared", lambda m, S, y: m.squared_loss(S, S[::-1].copy())),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name, call", SCORES_CALLS, ids=[c[0] for c in SCORES_CALLS])
def test_every_variant_matches_the_reference(variant, name, call, dtype, rng):
    for S, y in _scores_cases(rng, dtype):
        assert_loss_grad_close(call(fastlin, S, y), call(ref, S, y), dtype, grad_scale=1.0 / len(S))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_every_variant_runs_the_fused_pass_like_the_reference(variant, dtype, rng):
    X = rng.standard_normal((300, 37)).astype(dtype)
    W = rng.standard_normal((21, 37)).astype(dtype)
    b = rng.standard_normal(21).astype(dtype)
    y = rng.integers(0, 21, 300)
    got = fastlin.linear_softmax_loss(X, y, W, b, reg=0.1, return_dX=True)
    want = ref.linear_softmax_loss(X, y, W, b, reg=0.1, return_dX=True)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.max(np.abs(w)))


def _all_functions(rng, dtype):
    """One call of every public loss, large enough to be split across threads."""
    N, D, C = 70_001, 5, 20
    S = rng.standard_normal((N, C)).astype(dtype)
    y = rng.integers(0, C, N)
    X = rng.standard_normal((N, D)).astype(dtype)
    W = rng.standard_normal((C, D)).astype(dtype)
    b = rng.standard_normal(C).astype(dtype)
    sw = rng.random(N)
    cw = rng.uniform(0.5, 1.5, C)
    soft = rng.random((N, C)).astype(dtype)
    y_ignored = np.where(rng.random(N) < 0.1, -100, y)
    X_singular = np.concatenate([X, X[:, :2]], axis=1)  # repeated columns: the SVD path
    return {
        "softmax": lambda: fastlin.softmax_loss(S, y, sample_weight=sw, label_smoothing=0.05),
        "softmax-none": lambda: fastlin.softmax_loss(S, y, reduction="none"),
        "svm": lambda: fastlin.svm_loss(S, y, sample_weight=sw),
        "svm-cs": lambda: fastlin.svm_loss(S, y, variant="crammer_singer", squared=True),
        "squared": lambda: fastlin.squared_loss(S, S[::-1].copy()),
        "linear_softmax": lambda: fastlin.linear_softmax_loss(X, y, W, b, reg=0.1, return_dX=True),
        "linear_svm": lambda: fastlin.linear_svm_loss(X, y, W, b, return_dX=True),
        "linear_squared": lambda: fastlin.linear_squared_loss(X, S, W, b, return_dX=True),
        "linear": lambda: (fastlin.linear(X, W, b),),
        "linear_backward": lambda: fastlin.linear_backward(S, X, W),
        # Every other public function and option path.
        "softmax-soft-smooth": lambda: fastlin.softmax_loss(
            S, soft, label_smoothing=0.1, weight=cw, reduction="sum"
        ),
        "softmax-ignore-weighted": lambda: fastlin.softmax_loss(
            S, y_ignored, weight=cw, sample_weight=sw
        ),
        "softmax-nograd": lambda: fastlin.softmax_loss(S, y, grad=False),
        "svm-ww-squared-weighted": lambda: fastlin.svm_loss(
            S, y, squared=True, margin=0.5, weight=cw, reduction="none"
        ),
        "svm-cs-weighted": lambda: fastlin.svm_loss(
            S, y, variant="crammer_singer", sample_weight=sw, weight=cw, reduction="sum"
        ),
        "squared-weighted-none": lambda: fastlin.squared_loss(
            S, S[::-1].copy(), sample_weight=sw, reduction="none"
        ),
        "squared-1d": lambda: fastlin.squared_loss(S[:, 0], S[:, 1]),
        "linear_softmax-soft-smooth": lambda: fastlin.linear_softmax_loss(
            X, soft, W, b, label_smoothing=0.1, weight=cw, sample_weight=sw, return_dX=True
        ),
        "linear_softmax-none-ignore": lambda: fastlin.linear_softmax_loss(
            X, y_ignored, W, reg=0.5, reduction="none", return_dX=True
        ),
        "linear_svm-cs-squared": lambda: fastlin.linear_svm_loss(
            X, y, W, b, variant="crammer_singer", squared=True, weight=cw, reduction="sum", reg=0.1
        ),
        "linear_svm-ww-squared-none": lambda: fastlin.linear_svm_loss(
            X, y, W, squared=True, sample_weight=sw, reduction="none", return_dX=True
        ),
        "linear_squared-weighted": lambda: fastlin.linear_squared_loss(
            X, S, W, b, sample_weight=sw, reduction="sum", reg=0.2, return_dX=True
        ),
        "linear-nobias-single": lambda: (fastlin.linear(X, W), fastlin.linear(X[3], W, b)),
        "linear_backward-single": lambda: fastlin.linear_backward(S[7], X[7], W),
        "bias_trick": lambda: fastlin.bias_trick(X, W, b),
        "least_squares": lambda: fastlin.least_squares(X, S, reg=0.0),
        "least_squares-ridge-nobias": lambda: fastlin.least_squares(X, S, reg=0.3, fit_bias=False),
        "least_squares-singular": lambda: fastlin.least_squares(X_singular, S[:, :3]),
        "cs231n.softmax_loss_vectorized": lambda: cs231n.softmax_loss_vectorized(W.T, X, y, 0.1),
        "cs231n.svm_loss_vectorized": lambda: cs231n.svm_loss_vectorized(W.T, X, y, 0.1),
        "cs231n.softmax_loss": lambda: cs231n.softmax_loss(S, y),
        "cs231n.svm_loss": lambda: cs231n.svm_loss(S, y),
    }


def _as_bytes(result):
    # dtype and shape too: equal bytes of a different shape are not the same result.
    return [
        r
        if isinstance(r, float)
        else (
            None if r is None else (np.asarray(r).dtype.str, np.shape(r), np.asarray(r).tobytes())
        )
        for r in result
    ]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_results_are_bit_identical_for_every_thread_count(threads, dtype, rng):
    calls = _all_functions(rng, dtype)
    threads(1)
    serial = {name: _as_bytes(f()) for name, f in calls.items()}
    for n in (2, 3, 8):
        threads(n)
        for name, f in calls.items():
            assert _as_bytes(f()) == serial[name], f"{name} differs with {n} threads"
            assert _as_bytes(f()) == serial[name], (
                f"{name} differs on a repeated run with {n} threads"
            )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_concurrent_calls_from_python_threads_match_serial_calls(dtype, rng):
    calls = _all_functions(rng, dtype)
    serial = {name: _as_bytes(f()) for name, f in calls.items()}
    failures = []

    def worker(names):
        for name in names:
            if _as_bytes(calls[name]()) != serial[name]:
                failures.append(name)

    names = list(calls)
    pool = [threading.Thread(target=worker, args=(names[k:] + names[:k],)) for k in range(6)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert failures == []


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_calls_after_the_workers_fell_asleep_match_serial_calls(threads, dtype, rng):
    # A pause longer than the pool's spin puts its workers to sleep; the next
    # call's workers then wake while, or after, its caller runs the tasks, and
    # join only while some are left. Each call must still be whole: every row
    # of dS and every block of dW written before the call returns.
    S = rng.standard_normal((20_000, 20)).astype(dtype)
    y = rng.integers(0, 20, 20_000)
    X = rng.standard_normal((2_000, 300)).astype(dtype)
    W = rng.standard_normal((20, 300)).astype(dtype)
    calls = {
        "softmax_loss": lambda: fastlin.softmax_loss(S, y),
        "svm_loss": lambda: fastlin.svm_loss(S, y),
        "linear_softmax_loss": lambda: fastlin.linear_softmax_loss(X, y[:2_000], W, return_dX=True),
    }
    threads(1)
    serial = {name: _as_bytes(f()) for name, f in calls.items()}
    for n in (2, 8):
        threads(n)
        for _ in range(10):
            for name, f in calls.items():
                time.sleep(0.002)
                assert _as_bytes(f()) == serial[name], (
                    f"{name} differs with {n} threads after a pause"
                )


def test_set_num_threads_round_trips_and_rejects_bad_values(threads):
    threads(3)
    assert fastlin.get_num_threads() == 3
    assert _core.blas_num_threads() == 1  # the BLAS runs inside fastlin's own pieces
    with pytest.raises(ValueError, match="^n: "):
        fastlin.set_num_threads(0)
    with pytest.raises(TypeError, match="^n: "):
        fastlin.set_num_threads(1.5)
    assert fastlin.get_num_threads() == 3


def _run(code, **env):
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("FASTLIN_NUM_THREADS", "FASTLIN_CPU")
    }
    full_env.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip(), out.stderr


def test_fastlin_num_threads_sets_the_start_value():
    out, _ = _run("import fastlin; print(fastlin.get_num_threads())", FASTLIN_NUM_THREADS="3")
    assert out == "3"


def test_fastlin_cpu_forces_a_variant():
    # The first variant is the platform's most portable one (baseline on x86-64).
    out, _ = _run("import fastlin; print(fastlin.cpu_variant())", FASTLIN_CPU=VARIANTS[0])
    assert out == VARIANTS[0]


def test_fastlin_cpu_that_cannot_run_warns_and_runs_the_best():
    out, err = _run("import fastlin; print(fastlin.cpu_variant())", FASTLIN_CPU="no-such-cpu")
    assert out == VARIANTS[-1]
    assert "FASTLIN_CPU='no-such-cpu'" in err


def test_show_config_names_variant_threads_and_blas(capsys):
    fastlin.show_config()
    text = capsys.readouterr().out
    assert fastlin.__version__ in text
    assert fastlin.cpu_variant() in text
    assert f"threads:  {fastlin.get_num_threads()}" in text
    assert "OpenBLAS" in text
