"""fastlin._sgd: the mini-batch SGD loop of the estimators. The momentum
update against hand-computed iterates (and torch.optim.SGD where installed),
convergence to the optimum of a strongly convex problem found by SciPy's
L-BFGS-B on the NumPy reference, determinism from the rng, the tol rule and
early stopping, and no allocation per batch."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from conftest import FLOAT_DTYPES

import fastlin
import fastlin.reference as ref
from fastlin import _core
from fastlin._sgd import BatchGather, SGDOptions, SGDState, sgd_epochs


def _softmax_problem(rng, dtype, N=300, D=10, C=4):
    centers = rng.standard_normal((C, D)) * 1.5
    y = rng.integers(0, C, N)
    X = (centers[y] + rng.standard_normal((N, D))).astype(dtype)
    return X, y


def _fused_batches(X, y, reg, batch_size):
    """The estimators' callback: gather the rows, one fused pass into the buffers."""
    gather = BatchGather(batch_size, X, y)

    def batch_loss_grad(rows, W, b, dW_out, db_out):
        Xb, yb = gather(rows)
        return fastlin.linear_softmax_loss(Xb, yb, W, b, reg=reg, dW_out=dW_out, db_out=db_out).loss

    return batch_loss_grad


def _quadratic(center):
    """f(w) = 1/2 ||w - center||^2 whatever the rows: the gradient is w - center."""

    def batch_loss_grad(rows, W, b, dW_out, db_out):
        np.subtract(W, center, out=dW_out)
        if db_out is not None:
            db_out[...] = b
        return 0.5 * float(np.sum((W - center) ** 2))

    return batch_loss_grad


# --------------------------------------------------------------------------
# The update
# --------------------------------------------------------------------------

# w0 = 0, center 1, lr 0.1, momentum 0.9, worked by hand:
#   heavy ball: g = -1, v = -1, w = 0.1; g = -0.9, v = -1.8, w = 0.28;
#               g = -0.72, v = -2.34, w = 0.514
#   Nesterov:   g = -1, v = -1, step = -1.9, w = 0.19; g = -0.81, v = -1.71,
#               step = -2.349, w = 0.4249; g = -0.5751, v = -2.1141,
#               step = -2.47779, w = 0.672679
HAND_ITERATES = {False: [0.1, 0.28, 0.514], True: [0.19, 0.4249, 0.672679]}


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_momentum_iterates_match_hand_computation(nesterov, dtype):
    W = np.zeros((1, 1), dtype)
    b = np.zeros(1, dtype)
    got = []
    state = None
    for _ in range(3):
        options = SGDOptions(
            batch_size=4, learning_rate=0.1, momentum=0.9, nesterov=nesterov, max_epochs=1, tol=None
        )
        result = sgd_epochs(
            _quadratic(np.ones((1, 1), dtype)),
            4,
            W,
            b,
            options,
            np.random.default_rng(0),
            state=state,
        )
        state = result.state
        got.append(float(W[0, 0]))
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(got, HAND_ITERATES[nesterov], rtol=rtol)
    assert state.n_updates == 3 and state.n_epochs == 3


@pytest.mark.parametrize("momentum", [0.0, 0.5])
@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_compiled_update_matches_the_formula(momentum, nesterov, dtype, rng):
    p = rng.standard_normal((13, 71)).astype(dtype)
    v = rng.standard_normal((13, 71)).astype(dtype)
    g = rng.standard_normal((13, 71)).astype(dtype)
    p64, v64, g64 = (a.astype(np.float64) for a in (p, v, g))
    if momentum:
        v64 = momentum * v64 + g64
        step = g64 + momentum * v64 if nesterov else v64
    else:
        step = g64
    p64 = p64 - 0.3 * step
    v_before = v.copy()
    _core._momentum_update(p, v, g, 0.3, momentum, nesterov)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-13, "atol": 1e-13}
    np.testing.assert_allclose(p, p64, **tol)
    np.testing.assert_allclose(v, v64 if momentum else v_before, **tol)


