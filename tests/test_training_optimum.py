"""The estimators reach the optimum of their objective, in float32 and float64:
against scikit-learn where it solves the same problem, and by the objective's
finite differences around the fitted parameters otherwise."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from conftest import FLOAT_DTYPES
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

import fastlin as fl

# scikit-learn's solvers call a threaded BLAS on tiny vectors; on a loaded
# machine its spinning threads make a one-second fit take a minute.
single_blas_thread = threadpool_limits(limits=1, user_api="blas")


def objective(clf, X, y, reg, **options):
    """The classifier's objective at its fitted parameters, in float64."""
    loss = options.pop("loss", "softmax")
    W = clf.coef_.astype(np.float64)
    b = np.broadcast_to(np.asarray(clf.intercept_, dtype=np.float64), W.shape[:1])
    if loss == "softmax":
        return fl.linear_softmax_loss(X.astype(np.float64), y, W, b, reg=reg, **options).loss
    return fl.linear_svm_loss(X.astype(np.float64), y, W, b, reg=reg, **options).loss


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.fixture(scope="module")
def sklearn_digits_fit(digits):
    X, y = digits
    with single_blas_thread:
        return LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)


def test_softmax_float64_is_sklearn_logistic_regression_on_digits(digits, sklearn_digits_fit):
    X, y = digits
    reg = 1 / (2 * len(y))  # LogisticRegression(C=1)
    ours = fl.LinearClassifier(reg=reg, tol=1e-10, max_iter=10_000).fit(X, y)
    theirs = sklearn_digits_fit
    f_ours, f_theirs = objective(ours, X, y, reg), objective(theirs, X, y, reg)
    assert abs(f_ours - f_theirs) <= 1e-8 * f_theirs
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-3)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-4)
    # The intercept is unique only up to a common shift of every class.
    np.testing.assert_allclose(
        ours.intercept_ - ours.intercept_.mean(),
        theirs.intercept_ - theirs.intercept_.mean(),
        atol=1e-3,
    )
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)


def test_softmax_float32_reaches_the_float32_optimum_on_digits(digits, sklearn_digits_fit):
    # float32 scores carry a relative error near 1e-7, which bounds how close
    # to the float64 optimum a float32 fit can tell it is.
    X, y = digits
    reg = 1 / (2 * len(y))
    ours = fl.LinearClassifier(reg=reg, tol=1e-8, max_iter=10_000).fit(X.astype(np.float32), y)
    assert ours.coef_.dtype == np.float32
    theirs = sklearn_digits_fit
    f_ours, f_theirs = objective(ours, X, y, reg), objective(theirs, X, y, reg)
    assert abs(f_ours - f_theirs) <= 1e-6 * f_theirs
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-3)


def test_crammer_singer_matches_linear_svc(dtype=np.float64):
    # LinearSVC(crammer_singer) minimises ||W||^2 / 2 + C sum_i hinge_i: ours
    # times N / (2 reg N), without intercept (LinearSVC would penalise it).
    X, y = make_blobs(n_samples=300, centers=4, n_features=6, cluster_std=3.0, random_state=0)
    reg = 1e-2
    with warnings.catch_warnings():  # the kinks: L-BFGS-B may stop at max_iter
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = fl.LinearClassifier(
            "crammer_singer", reg=reg, fit_intercept=False, max_iter=1000
        ).fit(X, y)
    with single_blas_thread:
        theirs = LinearSVC(
            C=1 / (2 * reg * len(y)),
            multi_class="crammer_singer",
            fit_intercept=False,
            tol=1e-8,
            max_iter=100_000,
        ).fit(X, y)
    options = {"loss": "svm", "variant": "crammer_singer"}
    f_ours, f_theirs = (
        objective(ours, X, y, reg, **options),
        objective(theirs, X, y, reg, **options),
    )
    # L-BFGS on a kinked objective ends near, not at, the kink it converges to.
    assert f_ours <= f_theirs * (1 + 1e-3)


SMOOTH_LOSSES = ["softmax", "squared_hinge"]
KINKED_LOSSES = ["svm", "crammer_singer"]


def blobs(dtype, n_samples=203, n_features=7, centers=5):
    """Overlapping classes (separable ones have a flat objective), standardised
    features (float32's rounding of the gradient grows with their scale)."""
    X, y = make_blobs(
        n_samples=n_samples,
        centers=centers,
        n_features=n_features,
        cluster_std=10.0,
        random_state=1,
    )
    X = (X - X.mean(0)) / X.std(0)
    return X.astype(dtype), y


