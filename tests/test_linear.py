"""linear, linear_backward, bias_trick and the fused linear_*_loss passes:
compiled against the NumPy reference and against the unfused composition
(linear, then the loss, then linear_backward), at the fused pass's block
boundaries, against finite differences, and on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, assert_close

import fastlin
import fastlin.reference as ref
from fastlin import _core

REDUCTIONS = ["mean", "sum", "none"]


# --------------------------------------------------------------------------
# Data and comparisons
# --------------------------------------------------------------------------


def _exact_model(rng, N, D, C, dtype, bias=True):
    """X, W, b whose entries are small multiples of powers of two, so that every
    score X @ W.T + b is computed exactly in either dtype whatever the order of
    summation (BLAS blocking, block of rows). The fused and unfused paths then
    see the very same scores, and hinge kinks cannot flip between them."""
    X = (rng.integers(-4, 5, size=(N, D)) * 0.25).astype(dtype)
    W = (rng.integers(-4, 5, size=(C, D)) * 0.125).astype(dtype)
    b = (rng.integers(-4, 5, size=C) * 0.5).astype(dtype) if bias else None
    return X, W, b


def _product_terms(A, B):
    """|A| @ |B| in float64: the magnitudes a product's entries are summed from."""
    return np.abs(np.asarray(A, np.float64)) @ np.abs(np.asarray(B, np.float64))


def assert_product_close(actual, expected, dtype, terms, what):
    """Entries of a product (or a sum over rows) from two correct implementations.

    They add the same terms in different orders (BLAS kernels, the fused pass's
    blocks of rows, float64 accumulation of ``db``), so an entry may differ by
    a few rounding errors of its largest *terms*, not of its (possibly
    cancelling) value: the allowed error is ``rtol`` times the largest entry of
    ``terms = |A| @ |B|``. For the float32 rtol of 1e-5 (about 170 ulps) that
    covers the random-walk growth of rounding (``sqrt(K) * eps`` for ``K``
    terms) far beyond the sizes tested here, and it is no wider than that.
    """
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    scale = float(np.max(terms)) if np.size(terms) else 0.0
    assert_close(actual, expected, dtype, what, scale=scale)


def assert_lossgrad_close(got, want, X, W, dtype, reg=0.0, g_scale=0.0):
    """Two LossGrad results for the same (exactly scored) inputs agree.

    ``g_scale`` is the size of the terms each entry of the scores' gradient G
    is computed from (``sample_weight * weight / denominator``): where G
    cancels to about 0 (C = 1, where p = 1), its rounding is that of those
    terms, not of its own tiny value."""
    assert isinstance(got, fastlin.LossGrad)
    if isinstance(want.loss, np.ndarray):
        assert got.loss.dtype == want.loss.dtype and got.loss.shape == want.loss.shape
    else:
        assert type(got.loss) is float
    assert_close(got.loss, want.loss, dtype, "loss")

    # dW = G^T X + 2 reg W: the terms are |G|^T |X|, bounded through |dW| itself
    # would hide cancellation, so use the reference's own G (recomputed).
    G = np.abs(_reference_scores_grad(want, X, W)) + g_scale
    assert_product_close(got.dW, want.dW, dtype, _product_terms(G.T, X) + 2 * reg * np.abs(W), "dW")
    if want.db is None:
        assert got.db is None
    else:
        assert_product_close(got.db, want.db, dtype, np.abs(G).sum(axis=0), "db")
    if want.dX is None:
        assert got.dX is None
    else:
        assert_product_close(got.dX, want.dX, dtype, _product_terms(G, W), "dX")


_LAST_G = {}


def _reference_scores_grad(want, X, W):
    return _LAST_G["G"]


