"""No growth of resident memory over 100,000 calls of each public function on
small inputs: a leak of one small array per call would add
tens of MiB; the bound allows 2 MiB, about 20 bytes a call.

Slow (about a minute in all): marked ``slow``, see pyproject.toml."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

import fastlin
import fastlin.compat.cs231n as cs231n

CALLS = 100_000
GROWTH_LIMIT = 2 << 20  # bytes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc/self/statm"),
]


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _calls():
    rng = np.random.default_rng(0)
    N, D, C = 8, 5, 4
    S = rng.standard_normal((N, C))
    S32 = S.astype(np.float32)
    y = rng.integers(0, C, N)
    soft = rng.random((N, C))
    X = rng.standard_normal((N, D))
    W = rng.standard_normal((C, D))
    b = rng.standard_normal(C)
    sw = rng.random(N)
    bad_y = np.r_[y[:-1], C]

    def bad_label():
        try:
            fastlin.softmax_loss(S, bad_y)
        except ValueError:
            pass

    return {
        "softmax_loss": lambda: fastlin.softmax_loss(S, y, sample_weight=sw, label_smoothing=0.1),
        "softmax_loss-soft-none": lambda: fastlin.softmax_loss(S32, soft, reduction="none"),
        "svm_loss": lambda: fastlin.svm_loss(S, y, weight=np.ones(C)),
        "squared_loss": lambda: fastlin.squared_loss(S, soft),
        "linear": lambda: fastlin.linear(X, W, b),
        "linear_backward": lambda: fastlin.linear_backward(S, X, W),
        "bias_trick": lambda: fastlin.bias_trick(X, W, b),
        "linear_softmax_loss": lambda: fastlin.linear_softmax_loss(
            X, y, W, b, reg=0.1, return_dX=True
        ),
        "linear_svm_loss": lambda: fastlin.linear_svm_loss(X, y, W, b, return_dX=True),
        "linear_squared_loss": lambda: fastlin.linear_squared_loss(X, soft, W, b, reduction="none"),
        "least_squares": lambda: fastlin.least_squares(X, soft),
        "cs231n.softmax_loss_vectorized": lambda: cs231n.softmax_loss_vectorized(W.T, X, y, 0.1),
        "cs231n.svm_loss_vectorized": lambda: cs231n.svm_loss_vectorized(W.T, X, y, 0.1),
        "cs231n.softmax_loss": lambda: cs231n.softmax_loss(S, y),
        "cs231n.svm_loss": lambda: cs231n.svm_loss(S, y),
        "error-path": bad_label,  # an exception thrown from C++ must free what it holds
    }


@pytest.mark.parametrize("name", list(_calls()))
def test_no_resident_memory_growth(name):
    call = _calls()[name]
    for _ in range(2000):  # warm up: allocator pools, first-use caches
        call()
    gc.collect()
    before = _rss()
    for _ in range(CALLS):
        call()
    gc.collect()
    growth = _rss() - before
    print(f"{name}: {growth / 1024:.0f} KiB over {CALLS} calls")
    assert growth < GROWTH_LIMIT, (
        f"{name}: resident memory grew {growth / 2**20:.1f} MiB over {CALLS} calls"
    )
