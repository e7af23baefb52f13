"""least_squares: the exact minimiser of linear_squared_loss, against
numpy.linalg.lstsq and the reference, on well-posed, singular and ridge
problems, and the choice between the Cholesky and minimum-norm paths."""

from __future__ import annotations

import numpy as np
import pytest

import fastlin
import fastlin.reference as ref
from fastlin import _core


def _problem(rng, N, D, K, noise=0.1):
    X = rng.standard_normal((N, D)) + rng.uniform(-3, 3, size=D)  # uncentred columns
    W = rng.standard_normal((K, D))
    T = X @ W.T + rng.standard_normal(K) + noise * rng.standard_normal((N, K))
    return X, T


def _gradient_is_zero(X, T, W, b, reg):
    """dW and db of the mean squared loss at (W, b) vanish to rounding: each
    entry is a sum of N terms |x_ij r_ik| / N, so rounding leaves ~eps times
    the size of those terms (times a modest factor for the solve)."""
    r = fastlin.linear_squared_loss(X, T, W, b, reg=reg)
    resid = np.abs(ref.linear(X, W, b) - np.asarray(T).reshape(len(X), -1))
    scale_W = (np.abs(X).T @ (resid + np.abs(T).reshape(len(X), -1))).T / len(X) + 2 * reg * np.abs(
        W
    )
    assert np.all(np.abs(r.dW) <= 1e-10 * scale_W.max()), np.abs(r.dW).max()
    if b is not None:
        assert np.all(np.abs(r.db) <= 1e-10 * scale_W.max()), np.abs(r.db).max()


@pytest.mark.parametrize("reg", [0.0, 0.05])
@pytest.mark.parametrize("fit_bias", [True, False])
@pytest.mark.parametrize("K", [1, 3])
def test_zero_gradient_at_the_solution(K, fit_bias, reg, rng):
    X, T = _problem(rng, 500, 23, K)
    W, b = fastlin.least_squares(X, T, reg=reg, fit_bias=fit_bias)
    assert W.shape == (K, 23) and (b is None) == (not fit_bias)
    _gradient_is_zero(X, T, W, b, reg)


