"""What every estimator's fit shares: parameter checks, the solver dispatch,
and restoring the estimator when a fit fails."""

from __future__ import annotations

import contextlib
import math
import numbers
import warnings

from sklearn.exceptions import ConvergenceWarning


@contextlib.contextmanager
def restored_on_error(estimator):
    """Puts back the estimator's attributes as they were if the block raises
    (KeyboardInterrupt included), so no fit leaves it half-fitted."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")


def check_number(
    name, value, *, low=None, high=None, low_open=False, integer=False, allow_none=False
):
    """Checks a numeric parameter, naming it: its type and range."""
    if value is None and allow_none:
        return
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a real number"
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__} {value!r}")
    if math.isnan(value):
        raise ValueError(f"{name}: expected a number, got NaN")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(
            f"{name}: expected a value {'>' if low_open else '>='} {low}, got {value!r}"
        )
    if high is not None and value > high:
        raise ValueError(f"{name}: expected a value <= {high}, got {value!r}")


def warn_not_converged(estimator, solver, max_iter):
    warnings.warn(
        f"{type(estimator).__name__}: solver={solver!r} stopped at max_iter="
        f"{max_iter} before converging; increase max_iter or tol, or scale the data",
        ConvergenceWarning,
        stacklevel=3,
    )
