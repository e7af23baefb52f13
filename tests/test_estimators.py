"""The estimators' behaviour as scikit-learn users expect it: labels, weights,
warm starts, progress, warnings, errors, meta-estimators."""

from __future__ import annotations

import pickle
import tracemalloc

import numpy as np
import pytest

pytest.importorskip("sklearn")

from conftest import FLOAT_DTYPES
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastlin as fl
from fastlin._training.objective import evaluate

LOSSES = ["softmax", "svm", "squared_hinge", "crammer_singer"]


def data(n_samples=120, n_features=5, centers=3, dtype=np.float64, seed=0):
    X, y = make_blobs(
        n_samples=n_samples,
        centers=centers,
        n_features=n_features,
        cluster_std=3.0,
        random_state=seed,
    )
    return X.astype(dtype), y


def fit(X, y, **params):
    params = {"reg": 1e-2, "max_iter": 500, **params}
    return fl.LinearClassifier(**params).fit(X, y)


def test_import_fastlin_does_not_import_sklearn():
    import subprocess
    import sys

    code = "import sys, fastlin; assert 'sklearn' not in sys.modules; fastlin.LinearClassifier"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("loss", ["softmax", "squared_hinge"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_objective_is_the_fused_loss_at_the_fit(loss, dtype):
    X, y = data(dtype=dtype)
    clf = fit(X, y, loss=loss, class_weight={0: 2.0}, label_smoothing=0.1, margin=0.5)
    sw = np.linspace(0.5, 2, len(y))
    clf_w = fit(X, y, loss=loss, class_weight={0: 2.0}, label_smoothing=0.1, margin=0.5)
    clf_w.fit(X, y, sample_weight=sw)
    weight = np.array([2.0, 1.0, 1.0])
    for est, w in ((clf, None), (clf_w, sw)):
        if loss == "softmax":
            expected = fl.linear_softmax_loss(
                X,
                y,
                est.coef_,
                est.intercept_,
                reg=1e-2,
                weight=weight,
                sample_weight=w,
                label_smoothing=0.1,
            ).loss
        else:
            expected = fl.linear_svm_loss(
                X,
                y,
                est.coef_,
                est.intercept_,
                reg=1e-2,
                weight=weight,
                sample_weight=w,
                margin=0.5,
                squared=True,
            ).loss
        assert est.loss_curve_[-1] == expected
        assert est.coef_.dtype == dtype and est.intercept_.dtype == dtype
        assert est.coef_.shape == (3, 5) and est.intercept_.shape == (3,)


def test_any_label_values():
    X, y = data()
    names = np.array(["cat", "dog", "emu"])
    clf = fit(X, names[y])
    np.testing.assert_array_equal(clf.classes_, names)
    ref = fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), names[ref.predict(X)])
    np.testing.assert_array_equal(clf.coef_, ref.coef_)
    shifted = fit(X, 10 * y - 7)
    np.testing.assert_array_equal(shifted.classes_, [-7, 3, 13])


def test_two_classes_keep_two_templates_and_a_one_column_decision():
    X, y = data(centers=2)
    clf = fit(X, np.where(y == 1, "yes", "no"))
    assert clf.coef_.shape == (2, 5)
    scores = X @ clf.coef_.T + clf.intercept_
    np.testing.assert_allclose(
        clf.decision_function(X), scores[:, 1] - scores[:, 0], rtol=1e-12, atol=1e-12
    )
    assert np.all((clf.decision_function(X) > 0) == (clf.predict(X) == "yes"))


def test_predict_proba_is_the_softmax_of_the_scores():
    X, y = data()
    clf = fit(X, y)
    S = clf.decision_function(X)
    P = np.exp(S - S.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), P, rtol=1e-12)
    # log(P) of tiny probabilities loses digits that log_softmax keeps.
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(P), rtol=1e-8)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(S, 1)])
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)
    svm = fl.LinearClassifier("svm")
    assert not hasattr(svm, "predict_proba") and not hasattr(svm, "predict_log_proba")


def test_class_weight_balanced_is_its_dict_and_scales_like_sample_weight():
    X, y = data()
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # class 2 rarer
    X, y = X[keep], y[keep]
    counts = np.bincount(y)
    balanced = fit(X, y, class_weight="balanced")
    as_dict = fit(X, y, class_weight={c: len(y) / (3 * counts[c]) for c in range(3)})
    np.testing.assert_array_equal(balanced.coef_, as_dict.coef_)
    as_samples = fit(X, y, tol=1e-10).fit(X, y, sample_weight=len(y) / (3 * counts[y]))
    tight = fit(X, y, class_weight="balanced", tol=1e-10)
    np.testing.assert_allclose(tight.coef_, as_samples.coef_, atol=1e-7)
    assert not np.allclose(balanced.coef_, fit(X, y).coef_, atol=1e-3)


def test_zero_sample_weight_is_removing_the_sample():
    X, y = data()
    sw = np.ones(len(y))
    sw[::3] = 0
    weighted = fit(X, y, tol=1e-10).fit(X, y, sample_weight=sw)
    removed = fit(X[sw > 0], y[sw > 0], tol=1e-10)
    np.testing.assert_allclose(weighted.coef_, removed.coef_, atol=1e-7)


