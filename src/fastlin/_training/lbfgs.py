"""Full-batch training by SciPy's L-BFGS-B, one fused pass per evaluation."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

from .objective import evaluate

# scikit-learn's LogisticRegression stops L-BFGS-B at ftol = 64 * eps and lets
# each line search try 50 steps; the same rule reaches the same optimum.
FTOL = 64 * np.finfo(np.float64).eps
MAX_LINE_SEARCH = 50


def _other_blas_single_threaded():
    """Limits to one thread every BLAS but fastlin's own while L-BFGS-B runs.

    SciPy's L-BFGS-B calls its BLAS on vectors too small to share; the
    threads of that BLAS then spin after each call, on the cores the next
    fused pass needs.
    """
    import scipy_openblas32

    own = scipy_openblas32.get_lib_dir()
    controller = ThreadpoolController()
    others = [
        lib.filepath
        for lib in controller.lib_controllers
        if lib.user_api == "blas" and not lib.filepath.startswith(own)
    ]
    return controller.select(filepath=others).limit(limits=1)


@dataclass
class FitResult:
    """What a solver found: ``W``, ``b`` (``None`` without an intercept), the
    iterations run, the objective after each, whether it converged, and the
    solver's state to resume from (SGD's momentum)."""

    W: np.ndarray
    b: object
    n_iter: int
    loss_curve: list
    converged: bool
    message: str = ""
    state: object = None


def fit_lbfgs(objective, W, b, *, max_iter, tol, verbose=0):
    """Minimises ``objective`` over ``(W, b)`` from the given start.

    The optimizer works on a float64 vector of ``(W, b)``; each evaluation
    copies it into ``W`` and ``b`` in ``X``'s dtype and runs one fused pass.
    It stops when the largest gradient component is at most ``tol`` (SciPy's
    ``gtol``), when an iteration lowers the objective by less than
    ``64 * eps`` relative, or after ``max_iter`` iterations (``converged`` is
    then False). ``W`` and ``b`` are copied, not modified.
    """
    W = np.array(W, dtype=objective.dtype, order="C")
    b = None if b is None else np.array(b, dtype=objective.dtype)
    n_weights = W.size
    theta = np.concatenate([W.ravel(), [] if b is None else b]).astype(np.float64)
    gradient = np.empty_like(theta)
    last = {}

    def loss_and_gradient(theta):
        W.ravel()[...] = theta[:n_weights]
        if b is not None:
            b[...] = theta[n_weights:]
        result = evaluate(objective, W, b)
        gradient[:n_weights] = result.dW.ravel()
        if b is not None:
            gradient[n_weights:] = result.db
        last["loss"], last["gradient_norm"] = result.loss, np.max(np.abs(gradient))
        return result.loss, gradient

    loss_curve = []
    start = time.perf_counter()

    def record(intermediate_result):
        loss_curve.append(float(intermediate_result.fun))
        if verbose:
            print(
                f"iteration {len(loss_curve):4d}  objective {loss_curve[-1]:.10e}  "
                f"max |gradient| {last['gradient_norm']:.3e}  "
                f"{time.perf_counter() - start:.3f} s",
                flush=True,
            )

    if verbose:
        initial_loss, _ = loss_and_gradient(theta)
        print(
            f"L-BFGS-B on {objective.n_samples} samples, {theta.size} parameters: "
            f"objective {initial_loss:.10e}, max |gradient| {last['gradient_norm']:.3e}",
            flush=True,
        )
    with _other_blas_single_threaded():
        result = minimize(
            loss_and_gradient,
            theta,
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={"maxiter": max_iter, "gtol": tol, "ftol": FTOL, "maxls": MAX_LINE_SEARCH},
        )
    W.ravel()[...] = result.x[:n_weights]
    if b is not None:
        b[...] = result.x[n_weights:]
    converged = result.nit < max_iter or result.status == 0
    if verbose:
        print(
            f"L-BFGS-B stopped after {result.nit} iterations, {result.nfev} evaluations: "
            f"{result.message}",
            flush=True,
        )
    return FitResult(W, b, int(result.nit), loss_curve, converged, str(result.message))
