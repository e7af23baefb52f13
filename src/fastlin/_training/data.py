"""Input checks and label encoding shared by the estimators.

Every estimator validates its data here and nowhere else, so that another kind
of array (a Dask array, say) needs one change to be accepted.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import dask_data

# float32 is trained as float32; anything else numeric becomes float64.
FLOAT_DTYPES = [np.float64, np.float32]


def check_fit_data(estimator, X, y, *, multi_output=False):
    """Validates ``X`` and ``y`` for ``fit`` and records ``n_features_in_``.

    ``X`` comes back C-contiguous float32 or float64; a C-contiguous float32
    or float64 array is returned as is, never copied. A Dask ``X`` comes back
    chunked by rows, with ``y`` chunked alike (see :mod:`.dask_data`).
    """
    if dask_data.is_dask_array(X):
        return dask_data.check_fit_data(estimator, X, y, multi_output)
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse=False,
        dtype=FLOAT_DTYPES,
        order="C",
        multi_output=multi_output,
        y_numeric=multi_output,
        reset=True,
    )
    return X, y


def check_predict_data(estimator, X):
    """Validates ``X`` for prediction against the fitted number of features."""
    return validate_data(
        estimator, X, accept_sparse=False, dtype=FLOAT_DTYPES, order="C", reset=False
    )


def check_sample_weight(sample_weight, X):
    """``sample_weight`` as a float64 ``(N,)`` array (``None`` stays ``None``):
    finite and non-negative, with at least one positive weight."""
    if sample_weight is None:
        return None
    if dask_data.is_dask_array(X):
        return dask_data.check_sample_weight(sample_weight, X)
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight: every weight is zero; at least one must be positive")
    return sample_weight


def encode_labels(y, classes=None):
    """Labels of any values as ``(classes_, y_index)``.

    ``classes_`` is the sorted array of distinct labels (or ``classes`` if
    given, as in ``partial_fit``) and ``y_index`` the int64 position of each
    label in it. Raises ``ValueError`` for continuous or multi-output targets
    and, when ``classes`` is given, for a label not among them.
    """
    if classes is None and dask_data.is_dask_array(y):
        return dask_data.encode_labels(y)
    check_classification_targets(y)
    if classes is None:
        classes, y_index = np.unique(y, return_inverse=True)
        return classes, y_index.astype(np.int64, copy=False).reshape(-1)
    classes = np.asarray(classes)
    y_index = np.searchsorted(classes, y)
    unknown = (y_index >= len(classes)) | (classes[np.minimum(y_index, len(classes) - 1)] != y)
    if np.any(unknown):
        raise ValueError(
            f"y: labels {np.unique(np.asarray(y)[unknown])!r} are not in classes {classes!r}"
        )
    return classes, y_index.astype(np.int64, copy=False)


def check_classes(classes):
    """The ``classes`` argument of ``partial_fit``: distinct labels, sorted."""
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) < 2:
        raise ValueError(f"classes: expected a 1-D array of at least 2 labels, got {classes!r}")
    unique = np.unique(classes)
    if len(unique) != len(classes):
        raise ValueError(f"classes: labels must be distinct, got {classes!r}")
    return unique


def class_weights(class_weight, classes, y_index):
    """The per-class weights of ``class_weight`` as a float64 ``(C,)`` array,
    or ``None`` when every class weighs 1.

    ``"balanced"`` gives class ``c`` the weight ``N / (C * count_c)``, as in
    scikit-learn; a dict maps labels to weights, absent labels weighing 1.
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight != "balanced":
        raise ValueError(f"class_weight: expected None, 'balanced' or a dict, got {class_weight!r}")
    if not isinstance(class_weight, (str, dict)):
        raise TypeError(
            f"class_weight: expected None, 'balanced' or a dict, got {type(class_weight).__name__}"
        )
    if dask_data.is_dask_array(y_index):
        if class_weight == "balanced":
            return dask_data.balanced_class_weights(classes, y_index)
        return compute_class_weight(class_weight, classes=classes, y=classes)
    return compute_class_weight(class_weight, classes=classes, y=classes[y_index])