def test_update_matches_torch_sgd(rng):
    torch = pytest.importorskip("torch")
    for nesterov in (False, True):
        W = rng.standard_normal((3, 5))
        grads = rng.standard_normal((4, 3, 5))
        param = torch.nn.Parameter(torch.tensor(W))
        opt = torch.optim.SGD([param], lr=0.05, momentum=0.8, nesterov=nesterov)
        v = np.zeros_like(W)
        for g in grads:
            param.grad = torch.tensor(g)
            opt.step()
            _core._momentum_update(W, v, g, 0.05, 0.8, nesterov)
        np.testing.assert_allclose(W, param.detach().numpy(), rtol=1e-13, atol=1e-14)


def test_update_rejects_bad_operands():
    p = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="^grad: expected dtype float32"):
        _core._momentum_update(p, np.zeros_like(p), np.zeros((2, 3)), 0.1, 0.9, False)
    with pytest.raises(ValueError, match="^velocity: expected the parameter's shape"):
        _core._momentum_update(p, np.zeros((3, 2), np.float32), np.zeros_like(p), 0.1, 0.9, False)
    with pytest.raises(ValueError, match="^grad: shares memory"):
        _core._momentum_update(p, np.zeros_like(p), p, 0.1, 0.9, False)
    with pytest.raises(TypeError, match="^param: expected a numpy.ndarray"):
        _core._momentum_update([1.0], None, [1.0], 0.1, 0.0, False)


# --------------------------------------------------------------------------
# Convergence and determinism
# --------------------------------------------------------------------------


def _optimum(X, y, reg):
    """The minimiser of the mean softmax loss + reg ||W||^2, by SciPy's
    L-BFGS-B on the NumPy reference, in float64."""
    from scipy.optimize import minimize

    C, D = 4, X.shape[1]
    X64 = X.astype(np.float64)

    def fun(theta):
        W, b = theta[: C * D].reshape(C, D), theta[C * D :]
        r = ref.linear_softmax_loss(X64, y, W, b, reg=reg)
        return r.loss, np.concatenate([r.dW.ravel(), r.db])

    res = minimize(
        fun,
        np.zeros(C * D + C),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "gtol": 1e-12, "ftol": 1e-15},
    )
    return res.fun, res.x[: C * D].reshape(C, D)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
# Annealed to zero, the cosine schedule ends at the optimum; a schedule that
# only decays as 1/sqrt(epoch) is still within a few percent after 150 epochs.
@pytest.mark.parametrize(
    "schedule,nesterov,lr,within",
    [("cosine", False, 0.5, 1e-3), ("cosine", True, 0.2, 1e-3), ("invscaling", True, 0.1, 3e-2)],
)
def test_converges_to_the_lbfgs_optimum(dtype, schedule, nesterov, lr, within, rng):
    X, y = _softmax_problem(rng, dtype)
    reg = 1e-2
    best, W_star = _optimum(X, y, reg)
    W = np.zeros((4, X.shape[1]), dtype)
    b = np.zeros(4, dtype)
    options = SGDOptions(
        batch_size=32,
        learning_rate=lr,
        lr_schedule=schedule,
        momentum=0.9,
        nesterov=nesterov,
        max_epochs=150,
        tol=None,
    )
    result = sgd_epochs(
        _fused_batches(X, y, reg, 32), len(y), W, b, options, np.random.default_rng(3)
    )
    assert result.n_iter == 150 and result.converged
    final = ref.linear_softmax_loss(
        X.astype(np.float64), y, W.astype(np.float64), b.astype(np.float64), reg=reg
    ).loss
    assert best <= final <= best * (1 + within)
    # Strong convexity (2 reg): ||W - W*||^2 <= (f - f*) / reg.
    assert np.sum((W - W_star) ** 2) <= 1.01 * (final - best) / reg + 1e-6
    # The loss curve is the mean objective over each epoch's batches.
    assert result.loss_curve[-1] < result.loss_curve[0]
    assert len(result.loss_curve) == 150


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_squared_loss_converges_to_least_squares(dtype, rng):
    # The exact minimiser of the same objective is least_squares'.
    N, D, K, reg = 200, 6, 2, 1e-2
    X = rng.standard_normal((N, D)).astype(dtype)
    T = (X @ rng.standard_normal((D, K)) + 0.3 * rng.standard_normal((N, K))).astype(dtype)
    W_star, b_star = ref.least_squares(X.astype(np.float64), T.astype(np.float64), reg=reg)
    gather = BatchGather(20, X, T)

    def batch_loss_grad(rows, W, b, dW_out, db_out):
        Xb, Tb = gather(rows)
        return fastlin.linear_squared_loss(Xb, Tb, W, b, reg=reg, dW_out=dW_out, db_out=db_out).loss

    W, b = np.zeros((K, D), dtype), np.zeros(K, dtype)
    options = SGDOptions(
        batch_size=20,
        learning_rate=0.1,
        lr_schedule="cosine",
        momentum=0.9,
        max_epochs=400,
        tol=None,
    )
    sgd_epochs(batch_loss_grad, N, W, b, options, np.random.default_rng(0))
    X64, T64 = X.astype(np.float64), T.astype(np.float64)
    best = ref.linear_squared_loss(X64, T64, W_star, b_star, reg=reg).loss
    final = ref.linear_squared_loss(
        X64, T64, W.astype(np.float64), b.astype(np.float64), reg=reg
    ).loss
    assert best <= final <= best * (1 + 1e-6)
    np.testing.assert_allclose(W, W_star, atol=1e-3)
    np.testing.assert_allclose(b, b_star, atol=1e-3)


