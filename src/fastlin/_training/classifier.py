"""``fastlin.LinearClassifier``: a scikit-learn classifier trained on the fused pass."""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._linear import linear
from .dask_data import dask_rows, reject
from .data import (
    check_classes,
    check_fit_data,
    check_predict_data,
    check_sample_weight,
    class_weights,
    encode_labels,
)
from .fitting import check_choice, check_number, restored_on_error, warn_not_converged
from .lbfgs import fit_lbfgs
from .objective import CLASSIFIER_LOSSES, classifier_objective, initial_parameters
from .sgd import check_sgd_parameters, fit_sgd, sgd_options

SOLVERS = ("lbfgs", "sgd")


class LinearClassifier(ClassifierMixin, BaseEstimator):
    """A linear classifier ``f(x) = W x + b`` trained by minimising a fused loss.

    The objective is exactly
    ``linear_<loss>_loss(X, y, coef_, intercept_, reg=reg, weight=class weights,
    sample_weight=sample_weight, ...).loss``: the weighted mean of the
    per-sample losses plus ``reg * ||coef_||**2``, the intercept unpenalised.
    scikit-learn's ``LogisticRegression(C=C)`` on ``N`` unweighted samples is
    ``loss="softmax", reg=1 / (2 * C * N)``.

    Parameters
    ----------
    loss : {"softmax", "svm", "squared_hinge", "crammer_singer"}, default="softmax"
        ``"softmax"`` is the cross-entropy of the softmax (multinomial
        logistic regression); ``"svm"`` the Weston-Watkins multiclass hinge
        of the lecture, ``sum_{j != y} max(0, s_j - s_y + margin)``;
        ``"squared_hinge"`` the same with each term squared;
        ``"crammer_singer"`` ``max(0, margin + max_{j != y} s_j - s_y)``.
    reg : float, default=1e-4
        The L2 penalty ``reg * sum(coef_**2)``; the intercept is not penalised.
    fit_intercept : bool, default=True
        Whether to learn ``intercept_`` (otherwise it is zero).
    solver : {"lbfgs", "sgd"}, default="lbfgs"
        ``"lbfgs"``: SciPy's L-BFGS-B on the whole data, one fused pass per
        evaluation. ``"sgd"``: mini-batch SGD with momentum.
    max_iter : int, default=100
        The most iterations (``"lbfgs"``) or epochs (``"sgd"``).
    tol : float or None, default=1e-6
        ``"lbfgs"`` stops when the largest component of the gradient is at
        most ``tol``, as scikit-learn's ``LogisticRegression(tol=tol)`` does
        (or when an iteration improves the objective by less than
        ``64 * eps`` relative). ``"sgd"`` stops when the objective has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; ``None`` runs
        every epoch.
    batch_size : int, default=256
        Rows per mini-batch (``"sgd"``).
    learning_rate : float, default=0.01
        The initial step size (``"sgd"``), as PyTorch's ``SGD(lr=...)``.
    lr_schedule : {"constant", "invscaling", "cosine", "adaptive"}, default="constant"
        How the step size changes (``"sgd"``): constant; divided by
        ``sqrt(1 + epoch)``; annealed to zero over the fit by a cosine; or
        divided by 5 each time the objective stalls by ``tol`` for
        ``n_iter_no_change`` epochs, as scikit-learn's ``"adaptive"``.
    momentum : float, default=0.9
        Momentum of ``"sgd"``'s updates, in ``[0, 1)``: ``v = momentum * v + g``,
        ``W -= lr * v`` (PyTorch's form).
    nesterov : bool, default=False
        Nesterov's momentum instead of the classic one (``"sgd"``).
    early_stopping : bool, default=False
        Stop ``"sgd"`` when the objective on a held-out ``validation_fraction``
        of the data has not improved by ``tol`` for ``n_iter_no_change`` epochs.
    validation_fraction : float, default=0.1
        The share of the data held out when ``early_stopping``.
    n_iter_no_change : int, default=5
        Epochs without improvement before ``"sgd"`` stops.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes (the fused pass's ``weight=``): a dict from
        label to weight (absent labels weigh 1), or ``"balanced"``,
        ``N / (C * count_c)`` for class ``c``, as in scikit-learn.
    label_smoothing : float, default=0.0
        Label smoothing of the softmax loss, as in PyTorch.
    margin : float, default=1.0
        The margin of the SVM losses.
    warm_start : bool, default=False
        Start from the previous fit's ``coef_`` and ``intercept_`` when the
        classes and the number of features are the same.
    random_state : int, RandomState, Generator or None, default=None
        Seeds ``"sgd"``'s shuffling and its validation split.
    verbose : int, default=0
        Print the objective, the gradient norm and the time after each
        iteration or epoch.
    persist : "auto", True or False, default="auto"
        Dask arrays only: whether ``fit`` first loads the data into the
        workers' memory (``dask.persist``) or streams it from its source (a
        Zarr store, say) chunk by chunk in every pass. ``"auto"`` persists
        when the data take at most half of the workers' memory limits (of
        this machine's available memory without a ``dask.distributed``
        client): an ``lbfgs`` fit reads the data in every one of its 100s of
        evaluations, and reading memory is cheaper than reading the source
        again; data beyond that would only spill to disk, so they are streamed.

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
        One template per class, ``n_classes`` rows even for two classes; in
        the dtype the data was trained in (float32 or float64).
    intercept_ : ndarray of shape (n_classes,)
        The bias of each class (zeros when ``fit_intercept=False``).
    classes_ : ndarray of shape (n_classes,)
        The distinct labels seen by ``fit``, sorted.
    n_iter_ : int
        Iterations (``"lbfgs"``) or epochs (``"sgd"``) run by the last fit.
    loss_curve_ : list of float
        The objective after each iteration or epoch.
    n_features_in_ : int
        The number of features seen by ``fit``.
    feature_names_in_ : ndarray of str
        The column names, when ``X`` had string column names.

    Notes
    -----
    float32 data is trained in float32: a C-contiguous float32 or float64
    ``X`` is used as it is, never copied, and no ``(N, n_classes)`` array is
    made. A float32 objective is known to about 1e-7 relative, and a float32
    fit can end that far above the float64 optimum (on scikit-learn's digits,
    2e-7), which may be above the objective of a float64 fit at ``tol=1e-6``;
    pass float64 data when the last digits matter. ``decision_function`` of
    a two-class problem returns one column,
    the score of ``classes_[1]`` minus that of ``classes_[0]``, as
    scikit-learn's binary classifiers do; ``predict_proba`` and
    ``predict_log_proba`` exist for ``loss="softmax"`` only. A fit that fails
    leaves the estimator as it was before.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastlin import LinearClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LinearClassifier(reg=1e-3, max_iter=500).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.95
    True
    """

    def __init__(
        self,
        loss="softmax",
        *,
        reg=1e-4,
        fit_intercept=True,
        solver="lbfgs",
        max_iter=100,
        tol=1e-6,
        batch_size=256,
        learning_rate=0.01,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        label_smoothing=0.0,
        margin=1.0,
        warm_start=False,
        random_state=None,
        verbose=0,
        persist="auto",
    ):
        self.loss = loss
        self.reg = reg
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.margin = margin
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.persist = persist

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _check_parameters(self):
        check_choice("loss", self.loss, CLASSIFIER_LOSSES)
        check_choice("solver", self.solver, SOLVERS)
        check_number("reg", self.reg, low=0)
        check_number("max_iter", self.max_iter, low=1, integer=True)
        check_number("tol", self.tol, low=0, allow_none=self.solver == "sgd")
        check_number("label_smoothing", self.label_smoothing, low=0, high=1)
        check_number("margin", self.margin, low=0)
        check_number("verbose", self.verbose, low=0, integer=True)
        if self.solver == "sgd":
            check_sgd_parameters(self)
            sgd_options(self)

    def _objective(self, X, y_index, classes, sample_weight):
        return classifier_objective(
            self.loss,
            X,
            y_index,
            float(self.reg),
            class_weight=class_weights(self.class_weight, classes, y_index),
            sample_weight=sample_weight,
            margin=float(self.margin),
            label_smoothing=float(self.label_smoothing),
        )

    def _start(self, classes, n_features, dtype):
        """The starting ``(W, b)``: the previous fit's with ``warm_start``, else zeros."""
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape[1] == n_features
            and np.array_equal(self.classes_, classes)
        ):
            b = self.intercept_ if self.fit_intercept else None
            return self.coef_.astype(dtype), None if b is None else b.astype(dtype)
        return initial_parameters(len(classes), n_features, dtype, self.fit_intercept)

    def fit(self, X, y, sample_weight=None):
        """Fits the classifier to ``X`` (n_samples, n_features) and the labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples as rows.
        y : array-like of shape (n_samples,)
            The labels, of any values; at least two distinct ones.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples (``None``: every sample weighs 1).

        Returns
        -------
        self : LinearClassifier
            The fitted estimator.
        """
        with restored_on_error(self):
            self._check_parameters()
            X, y = check_fit_data(self, X, y)
            classes, y_index = encode_labels(y)
            if len(classes) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in the data, but the data contains only 1 class: "
                    f"{classes[0]!r}"
                )
            sample_weight = check_sample_weight(sample_weight, X)
            objective = self._objective(X, y_index, classes, sample_weight)
            W, b = self._start(classes, X.shape[1], X.dtype)
            if self.solver == "lbfgs":
                result = fit_lbfgs(
                    objective, W, b, max_iter=self.max_iter, tol=self.tol, verbose=self.verbose
                )
            else:
                result = fit_sgd(self, objective, W, b, state=None)
            self._set_fitted(classes, result)
        if not result.converged:
            warn_not_converged(self, self.solver, self.max_iter)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of mini-batch SGD on ``X``, ``y``, from the current fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples as rows.
        y : array-like of shape (n_samples,)
            Their labels, each among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every label the classifier will see; required on the first call
            (when the estimator is not fitted), ignored after.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : LinearClassifier
            The updated estimator.

        Notes
        -----
        The solver's state (the momentum) carries over from one call to the
        next; ``solver``, ``max_iter``, ``tol`` and ``early_stopping`` are not
        used: each call is one epoch of ``"sgd"``.
        """
        reject("partial_fit", X)
        with restored_on_error(self):
            first_call = not hasattr(self, "classes_")
            self._check_parameters()
            if first_call:
                if classes is None:
                    raise ValueError(
                        "classes: the first call to partial_fit must be given "
                        "every label the classifier will see"
                    )
                classes = check_classes(classes)
                X, y = check_fit_data(self, X, y)
            else:
                classes = self.classes_
                X, y = check_predict_data(self, X), np.asarray(y)
                if y.shape != (X.shape[0],):
                    raise ValueError(f"y: expected shape ({X.shape[0]},), got {y.shape}")
            _, y_index = encode_labels(y, classes)
            sample_weight = check_sample_weight(sample_weight, X)
            objective = self._objective(X, y_index, classes, sample_weight)
            if first_call:
                W, b = initial_parameters(len(classes), X.shape[1], X.dtype, self.fit_intercept)
                state = None
            else:
                W, b = (
                    self.coef_.astype(X.dtype),
                    (self.intercept_.astype(X.dtype) if self.fit_intercept else None),
                )
                state = self._sgd_state
            result = fit_sgd(self, objective, W, b, state=state, epochs=1)
            self._set_fitted(classes, result, partial=not first_call)
        return self

    def _set_fitted(self, classes, result, partial=False):
        self.classes_ = classes
        self.coef_ = result.W
        self.intercept_ = (
            result.b if result.b is not None else np.zeros(len(classes), result.W.dtype)
        )
        self.n_iter_ = (self.n_iter_ if partial else 0) + result.n_iter
        self.loss_curve_ = (self.loss_curve_ if partial else []) + list(result.loss_curve)
        self._sgd_state = getattr(result, "state", None)

    def _scores(self, X):
        check_is_fitted(self)
        X = check_predict_data(self, X)
        return linear(X, self.coef_, self.intercept_)

    @dask_rows
    def decision_function(self, X):
        """The scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            One column per class; for two classes one column, the score of
            ``classes_[1]`` minus that of ``classes_[0]``, as in scikit-learn.
        """
        S = self._scores(X)
        return S[:, 1] - S[:, 0] if S.shape[1] == 2 else S

    @dask_rows
    def predict(self, X):
        """The class of highest score for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        scores = self._scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def _has_probabilities(self):
        if self.loss != "softmax":
            raise AttributeError(f"predict_proba: only for loss='softmax', not {self.loss!r}")
        return True

    @available_if(_has_probabilities)
    @dask_rows
    def predict_proba(self, X):
        """The softmax of the scores: class probabilities (``loss="softmax"`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        probabilities : ndarray of shape (n_samples, n_classes), float64
            Column ``k`` is the probability of ``classes_[k]``.
        """
        return softmax(self._scores(X).astype(np.float64), axis=1)

    @available_if(_has_probabilities)
    @dask_rows
    def predict_log_proba(self, X):
        """The log-softmax of the scores (``loss="softmax"`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_probabilities : ndarray of shape (n_samples, n_classes), float64
        """
        return log_softmax(self._scores(X).astype(np.float64), axis=1)