def _reference_with_G(fn, X, y, W, b, kw):
    """The reference's LossGrad, and the scores' gradient it came from."""
    r = getattr(ref, fn)(X, y, W, b, **kw)
    S = ref.linear(X, W, b)
    kw_loss = {k: v for k, v in kw.items() if k not in ("reg", "return_dX")}
    if fn == "linear_squared_loss":
        T = np.asarray(y)
        _, G = ref.squared_loss(S, T.reshape(S.shape), **kw_loss)
    else:
        _, G = getattr(ref, fn.replace("linear_", ""))(S, y, **kw_loss)
    _LAST_G["G"] = G
    return r


# --------------------------------------------------------------------------
# Cases: every option of every loss
# --------------------------------------------------------------------------


def _targets(fn, rng, N, C, dtype, opts):
    if fn == "linear_squared_loss":
        T = (rng.integers(-8, 9, size=(N, C)) * 0.25).astype(dtype)
        return T[:, 0] if opts.pop("_1d", False) else T
    if opts.pop("_soft", False):
        t = rng.uniform(0.0, 1.0, size=(N, C))
        t[rng.uniform(size=(N, C)) < 0.3] = 0.0
        return (t / np.maximum(t.sum(axis=1, keepdims=True), 1e-12)).astype(dtype)
    y = rng.integers(0, C, size=N)
    if opts.get("ignore_index") is not None:
        y[::4] = opts["ignore_index"]
    return y


def _weights(rng, N, C, opts):
    if opts.pop("_weight", False):
        opts["weight"] = rng.uniform(0.1, 2.0, size=C)
    if opts.pop("_sample_weight", False):
        sw = rng.uniform(0.0, 2.0, size=N)
        sw[::5] = 0.0
        opts["sample_weight"] = sw
    return opts


CASES = [
    ("linear_softmax_loss", {}),
    ("linear_softmax_loss", {"_weight": True}),
    ("linear_softmax_loss", {"_sample_weight": True, "_weight": True}),
    ("linear_softmax_loss", {"ignore_index": 3}),
    ("linear_softmax_loss", {"label_smoothing": 0.1}),
    ("linear_softmax_loss", {"label_smoothing": 0.2, "_weight": True, "ignore_index": -100}),
    ("linear_softmax_loss", {"_soft": True}),
    ("linear_softmax_loss", {"_soft": True, "label_smoothing": 0.1, "_sample_weight": True}),
    ("linear_svm_loss", {}),
    ("linear_svm_loss", {"margin": 2.0, "_weight": True}),
    ("linear_svm_loss", {"squared": True, "_sample_weight": True}),
    ("linear_svm_loss", {"variant": "crammer_singer"}),
    ("linear_svm_loss", {"variant": "crammer_singer", "squared": True, "_weight": True}),
    ("linear_squared_loss", {}),
    ("linear_squared_loss", {"_sample_weight": True}),
]


def _case_id(case):
    fn, opts = case
    return (
        fn.replace("linear_", "").replace("_loss", "")
        + "-"
        + ("+".join(f"{k.strip('_')}" for k in opts) or "plain")
    )