def test_same_seed_same_run_other_seed_other_run(rng):
    X, y = _softmax_problem(rng, np.float32)
    options = SGDOptions(batch_size=16, learning_rate=0.1, max_epochs=3, tol=None)

    def run(seed):
        W, b = np.zeros((4, X.shape[1]), np.float32), np.zeros(4, np.float32)
        r = sgd_epochs(
            _fused_batches(X, y, 1e-3, 16), len(y), W, b, options, np.random.default_rng(seed)
        )
        return W, b, r.loss_curve

    W1, b1, c1 = run(5)
    W2, b2, c2 = run(5)
    W3, _, _ = run(6)
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(b1, b2)
    assert c1 == c2
    assert not np.array_equal(W1, W3)
    # scikit-learn's check_random_state gives a RandomState: as deterministic.
    Wa, Wb = np.zeros((4, X.shape[1]), np.float32), np.zeros((4, X.shape[1]), np.float32)
    for W in (Wa, Wb):
        sgd_epochs(
            _fused_batches(X, y, 1e-3, 16), len(y), W, None, options, np.random.RandomState(5)
        )
    np.testing.assert_array_equal(Wa, Wb)


def test_epochs_split_across_calls_equal_one_call(rng):
    # partial_fit: the state carries momentum, step count and schedule over.
    X, y = _softmax_problem(rng, np.float64)
    options = SGDOptions(
        batch_size=50, learning_rate=0.1, lr_schedule="invscaling", max_epochs=3, tol=None
    )
    blg = _fused_batches(X, y, 1e-3, 50)
    W1, b1 = np.zeros((4, X.shape[1])), np.zeros(4)
    one = sgd_epochs(blg, len(y), W1, b1, options, np.random.default_rng(1))
    W2, b2 = np.zeros((4, X.shape[1])), np.zeros(4)
    rng2, state, curve = np.random.default_rng(1), None, []
    single = SGDOptions(
        batch_size=50, learning_rate=0.1, lr_schedule="invscaling", max_epochs=1, tol=None
    )
    for _ in range(3):
        r = sgd_epochs(blg, len(y), W2, b2, single, rng2, state=state)
        state = r.state
        curve += r.loss_curve
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(b1, b2)
    assert curve == one.loss_curve
    assert state.n_updates == one.state.n_updates == 3 * 6


