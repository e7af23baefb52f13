"""scikit-learn's own estimator checks on fastlin's estimators."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks

from fastlin import LinearClassifier, LinearRegression

# The checks' small data sets are nearly separable: with the default reg
# L-BFGS needs more than the default 100 iterations to reach tol.
ESTIMATORS = [
    LinearClassifier(max_iter=1000),
    LinearClassifier("squared_hinge", max_iter=1000),
    LinearClassifier(solver="sgd", max_iter=20, tol=None, random_state=0),
    LinearRegression(),
    LinearRegression(solver="lbfgs"),
]


def expected_failures(estimator):
    """The checks an estimator cannot pass, with the reason."""
    if getattr(estimator, "loss", None) == "squared_hinge":
        return {
            "check_sample_weight_equivalence_on_dense_data": (
                "compares two fits to 1e-7; on the check's separable data (15 samples, "
                "30 features) the squared hinge's objective is so flat near its optimum "
                "that L-BFGS-B stops (64 eps relative decrease) with the two fits 1e-4 apart"
            )
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
