"""The estimators' SGD: solver="sgd" and partial_fit, in float32 and float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from conftest import FLOAT_DTYPES
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import fastlin as fl

LOSSES = ["softmax", "svm", "squared_hinge", "crammer_singer"]


def data(dtype, n_samples=1000):
    X, y = make_blobs(n_samples=n_samples, centers=4, n_features=6, cluster_std=4.0, random_state=2)
    return StandardScaler().fit_transform(X).astype(dtype), y


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("loss", LOSSES)
def test_sgd_approaches_the_lbfgs_optimum(loss, dtype):
    X, y = data(dtype)
    reg = 1e-3
    with warnings.catch_warnings():  # the hinge's kinks: L-BFGS may stop at max_iter
        warnings.simplefilter("ignore", ConvergenceWarning)
        best = fl.LinearClassifier(loss, reg=reg, max_iter=1000).fit(X, y)
    sgd = fl.LinearClassifier(
        loss,
        reg=reg,
        solver="sgd",
        batch_size=32,
        max_iter=60,
        tol=None,
        lr_schedule="cosine",
        learning_rate=0.05,
        random_state=0,
    )
    sgd.fit(X, y)
    assert sgd.coef_.dtype == dtype and sgd.n_iter_ == 60 and len(sgd.loss_curve_) == 60
    fused, options = fl._training.objective.CLASSIFIER_LOSSES[loss]
    X64 = X.astype(np.float64)

    def f(clf):
        return fused(
            X64,
            y,
            clf.coef_.astype(np.float64),
            clf.intercept_.astype(np.float64),
            reg=reg,
            **options,
        ).loss

    # A cosine-annealed SGD ends within a few percent of the optimum's objective.
    assert f(best) <= f(sgd) <= f(best) * 1.03
    assert sgd.score(X, y) >= best.score(X, y) - 0.02


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_sgd_is_reproducible_from_random_state(dtype):
    X, y = data(dtype, 300)
    params = {"solver": "sgd", "max_iter": 3, "tol": None, "random_state": 7}
    a = fl.LinearClassifier(**params).fit(X, y)
    b = fl.LinearClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    c = fl.LinearClassifier(**{**params, "random_state": 8}).fit(X, y)
    assert not np.array_equal(a.coef_, c.coef_)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_partial_fit_runs_one_epoch_per_call_and_keeps_momentum(dtype):
    X, y = data(dtype, 300)
    labels = np.array(["a", "b", "c", "d"])[y]
    clf = fl.LinearClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, labels)
    clf.partial_fit(X[:150], labels[:150], classes=["d", "c", "b", "a"])
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c", "d"])
    assert clf.n_iter_ == 1 and clf.coef_.dtype == dtype
    clf.partial_fit(X[150:], labels[150:])
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:5], np.array(["a", "b", "e", "a", "b"]))
    assert clf.n_iter_ == 2  # the failed call changed nothing
    # Two calls on the same rows are two epochs of one fit with max_iter=2.
    one = fl.LinearClassifier(random_state=0)
    one.partial_fit(X, labels, classes=["a", "b", "c", "d"])
    one.partial_fit(X, labels)
    whole = fl.LinearClassifier(solver="sgd", max_iter=2, tol=None, random_state=0)
    whole.fit(X, labels)
    np.testing.assert_allclose(one.coef_, whole.coef_, rtol=1e-6, atol=1e-6)


def test_early_stopping_holds_out_a_validation_fraction():
    X, y = data(np.float64, 600)
    clf = fl.LinearClassifier(
        solver="sgd",
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        tol=1e-3,
        max_iter=200,
        random_state=0,
    )
    clf.fit(X, y)
    assert clf.n_iter_ < 200
    assert clf.score(X, y) > 0.6
    with pytest.raises(ValueError, match="validation_fraction"):
        fl.LinearClassifier(solver="sgd", early_stopping=True, validation_fraction=1.5).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        fl.LinearClassifier(solver="sgd", learning_rate=-1.0).fit(X, y)
