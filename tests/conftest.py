"""Shared helpers for fastlin's tests: the modules under test, tolerances, comparisons."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import fastlin
import fastlin.reference
from fastlin import _core

# Hypothesis profiles for tests/test_fuzz.py: "ci" (the default; derandomised,
# so CI checks the same examples every run) and "long" (the issue-6 run of
# over 100,000 generated inputs), chosen by FASTLIN_HYPOTHESIS_PROFILE.
_FUZZ_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_FUZZ_HEALTH,
)
settings.register_profile(
    "long", max_examples=20_000, deadline=None, database=None, suppress_health_check=_FUZZ_HEALTH
)
settings.load_profile(os.environ.get("FASTLIN_HYPOTHESIS_PROFILE", "ci"))

# The compiled package and the NumPy oracle: every API test that does not
# compare the two runs against both.
MODULES = [pytest.param(fastlin, id="fastlin"), pytest.param(fastlin.reference, id="reference")]

FLOAT_DTYPES = [np.float32, np.float64]

# The instruction-set variants this CPU can run; the ``variant`` fixture runs
# a test under each in turn and restores the one that was active.
VARIANTS = _core.supported_cpu_variants()


@pytest.fixture(params=VARIANTS)
def variant(request):
    saved = _core.cpu_variant()
    _core.set_cpu_variant(request.param)
    yield request.param
    _core.set_cpu_variant(saved)


# Relative tolerance of a comparison between two correct implementations, per
# compute dtype.
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def rtol_for(dtype) -> float:
    return RTOL[np.dtype(dtype)]


def atol_for(expected, dtype, scale=0.0) -> float:
    """Absolute tolerance for an array compared elementwise at ``rtol_for(dtype)``.

    A gradient entry such as ``p_y * Q - q_y`` is a cancellation whose rounding
    error is that of its terms, not of the small result, so the error allowed
    on every entry is ``rtol`` times the scale at which it was computed: the
    largest finite magnitude in the expected array, or ``scale`` (the size of
    the terms, e.g. ``sample_weight * weight / denominator``) when larger. Not
    a fixed number, which would be meaningless for a ``1/N``-scaled "mean"
    gradient.
    """
    a = np.asarray(expected, dtype=np.float64)
    finite = a[np.isfinite(a)]
    biggest = float(np.max(np.abs(finite))) if finite.size else 0.0
    return rtol_for(dtype) * max(biggest, scale) + np.finfo(np.float64).tiny


def assert_close(actual, expected, dtype, what="value", scale=0.0):
    """``actual`` equals ``expected`` within the tolerances of ``dtype``.

    NaN and +-inf must sit at the same places (and infinities have the same sign).
    """
    if expected is None:
        assert actual is None, f"{what}: expected None, got {actual!r}"
        return
    assert actual is not None, f"{what}: got None"
    if isinstance(expected, float):
        assert type(actual) is float, f"{what}: expected a Python float, got {type(actual)}"
    np.testing.assert_allclose(
        actual,
        expected,
        rtol=rtol_for(dtype),
        atol=atol_for(expected, dtype, scale),
        equal_nan=True,
        err_msg=what,
    )


def assert_loss_grad_close(got, want, dtype, grad_scale=0.0):
    """Two ``(loss, grad)`` pairs agree: same loss type, shapes, dtypes, values.

    ``grad_scale``: the size of the terms each gradient entry is computed from
    (see :func:`atol_for`).
    """
    loss, grad = got
    loss_w, grad_w = want
    if isinstance(loss_w, np.ndarray):
        assert isinstance(loss, np.ndarray), f"loss: expected an ndarray, got {type(loss)}"
        assert loss.shape == loss_w.shape, f"loss shape {loss.shape} != {loss_w.shape}"
        assert loss.dtype == loss_w.dtype, f"loss dtype {loss.dtype} != {loss_w.dtype}"
    else:
        assert type(loss) is float, f"loss: expected a Python float, got {type(loss)}"
    assert_close(loss, loss_w, dtype, "loss")
    if grad_w is None:
        assert grad is None, "gradient: expected None"
    else:
        assert isinstance(grad, np.ndarray), f"gradient: expected an ndarray, got {type(grad)}"
        assert grad.shape == grad_w.shape, f"gradient shape {grad.shape} != {grad_w.shape}"
        assert grad.dtype == grad_w.dtype, f"gradient dtype {grad.dtype} != {grad_w.dtype}"
        assert_close(grad, grad_w, dtype, "gradient", grad_scale)


def optional_torch():
    """PyTorch, or skip the calling test cleanly when it is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture
def rng(request):
    """A generator seeded from the test's id: reproducible, different per test."""
    seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(request.node.nodeid)) % (2**32)
    return np.random.default_rng(seed)
