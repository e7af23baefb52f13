"""The ``sgd`` section of ``python -m fastlin.bench``: mini-batch SGD.

* An epoch of :func:`fastlin._sgd.sgd_epochs` (softmax, batch 256, momentum
  0.9; each batch gathered into a buffer, one fused pass into ``dW_out``,
  the compiled momentum update) on the linear-probe shape, against the FLOP
  limit of one full pass (``4 N D C`` flops at the float32 matmul peak of
  the same run), a plain PyTorch mini-batch loop of the same batch size and
  momentum (``X[idx]``, ``nn.Linear``, ``cross_entropy``, ``backward``,
  ``optim.SGD``), and scikit-learn's ``SGDClassifier(loss="log_loss")``
  (one-vs-rest, per-sample steps); the accuracy of each on held-out data
  after the same number of epochs.
* One SGD step on one image (``N=1, D=3072, C=20``, float32): the fused pass
  into the buffers, the momentum update, and both.

The probe data: overlapping Gaussian classes (class means drawn at random,
unit noise), float32, the same for every contender.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np

import fastlin
from fastlin import _core
from fastlin._sgd import BatchGather, SGDOptions, sgd_epochs

PROBE = (50_000, 512, 100)  # N, D, C
ONE_IMAGE = (3072, 20)  # D, C
BATCH = 256
MOMENTUM = 0.9
LEARNING_RATE = 0.01
REG = 5e-5  # SGDClassifier's default alpha = 1e-4 is reg = alpha / 2


@dataclass
class Run:
    """Seconds per epoch (median over the timed epochs) and held-out accuracy."""

    epoch_s: float | None
    accuracy: float | None
    note: str = ""


def probe_data(N, D, C, n_test, seed=0):
    """Overlapping Gaussian classes: train (X, y) and test (X, y), float32."""
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((C, D)).astype(np.float32) * np.float32(0.15)
    y = rng.integers(0, C, N + n_test)
    X = means[y] + rng.standard_normal((N + n_test, D), dtype=np.float32)
    return X[:N], y[:N], X[N:], y[N:]


def _accuracy(W, b, X, y):
    return float(np.mean(np.argmax(X @ W.T + b, axis=1) == y))


def fastlin_run(X, y, Xt, yt, C, epochs, seed=0) -> Run:
    N, D = X.shape
    W, b = np.zeros((C, D), X.dtype), np.zeros(C, X.dtype)
    gather = BatchGather(BATCH, X, y)

    def batch_loss_grad(rows, W, b, dW_out, db_out):
        Xb, yb = gather(rows)
        return fastlin.linear_softmax_loss(Xb, yb, W, b, reg=REG, dW_out=dW_out, db_out=db_out).loss

    rng, state, times = np.random.default_rng(seed), None, []
    options = SGDOptions(
        batch_size=BATCH,
        learning_rate=LEARNING_RATE,
        lr_schedule="invscaling",
        momentum=MOMENTUM,
        max_epochs=1,
        tol=None,
    )
    curve = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        result = sgd_epochs(batch_loss_grad, N, W, b, options, rng, state=state)
        times.append(time.perf_counter() - t0)
        state = result.state
        curve += result.loss_curve
    note = "" if curve[-1] < math.log(C) else f"objective did not fall: {curve}"
    return Run(float(np.median(times)), _accuracy(W, b, Xt, yt), note)


def torch_run(X, y, Xt, yt, C, epochs, seed=0) -> Run:
    try:
        import torch
    except ImportError:
        return Run(None, None, "PyTorch not installed")
    N, D = X.shape
    Xtr, ytr = torch.from_numpy(X), torch.from_numpy(y)
    layer = torch.nn.Linear(D, C)
    torch.nn.init.zeros_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    # weight_decay also decays the bias; reg is too small for that to matter here.
    opt = torch.optim.SGD(
        layer.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM, weight_decay=2 * REG
    )
    gen = torch.Generator().manual_seed(seed)
    times = []
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = LEARNING_RATE / math.sqrt(1 + epoch)
        t0 = time.perf_counter()
        perm = torch.randperm(N, generator=gen)
        for k in range(0, N, BATCH):
            idx = perm[k : k + BATCH]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(layer(Xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    W = layer.weight.detach().numpy()
    b = layer.bias.detach().numpy()
    return Run(float(np.median(times)), _accuracy(W, b, Xt, yt))


def sklearn_run(X, y, Xt, yt, epochs, seed=0) -> Run:
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import SGDClassifier
    except ImportError:
        return Run(None, None, "scikit-learn not installed")
    clf = SGDClassifier(
        loss="log_loss", alpha=2 * REG, max_iter=epochs, tol=None, random_state=seed
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    seconds = (time.perf_counter() - t0) / epochs
    return Run(seconds, float(clf.score(Xt, yt)))


def one_image_step(repeats):
    """Median microseconds of the fused pass into buffers, the update, a whole
    step (cycling over 64 images so that the gradient never vanishes), and a
    copy of W: the yardstick of a step that must move W's size through the
    cache at least seven times (read W for the scores, write dW; read dW, W,
    v and write W, v in the update): 3.5 copies."""
    from .bench import median_time

    D, C = ONE_IMAGE
    rng = np.random.default_rng(2)
    Xs = rng.standard_normal((64, 1, D), dtype=np.float32)
    ys = rng.integers(0, C, (64, 1))
    W = rng.standard_normal((C, D), dtype=np.float32) * np.float32(0.01)
    b = np.zeros(C, np.float32)
    dW, db, vW, vb = np.empty_like(W), np.empty_like(b), np.zeros_like(W), np.zeros_like(b)
    k = [0]
    fused, update = fastlin.linear_softmax_loss, _core._momentum_update

    def grad():
        k[0] = (k[0] + 1) & 63
        fused(Xs[k[0]], ys[k[0]], W, b, dW_out=dW, db_out=db)

    def step():
        grad()
        update(W, vW, dW, 1e-4, MOMENTUM, False)
        update(b, vb, db, 1e-4, MOMENTUM, False)

    def just_update():
        update(W, vW, dW, 1e-4, MOMENTUM, False)
        update(b, vb, db, 1e-4, MOMENTUM, False)

    def copy():
        np.copyto(vW, W)

    times = {
        name: median_time(fn, repeats)[0] * 1e6
        for name, fn in (("fused", grad), ("update", just_update), ("step", step), ("copy", copy))
    }
    vW[...] = 0.0
    return times


def report(limits, quick: bool, repeats: int) -> list:
    """Prints the section; returns the problems to list at the end of the report."""
    from .bench import measure_limits

    peak = limits.peak_flops.get(np.float32) or limits.peak_flops.get("float32")
    if peak is None:
        peak = measure_limits((np.float32,), repeats).peak_flops[np.float32]
    N, D, C = PROBE
    epochs = 1 if quick else 3
    limit = 4 * N * D * C / peak
    X, y, Xt, yt = probe_data(N, D, C, n_test=10_000)
    print(
        f"\n# sgd: epochs of mini-batch SGD, softmax, probe N={N}, D={D}, C={C} float32, "
        f"batch {BATCH}, momentum {MOMENTUM}, lr {LEARNING_RATE}/sqrt(1+epoch), "
        f"reg {REG}; median epoch of {epochs}, test accuracy after {epochs} "
        f"(10000 held-out rows)",
        flush=True,
    )
    print(f"{'contender':<34} {'epoch':>10} {'x limit':>8} {'vs fastlin':>11} {'accuracy':>9}")
    runs = {
        "fastlin sgd_epochs": fastlin_run(X, y, Xt, yt, C, epochs),
        "PyTorch loop (nn.Linear, SGD)": torch_run(X, y, Xt, yt, C, epochs),
        "sklearn SGDClassifier(log_loss)": sklearn_run(X, y, Xt, yt, epochs),
    }
    ours = runs["fastlin sgd_epochs"]
    problems = []
    for name, r in runs.items():
        if r.epoch_s is None:
            print(f"{name:<34} {'n/a':>10}   ({r.note})")
            continue
        ratio = r.epoch_s / ours.epoch_s if ours.epoch_s else float("nan")
        print(
            f"{name:<34} {r.epoch_s * 1e3:>8.1f}ms {r.epoch_s / limit:>7.2f}x "
            f"{ratio:>10.1f}x {r.accuracy:>9.4f}",
            flush=True,
        )
        if r.note:
            problems.append(f"sgd {name}: {r.note}")
    print(f"{'FLOP limit of one full pass':<34} {limit * 1e3:>8.1f}ms")
    for name, r in runs.items():
        if (
            name != "fastlin sgd_epochs"
            and r.accuracy is not None
            and ours.accuracy < r.accuracy - 0.005
        ):
            problems.append(
                f"sgd: fastlin's accuracy {ours.accuracy:.4f} is below {name}'s {r.accuracy:.4f}"
            )
    us = one_image_step(repeats)
    print(
        f"one image (N=1, D={ONE_IMAGE[0]}, C={ONE_IMAGE[1]}, float32): fused pass into "
        f"dW_out {us['fused']:.1f} us, momentum update {us['update']:.1f} us, "
        f"SGD step {us['step']:.1f} us; a copy of W {us['copy']:.1f} us, so the step's "
        f"traffic alone takes about {3.5 * us['copy']:.1f} us",
        flush=True,
    )
    return problems
