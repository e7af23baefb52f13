"""scikit-learn's own estimator checks on fastlin's estimators."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fastlin import LinearClassifier, LinearRegression  # noqa: E402

# The checks' small data sets are nearly separable: with the default reg
# L-BFGS needs more than the default 100 iterations to reach tol.
ESTIMATORS = [
    LinearClassifier(max_iter=1000),
    LinearClassifier("squared_hinge", max_iter=1000),
    LinearRegression(),
    LinearRegression(solver="lbfgs"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
