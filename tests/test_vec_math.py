"""Accuracy of the kernels' vectorised exp (csrc/vec.hpp), in every variant.

It serves softmax, whose arguments s - max(s) are never positive, and is
defined for x <= 0 only. The documented bound: within 2 ulp in float32 and
3 ulp in float64 of the exact exp, from log(2^-125) (float32) or
log(2^-1021) (float64) up to 0; below that the result is 0.
"""

import numpy as np
import pytest

from fastlin import _core

VARIANTS = _core.supported_cpu_variants()
BOUNDS = {np.float32: (np.log(2.0**-125), 2.0), np.float64: (np.log(2.0**-1021), 3.0)}


@pytest.fixture(params=VARIANTS)
def variant(request):
    saved = _core.cpu_variant()
    _core.set_cpu_variant(request.param)
    yield request.param
    _core.set_cpu_variant(saved)


def _ulp_error(x, dtype):
    got = _core._exp_nonpositive(x).astype(np.longdouble)
    exact = np.exp(x.astype(np.longdouble))
    ulp = np.spacing(exact.astype(dtype)).astype(np.longdouble)
    return np.abs(got - exact) / ulp


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_within_documented_ulp_over_the_whole_range(variant, dtype):
    lo, bound = BOUNDS[dtype]
    # Every float32 between the bounds would be 2^31 values; a dense grid
    # plus values near the range ends and integer multiples of ln 2 (where
    # the reduction switches n) covers the cases that go wrong.
    grid = np.linspace(lo, 0.0, 2_000_003)
    near_ln2 = np.arange(int(lo / np.log(2)), 1) * np.log(2)
    tiny = -np.logspace(-30, 0, 1001)
    x = np.concatenate([grid, near_ln2, np.nextafter(near_ln2, 0), tiny, [lo * 0.999999, -0.0]]).astype(dtype)
    x = x[(x >= lo) & (x <= 0)]
    err = _ulp_error(x, dtype)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, f"{err[worst]} ulp at x = {x[worst]!r}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_special_values(variant, dtype):
    lo, _ = BOUNDS[dtype]
    x = np.array([-np.inf, np.nan, 0.0, -0.0, lo - 1.0, -1e4, -np.finfo(dtype).max], dtype=dtype)
    got = _core._exp_nonpositive(x)
    np.testing.assert_array_equal(got[[0, 4, 5, 6]], 0.0)
    assert np.isnan(got[1])
    np.testing.assert_array_equal(got[[2, 3]], 1.0)


def test_exp_keeps_dtype_and_shape():
    x = np.zeros((3, 5), dtype=np.float32)
    assert _core._exp_nonpositive(x).dtype == np.float32
    assert _core._exp_nonpositive(x).shape == (3, 5)
