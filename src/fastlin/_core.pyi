# Stubs of fastlin._core, the compiled module (pybind11). The public API is the
# fastlin package, which calls these with every option in order; each option
# is checked here at run time (so it is typed as the Python API types it).

from typing import Any

import numpy as np
import numpy.typing as npt

_Float = npt.NDArray[np.floating[Any]]
_Loss = float | _Float
_Optional = npt.ArrayLike | None

# The layer.
def linear(X: npt.ArrayLike, W: npt.ArrayLike, b: _Optional) -> _Float: ...
def linear_backward(
    dS: npt.ArrayLike, X: npt.ArrayLike, W: npt.ArrayLike
) -> tuple[_Float, _Float, _Float]: ...
def bias_trick(X: npt.ArrayLike, W: npt.ArrayLike, b: npt.ArrayLike) -> tuple[_Float, _Float]: ...

# Losses of scores: (loss, gradient or None).
def softmax_loss(
    S: npt.ArrayLike,
    y: npt.ArrayLike,
    weight: _Optional,
    sample_weight: _Optional,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    grad: bool,
) -> tuple[_Loss, _Float | None]: ...
def svm_loss(
    S: npt.ArrayLike,
    y: npt.ArrayLike,
    margin: float,
    squared: bool,
    variant: str,
    weight: _Optional,
    sample_weight: _Optional,
    reduction: str,
    grad: bool,
) -> tuple[_Loss, _Float | None]: ...
def squared_loss(
    P: npt.ArrayLike, T: npt.ArrayLike, sample_weight: _Optional, reduction: str, grad: bool
) -> tuple[_Loss, _Float | None]: ...

# Fused passes: (loss, dW, db or None, dX or None).
def linear_softmax_loss(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    W: npt.ArrayLike,
    b: _Optional,
    reg: float,
    return_dX: bool,
    weight: _Optional,
    sample_weight: _Optional,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
    dW_out: _Optional,
    db_out: _Optional,
) -> tuple[_Loss, _Float, _Float | None, _Float | None]: ...
def linear_svm_loss(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    W: npt.ArrayLike,
    b: _Optional,
    reg: float,
    return_dX: bool,
    margin: float,
    squared: bool,
    variant: str,
    weight: _Optional,
    sample_weight: _Optional,
    reduction: str,
    dW_out: _Optional,
    db_out: _Optional,
) -> tuple[_Loss, _Float, _Float | None, _Float | None]: ...
def linear_squared_loss(
    X: npt.ArrayLike,
    T: npt.ArrayLike,
    W: npt.ArrayLike,
    b: _Optional,
    reg: float,
    return_dX: bool,
    sample_weight: _Optional,
    reduction: str,
    dW_out: _Optional,
    db_out: _Optional,
) -> tuple[_Loss, _Float, _Float | None, _Float | None]: ...

# (W, b or None, the method used: "cholesky" or "min_norm").
def least_squares(
    X: npt.ArrayLike, T: npt.ArrayLike, reg: float, fit_bias: bool
) -> tuple[_Float, _Float | None, str]: ...

# SGD: the in-place momentum step.
def _momentum_update(
    param: _Float, velocity: _Float, grad: _Float, lr: float, momentum: float, nesterov: bool
) -> None: ...

# Runtime.
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def cpu_variant() -> str: ...
def set_cpu_variant(name: str) -> None: ...
def supported_cpu_variants() -> list[str]: ...
def blas_config() -> str: ...
def blas_num_threads() -> int: ...

# For the tests: the kernels' vector exp and log, and the fused pass's plan
# (rows per block, row groups, whether the few-class products run).
def _exp_nonpositive(x: npt.ArrayLike) -> _Float: ...
def _log_positive(x: npt.ArrayLike) -> _Float: ...
def _fused_plan(N: int, D: int, C: int, itemsize: int) -> tuple[int, int, bool]: ...
