"""``fastlin.LinearRegression``: least squares as a scikit-learn regressor."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._linear import least_squares, linear
from .dask_data import dask_rows
from .data import check_fit_data, check_predict_data, check_sample_weight
from .fitting import check_choice, check_number, restored_on_error, warn_not_converged
from .lbfgs import fit_lbfgs
from .objective import evaluate, initial_parameters, regression_objective

SOLVERS = ("exact", "lbfgs")


def weighted_least_squares(X, T, reg, sample_weight, fit_intercept):
    """The exact minimiser of ``linear_squared_loss(..., sample_weight=...)`` + ``reg``.

    The rows, centred on their weighted mean when there is an intercept, are
    scaled by ``sqrt(sample_weight)`` (a copy of ``X``) and solved by
    :func:`fastlin.least_squares`, whose mean over ``N`` rows makes the
    penalty ``reg * sum(sample_weight) / N``.
    """
    total = sample_weight.sum()
    if fit_intercept:
        X_mean, T_mean = sample_weight @ X / total, sample_weight @ T / total
        X, T = X - X_mean, T - T_mean
    root = np.sqrt(sample_weight).astype(X.dtype)
    W, _ = least_squares(
        X * root[:, None],
        T * root.reshape((-1,) + (1,) * (T.ndim - 1)),
        reg=reg * total / X.shape[0],
        fit_bias=False,
    )
    b = T_mean - W @ X_mean if fit_intercept else None
    return W, b


class LinearRegression(RegressorMixin, BaseEstimator):
    """Least squares, ridge-penalised: ``T ~ X W^T + b``, as a scikit-learn regressor.

    The objective is exactly ``linear_squared_loss(X, y, W, b, reg=reg,
    sample_weight=sample_weight).loss``: ``1/2`` of the weighted mean squared
    error plus ``reg * ||W||**2``, the intercept unpenalised. scikit-learn's
    ``Ridge(alpha)`` on ``N`` unweighted samples is ``reg = alpha / (2 * N)``;
    ``reg=0`` is ordinary least squares.

    Parameters
    ----------
    reg : float, default=0.0
        The L2 penalty ``reg * sum(coef_**2)``; the intercept is not penalised.
    fit_intercept : bool, default=True
        Whether to learn ``intercept_`` (otherwise it is zero).
    solver : {"exact", "lbfgs"}, default="exact"
        ``"exact"``: :func:`fastlin.least_squares`, the closed-form minimiser
        (the minimum-norm one when it is not unique). ``"lbfgs"``: SciPy's
        L-BFGS-B, one fused pass of ``linear_squared_loss`` per evaluation,
        which never copies ``X``.
    max_iter : int, default=100
        The most L-BFGS-B iterations.
    tol : float, default=1e-6
        L-BFGS-B stops when the largest gradient component is at most ``tol``.
    warm_start : bool, default=False
        ``"lbfgs"`` starts from the previous fit's coefficients when the
        shapes agree.
    verbose : int, default=0
        Print the progress of ``"lbfgs"`` after each iteration.
    persist : "auto", True or False, default="auto"
        Dask arrays only (which need ``solver="lbfgs"``): whether ``fit``
        first loads the data into the workers' memory or streams them from
        their source in every pass; as :class:`LinearClassifier`'s ``persist``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        The weights; one row per target when ``y`` is 2-D, as in scikit-learn.
    intercept_ : float or ndarray of shape (n_targets,)
        The bias (0 when ``fit_intercept=False``).
    n_iter_ : int
        L-BFGS-B iterations of the last fit (1 for ``"exact"``: one solve).
    loss_curve_ : list of float
        The objective after each iteration (its final value for ``"exact"``).
    n_features_in_ : int
        The number of features seen by ``fit``.
    feature_names_in_ : ndarray of str
        The column names, when ``X`` had string column names.

    Notes
    -----
    ``"exact"`` with ``sample_weight`` works on a weighted, centred copy of
    ``X``; without, and ``"lbfgs"`` always, use a C-contiguous float32 or
    float64 ``X`` as it is. ``coef_`` has the dtype the data was fitted in.
    A fit that fails leaves the estimator as it was before.

    Examples
    --------
    >>> import numpy as np
    >>> from fastlin import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> reg = LinearRegression().fit(X, 2 * X[:, 0] + 1)
    >>> np.round(reg.coef_, 6), round(float(reg.intercept_), 6)
    (array([2.]), 1.0)
    """

    def __init__(
        self,
        *,
        reg=0.0,
        fit_intercept=True,
        solver="exact",
        max_iter=100,
        tol=1e-6,
        warm_start=False,
        verbose=0,
        persist="auto",
    ):
        self.reg = reg
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.persist = persist

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.multi_output = True
        return tags

    def _check_parameters(self):
        check_choice("solver", self.solver, SOLVERS)
        check_number("reg", self.reg, low=0)
        check_number("max_iter", self.max_iter, low=1, integer=True)
        check_number("tol", self.tol, low=0)
        check_number("verbose", self.verbose, low=0, integer=True)

    def fit(self, X, y, sample_weight=None):
        """Fits the weights to ``X`` (n_samples, n_features) and the targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples as rows.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : LinearRegression
            The fitted estimator.
        """
        with restored_on_error(self):
            self._check_parameters()
            X, y = check_fit_data(self, X, y, multi_output=True)
            T = y.astype(X.dtype, copy=False)
            sample_weight = check_sample_weight(sample_weight, X)
            n_targets = 1 if T.ndim == 1 else T.shape[1]
            objective = regression_objective(X, T, float(self.reg), sample_weight=sample_weight)
            if self.solver == "exact":
                W, b = self._fit_exact(X, T, sample_weight)
                n_iter, converged = 1, True
                loss_curve = [evaluate(objective, W, b).loss]
            else:
                W, b = self._start(n_targets, X.shape[1], X.dtype)
                result = fit_lbfgs(
                    objective, W, b, max_iter=self.max_iter, tol=self.tol, verbose=self.verbose
                )
                W, b, n_iter = result.W, result.b, result.n_iter
                loss_curve, converged = result.loss_curve, result.converged
            self._set_fitted(T, W, b, n_iter, loss_curve)
        if not converged:
            warn_not_converged(self, self.solver, self.max_iter)
        return self

    def _fit_exact(self, X, T, sample_weight):
        if sample_weight is None:
            W, b = least_squares(X, T, reg=float(self.reg), fit_bias=self.fit_intercept)
        else:
            W, b = weighted_least_squares(X, T, float(self.reg), sample_weight, self.fit_intercept)
        W = W.reshape(-1, X.shape[1]).astype(X.dtype, copy=False)
        return W, None if b is None else np.asarray(b, dtype=X.dtype).reshape(-1)

    def _start(self, n_targets, n_features, dtype):
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self._W.shape == (n_targets, n_features)
            and (self._b is not None) == self.fit_intercept
        ):
            return self._W.astype(dtype), None if self._b is None else self._b.astype(dtype)
        return initial_parameters(n_targets, n_features, dtype, self.fit_intercept)

    def _set_fitted(self, T, W, b, n_iter, loss_curve):
        self._W, self._b = W, b
        if b is None:
            b = np.zeros(W.shape[0], dtype=W.dtype)
        if T.ndim == 1:
            self.coef_, self.intercept_ = W[0], float(b[0])
        else:
            self.coef_, self.intercept_ = W, b
        self.n_iter_ = n_iter
        self.loss_curve_ = list(loss_curve)

    @dask_rows
    def predict(self, X):
        """The predictions ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        predictions : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = check_predict_data(self, X)
        P = linear(X, self._W, self._b)
        return P[:, 0] if np.ndim(self.coef_) == 1 else P