def _build(fn, opts, rng, N, D, C, dtype, bias):
    opts = dict(opts)
    X, W, b = _exact_model(rng, N, D, C, dtype, bias)
    y = _targets(fn, rng, N, C, dtype, opts)
    return X, y, W, b, _weights(rng, N, C, opts)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_fused_matches_reference(case, reduction, bias, dtype, rng):
    fn, opts = case
    X, y, W, b, kw = _build(fn, opts, rng, 301, 37, 11, dtype, bias)
    kw.update(reduction=reduction, reg=0.3, return_dX=True)
    want = _reference_with_G(fn, X, y, W, b, kw)
    got = getattr(fastlin, fn)(X, y, W, b, **kw)
    assert_lossgrad_close(got, want, X, W, dtype, reg=0.3)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_fused_matches_unfused_composition(case, dtype, rng):
    """fastlin's own linear, then the scores loss, then linear_backward."""
    fn, opts = case
    X, y, W, b, kw = _build(fn, opts, rng, 150, 21, 7, dtype, True)
    S = fastlin.linear(X, W, b)
    if fn == "linear_squared_loss":
        loss, G = fastlin.squared_loss(S, y, **kw)
    else:
        loss, G = getattr(fastlin, fn.replace("linear_", ""))(S, y, **kw)
    dX, dW, db = fastlin.linear_backward(G, X, W)
    got = getattr(fastlin, fn)(X, y, W, b, return_dX=True, **kw)
    assert_close(got.loss, loss, dtype, "loss")
    assert_product_close(got.dW, dW, dtype, _product_terms(G.T, X), "dW")
    assert_product_close(got.db, db, dtype, np.abs(G).sum(axis=0), "db")
    assert_product_close(got.dX, dX, dtype, _product_terms(G, W), "dX")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_return_dX_false_and_no_bias_give_none(dtype, rng):
    X, W, _ = _exact_model(rng, 20, 9, 4, dtype, bias=False)
    r = fastlin.linear_softmax_loss(X, rng.integers(0, 4, 20), W)
    assert r.db is None and r.dX is None and r.dW.dtype == dtype and r.dW.shape == W.shape


def test_squared_with_one_output_takes_1d_targets(rng):
    X, W, b = _exact_model(rng, 50, 6, 1, np.float64)
    T = rng.integers(-8, 9, size=50) * 0.25
    got = fastlin.linear_squared_loss(X, T, W, b, return_dX=True)
    want = ref.linear_squared_loss(X, T, W, b, return_dX=True)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)


# --------------------------------------------------------------------------
# Block boundaries of the fused pass
# --------------------------------------------------------------------------


def _plan(N, D, C, dtype):
    """(rows per block, row groups or 0 for stripes, hand-written products)
    of the fused pass."""
    return _core._fused_plan(N, D, C, np.dtype(dtype).itemsize)


def _lanes(variant, dtype):
    vector_bytes = {"baseline": 16, "neon": 16, "avx2": 32, "avx512": 64}[variant]
    return vector_bytes // np.dtype(dtype).itemsize


def _class_panel(variant, dtype):
    """Classes of one chunk of the hand-written products' scores (the width
    of their feature panels): 3 vectors (csrc/simd/few_class_products.hpp). They
    take up to two chunks."""
    return 3 * _lanes(variant, dtype)


def test_fused_plan_is_as_documented(variant):
    few32 = 2 * _class_panel(variant, np.float32) >= 20
    few64 = 2 * _class_panel(variant, np.float64) >= 20
    # TinyPlaces. By the hand-written products where its 20 classes fit in
    # two panels (AVX2, AVX-512; float32 at baseline): X_blk within 1.5 MiB
    # (128 float32 rows) in 16 row groups, or with AVX-512 within 0.75 MiB
    # (64 rows) in 64 groups; else by the BLAS, X_blk within 4 MiB (160
    # float64 rows) in 16 groups.
    wide = variant == "avx512"
    assert _plan(20000, 3072, 20, np.float32) == (
        (64, 64, True) if wide else (128, 16, True) if few32 else (336, 16, False)
    )
    assert _plan(20000, 3072, 20, np.float64) == (
        (64, 64, True) if wide else (64, 16, True) if few64 else (160, 16, False)
    )
    # Small N: at least 16 blocks where N allows, 64 rows at the least (128
    # for the BLAS); one image keeps the BLAS (a matrix-vector product reads
    # W once).
    assert _plan(256, 3072, 20, np.float32) == ((64, 4, True) if few32 else (128, 2, False))
    assert _plan(256, 512, 100, np.float32) == (128, 2, False)
    assert _plan(7, 3072, 2, np.float32) == (128, 1, False)
    assert _plan(8, 3072, 2, np.float32) == (64, 1, True)
    # Classes beyond two panels: the BLAS.
    panel = _class_panel(variant, np.float32)
    assert _plan(20000, 3072, 2 * panel, np.float32)[2]
    assert _plan(20000, 3072, 2 * panel + 1, np.float32) == (336, 16, False)
    assert _plan(3000, 13, 1000, np.float32) == (192, 16, False)
    # A dW too large to copy per group (131 MB): stripes, 32 MiB of scores.
    assert _plan(4096, 1024, 32000, np.float32) == (262, 0, False)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("N", [69, 70, 71])