def test_every_row_once_per_epoch_in_a_new_order():
    seen = []

    def record(rows, W, b, dW_out, db_out):
        seen.append(np.array(rows))
        dW_out[...] = 0.0
        return 0.0

    W = np.zeros((1, 1))
    sgd_epochs(
        record,
        103,
        W,
        None,
        SGDOptions(batch_size=10, max_epochs=2, tol=None),
        np.random.default_rng(0),
    )
    assert len(seen) == 22 and len(seen[10]) == 3
    first, second = np.concatenate(seen[:11]), np.concatenate(seen[11:])
    np.testing.assert_array_equal(np.sort(first), np.arange(103))
    np.testing.assert_array_equal(np.sort(second), np.arange(103))
    assert not np.array_equal(first, second)


def test_batch_gather_equals_fancy_indexing(rng):
    X = rng.standard_normal((50, 7)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    gather = BatchGather(8, X, y, None)
    rows = np.array([49, 0, 17, 17, 3])
    Xb, yb, none = gather(rows)
    np.testing.assert_array_equal(Xb, X[rows])
    np.testing.assert_array_equal(yb, y[rows])
    assert none is None and Xb.shape == (5, 7)


# --------------------------------------------------------------------------
# Stopping
# --------------------------------------------------------------------------


def _flat(rows, W, b, dW_out, db_out):
    dW_out[...] = 0.0
    return 1.0


def test_verbose_prints_one_line_per_epoch(capsys):
    W = np.zeros((2, 2))
    sgd_epochs(
        _flat,
        10,
        W,
        None,
        SGDOptions(batch_size=4, max_epochs=3, tol=None),
        np.random.default_rng(0),
        verbose=1,
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[2].startswith("SGD epoch 3: objective 1,")


def test_tol_stops_after_n_iter_no_change_epochs():
    W = np.zeros((2, 2))
    options = SGDOptions(batch_size=4, max_epochs=50, tol=1e-3, n_iter_no_change=3)
    r = sgd_epochs(_flat, 10, W, None, options, np.random.default_rng(0))
    # The first epoch sets the best; three more without improvement stop it.
    assert r.n_iter == 4 and r.converged and r.loss_curve == [1.0] * 4


def test_stops_at_max_epochs_unconverged_and_tol_none_runs_all(rng):
    X, y = _softmax_problem(rng, np.float64)
    for tol, converged in ((1e-12, False), (None, True)):
        W, b = np.zeros((4, X.shape[1])), np.zeros(4)
        options = SGDOptions(
            batch_size=30, learning_rate=0.05, max_epochs=4, tol=tol, n_iter_no_change=5
        )
        r = sgd_epochs(
            _fused_batches(X, y, 0.0, 30), len(y), W, b, options, np.random.default_rng(0)
        )
        assert r.n_iter == 4 and r.converged is converged


def test_early_stopping_watches_the_validation_loss(rng):
    X, y = _softmax_problem(rng, np.float64)
    calls = []

    def validation(W, b):
        calls.append(W.copy())
        return 0.5  # never improves: stop after 1 + n_iter_no_change epochs

    W, b = np.zeros((4, X.shape[1])), np.zeros(4)
    options = SGDOptions(
        batch_size=30, learning_rate=0.05, max_epochs=50, tol=1e-3, n_iter_no_change=2
    )
    r = sgd_epochs(
        _fused_batches(X, y, 0.0, 30),
        len(y),
        W,
        b,
        options,
        np.random.default_rng(0),
        validation_loss=validation,
    )
    assert r.n_iter == 3 and r.converged and r.validation_curve == [0.5] * 3
    assert len(calls) == 3 and np.array_equal(calls[-1], W)
    # The training loss still fell: it was not what stopped the run.
    assert r.loss_curve[-1] < r.loss_curve[0]


def test_adaptive_divides_by_five_until_below_1e_6():
    W = np.zeros((1, 1))
    options = SGDOptions(
        batch_size=4,
        learning_rate=0.1,
        lr_schedule="adaptive",
        max_epochs=100,
        tol=1e-3,
        n_iter_no_change=2,
    )
    r = sgd_epochs(_flat, 8, W, None, options, np.random.default_rng(0))
    # 0.1 / 5**7 = 1.28e-6 still runs, 0.1 / 5**8 = 2.6e-7 stops.
    assert r.state.lr_factor == 5.0**8
    assert r.n_iter == 1 + 8 * 2 and r.converged


def test_divergence_raises(rng):
    X, y = _softmax_problem(rng, np.float64)
    X = X * 1e150
    W, b = np.zeros((4, X.shape[1])), np.zeros(4)
    with pytest.raises(FloatingPointError, match="step size"):
        sgd_epochs(
            _fused_batches(X, y, 0.0, 30),
            len(y),
            W,
            b,
            SGDOptions(batch_size=30, learning_rate=1e10, max_epochs=5, tol=None),
            np.random.default_rng(0),
        )


# --------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------


def test_no_allocation_per_batch():
    """Traced allocations during a run are the buffers made once per call
    (gradient, velocity, the shuffled order) and not one more gradient nor
    a batch of X: a copy of either per step would raise the peak past the
    bound. The peak does not grow with the number of epochs."""
    N, D, C, batch = 4096, 512, 64, 1024
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    blg = _fused_batches(X, y, 1e-3, batch)
    W, b = np.zeros((C, D)), np.zeros(C)
    per_call = 2 * (W.nbytes + b.nbytes) + 2 * N * np.dtype(np.intp).itemsize
    slack = 32 * 1024  # Python objects: views, floats, the result
    assert slack < min(W.nbytes, batch * D * X.itemsize) / 4
    peaks = []
    for epochs in (1, 4):
        options = SGDOptions(batch_size=batch, learning_rate=0.01, max_epochs=epochs, tol=None)
        tracemalloc.start()
        try:
            sgd_epochs(blg, N, W, b, options, np.random.default_rng(0))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[0] <= per_call + slack, (peaks, per_call)
    assert peaks[1] <= peaks[0] + 4096, peaks


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,error,words",
    [
        ({"batch_size": 0}, ValueError, "^batch_size: "),
        ({"batch_size": 2.5}, TypeError, "^batch_size: "),
        ({"learning_rate": 0.0}, ValueError, "^learning_rate: "),
        ({"learning_rate": math.nan}, ValueError, "^learning_rate: "),
        ({"learning_rate": "0.1"}, TypeError, "^learning_rate: "),
        ({"momentum": 1.0}, ValueError, "^momentum: "),
        ({"lr_schedule": "step"}, ValueError, "^lr_schedule: .*constant"),
        ({"max_epochs": 0}, ValueError, "^max_epochs: "),
        ({"tol": -1.0}, ValueError, "^tol: "),
        ({"tol": None, "lr_schedule": "adaptive"}, ValueError, "^tol: "),
        ({"n_iter_no_change": 0}, ValueError, "^n_iter_no_change: "),
    ],
)
def test_bad_options_name_the_field(kwargs, error, words):
    with pytest.raises(error, match=words):
        SGDOptions(**kwargs)


def test_bad_arguments_name_the_argument():
    W = np.zeros((2, 3), np.float32)
    options = SGDOptions(max_epochs=1, tol=None)
    gen = np.random.default_rng(0)
    with pytest.raises(TypeError, match="^W: "):
        sgd_epochs(_flat, 4, W.astype(np.int64), None, options, gen)
    with pytest.raises(ValueError, match="^W: "):
        sgd_epochs(_flat, 4, np.zeros((3, 2), np.float32).T, None, options, gen)
    with pytest.raises(ValueError, match="^b: "):
        sgd_epochs(_flat, 4, W, np.zeros(2, np.float64), options, gen)
    with pytest.raises(TypeError, match="^rng: "):
        sgd_epochs(_flat, 4, W, None, options, 0)
    with pytest.raises(ValueError, match="^n_samples: "):
        sgd_epochs(_flat, 0, W, None, options, gen)
    with pytest.raises(ValueError, match="^state: "):
        sgd_epochs(
            _flat, 4, W, None, options, gen, state=SGDState(velocity_W=np.zeros((5, 5), np.float32))
        )
