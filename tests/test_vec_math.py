"""Accuracy of the kernels' vectorised exp (csrc/vec.hpp), in every variant.

The documented bound: within 2 ulp in float32 and 3 ulp in float64 of the
exact exp, from log(2^-125) (float32) or log(2^-1021) (float64) up to the
largest finite result; below that the result is 0, above it inf.
"""

import numpy as np
import pytest

from fastlin import _core

VARIANTS = _core.supported_cpu_variants()
BOUNDS = {np.float32: (np.log(2.0**-125), np.log(np.finfo(np.float32).max), 2.0),
          np.float64: (np.log(2.0**-1021), np.log(np.finfo(np.float64).max), 3.0)}


@pytest.fixture(params=VARIANTS)
def variant(request):
    saved = _core.cpu_variant()
    _core.set_cpu_variant(request.param)
    yield request.param
    _core.set_cpu_variant(saved)


def _ulp_error(x, dtype):
    got = _core._exp_approx(x).astype(np.longdouble)
    exact = np.exp(x.astype(np.longdouble))
    ulp = np.spacing(exact.astype(dtype)).astype(np.longdouble)
    return np.abs(got - exact) / ulp


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_within_documented_ulp_over_the_whole_range(variant, dtype):
    lo, hi, bound = BOUNDS[dtype]
    # Every float32 between the bounds would be 2^31 values; a dense grid
    # plus values near the range ends and integer multiples of ln 2 (where
    # the reduction switches n) covers the cases that go wrong.
    grid = np.linspace(lo, hi, 2_000_003)
    near_ln2 = np.arange(int(lo / np.log(2)), int(hi / np.log(2))) * np.log(2)
    x = np.concatenate([grid, near_ln2, np.nextafter(near_ln2, 0), [lo * 0.999999, hi * 0.999999]]).astype(dtype)
    x = x[(x >= lo) & (np.exp(x.astype(np.longdouble)) <= np.finfo(dtype).max)]
    err = _ulp_error(x, dtype)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, f"{err[worst]} ulp at x = {x[worst]!r}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_special_values(variant, dtype):
    lo, hi, _ = BOUNDS[dtype]
    x = np.array([-np.inf, np.inf, np.nan, 0.0, lo - 1.0, -1e4, hi + 1.0, 1e4], dtype=dtype)
    got = _core._exp_approx(x)
    np.testing.assert_array_equal(got[[0, 4, 5]], 0.0)
    assert np.isposinf(got[[1, 6, 7]]).all()
    assert np.isnan(got[2])
    assert got[3] == 1.0


def test_exp_keeps_dtype_and_shape():
    x = np.zeros((3, 5), dtype=np.float32)
    assert _core._exp_approx(x).dtype == np.float32
    assert _core._exp_approx(x).shape == (3, 5)