@pytest.mark.parametrize("loss", ["softmax", "squared_hinge"])
def test_warm_start_resumes_from_the_previous_fit(loss):
    X, y = data()
    clf = fit(X, y, loss=loss, warm_start=True)
    first = clf.n_iter_
    coef = clf.coef_.copy()
    clf.fit(X, y)
    assert clf.n_iter_ < first / 2
    np.testing.assert_allclose(clf.coef_, coef, atol=1e-5)
    cold = fit(X, y, loss=loss)
    cold.fit(X, y)
    assert cold.n_iter_ == first


def test_verbose_reports_progress(capsys):
    X, y = data()
    fit(X, y, verbose=1)
    out = capsys.readouterr().out
    assert "objective" in out and "gradient" in out and "iteration    1" in out
    fit(X, y, verbose=0)
    assert capsys.readouterr().out == ""


def test_convergence_warning_at_max_iter():
    X, y = data()
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        clf = fit(X, y, max_iter=2)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert clf.loss_curve_[1] <= clf.loss_curve_[0]


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"loss": "hinge"}, ValueError, "loss: expected one of"),
        ({"solver": "newton"}, ValueError, "solver: expected one of"),
        ({"reg": -1.0}, ValueError, "reg: expected a value >= 0"),
        ({"reg": "big"}, TypeError, "reg: expected a real number"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"max_iter": 1.5}, TypeError, "max_iter: expected an integer"),
        ({"class_weight": "even"}, ValueError, "class_weight"),
        ({"label_smoothing": 2.0}, ValueError, "label_smoothing"),
    ],
)
def test_bad_parameters_are_named(params, error, match):
    X, y = data()
    with pytest.raises(error, match=match):
        fl.LinearClassifier(**params).fit(X, y)


def test_bad_input_errors():
    X, y = data()
    clf = fl.LinearClassifier(reg=1e-2)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    with pytest.raises(ValueError, match="1 class"):
        clf.fit(X, np.zeros(len(y)))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(bad, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    clf.fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but LinearClassifier is expecting 5"):
        clf.predict(X[:, :4])


def test_a_failed_fit_leaves_the_previous_fit():
    X, y = data()
    clf = fit(X, y)
    before = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in vars(clf).items()}
    with pytest.raises(ValueError, match="1 class"):
        clf.fit(np.ones((10, 7)), np.zeros(10))
    assert clf.n_features_in_ == 5
    for key, value in before.items():
        np.testing.assert_array_equal(getattr(clf, key), value)
    np.testing.assert_array_equal(clf.predict(X), fit(X, y).predict(X))


def test_a_failed_first_fit_leaves_nothing_fitted():
    clf = fl.LinearClassifier()
    with pytest.raises(ValueError):
        clf.fit(np.ones((10, 7)), np.zeros(10))
    assert not any(k.endswith("_") for k in vars(clf))


def test_pipeline_grid_search_clone_and_pickle():
    X, y = data(n_samples=150)
    pipe = make_pipeline(StandardScaler(), fl.LinearClassifier(max_iter=300))
    search = GridSearchCV(
        pipe,
        {
            "linearclassifier__reg": [1e-4, 1e-1],
            "linearclassifier__loss": ["softmax", "squared_hinge"],
        },
        cv=3,
    )
    search.fit(X, y)
    assert search.best_score_ > 0.7
    assert search.predict(X).shape == (150,)
    clf = clone(search.best_estimator_[-1])
    assert not hasattr(clf, "coef_")
    fitted = search.best_estimator_
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_fit_makes_no_copy_of_x(dtype):
    # tracemalloc sees NumPy's allocations: a copy of X (or an N x C array)
    # would be at least 2 MB here; the optimizer's vectors are a few kB.
    rng = np.random.default_rng(0)
    N, D, C = 20000, 100 if dtype == np.float32 else 50, 10
    X = rng.standard_normal((N, D)).astype(dtype)
    y = rng.integers(0, C, N)
    tracemalloc.start()
    try:
        with pytest.warns(ConvergenceWarning):
            fl.LinearClassifier(max_iter=3).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert X.nbytes >= 4_000_000
    assert peak < X.nbytes / 4, peak


def test_objective_is_evaluated_on_x_itself(monkeypatch):
    X, y = data(dtype=np.float32)
    seen = []
    from fastlin._training import lbfgs

    def spy(objective, W, b, *args, **kwargs):
        seen.append(objective.X)
        assert W.dtype == np.float32 and (b is None or b.dtype == np.float32)
        return evaluate(objective, W, b, *args, **kwargs)

    monkeypatch.setattr(lbfgs, "evaluate", spy)
    fit(X, y)
    assert seen and all(x is X for x in seen)


@pytest.mark.parametrize("solver", ["exact", "lbfgs"])
def test_regression_basics(solver):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 4))
    t = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 4
    reg = fl.LinearRegression(solver=solver, tol=1e-10).fit(X, t)
    np.testing.assert_allclose(reg.coef_, [1.0, -2.0, 0.5, 3.0], atol=1e-6)
    assert reg.intercept_ == pytest.approx(4.0, abs=1e-6)
    assert reg.score(X, t) == pytest.approx(1.0)
    assert reg.n_iter_ >= 1 and reg.loss_curve_[-1] == pytest.approx(0.0, abs=1e-10)
    with pytest.raises(ValueError, match="solver: expected one of"):
        fl.LinearRegression(solver="svd").fit(X, t)
    with pytest.raises(NotFittedError):
        fl.LinearRegression().predict(X)
