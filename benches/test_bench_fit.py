"""Training to scikit-learn's optimum: fastlin, scikit-learn and PyTorch L-BFGS.

The workloads and contenders are those of the report's fit section
(``fastlin._bench_fit``). Each contender is timed once per workload (a fit
lasts seconds) in the group of its workload and dtype; scikit-learn's
objective is the target, and fastlin's fit is asserted to reach it. With
``--benchmark-disable`` only the small workload runs.
"""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from fastlin import _bench_fit as fit

CASES = [(w, dtype) for w in fit.FIT_WORKLOADS for dtype in w.dtypes]
_targets = {}


def _problem(w, dtype):
    """The workload's data and scikit-learn's objective on it (computed once)."""
    key = (w.name, dtype)
    if key not in _targets:
        _targets.clear()
        X, y, reg = fit.make_problem(w, dtype)
        _, _, W, b = fit.run_sklearn(X, y, reg)
        _targets[key] = (X, y, reg, fit.objective64(X.astype(np.float64), y, reg, W, b))
    return _targets[key]


@pytest.mark.parametrize("contender", ["sklearn", "torch", "fastlin"])
@pytest.mark.parametrize("w, dtype", CASES, ids=[f"{w.name}-{d}" for w, d in CASES])
def test_fit(benchmark, w, dtype, contender):
    if benchmark.disabled and not w.quick:
        pytest.skip("large fit workloads only when timing")
    if contender == "torch":
        pytest.importorskip("torch")
    X, y, reg, target = _problem(w, dtype)
    benchmark.group = f"{w.name} {dtype}"
    run = {
        "sklearn": lambda: fit.run_sklearn(X, y, reg),
        "torch": lambda: fit.run_torch(X, y, reg, target),
        "fastlin": lambda: fit.run_fastlin(X, y, reg),
    }[contender]
    _, _, W, b = benchmark.pedantic(run, rounds=1, iterations=1)
    if contender == "fastlin":
        reached = fit.objective64(X.astype(np.float64), y, reg, W, b)
        assert reached <= target * (1 + fit.REACH_RTOL)
