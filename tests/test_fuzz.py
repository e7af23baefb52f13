"""Property-based fuzzing: the compiled functions against
``fastlin.reference`` over generated shapes, dtypes, strides, options and
values, with the tolerances of conftest.py.

Profiles (registered in conftest.py): ``ci`` (the default: a few hundred
examples in all, derandomised, well under a minute) and ``long``
(``FASTLIN_HYPOTHESIS_PROFILE=long``: 20,000 examples per test, 120,000
in all)::

    FASTLIN_HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py --hypothesis-show-statistics

Hinge kinks: a margin term ``s_j - s_y + margin`` that is zero in exact
arithmetic may round to either side in two correct implementations, and then
the subgradient (and the Crammer-Singer argmax on a near-tie) legitimately
differs. The scores losses get scores and margins as they come but reject an
example whose margin term lies within rounding of the kink without being
exactly on it (an exact zero is computed exactly by both, so it stays). The
fused passes get dyadic inputs (small multiples of powers of two), whose
scores every summation order computes exactly, as tests/test_linear.py does:
the kinks then fall on the same side in both.
"""

from __future__ import annotations

import numpy as np
from conftest import assert_close, assert_loss_grad_close
from hypothesis import assume, given
from hypothesis import strategies as st
from test_linear import _reference_with_G, assert_lossgrad_close

import fastlin
import fastlin.reference as ref

DTYPES = st.sampled_from([np.float32, np.float64])
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
LAYOUTS = st.sampled_from(["C", "F", "strided", "negstride"])


def _layout(a, how):
    if how == "F":
        return np.asfortranarray(a)
    if how == "strided" and a.ndim:
        big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
        view = big[tuple(slice(None, None, 2) for _ in a.shape)]
        view[...] = a
        return view
    if how == "negstride" and a.ndim:
        idx = tuple(slice(None, None, -1) for _ in a.shape)
        return a[idx].copy()[idx]
    return a


