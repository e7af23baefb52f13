"""Accuracy of the kernels' vector exp and log (csrc/simd/vec_math.hpp), in every variant.

They serve softmax, whose exp arguments s - max(s) are never positive and
whose log arguments (the sums of exp) lie in [1, C]. exp is defined for
x <= 0: within 2 ulp in float32 and 3 ulp in float64 of the exact exp, from
log(2^-125) (float32) or log(2^-1021) (float64) up to 0; below that at most
2^-124 (2^-1020), and exactly 0 from -88 (-709) down. log is defined for
positive normal x: within 1 ulp.
"""

import numpy as np
import pytest

from fastlin import _core

BOUNDS = {np.float32: (np.log(2.0**-125), 2.0), np.float64: (np.log(2.0**-1021), 3.0)}
ZERO_BELOW = {np.float32: (-88.0, 2.0**-124), np.float64: (-709.0, 2.0**-1020)}


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
    x = np.concatenate(
        [grid, near_ln2, np.nextafter(near_ln2, 0), tiny, [lo * 0.999999, -0.0]]
    ).astype(dtype)
    x = x[(x >= lo) & (x <= 0)]
    err = _ulp_error(x, dtype)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, f"{err[worst]} ulp at x = {x[worst]!r}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_special_values(variant, dtype):
    x = np.array([-np.inf, np.nan, 0.0, -0.0, -1e4, -np.finfo(dtype).max], dtype=dtype)
    got = _core._exp_nonpositive(x)
    np.testing.assert_array_equal(got[[0, 4, 5]], 0.0)
    assert np.isnan(got[1])
    np.testing.assert_array_equal(got[[2, 3]], 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_is_tiny_below_the_range_and_zero_far_below(variant, dtype):
    lo, _ = BOUNDS[dtype]
    zero_below, tiny = ZERO_BELOW[dtype]
    between = np.linspace(zero_below, lo, 10_001).astype(dtype)
    got = _core._exp_nonpositive(between)
    assert np.all((got >= 0) & (got <= tiny))
    far = np.linspace(10 * zero_below, zero_below, 10_001).astype(dtype)
    np.testing.assert_array_equal(_core._exp_nonpositive(far), 0.0)


def test_exp_keeps_dtype_and_shape():
    x = np.zeros((3, 5), dtype=np.float32)
    assert _core._exp_nonpositive(x).dtype == np.float32
    assert _core._exp_nonpositive(x).shape == (3, 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_within_one_ulp_over_the_positive_normals(variant, dtype):
    info = np.finfo(dtype)
    # Every binade from the smallest normal to the largest finite, densely
    # around 1 and over [1, 1000] (the softmax sums), and the values next to
    # powers of two and to sqrt(2) (where the reduction switches).
    binades = np.geomspace(info.tiny, info.max, 1_000_003, dtype=np.longdouble)
    sums = np.linspace(1.0, 1000.0, 1_000_003)
    near_one = 1.0 + np.linspace(-0.3, 0.5, 200_001)
    powers = np.ldexp(1.0, np.arange(np.log2(info.tiny), np.log2(info.max)).astype(int))
    edges = np.concatenate([powers, powers * np.sqrt(2.0)]).astype(dtype)
    x = np.concatenate(
        [
            binades.astype(dtype),
            sums.astype(dtype),
            near_one.astype(dtype),
            edges,
            np.nextafter(edges, 0),
            np.nextafter(edges, np.inf),
            [info.max],
        ]
    ).astype(dtype)
    x = x[np.isfinite(x) & (x >= info.tiny)]
    got = _core._log_positive(x).astype(np.longdouble)
    exact = np.log(x.astype(np.longdouble))
    # ulp of the result; log(1) = 0 has no ulp of its own: use that of the
    # smallest nonzero results around it.
    ulp = np.spacing(np.maximum(np.abs(exact), np.finfo(dtype).eps).astype(dtype)).astype(
        np.longdouble
    )
    err = np.abs(got - exact) / ulp
    worst = int(np.argmax(err))
    assert err[worst] <= 1.0, f"{err[worst]} ulp at x = {x[worst]!r}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_special_values(variant, dtype):
    x = np.array([1.0, 2.0, np.nan, np.e], dtype=dtype)
    got = _core._log_positive(x)
    assert got[0] == 0.0
    assert got[1] == dtype(np.log(2.0))
    assert np.isnan(got[2])
