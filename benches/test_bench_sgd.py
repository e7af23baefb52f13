"""Mini-batch SGD: one epoch on the linear-probe shape by fastlin's
sgd_epochs and by a plain PyTorch loop (same batch, momentum and step
sizes), side by side in one group; and one SGD step on one image. Each
epoch's result is checked: the held-out accuracy is that of a model that
learned (well above chance), and fastlin's is no worse than PyTorch's.

    pytest benches/test_bench_sgd.py
"""

import numpy as np
import pytest

from fastlin import _bench_sgd as sgd

N, D, C = sgd.PROBE
CHANCE = 1.0 / C


@pytest.fixture(scope="module")
def probe():
    return sgd.probe_data(N, D, C, n_test=10_000)


@pytest.fixture(scope="module")
def accuracies():
    return {}


def test_epoch_fastlin(benchmark, probe, accuracies):
    benchmark.group = f"sgd epoch probe {N}x{D}x{C} float32 batch {sgd.BATCH}"
    run = benchmark.pedantic(lambda: sgd.fastlin_run(*probe, C, epochs=1), rounds=3)
    assert run.note == "" and run.accuracy > 10 * CHANCE
    accuracies["fastlin"] = run.accuracy


def test_epoch_torch(benchmark, probe, accuracies):
    pytest.importorskip("torch")
    benchmark.group = f"sgd epoch probe {N}x{D}x{C} float32 batch {sgd.BATCH}"
    run = benchmark.pedantic(lambda: sgd.torch_run(*probe, C, epochs=1), rounds=3)
    assert run.accuracy > 10 * CHANCE
    if "fastlin" in accuracies:
        assert accuracies["fastlin"] >= run.accuracy - 0.005


def test_one_image_step(benchmark):
    benchmark.group = "sgd step one image 3072x20 float32"
    us = benchmark.pedantic(lambda: sgd.one_image_step(repeats=3), rounds=1)
    assert all(np.isfinite(v) and v > 0 for v in us.values())