@pytest.mark.parametrize("fit_bias", [True, False])
def test_well_posed_agrees_with_lstsq_and_uses_cholesky(fit_bias, rng):
    X, T = _problem(rng, 2000, 31, 2)
    W, b, method = _core.least_squares(X, T, 0.0, fit_bias)
    assert method == "cholesky"
    A = np.hstack([X, np.ones((len(X), 1))]) if fit_bias else X
    sol = np.linalg.lstsq(A, T, rcond=None)[0]
    # cond(X) is ~10 here: the normal equations lose ~cond^2 * eps, well inside 1e-10.
    np.testing.assert_allclose(W, sol[:31].T, rtol=1e-10, atol=1e-12)
    if fit_bias:
        np.testing.assert_allclose(b, sol[31], rtol=1e-10, atol=1e-12)
    Wr, br = ref.least_squares(X, T, fit_bias=fit_bias)
    np.testing.assert_allclose(W, Wr, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "shape", ["fewer_samples", "repeated_columns", "one_sample", "constant_column"]
)
def test_singular_gives_the_minimum_norm_solution(shape, rng):
    if shape == "fewer_samples":
        X, T = _problem(rng, 12, 30, 2)
    elif shape == "one_sample":
        X, T = _problem(rng, 1, 5, 2)
    else:
        X, T = _problem(rng, 200, 10, 2)
        if shape == "repeated_columns":
            X = np.hstack([X, X[:, :3]])
        else:
            X[:, 4] = 7.0  # centred away: a zero column
    W, b, method = _core.least_squares(X, T, 0.0, True)
    assert method == "min_norm"
    Wr, br = ref.least_squares(X, T)
    Xc, Tc = X - X.mean(0), T - T.mean(0)
    sol = np.linalg.lstsq(Xc, Tc, rcond=None)[0].T
    np.testing.assert_allclose(W, sol, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(W, Wr, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(b, br, rtol=1e-9, atol=1e-9)
    _gradient_is_zero(X, T, W, b, 0.0)


def test_ridge_agrees_with_the_reference_and_closed_form(rng):
    X, T = _problem(rng, 300, 15, 2)
    reg = 0.3
    W, b = fastlin.least_squares(X, T, reg=reg)
    Wr, br = ref.least_squares(X, T, reg=reg)
    np.testing.assert_allclose(W, Wr, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(b, br, rtol=1e-11, atol=1e-12)
    # Ridge on a singular problem still has one solution, found by Cholesky.
    X2 = np.hstack([X, X])
    W2, b2, method = _core.least_squares(X2, T, reg, True)
    assert method == "cholesky"
    np.testing.assert_allclose(W2, ref.least_squares(X2, T, reg=reg)[0], rtol=1e-9, atol=1e-11)
    _gradient_is_zero(X2, T, W2, b2, reg)


def test_ill_conditioned_falls_back_to_svd(rng):
    X, T = _problem(rng, 400, 6, 1, noise=0.0)
    X[:, 5] = X[:, 4] + 1e-7 * rng.standard_normal(400)  # cond(Xc) ~ 1e7: cond^2 beyond 1/sqrt(eps)
    W, b, method = _core.least_squares(X, T, 0.0, True)
    assert method == "min_norm"
    Wr, br = ref.least_squares(X, T)
    np.testing.assert_allclose(W, Wr, rtol=1e-6, atol=1e-6)


def test_float32_in_float32_out_and_1d_targets(rng):
    X, T = _problem(rng, 100, 4, 1)
    W, b = fastlin.least_squares(X.astype(np.float32), T[:, 0].astype(np.float32))
    assert W.dtype == b.dtype == np.float32 and W.shape == (1, 4) and b.shape == (1,)
    Wr, br = ref.least_squares(X.astype(np.float32), T[:, 0].astype(np.float32))
    np.testing.assert_allclose(W, Wr, rtol=1e-6)
    np.testing.assert_allclose(b, br, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mod", [fastlin, ref], ids=["fastlin", "reference"])
def test_bad_input(mod):
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"T: .*\(4,\)"):
        mod.least_squares(X, np.ones(4))
    with pytest.raises(ValueError, match=r"X: .*\(0, 3\)"):
        mod.least_squares(np.ones((0, 3)), np.ones(0))
    with pytest.raises(ValueError, match=r"X: .*\(3,\)"):
        mod.least_squares(np.ones(3), np.ones(3))
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"X: expected finite values, got X\[2, 1\]"):
        mod.least_squares(bad, np.ones(5))
    with pytest.raises(ValueError, match=r"T: expected finite values, got T\[3\]"):
        mod.least_squares(X, np.array([1, 2, 3, np.inf, 5.0]))
    with pytest.raises(ValueError, match="reg"):
        mod.least_squares(X, np.ones(5), reg=-1.0)


# Constant values whose mean over 37 rows is not exactly themselves in float64:
# centring leaves rounding noise (~1e-12 here) where the answer has zeros.
_CONSTANTS = np.array([12345.678, 0.1 + 1 / 3, -24333.333333333332])
_TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-10}}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("D", [1, 3])
def test_rows_all_equal_give_zero_weights_and_the_mean_target(D, dtype, rng):
    X = np.broadcast_to(_CONSTANTS[:D].astype(dtype), (37, D))  # stride 0 along the rows
    T = rng.standard_normal((37, 2)).astype(dtype)
    for mod in (fastlin, ref):
        W, b = mod.least_squares(X, T)
        assert W.dtype == b.dtype == dtype
        # Every singular value of the centred X is rounding noise: the minimum-norm W is 0.
        np.testing.assert_array_equal(W, np.zeros((2, D)), err_msg=mod.__name__)
        np.testing.assert_allclose(
            b, T.astype(np.float64).mean(0), **_TOL[dtype], err_msg=mod.__name__
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_constant_column_gets_zero_weight(dtype, rng):
    X, T = _problem(rng, 37, 6, 2)
    X[:, 2] = _CONSTANTS[0]  # large against the other columns: its noise is not small
    X, T = X.astype(dtype), T.astype(dtype)
    W, b = fastlin.least_squares(X, T)
    Wr, br = ref.least_squares(X, T)
    # The answer: the problem without that column (with a bias), weight 0 for it.
    rest = np.delete(X, 2, axis=1).astype(np.float64)
    sol = np.linalg.lstsq(np.hstack([rest, np.ones((37, 1))]), T.astype(np.float64), rcond=None)[0]
    want_W = np.insert(sol[:5].T, 2, 0.0, axis=1)
    for got_W, got_b, name in ((W, b, "fastlin"), (Wr, br, "reference")):
        assert abs(got_W[:, 2]).max() <= 1e-10 * abs(want_W).max(), name
        np.testing.assert_allclose(got_W, want_W, **_TOL[dtype], err_msg=name)
        np.testing.assert_allclose(got_b, sol[5], **_TOL[dtype], err_msg=name)
    np.testing.assert_allclose(W, Wr, **_TOL[dtype])
    np.testing.assert_allclose(b, br, **_TOL[dtype])