@st.composite
def _scores(draw, N, C, dtype):
    """Scores: gaussian at a drawn scale, or small integers (ties, exact
    kinks), with NaN, +-inf and huge values sprinkled in."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["gauss", "ints", "specials"]))
    if kind == "ints":
        S = rng.integers(-3, 4, size=(N, C)).astype(np.float64)
    else:
        S = rng.standard_normal((N, C)) * 10.0 ** draw(st.integers(-3, 3))
    if kind == "specials" and N * C:
        big = 1e4 if dtype == np.float32 else 1e300
        choices = np.array([np.nan, np.inf, -np.inf, big, -big])
        hit = rng.random((N, C)) < 0.1
        S[hit] = rng.choice(choices, size=int(hit.sum()))
    return S.astype(dtype)


def _weights(draw, rng, n):
    if not draw(st.booleans()):
        return None
    w = rng.uniform(0.0, 2.0, n)
    w[rng.random(n) < 0.2] = 0.0
    return w


def _term_scale(y, kw, N, reduction):
    """The largest weight a row's gradient terms carry: sw_i * max(w) (times
    1/denominator for "mean")."""
    sw = np.ones(N) if kw["sample_weight"] is None else kw["sample_weight"]
    w = None if kw["weight"] is None else np.asarray(kw["weight"])
    scale = float(sw.max(initial=0.0)) * (1.0 if w is None else float(w.max(initial=0.0)))
    if reduction != "mean":
        return scale
    if np.asarray(y).ndim == 2:
        denom = float(sw.sum())
    else:
        keep = np.asarray(y) != -100
        cw = sw[keep] * (1.0 if w is None else w[np.asarray(y)[keep]])
        denom = float(cw.sum())
    return scale / denom if denom > 0 else 0.0


def _near_kink(S, y, margin, variant, dtype):
    """Some margin term of the SVM is within rounding of 0 but not exactly 0,
    or (Crammer-Singer) the top two other scores are within rounding."""
    if S.size == 0:
        return False
    S64 = S.astype(np.float64)
    rows = np.arange(len(y))
    sy = S64[rows, y][:, None]
    with np.errstate(invalid="ignore"):
        M = S64 - sy + margin
        tol = 8 * np.finfo(dtype).eps * (np.abs(S64) + np.abs(sy) + abs(margin))
        near = (np.abs(M) < tol) & (M != 0)
        if variant == "crammer_singer" and S.shape[1] > 2:
            others = S64.copy()
            others[rows, y] = -np.inf
            top2 = -np.sort(-others, axis=1)[:, :2]
            gap = top2[:, 0] - top2[:, 1]
            t2 = 8 * np.finfo(dtype).eps * np.abs(top2[:, 0])
            near_tie = (np.abs(gap) < t2) & (gap != 0)
            if near_tie.any():
                return True
    return bool(near.any())


@given(
    data=st.data(),
    dtype=DTYPES,
    N=st.integers(0, 40),
    C=st.integers(1, 40),
    layout=LAYOUTS,
    reduction=REDUCTIONS,
    grad=st.booleans(),
)
def test_softmax_loss(data, dtype, N, C, layout, reduction, grad):
    draw = data.draw
    S = draw(_scores(N, C, dtype))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kw = dict(
        reduction=reduction,
        grad=grad,
        label_smoothing=draw(st.sampled_from([0.0, 0.0, 0.1, 1.0, 0.37])),
        weight=_weights(draw, rng, C),
        sample_weight=_weights(draw, rng, N),
    )
    if draw(st.booleans()):
        y = rng.integers(0, C, N)
        if draw(st.booleans()):
            y[rng.random(N) < 0.2] = -100
        y = y.astype(draw(st.sampled_from([np.int64, np.int32, np.int8, np.int16])))
    else:
        t = rng.uniform(0.0, 1.0, (N, C))
        t[rng.random((N, C)) < 0.3] = 0.0
        if draw(st.booleans()):
            t = t / np.maximum(t.sum(axis=1, keepdims=True), 1e-12)
        y = t.astype(draw(st.sampled_from([np.float32, np.float64])))
        y = _layout(y, draw(LAYOUTS))
    S = _layout(S, layout)
    with np.errstate(all="ignore"):
        want = ref.softmax_loss(S, y, **kw)
    got = fastlin.softmax_loss(S, y, **kw)
    # A gradient entry p_c * Q - q_c cancels terms of the size of the row's
    # weights (C = 1: exactly), so its error is relative to those. So does a
    # row's loss, (m - s_y) + log(sum): the compiled code takes the log of a
    # sum in [1, C] in the compute dtype, so a loss near 0 (all the mass on
    # the target) is exact only to eps of the dtype times the row's weight,
    # not relative to itself; a reduction adds up to N such rows.
    scale = _term_scale(y, kw, N, reduction)
    loss, loss_w = got[0], want[0]
    assert type(loss) is type(loss_w)
    assert_close(
        loss, loss_w, dtype, "loss", scale=scale * (1 if reduction == "none" else max(N, 1))
    )
    assert_loss_grad_close((loss_w, got[1]), want, dtype, grad_scale=scale)


@given(
    data=st.data(),
    dtype=DTYPES,
    N=st.integers(0, 40),
    C=st.integers(1, 40),
    layout=LAYOUTS,
    reduction=REDUCTIONS,
    grad=st.booleans(),
    variant=st.sampled_from(["weston_watkins", "crammer_singer"]),
    squared=st.booleans(),
)
def test_svm_loss(data, dtype, N, C, layout, reduction, grad, variant, squared):
    draw = data.draw
    S = draw(_scores(N, C, dtype))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    margin = draw(st.sampled_from([1.0, 0.0, 0.5, 2.0, -1.0, 0.3]))
    y = rng.integers(0, C, N).astype(
        draw(st.sampled_from([np.int64, np.uint8, np.uint64, np.int32]))
    )
    assume(not _near_kink(S, y.astype(np.int64), margin, variant, dtype))
    kw = dict(
        reduction=reduction,
        grad=grad,
        margin=margin,
        variant=variant,
        squared=squared,
        weight=_weights(draw, rng, C),
        sample_weight=_weights(draw, rng, N),
    )
    S = _layout(S, layout)
    with np.errstate(all="ignore"):
        want = ref.svm_loss(S, y, **kw)
    got = fastlin.svm_loss(S, y, **kw)
    assert_loss_grad_close(got, want, dtype)


@given(
    data=st.data(),
    dtype=DTYPES,
    N=st.integers(0, 40),
    K=st.integers(0, 20),
    one_d=st.booleans(),
    layout=LAYOUTS,
    reduction=REDUCTIONS,
    grad=st.booleans(),
)
def test_squared_loss(data, dtype, N, K, one_d, layout, reduction, grad):
    draw = data.draw
    P = draw(_scores(N, max(K, 1), dtype))
    T = draw(_scores(N, max(K, 1), dtype))
    P, T = (P[:, 0], T[:, 0]) if one_d else (P[:, :K], T[:, :K])
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kw = dict(reduction=reduction, grad=grad, sample_weight=_weights(draw, rng, N))
    P, T = _layout(P, layout), _layout(T, draw(LAYOUTS))
    with np.errstate(all="ignore"):
        want = ref.squared_loss(P, T, **kw)
    got = fastlin.squared_loss(P, T, **kw)
    assert_loss_grad_close(got, want, dtype)


def _dyadic(rng, shape, dtype, step):
    return (rng.integers(-4, 5, size=shape) * step).astype(dtype)


@st.composite
def _model(draw, bias=True):
    """Dyadic X, W, b: every score is exact whatever the summation order."""
    dtype = draw(DTYPES)
    N, D, C = draw(st.integers(0, 80)), draw(st.integers(1, 24)), draw(st.integers(1, 24))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    e = 2.0 ** draw(st.integers(-6, 6))
    X = _layout(_dyadic(rng, (N, D), dtype, 0.25 * e), draw(LAYOUTS))
    W = _layout(_dyadic(rng, (C, D), dtype, 0.125 / e), draw(LAYOUTS))
    b = _dyadic(rng, C, dtype, 0.5) if bias and draw(st.booleans()) else None
    return dtype, rng, X, W, b


def _fused_options(draw, rng, N, C, fn):
    kw = dict(
        reduction=draw(REDUCTIONS),
        reg=draw(st.sampled_from([0.0, 0.0, 0.1, 2.5])),
        return_dX=draw(st.booleans()),
        sample_weight=_weights(draw, rng, N),
    )
    if fn != "linear_squared_loss":
        kw["weight"] = _weights(draw, rng, C)
    if fn == "linear_softmax_loss":
        kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 1.0]))
    if fn == "linear_svm_loss":
        kw.update(
            margin=draw(st.sampled_from([1.0, 0.5, 0.0])),
            squared=draw(st.booleans()),
            variant=draw(st.sampled_from(["weston_watkins", "crammer_singer"])),
        )
    return kw


@given(
    data=st.data(),
    model=_model(),
    fn=st.sampled_from(["linear_softmax_loss", "linear_svm_loss", "linear_squared_loss"]),
)
def test_fused_losses(data, model, fn):
    draw = data.draw
    dtype, rng, X, W, b = model
    N, C = X.shape[0], W.shape[0]
    if fn == "linear_squared_loss":
        y = _dyadic(rng, (N, C), dtype, 0.25)
        if C == 1 and draw(st.booleans()):
            y = y[:, 0]
    elif fn == "linear_softmax_loss" and draw(st.booleans()):
        t = rng.uniform(0.0, 1.0, (N, C))
        y = (t / t.sum(axis=1, keepdims=True)).astype(dtype)
    else:
        y = rng.integers(0, C, N)
    kw = _fused_options(draw, rng, N, C, fn)
    with np.errstate(all="ignore"):
        want = _reference_with_G(fn, X, y, W, b, kw)
    got = getattr(fastlin, fn)(X, y, W, b, **kw)
    weights = {"sample_weight": kw["sample_weight"], "weight": kw.get("weight")}
    assert_lossgrad_close(
        got, want, X, W, dtype, reg=kw["reg"], g_scale=_term_scale(y, weights, N, kw["reduction"])
    )


@given(data=st.data(), model=_model(), single=st.booleans())
def test_linear_backward_and_bias_trick(data, model, single):
    dtype, rng, X, W, b = model
    if single and X.shape[0]:
        X = X[0]
    with np.errstate(all="ignore"):
        want = ref.linear(X, W, b)
    got = fastlin.linear(X, W, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)  # exact scores: equal to the bit
    dS = _layout(_dyadic(rng, want.shape, dtype, 0.5), data.draw(LAYOUTS))
    for g, w in zip(fastlin.linear_backward(dS, X, W), ref.linear_backward(dS, X, W)):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    if b is not None:
        for g, w in zip(fastlin.bias_trick(X, W, b), ref.bias_trick(X, W, b)):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_array_equal(g, w)


@given(
    seed=st.integers(0, 2**32 - 1),
    N=st.integers(1, 60),
    D=st.integers(1, 12),
    K=st.integers(1, 4),
    reg=st.sampled_from([0.0, 0.0, 1e-3, 1.0]),
    fit_bias=st.booleans(),
    dtype=DTYPES,
    layout=LAYOUTS,
    rank_drop=st.integers(0, 2),
)
def test_least_squares(seed, N, D, K, reg, fit_bias, dtype, layout, rank_drop):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    if rank_drop and D > rank_drop:
        X[:, -rank_drop:] = X[:, :rank_drop]  # repeated columns: singular
    X = _layout(X.astype(dtype), layout)
    T = rng.standard_normal((N, K)).astype(dtype)
    W, b = fastlin.least_squares(X, T, reg=reg, fit_bias=fit_bias)
    W_ref, b_ref = ref.least_squares(X, T, reg=reg, fit_bias=fit_bias)
    assert W.dtype == W_ref.dtype and W.shape == W_ref.shape
    assert (b is None) == (b_ref is None)
    # Both are the (smallest-norm, when singular) minimiser; the compiled one
    # may come from the normal equations, whose error grows as eps * cond^2
    # (cond of the centred X over its nonzero singular values; with reg the
    # ridge bounds it). The float32 results are float64 solves rounded.
    X64 = np.asarray(X, np.float64)
    Xc = X64 - X64.mean(axis=0) if fit_bias else X64
    sv = np.linalg.svd(Xc, compute_uv=False)
    kept = sv[sv > sv[0] * 1e-10] if sv.size and sv[0] > 0 else np.ones(1)
    ridge = np.sqrt(2 * N * reg)
    cond = np.sqrt(kept[0] ** 2 + ridge**2) / np.sqrt(kept[-1] ** 2 + ridge**2)
    assume(cond < 1e4)
    tol = max(1e-6 if dtype == np.float32 else 1e-12, 100 * np.finfo(np.float64).eps * cond**2)
    np.testing.assert_allclose(
        np.asarray(W, np.float64),
        np.asarray(W_ref, np.float64),
        rtol=tol,
        atol=tol * (1.0 + float(np.abs(W_ref).max(initial=0.0))),
    )
    if b is not None:
        np.testing.assert_allclose(
            b, b_ref, rtol=tol, atol=tol * (1.0 + float(np.abs(b_ref).max()))
        )
