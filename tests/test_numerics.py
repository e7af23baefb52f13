"""Numerics at the edges, for the compiled module and the
reference alike: huge logits (+-1e4, +-3e38 in float32), -inf on masked
classes and on the target, all-equal rows, NaN rows that stay in their row,
and a float32 loss over 4 million rows that agrees with float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, MODULES

import fastlin

F32_HUGE = 3e38  # float32 max is 3.4e38: m - s of +-3e38 overflows float32, not float64


def _softmax64(row, y):
    """Loss and gradient of one row, in exact-as-possible float64 (Python math)."""
    row = [float(v) for v in row]
    m = max(row)
    gaps = [v - m for v in row]
    sumexp = math.fsum(math.exp(g) if g != -math.inf else 0.0 for g in gaps)
    loss = math.log(sumexp) - gaps[y]
    grad = [
        (math.exp(g) if g != -math.inf else 0.0) / sumexp - (c == y) for c, g in enumerate(gaps)
    ]
    return loss, np.array(grad)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("big", [1e4, F32_HUGE])
def test_huge_logits(module, dtype, big):
    S = np.array([[big, -big, 0.0], [-big, big, 0.0], [0.0, -big, big], [big, big, -big]], dtype)
    y = np.array([0, 0, 1, 2])
    loss, dS = module.softmax_loss(S, y, reduction="sum")
    # Row by row in float64 from the float32-rounded values.
    rows = [_softmax64(S[i].astype(np.float64), y[i]) for i in range(len(y))]
    want = math.fsum(r[0] for r in rows)
    assert math.isfinite(loss), "the reduced loss is summed in float64 and is finite"
    assert loss == pytest.approx(want, rel=1e-6)
    np.testing.assert_allclose(dS, np.array([r[1] for r in rows]), atol=1e-6)
    # Per-row losses come back in the compute dtype: 2 * 3e38 is inf in float32.
    none, _ = module.softmax_loss(S, y, reduction="none")
    with np.errstate(over="ignore"):
        want_none = np.array([r[0] for r in rows]).astype(dtype)
    np.testing.assert_allclose(none, want_none, rtol=1e-6)
    # The hinge on the same scores: exact differences of huge values. (Its
    # terms are computed in the compute dtype: 3e38 - -3e38 is inf in float32.)
    svm, dsvm = module.svm_loss(S, y, reduction="sum")
    assert np.isfinite(dsvm).all()
    if dtype == np.float32 and big == F32_HUGE:
        assert svm == math.inf
        return
    assert svm == pytest.approx(
        float(module.svm_loss(S.astype(np.float64), y, reduction="sum")[0]), rel=1e-6
    )


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_minus_inf_on_masked_classes_and_on_the_target(module, dtype):
    S = np.array([[-np.inf, 1.0, 2.0], [-np.inf, -np.inf, 5.0], [-np.inf, 0.0, 1.0]], dtype)
    y = np.array([2, 2, 0])
    loss, dS = module.softmax_loss(S, y, reduction="none")
    for i in (0, 1):  # masked classes: the loss of the others, zero gradient on the mask
        l64, g64 = _softmax64(S[i], y[i])
        assert loss[i] == pytest.approx(l64, abs=1e-6)
        np.testing.assert_allclose(dS[i], g64, atol=1e-6)
        assert (dS[i][np.isneginf(S[i])] == 0).all()
    assert loss[2] == np.inf  # the target is masked: infinite loss, finite gradient
    np.testing.assert_allclose(dS[2], _softmax64(S[2], 0)[1], atol=1e-6)
    assert np.isfinite(dS).all()
    # Soft labels: a masked class with zero target probability adds nothing.
    t = np.array([[0.0, 0.5, 0.5], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype)
    soft, dsoft = module.softmax_loss(S, t, reduction="none")
    assert np.isfinite(soft).all() and np.isfinite(dsoft).all()


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("value", [0.0, -7.5, 1e4, F32_HUGE, -F32_HUGE])
def test_all_equal_rows(module, dtype, value):
    C = 5
    S = np.full((3, C), value, dtype)
    y = np.array([0, 2, 4])
    loss, dS = module.softmax_loss(S, y, reduction="none")
    np.testing.assert_allclose(loss, np.log(C), rtol=1e-6)
    want = np.full((3, C), 1.0 / C)
    want[np.arange(3), y] -= 1.0
    np.testing.assert_allclose(dS, want, atol=1e-6)
    hinge, dh = module.svm_loss(S, y, reduction="none")
    np.testing.assert_array_equal(
        hinge, np.full(3, C - 1.0, dtype)
    )  # margin 1 on every other class
    cs, _ = module.svm_loss(S, y, variant="crammer_singer", reduction="none")
    np.testing.assert_array_equal(cs, np.ones(3, dtype))


def _nan_row_calls(dtype):
    """(name, call(S) -> (per-row losses, per-row gradient or None))."""
    N, C = 7, 6
    rng = np.random.default_rng(5)
    y = rng.integers(0, C, N)
    soft = rng.uniform(0.0, 1.0, (N, C)).astype(dtype)
    soft[3] = 0.0  # the NaN row's target is all zero
    T = rng.standard_normal((N, C)).astype(dtype)
    return [
        ("softmax", lambda m, S: m.softmax_loss(S, y, reduction="none")),
        (
            "softmax-smooth",
            lambda m, S: m.softmax_loss(S, y, label_smoothing=0.2, reduction="none"),
        ),
        ("softmax-soft", lambda m, S: m.softmax_loss(S, soft, reduction="none")),
        (
            "softmax-soft-smooth",
            lambda m, S: m.softmax_loss(S, soft, label_smoothing=0.1, reduction="none"),
        ),
        ("svm", lambda m, S: m.svm_loss(S, y, reduction="none")),
        ("svm-squared", lambda m, S: m.svm_loss(S, y, squared=True, reduction="none")),
        ("svm-cs", lambda m, S: m.svm_loss(S, y, variant="crammer_singer", reduction="none")),
        ("squared", lambda m, S: m.squared_loss(S, T, reduction="none")),
    ]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("where", ["one", "all"])
@pytest.mark.parametrize("k", range(8))
def test_nan_stays_in_its_row(module, dtype, where, k):
    name, call = _nan_row_calls(dtype)[k]
    S = np.random.default_rng(1).standard_normal((7, 6)).astype(dtype)
    poisoned = S.copy()
    if where == "one":
        poisoned[3, 2] = np.nan
    else:
        poisoned[3] = np.nan
    with np.errstate(invalid="ignore"):
        loss, dS = call(module, poisoned)
        clean_loss, clean_dS = call(module, S)
    assert np.isnan(loss[3]), f"{name}: the NaN row's loss is {loss[3]}"
    others = np.arange(7) != 3
    np.testing.assert_array_equal(loss[others], clean_loss[others], err_msg=name)
    np.testing.assert_array_equal(dS[others], clean_dS[others], err_msg=name)
    # The reductions: NaN, and the other rows' gradients unchanged (the mean's
    # denominator does not depend on the scores).
    for reduction in ("mean", "sum"):
        total, g = _reduced(call, module, poisoned, reduction)
        _, g_clean = _reduced(call, module, S, reduction)
        assert math.isnan(total), f"{name}: {reduction} is {total}"
        np.testing.assert_array_equal(g[others], g_clean[others], err_msg=f"{name} {reduction}")


def _reduced(call, module, S, reduction):
    # The same call with another reduction: rebind through the closure's
    # keyword by calling the module function with reduction= replaced.
    class Rebind:
        def __getattr__(self, fname):
            f = getattr(module, fname)
            return lambda *a, **kw: f(*a, **{**kw, "reduction": reduction})

    with np.errstate(invalid="ignore"):
        return call(Rebind(), S)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("fn", ["linear_softmax_loss", "linear_svm_loss", "linear_squared_loss"])
def test_nan_sample_stays_in_its_row_of_the_fused_pass(module, fn):
    rng = np.random.default_rng(2)
    N, D, C = 9, 5, 4
    X = rng.standard_normal((N, D))
    W = rng.standard_normal((C, D))
    y = rng.standard_normal((N, C)) if fn == "linear_squared_loss" else rng.integers(0, C, N)
    bad = X.copy()
    bad[4, 1] = np.nan
    with np.errstate(invalid="ignore"):
        r = getattr(module, fn)(bad, y, W, reduction="none", return_dX=True)
        clean = getattr(module, fn)(X, y, W, reduction="none", return_dX=True)
    others = np.arange(N) != 4
    assert np.isnan(r.loss[4])
    np.testing.assert_allclose(r.loss[others], clean.loss[others], rtol=1e-12)
    np.testing.assert_allclose(r.dX[others], clean.dX[others], rtol=1e-12, atol=1e-14)
    if fn != "linear_svm_loss":  # a NaN margin term is not active: the hinge's gradient is 0
        assert np.isnan(r.dX[4]).any()


@pytest.mark.parametrize("name", ["softmax", "svm", "squared"])
def test_float32_loss_over_4_million_rows_matches_float64(name):
    # Per-row losses carry float32 rounding (relative ~6e-8, random in sign);
    # the sum over rows is in double, so the mean keeps about 1e-7 where a
    # float32 accumulator would lose ~1e-4 over 4 million rows.
    N, C = 4_000_000, 8
    rng = np.random.default_rng(3)
    S = rng.standard_normal((N, C), dtype=np.float32)
    S *= 3
    y = rng.integers(0, C, N).astype(np.int32)
    if name == "softmax":
        call = lambda S_: fastlin.softmax_loss(S_, y, grad=False)[0]  # noqa: E731
    elif name == "svm":
        call = lambda S_: fastlin.svm_loss(S_, y, grad=False)[0]  # noqa: E731
    else:
        T = np.roll(S, 1, axis=1)
        call = lambda S_: fastlin.squared_loss(S_, T, grad=False)[0]  # noqa: E731
    loss32 = call(S)
    loss64 = call(S.astype(np.float64))
    assert abs(loss32 - loss64) <= 1e-6 * abs(loss64), (loss32, loss64)
