"""A user's file that calls every public function of fastlin with its types.

Not a test module (pytest does not collect it): CI runs ``mypy --strict`` on
it against the installed package (tests/test_typing.py does too, where mypy is
installed), which checks that the annotations, ``py.typed`` and the stubs of
the compiled module let typed user code pass.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

import fastlin
import fastlin.capi  # noqa: F401  (a compiled module: its stub must be found)
import fastlin.reference
from fastlin import LabelError, LossGrad
from fastlin.compat import cs231n


def every_function() -> list[float]:
    import fastlin as fl

    rng = np.random.default_rng(0)
    X: npt.NDArray[np.float64] = rng.standard_normal((8, 5))
    y = rng.integers(0, 3, 8)
    W = rng.standard_normal((3, 5))
    b = np.zeros(3)
    T = rng.standard_normal((8, 3))
    losses: list[float] = []
    S = fl.linear(X, W, b)
    dX, dW, db = fl.linear_backward(S, X, W)
    X1, W1 = fl.bias_trick(X, W, b)
    loss, dS = fl.softmax_loss(S, y, label_smoothing=0.1, reduction="mean")
    losses.append(float(loss))
    loss, dS = fl.svm_loss(S, y, variant="crammer_singer", squared=True, grad=False)
    assert dS is None
    loss, dP = fl.squared_loss(S, T, reduction="sum")
    per_sample, _ = fl.softmax_loss(S, y, reduction="none")
    r: LossGrad = fl.linear_softmax_loss(X, y, W, b, reg=1e-3, return_dX=True)
    if r.dX is not None and r.db is not None:
        losses.append(float(r.dX.sum() + r.db.sum() + r.dW.sum()))
    r = fl.linear_svm_loss(X, y, W, None, margin=0.5, variant="weston_watkins")
    assert r.db is None
    r = fl.linear_squared_loss(X, T, W, b, sample_weight=np.ones(8))
    W_fit, b_fit = fl.least_squares(X, T, reg=0.1, fit_bias=True)
    losses.append(float(np.sum(W_fit)))
    try:
        fl.softmax_loss(S, np.full(8, 7))
    except LabelError as exc:
        assert isinstance(exc, IndexError)
    fl.set_num_threads(fl.get_num_threads())
    fl.show_config()
    names: list[str] = [fl.cpu_variant(), fl.get_include(), fl.__version__]
    assert all(names)

    # The same API in plain NumPy, one call each.
    ref = fastlin.reference
    ref_r: LossGrad = ref.linear_softmax_loss(X, y, W, None, reduction="sum")
    losses.append(float(ref.softmax_loss(ref.linear(X, W), y)[0]))
    losses.append(float(ref.svm_loss(S, y, variant="weston_watkins")[0]))
    losses.append(float(ref.squared_loss(S, T)[0]))
    ref_r = ref.linear_svm_loss(X, y, W, b, reg=0.1)
    ref_r = ref.linear_squared_loss(X, T, W, b, return_dX=True)
    assert ref_r.dX is not None
    dX, dW, db = ref.linear_backward(S, X, W)
    X1, W1 = ref.bias_trick(X, W, b)
    W_fit, b_fit = ref.least_squares(X, T, fit_bias=False)

    # The classic assignment signatures.
    loss_c, dW_dc = cs231n.softmax_loss_vectorized(W.T, X, y, 1e-3)
    loss_c, dW_dc = cs231n.svm_loss_vectorized(W.T, X, y, 1e-3)
    loss_s, dx = cs231n.softmax_loss(X @ W.T, y)
    loss_s, dx = cs231n.svm_loss(X @ W.T, y)
    return losses
