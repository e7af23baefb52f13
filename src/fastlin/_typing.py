"""Type aliases of the public API, shared by ``fastlin`` and ``fastlin.reference``."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

import numpy as np
import numpy.typing as npt

# Results: float32 or float64 arrays (the compute dtype of the inputs).
FloatArray = npt.NDArray[np.floating[Any]]
# A reduced loss is a Python float; reduction="none" gives the per-sample losses.
Loss = Union[float, FloatArray]
# (loss, gradient of the scores), the gradient None when grad=False.
LossAndGradient = tuple[Loss, Optional[FloatArray]]

Reduction = Literal["mean", "sum", "none"]
SvmVariant = Literal["weston_watkins", "crammer_singer"]

__all__ = ["FloatArray", "Loss", "LossAndGradient", "Reduction", "SvmVariant", "npt"]