def directional_changes(clf, X, y, reg, loss, h, n_directions=20):
    """``f(theta + h v) - f(theta)`` and ``f(theta - h v) - f(theta)`` along random
    unit directions, the objective evaluated in float64."""
    rng = np.random.default_rng(0)
    X64 = X.astype(np.float64)
    W0, b0 = clf.coef_.astype(np.float64), clf.intercept_.astype(np.float64)
    fused, options = fl._training.objective.CLASSIFIER_LOSSES[loss]

    def f(W, b):
        return fused(X64, y, W, b, reg=reg, **options).loss

    f0 = f(W0, b0)
    changes = []
    for _ in range(n_directions):
        vW, vb = rng.standard_normal(W0.shape), rng.standard_normal(b0.shape)
        scale = h / np.sqrt((vW**2).sum() + (vb**2).sum())
        changes.append(
            (f(W0 + scale * vW, b0 + scale * vb) - f0, f(W0 - scale * vW, b0 - scale * vb) - f0)
        )
    return np.array(changes), f0


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("loss", SMOOTH_LOSSES)
def test_smooth_loss_gradient_vanishes_at_the_fit(loss, dtype):
    X, y = blobs(dtype)
    reg = 1e-3
    clf = fl.LinearClassifier(loss, reg=reg, max_iter=1000).fit(X, y)
    assert clf.coef_.dtype == dtype
    # Central differences of the objective (in float64; the squared hinge's
    # second derivative jumps, hence a small step): the directional derivative
    # at the optimum is zero to within the solver's tol (float64) or float32's noise.
    h = 1e-6
    changes, f0 = directional_changes(clf, X, y, reg, loss, h)
    derivative = (changes[:, 0] - changes[:, 1]) / (2 * h)
    bound = 1e-5 if dtype == np.float64 else 1e-3
    assert np.all(np.abs(derivative) <= bound), derivative
    # ...and the fit's last recorded objective is the objective at coef_.
    assert clf.loss_curve_[-1] == pytest.approx(f0, rel=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("loss", KINKED_LOSSES)
def test_kinked_loss_fit_is_a_minimum(loss, dtype):
    # The hinge has no gradient at the optimum: check that no step of 1e-2
    # in any of 20 random directions lowers the objective by more than the
    # stopping rule leaves (the objective's decrease is a relative 1e-6 at most).
    X, y = blobs(dtype)
    reg = 1e-2
    # L-BFGS-B's gradient test never holds at a kink: it stops on the
    # objective's relative decrease, or at max_iter with a ConvergenceWarning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = fl.LinearClassifier(loss, reg=reg, max_iter=300).fit(X, y)
    assert clf.coef_.dtype == dtype
    changes, f0 = directional_changes(clf, X, y, reg, loss, h=1e-2)
    assert np.all(changes >= -1e-6 * f0), changes.min()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("solver", ["exact", "lbfgs"])
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_regression_is_ridge(solver, fit_intercept, dtype, weighted):
    rng = np.random.default_rng(3)
    N, D, K = 157, 9, 3
    X = rng.standard_normal((N, D)).astype(dtype)
    T = (X @ rng.standard_normal((D, K)) + 0.3 * rng.standard_normal((N, K)) + 2).astype(dtype)
    sw = rng.uniform(0, 3, N) if weighted else None
    reg = 0.05
    ours = fl.LinearRegression(
        reg=reg, fit_intercept=fit_intercept, solver=solver, tol=1e-10, max_iter=1000
    ).fit(X, T, sample_weight=sw)
    # Ridge minimises sum_i sw_i r_i^2 + alpha ||W||^2: ours times 2 sum(sw).
    alpha = 2 * reg * (N if sw is None else sw.sum())
    theirs = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(
        X.astype(np.float64), T.astype(np.float64), sample_weight=sw
    )
    atol = 1e-8 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=atol)
    # One target: coef_ (n_features,) and a float intercept_, as in scikit-learn.
    one = fl.LinearRegression(reg=reg, fit_intercept=fit_intercept, solver=solver, tol=1e-10).fit(
        X, T[:, 0], sample_weight=sw
    )
    assert one.coef_.shape == (D,) and isinstance(one.intercept_, float)
    np.testing.assert_allclose(one.predict(X), ours.predict(X)[:, 0], rtol=0, atol=10 * atol)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_linear_regression_exact_is_least_squares(dtype):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 60)).astype(dtype)  # fewer samples than features
    t = rng.standard_normal(40).astype(dtype)
    W, b = fl.least_squares(X, t)
    ours = fl.LinearRegression().fit(X, t)
    np.testing.assert_array_equal(ours.coef_, W.reshape(-1).astype(dtype))
    assert ours.intercept_ == pytest.approx(float(np.asarray(b).reshape(-1)[0]))