def test_few_class_products_across_tile_edges(N, dtype, variant, rng):
    # The hand-written products work in panels of P = 3 vectors of features,
    # hold the classes in one or two chunks of 1 to 3 vectors of L lanes,
    # and run tiles of 4 rows or classes (8 with AVX-512): class and feature
    # counts on both sides of those edges, and a block of 64 rows then one of
    # 5, 6 or 7 (a whole tile of 4 and 1, 2 or 3 rows; a part of a tile of 8).
    L, P = _lanes(variant, dtype), _class_panel(variant, dtype)
    for C in sorted({1, 2, 3, 4, 5, L + 1, 2 * L, P - 1, P, P + 1, P + L + 1, 2 * P - 1, 2 * P}):
        for D in (1, 5, P - 1, P + 1, 2 * P + 3):
            assert _plan(N, D, C, dtype)[2]
            X, y, W, b, kw = _build("linear_softmax_loss", {}, rng, N, D, C, dtype, True)
            kw.update(return_dX=True, reg=0.25)
            want = _reference_with_G("linear_softmax_loss", X, y, W, b, kw)
            got = fastlin.linear_softmax_loss(X, y, W, b, **kw)
            assert_lossgrad_close(got, want, X, W, dtype, reg=0.25)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_few_class_products_add_up_over_blocks(dtype, variant, rng):
    # More blocks than row groups, so a group adds later blocks to its dW
    # partial; D = 3077 leaves 5 features in the last panel for every panel
    # width (6 to 48), which takes the other way in and out of dW.
    N, D, C = 4500, 3077, 5
    rows, groups, few = _plan(N, D, C, dtype)
    assert few and groups == (64 if variant == "avx512" else 16) and -(-N // rows) > groups
    X, y, W, b, kw = _build("linear_softmax_loss", {}, rng, N, D, C, dtype, True)
    want = _reference_with_G("linear_softmax_loss", X, y, W, b, kw)
    assert_lossgrad_close(fastlin.linear_softmax_loss(X, y, W, b, **kw), want, X, W, dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("N", [1, 63, 64, 65, 255, 257, 3005])
@pytest.mark.parametrize("fn", ["linear_softmax_loss", "linear_svm_loss", "linear_squared_loss"])
def test_block_boundaries_in_N(fn, N, dtype, rng):
    # One block, one row less or more than a block of 64, several groups, and
    # a partial last block (3005 rows in blocks of 192).
    C, D = 1000, 13
    X, y, W, b, kw = _build(fn, {"_sample_weight": True}, rng, N, D, C, dtype, True)
    kw.update(return_dX=True, reg=0.1)
    want = _reference_with_G(fn, X, y, W, b, kw)
    assert_lossgrad_close(getattr(fastlin, fn)(X, y, W, b, **kw), want, X, W, dtype, reg=0.1)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("fn", ["linear_softmax_loss", "linear_svm_loss"])
def test_stripes_plan_over_two_blocks(fn, dtype, rng):
    # C * D just above 16 MiB of dW: the stripes plan, with a partial last
    # block and a partial last stripe of classes (32000 = 125 x 256).
    C, D = 32000, {np.float32: 132, np.float64: 66}[dtype]
    rows, groups, _ = _plan(1, D, C, dtype)
    assert groups == 0
    X, y, W, b, kw = _build(fn, {}, rng, rows + 3, D, C, dtype, True)
    kw.update(return_dX=True)
    want = _reference_with_G(fn, X, y, W, b, kw)
    assert_lossgrad_close(getattr(fastlin, fn)(X, y, W, b, **kw), want, X, W, dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("C", [1, 2, 20, 1000, 32000])
@pytest.mark.parametrize("fn", ["linear_softmax_loss", "linear_svm_loss"])
def test_class_counts(fn, C, dtype, rng):
    N = 70 if C == 32000 else 45  # two blocks at C = 32000 (64 rows per block)
    X, y, W, b, kw = _build(fn, {}, rng, N, 11, C, dtype, True)
    kw.update(return_dX=True)
    want = _reference_with_G(fn, X, y, W, b, kw)
    assert_lossgrad_close(getattr(fastlin, fn)(X, y, W, b, **kw), want, X, W, dtype)


@pytest.mark.parametrize("C", [11, 30])
def test_fused_pass_reads_no_stale_work_space(C, rng):
    # Each thread keeps its work space between calls, uninitialised (a
    # block's scores and copy of X, W packed, the dW partials). After a
    # larger call whose inputs were all NaN, a call must give bit for bit
    # what it gave before: no buffer is read before it is written. C = 11 runs
    # the hand-written products, C = 30 the BLAS.
    X, y, W, b, _ = _build("linear_softmax_loss", {}, rng, 300, 37, C, np.float32, True)
    before = fastlin.linear_softmax_loss(X, y, W, b, return_dX=True)
    nan_X, nan_W = np.full((600, 50), np.nan, np.float32), np.full((C, 50), np.nan, np.float32)
    fastlin.linear_softmax_loss(nan_X, rng.integers(0, C, 600), nan_W, nan_W[:, 0], return_dX=True)
    after = fastlin.linear_softmax_loss(X, y, W, b, return_dX=True)
    assert np.isfinite(before.loss)
    for got, want in zip(after, before):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_no_samples_is_a_nan_mean_and_zero_gradient(dtype):
    X = np.zeros((0, 5), dtype)
    W = np.ones((3, 5), dtype)
    got = fastlin.linear_softmax_loss(
        X, np.zeros(0, int), W, np.zeros(3, dtype), reg=0.5, return_dX=True
    )
    want = ref.linear_softmax_loss(
        X, np.zeros(0, int), W, np.zeros(3, dtype), reg=0.5, return_dX=True
    )
    assert np.isnan(got.loss) and np.isnan(want.loss)
    np.testing.assert_array_equal(got.dW, want.dW)
    np.testing.assert_array_equal(got.db, want.db)
    assert got.dX.shape == (0, 5)


# --------------------------------------------------------------------------
# Gaussian data: BLAS rounding in the scores too
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("fn", ["linear_softmax_loss", "linear_squared_loss"])
def test_gaussian_data_matches_reference(fn, dtype, rng):
    """Smooth losses on data whose scores are rounded (differently) by each
    implementation. A score is off by at most ``rtol * (|X| @ |W|.T)``; the
    loss, summed over rows, moves by that times ``sum |G|``, and a gradient
    entry by that times its own terms (the curvature of these losses is at
    most 1 per unit score, times the gradient's scale)."""
    N, D, C = 517, 67, 19
    X = rng.standard_normal((N, D)).astype(dtype)
    W = (0.2 * rng.standard_normal((C, D))).astype(dtype)
    b = rng.standard_normal(C).astype(dtype)
    y = (
        rng.standard_normal((N, C)).astype(dtype)
        if fn == "linear_squared_loss"
        else rng.integers(0, C, N)
    )
    got = getattr(fastlin, fn)(X, y, W, b, return_dX=True)
    want = _reference_with_G(fn, X, y, W, b, {"return_dX": True})
    G = _LAST_G["G"]
    score_err = float(np.max(_product_terms(X, W.T) + np.abs(b)))
    assert_close(got.loss, want.loss, dtype, "loss", scale=float(np.abs(G).sum()) * score_err)
    scale_G = float(np.abs(G).max()) * (1.0 + score_err)
    assert_product_close(
        got.dW, want.dW, dtype, scale_G * _product_terms(np.ones((C, N)), np.abs(X)), "dW"
    )
    assert_product_close(got.db, want.db, dtype, scale_G * N * np.ones(C), "db")
    assert_product_close(got.dX, want.dX, dtype, scale_G * _product_terms(np.ones((N, C)), W), "dX")


# --------------------------------------------------------------------------
# Finite differences (float64)
# --------------------------------------------------------------------------

FD_CASES = [
    ("linear_softmax_loss", {"label_smoothing": 0.1, "_weight": True}),
    ("linear_softmax_loss", {"_soft": True}),
    ("linear_svm_loss", {"squared": True}),
    ("linear_svm_loss", {"variant": "crammer_singer"}),
    ("linear_squared_loss", {"_sample_weight": True}),
]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("case", FD_CASES, ids=[_case_id(c) for c in FD_CASES])
def test_gradients_against_finite_differences(case, reduction, rng):
    """Fourth-order central differences of the loss along random directions of
    W and b agree with <dW, V> + <db, v>. Gaussian data: a hinge kink within
    the step of 1e-4 has probability ~1e-4 per margin and is not hit here."""
    fn, opts = case
    N, D, C = 40, 9, 5
    opts = dict(opts)
    X = rng.standard_normal((N, D))
    W = 0.5 * rng.standard_normal((C, D))
    b = rng.standard_normal(C)
    y = _targets(fn, rng, N, C, np.float64, opts)
    if fn == "linear_squared_loss":
        y = rng.standard_normal((N, C))
    kw = _weights(rng, N, C, opts)
    kw.update(reduction=reduction, reg=0.25)
    V, v = rng.standard_normal((C, D)), rng.standard_normal(C)
    f = getattr(fastlin, fn)

    def loss(t):
        return f(X, y, W + t * V, b + t * v, **kw).loss

    h = 1e-4
    fd = (-loss(2 * h) + 8 * loss(h) - 8 * loss(-h) + loss(-2 * h)) / (12 * h)
    r = f(X, y, W, b, **kw)
    analytic = float(np.sum(r.dW * V) + np.sum(r.db * v))
    np.testing.assert_allclose(analytic, fd, rtol=1e-7, atol=1e-8)


def test_dX_against_finite_differences(rng):
    N, D, C = 12, 7, 4
    X, W, b = rng.standard_normal((N, D)), rng.standard_normal((C, D)), rng.standard_normal(C)
    y = rng.integers(0, C, N)
    V = rng.standard_normal((N, D))
    f = fastlin.linear_softmax_loss
    h = 1e-4
    L = [f(X + t * V, y, W, b).loss for t in (2 * h, h, -h, -2 * h)]
    fd = (-L[0] + 8 * L[1] - 8 * L[2] + L[3]) / (12 * h)
    dX = f(X, y, W, b, return_dX=True).dX
    np.testing.assert_allclose(float(np.sum(dX * V)), fd, rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------------
# linear, linear_backward, bias_trick
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("N", [None, 0, 1, 300])
def test_linear_and_backward_match_reference(N, bias, dtype, rng):
    D, C = 29, 6
    shape = (D,) if N is None else (N, D)
    X = rng.standard_normal(shape).astype(dtype)
    W = rng.standard_normal((C, D)).astype(dtype)
    b = rng.standard_normal(C).astype(dtype) if bias else None
    S = fastlin.linear(X, W, b)
    S_ref = ref.linear(X, W, b)
    terms = _product_terms(X, W.T) + (0 if b is None else np.abs(b))
    assert_product_close(S, S_ref, dtype, terms, "S")
    dS = rng.standard_normal(S.shape).astype(dtype)
    got, want = fastlin.linear_backward(dS, X, W), ref.linear_backward(dS, X, W)
    X2, dS2 = np.atleast_2d(X), np.atleast_2d(dS)
    assert_product_close(got[0], want[0], dtype, _product_terms(dS, W), "dX")
    assert_product_close(got[1], want[1], dtype, _product_terms(dS2.T, X2), "dW")
    assert_product_close(got[2], want[2], dtype, np.abs(dS2).sum(axis=0), "db")


def test_linear_mixed_dtypes_and_layouts(rng):
    X = rng.standard_normal((40, 30))[:, ::2]  # strided
    W = np.asfortranarray(rng.standard_normal((5, 15)).astype(np.float32))
    b = np.arange(5, dtype=np.int32)
    S = fastlin.linear(X, W, b)
    assert S.dtype == np.float64
    np.testing.assert_allclose(S, ref.linear(X, W, b), rtol=1e-12, atol=1e-12)
    dX, dW, db = fastlin.linear_backward(np.ones((40, 5), np.float32), X.astype(np.float32), W)
    assert (dX.dtype, dW.dtype, db.dtype) == (np.float32,) * 3
    r = fastlin.linear_softmax_loss(
        X.astype(np.float32),
        np.zeros(40, np.uint8),
        W.astype(np.float64),
        b.astype(np.float32),
        return_dX=True,
    )
    want = ref.linear_softmax_loss(
        X.astype(np.float32),
        np.zeros(40, np.uint8),
        W.astype(np.float64),
        b.astype(np.float32),
        return_dX=True,
    )
    for g, w in zip(r, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "dtypes", [(np.float32, np.float32), (np.float64, np.float32), (np.float32, np.float64)]
)
def test_bias_trick(dtypes, rng):
    xd, wd = dtypes
    X = rng.standard_normal((8, 5)).astype(xd)
    W = rng.standard_normal((3, 5)).astype(wd)
    b = rng.standard_normal(3).astype(np.float32)
    for x in (X, X[0]):
        got, want = fastlin.bias_trick(x, W, b), ref.bias_trick(x, W, b)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_array_equal(g, w)
    X1, W1 = fastlin.bias_trick(X, W, b)
    np.testing.assert_allclose(
        fastlin.linear(X1, W1), fastlin.linear(X, W, b), rtol=1e-5, atol=1e-5
    )


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


def _good(rng):
    return (
        rng.standard_normal((6, 4)),
        rng.integers(0, 3, 6),
        rng.standard_normal((3, 4)),
        np.zeros(3),
    )


@pytest.mark.parametrize("mod", [fastlin, ref], ids=["fastlin", "reference"])
def test_bad_shapes_name_the_argument(mod, rng):
    X, y, W, b = _good(rng)
    bad = [
        (lambda: mod.linear_softmax_loss(X[:, :3], y, W, b), ValueError, r"X: .*\(6, 3\)"),
        (lambda: mod.linear_softmax_loss(X[0], y, W, b), ValueError, r"X: .*\(4,\)"),
        (lambda: mod.linear_softmax_loss(X, y[:5], W, b), ValueError, r"y: .*\(5,\)"),
        (lambda: mod.linear_softmax_loss(X, y, W, b[:2]), ValueError, r"b: .*\(2,\)"),
        (lambda: mod.linear_softmax_loss(X, y, W[0], b), ValueError, r"W: .*\(4,\)"),
        (
            lambda: mod.linear_softmax_loss(X, y + 3, W, b),
            ValueError,
            r"y: label y\[0\] = \d+ is outside",
        ),
        (lambda: mod.linear_svm_loss(X, y - 1 - y, W, b), ValueError, r"y: label y\[0\] = -1"),
        (lambda: mod.linear_svm_loss(X, y, W, b, variant="x"), ValueError, "variant"),
        (lambda: mod.linear_softmax_loss(X, y, W, b, reduction="avg"), ValueError, "reduction"),
        (lambda: mod.linear_softmax_loss(X, y, W, b, reg=-1.0), ValueError, "reg"),
        (
            lambda: mod.linear_softmax_loss(X, y, W, b, label_smoothing=-0.1),
            ValueError,
            "label_smoothing",
        ),
        (lambda: mod.linear_softmax_loss(X, y.astype(float)[:, None], W, b), ValueError, "y: "),
        (lambda: mod.linear_squared_loss(X, np.zeros((6, 2)), W, b), ValueError, r"T: .*\(6, 2\)"),
        (lambda: mod.linear_softmax_loss(X.astype(complex), y, W, b), TypeError, "X: "),
        (lambda: mod.linear_softmax_loss(X, y, W, b, weight=np.ones(2)), ValueError, "weight: "),
        (lambda: mod.linear(X, W[:, :3]), ValueError, r"X: .*\(6, 4\)"),
        (lambda: mod.linear_backward(np.ones((6, 2)), X, W), ValueError, r"dS: .*\(6, 2\)"),
        (lambda: mod.bias_trick(X, W, None), TypeError, "b: "),
    ]
    for call, exc, pattern in bad:
        with pytest.raises(exc, match=pattern):
            call()


# --------------------------------------------------------------------------
# Memory: the N x C scores are never held
# --------------------------------------------------------------------------

_MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource
    import numpy as np
    import fastlin
    N, D, C = 4096, 1024, 32000
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D), dtype=np.float32)
    W = rng.standard_normal((C, D), dtype=np.float32)
    W *= 0.01  # in place: a temporary would raise the peak measured before the call
    y = rng.integers(0, C, N)
    fastlin.linear_softmax_loss(X[:64, :8], y[:64] % 10, W[:10, :8])  # warm up the libraries, small
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = fastlin.linear_softmax_loss(X, y, W)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"growth_kib": after - before, "dW_kib": r.dW.nbytes // 1024}))
""")


@pytest.mark.slow
def test_large_vocabulary_memory_stays_far_below_the_scores():
    """At N=4096, D=1024, C=32000 float32 the scores would be 536 MB. The call
    may allocate its output dW (131 MB) and an O(block x C) buffer (8 MiB),
    nothing of the order of N x C: peak RSS growth must stay under half of it.
    Measured in a fresh process so that earlier tests do not hide the peak."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    m = json.loads(out.stdout)
    scores_kib = 4096 * 32000 * 4 // 1024
    assert m["growth_kib"] < scores_kib / 2, m
    assert m["growth_kib"] < m["dW_kib"] + 64 * 1024, m  # dW plus at most 64 MiB of work space


_OUT_OF_MEMORY_SCRIPT = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import fastlin
    # Two row groups of 64 rows, one per thread; the hand-written products
    # copy each group's block of X (64 MB) into their work space.
    N, D, C = 128, 250_000, 4
    X = np.ones((N, D), np.float32)
    W = np.full((C, D), 1e-3, np.float32)
    y = np.zeros(N, np.int64)
    fastlin.set_num_threads(int(sys.argv[1]))
    with open("/proc/self/status") as f:
        vm = int(f.read().split("VmSize:")[1].split()[0]) * 1024
    # Address space for dW, W packed and a thread's stack, not for a 64 MB copy.
    resource.setrlimit(resource.RLIMIT_AS, (vm + (40 << 20), resource.RLIM_INFINITY))
    try:
        fastlin.linear_softmax_loss(X, y, W)
        print("no error")
    except MemoryError:
        print("MemoryError")
""")


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_out_of_memory_in_a_worker_is_a_memory_error(threads):
    """Work space that cannot be allocated, on the calling thread or on a
    pool worker, is a MemoryError in Python; it must not reach the top of a
    worker thread, which would end the process."""
    assert _plan(128, 250_000, 4, np.float32) == (64, 2, True)
    out = subprocess.run(
        [sys.executable, "-c", _OUT_OF_MEMORY_SCRIPT, str(threads)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "MemoryError", out
