"""softmax_loss, svm_loss, squared_loss: compiled against the NumPy reference,
against finite differences, and on properties and extremes that hold by the math."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import (
    FLOAT_DTYPES,
    MODULES,
    assert_close,
    assert_loss_grad_close,
    atol_for,
)

import fastlin
import fastlin.reference as ref

REDUCTIONS = ["mean", "sum", "none"]
SIZES_N = [0, 1, 7, 1000]
SIZES_C = [1, 2, 3, 20, 1000]


# --------------------------------------------------------------------------
# Building cases: (function name, positional arrays, keyword options)
# --------------------------------------------------------------------------


def _scores(rng, N, C, dtype):
    return (3.0 * rng.standard_normal((N, C))).astype(dtype)


def _labels(rng, N, C):
    return rng.integers(0, C, size=N).astype(np.int64)


def _soft(rng, N, C, dtype, normalised=True):
    t = rng.uniform(0.0, 1.0, size=(N, C))
    t[rng.uniform(size=(N, C)) < 0.3] = 0.0  # some exact zeros (0 log 0)
    if normalised:
        t /= np.maximum(t.sum(axis=1, keepdims=True), 1e-12)
    return t.astype(dtype)


def _class_weight(rng, N, C):
    return rng.uniform(0.1, 2.0, size=C)


def _sample_weight(rng, N, C):
    sw = rng.uniform(0.0, 2.0, size=N)
    sw[::5] = 0.0  # zero weights count for nothing
    return sw


def _hit(y, every, value):
    y = y.copy()
    y[::every] = value
    return y


# Option sets: name -> (kind, builder(rng, N, C, dtype) -> (args, kwargs)). The
# label/target array is built inside so that ignore_index rows can be planted.
def _softmax(**opt):
    def build(rng, N, C, dtype):
        kw = {}
        y = _labels(rng, N, C)
        if opt.get("soft"):
            y = _soft(rng, N, C, dtype, normalised=opt.get("normalised", True))
        if opt.get("weight"):
            kw["weight"] = _class_weight(rng, N, C)
        if opt.get("sample_weight"):
            kw["sample_weight"] = _sample_weight(rng, N, C)
        if "ignore" in opt:
            ii = opt["ignore"]
            if ii != -100:
                kw["ignore_index"] = ii
            y = _hit(y, 3, ii)  # rows 0, 3, 6, ... are ignored
        if "ls" in opt:
            kw["label_smoothing"] = opt["ls"]
        return (_scores(rng, N, C, dtype), y), kw

    return "softmax_loss", build


def _svm(**opt):
    def build(rng, N, C, dtype):
        kw = {k: v for k, v in opt.items() if k in ("margin", "squared", "variant")}
        if opt.get("weight"):
            kw["weight"] = _class_weight(rng, N, C)
        if opt.get("sample_weight"):
            kw["sample_weight"] = _sample_weight(rng, N, C)
        return (_scores(rng, N, C, dtype), _labels(rng, N, C)), kw

    return "svm_loss", build


def _squared(one_d=False, sample_weight=False):
    def build(rng, N, K, dtype):
        shape = (N,) if one_d else (N, K)
        P = rng.standard_normal(shape).astype(dtype)
        T = rng.standard_normal(shape)
        kw = {"sample_weight": _sample_weight(rng, N, K)} if sample_weight else {}
        return (P, T), kw

    return "squared_loss", build


OPTIONS = {
    "softmax": _softmax(),
    "softmax-weight": _softmax(weight=True),
    "softmax-sample_weight": _softmax(sample_weight=True),
    "softmax-weight-sample_weight": _softmax(weight=True, sample_weight=True),
    "softmax-ignore_default": _softmax(ignore=-100),
    "softmax-ignore_class0": _softmax(ignore=0),
    "softmax-ls": _softmax(ls=0.1),
    "softmax-ls1": _softmax(ls=1.0),
    "softmax-ls-weight": _softmax(ls=0.2, weight=True),
    "softmax-all": _softmax(ignore=-100, ls=0.3, weight=True, sample_weight=True),
    "softmax-soft": _softmax(soft=True),
    "softmax-soft-unnormalised": _softmax(soft=True, normalised=False),
    "softmax-soft-all": _softmax(soft=True, ls=0.1, weight=True, sample_weight=True),
    "svm": _svm(),
    "svm-margin0.5": _svm(margin=0.5),
    "svm-margin0": _svm(margin=0.0),
    "svm-margin-neg": _svm(margin=-0.7),
    "svm-squared": _svm(squared=True, margin=2.5),
    "svm-weight": _svm(weight=True),
    "svm-sample_weight": _svm(sample_weight=True),
    "svm-cs": _svm(variant="crammer_singer"),
    "svm-cs-squared": _svm(variant="crammer_singer", squared=True, margin=0.3),
    "svm-cs-all": _svm(variant="crammer_singer", weight=True, sample_weight=True, margin=2.0),
    "svm-ww-all": _svm(
        variant="weston_watkins", squared=True, weight=True, sample_weight=True, margin=1.5
    ),
    "squared": _squared(),
    "squared-1d": _squared(one_d=True),
    "squared-sample_weight": _squared(sample_weight=True),
    "squared-1d-sample_weight": _squared(one_d=True, sample_weight=True),
}

# The kinds run over the whole N x C grid; every option runs on fewer shapes.
GRID_KINDS = ["softmax", "softmax-soft", "svm", "svm-cs", "squared"]
OPTION_SHAPES = [(0, 3), (1, 1), (7, 3), (1000, 20), (13, 1000)]


def build_case(name, rng, N, C, dtype):
    fname, build = OPTIONS[name]
    args, kw = build(rng, N, C, dtype)
    return fname, args, kw


def grad_scale(fname, args, kw, reduction="mean"):
    """Size of the terms a gradient entry is computed from (see conftest.atol_for)."""
    if fname == "squared_loss":
        return 0.0  # p - t: no cancellation
    sw = kw.get("sample_weight")
    w = kw.get("weight")
    scale = (1.0 if sw is None or sw.size == 0 else float(np.max(sw))) * (
        1.0 if w is None or w.size == 0 else float(np.max(w))
    )
    if reduction == "mean":
        denom = _denominator(fname, args, kw)
        scale = scale / denom if denom > 0 else 0.0
    return scale


def call(module, fname, args, kw, **extra):
    return getattr(module, fname)(*args, **kw, **extra)


def expected_dtype(dtype):
    return (
        np.dtype(np.float32)
        if np.dtype(dtype) in (np.float16, np.float32, np.bool_)
        else np.dtype(np.float64)
    )


# --------------------------------------------------------------------------
# Compiled against the reference
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("C", SIZES_C)
@pytest.mark.parametrize("N", SIZES_N)
@pytest.mark.parametrize("kind", GRID_KINDS)
def test_matches_reference_on_shape_grid(kind, N, C, dtype, rng):
    fname, args, kw = build_case(kind, rng, N, C, dtype)
    for reduction in REDUCTIONS:
        want = call(ref, fname, args, kw, reduction=reduction)
        got = call(fastlin, fname, args, kw, reduction=reduction)
        assert_loss_grad_close(got, want, dtype, grad_scale(fname, args, kw, reduction))
        loss, grad = got
        assert grad.shape == args[0].shape and grad.dtype == np.dtype(dtype)
        if reduction == "none":
            assert loss.shape == (N,) and loss.dtype == np.dtype(dtype)
        else:
            assert type(loss) is float
            if N == 0 and reduction == "mean":
                assert math.isnan(loss) and not grad.any()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", OPTION_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_matches_reference_with_options(name, shape, dtype, rng):
    fname, args, kw = build_case(name, rng, *shape, dtype)
    for reduction in REDUCTIONS:
        want = call(ref, fname, args, kw, reduction=reduction)
        got = call(fastlin, fname, args, kw, reduction=reduction)
        assert_loss_grad_close(got, want, dtype, grad_scale(fname, args, kw, reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name", ["softmax-all", "softmax-soft-all", "svm-ww-all", "svm-cs-all", "squared-sample_weight"]
)
@pytest.mark.parametrize("module", MODULES)
def test_grad_false_returns_loss_and_none(module, name, reduction, rng):
    fname, args, kw = build_case(name, rng, 9, 4, np.float64)
    loss, grad = call(module, fname, args, kw, reduction=reduction, grad=False)
    assert grad is None
    loss_g, _ = call(module, fname, args, kw, reduction=reduction)
    if reduction == "none":
        np.testing.assert_array_equal(loss, loss_g)
    else:
        assert type(loss) is float and loss == loss_g


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_squared_loss_of_rows_without_outputs(reduction, dtype):
    # K = 0: every row's loss is an empty sum, 0 (found by the fuzz test when
    # a row kernel read one vector before the start of an empty row).
    P, T = np.empty((5, 0), dtype), np.empty((5, 0), dtype)
    loss, dP = fastlin.squared_loss(P, T, reduction=reduction)
    want, dP_want = ref.squared_loss(P, T, reduction=reduction)
    np.testing.assert_array_equal(loss, want)
    assert np.all(np.asarray(loss) == 0) and dP.shape == (5, 0) and dP_want.shape == (5, 0)


def test_ignored_rows_add_nothing_and_get_zero_gradient(rng):
    S = _scores(rng, 10, 4, np.float64)
    y = _labels(rng, 10, 4)
    y[[1, 4, 5]] = -100
    for module in (fastlin, ref):
        loss, G = module.softmax_loss(S, y, reduction="none", label_smoothing=0.2)
        assert np.all(loss[[1, 4, 5]] == 0) and not G[[1, 4, 5]].any()
        kept = np.setdiff1d(np.arange(10), [1, 4, 5])
        mean, Gm = module.softmax_loss(S, y, label_smoothing=0.2)
        mean_kept, Gk = module.softmax_loss(S[kept], y[kept], label_smoothing=0.2)
        assert mean == pytest.approx(mean_kept, rel=1e-12)
        np.testing.assert_allclose(Gm[kept], Gk, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("C", [2, 5, 8, 12, 20, 24, 33, 1000])
def test_plain_softmax_row_does_not_depend_on_its_neighbours(C, dtype, rng):
    # The plain loss runs rows in groups (csrc/simd/softmax_rows.hpp): a row alone,
    # among others or beside ignored rows gives the same bits.
    N = 19
    S = _scores(rng, N, C, dtype)
    y = _labels(rng, N, C)
    y_ignored = y.copy()
    y_ignored[::4] = -100
    loss, G = fastlin.softmax_loss(S, y, reduction="none")
    loss_ign, G_ign = fastlin.softmax_loss(S, y_ignored, reduction="none")
    for i in range(N):
        alone, G_alone = fastlin.softmax_loss(S[i : i + 1], y[i : i + 1], reduction="none")
        assert (
            alone.tobytes() == loss[i : i + 1].tobytes()
            and G_alone.tobytes() == G[i : i + 1].tobytes()
        )
        if y_ignored[i] == -100:
            assert loss_ign[i] == 0 and not G_ign[i].any()
        else:
            assert loss_ign[i] == loss[i] and G_ign[i].tobytes() == G[i].tobytes()


# Row lengths around the edges of the row paths (csrc/simd/softmax_rows.hpp,
# csrc/simd/svm_*.hpp) for vectors of W = 2 to 16 lanes: below a vector
# (W - 1), one vector, and the last length in lanes (3 W or 5 W by
# instruction set, 96 bytes for Crammer-Singer) with the one after it.
ROW_PATH_EDGES = [3, 4, 5, 6, 7, 8, 9, 12, 13, 15, 16, 17, 20, 21, 24, 25, 40, 41, 48, 49]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("C", ROW_PATH_EDGES)
def test_softmax_on_the_edges_of_its_row_paths_matches_the_reference(C, dtype, rng):
    N = 37  # groups of 2 to 16 rows and a partial group after them
    S = _scores(rng, N, C, dtype)
    y = _labels(rng, N, C)
    S[1] = 1e4
    S[1, ::3] = -1e4  # huge logits
    S[2, rng.permutation(C)[: C // 2]] = -np.inf  # masked classes...
    S[2, y[2]] = 1.0  # ...but not the target
    S[3] = 2.5  # all equal
    S[4, y[4]] = 1e4  # certain: loss 0
    for reduction in REDUCTIONS:
        want = ref.softmax_loss(S, y, reduction=reduction)
        got = fastlin.softmax_loss(S, y, reduction=reduction)
        assert_loss_grad_close(got, want, dtype, grad_scale("softmax_loss", (S, y), {}, reduction))
        if reduction == "none":
            assert got[0][4] == 0 and np.isfinite(got[1]).all()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("C", ROW_PATH_EDGES)
def test_crammer_singer_on_the_edges_of_its_row_paths_matches_the_reference(C, dtype, rng):
    N = 37
    S = rng.integers(-2, 3, size=(N, C)).astype(dtype)  # ties for the maximum
    y = _labels(rng, N, C)
    S[1] = -np.inf
    S[1, y[1]] = 0.0  # no other class beats -inf
    S[2, (y[2] + 1) % C] = np.nan  # NaN loss, zero gradient
    S[3] = 1e4
    S[3, ::2] = -1e4
    S[4, y[4]] = np.inf  # the target's own inf
    for squared in (False, True):
        kw = dict(variant="crammer_singer", squared=squared, reduction="none")
        got = fastlin.svm_loss(S, y, **kw)
        want = ref.svm_loss(S, y, **kw)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    assert np.isnan(got[0][2]) and not got[1][2].any()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("C", ROW_PATH_EDGES)
def test_weston_watkins_on_the_edges_of_its_row_paths_matches_the_reference(C, dtype, rng):
    # Short float32 rows run in lanes (csrc/simd/svm_weston_watkins.hpp), others one by
    # one: each must match the reference, and a row alone must give the bits
    # it gives among others (a short group repeats its last row).
    N = 37
    S = rng.integers(-2, 3, size=(N, C)).astype(dtype)  # margins of exactly 0
    y = _labels(rng, N, C)
    S[1] = 1e4
    S[1, ::2] = -1e4
    S[2, (y[2] + 1) % C] = np.nan  # NaN loss, no gradient there
    S[3, y[3]] = 100.0  # every margin met
    w = rng.uniform(0.5, 2.0, N)
    cw = rng.uniform(0.5, 2.0, C)
    for squared in (False, True):
        for kw in (dict(), dict(sample_weight=w, weight=cw)):
            kw = dict(kw, squared=squared, reduction="none")
            got = fastlin.svm_loss(S, y, **kw)
            want = ref.svm_loss(S, y, **kw)
            assert_loss_grad_close(got, want, dtype)
            np.testing.assert_array_equal(got[1] != 0, want[1] != 0)
            for i in (0, 3, N - 1):
                one = {k: (v[i : i + 1] if k == "sample_weight" else v) for k, v in kw.items()}
                alone = fastlin.svm_loss(S[i : i + 1], y[i : i + 1], **one)
                assert alone[0].tobytes() == got[0][i : i + 1].tobytes()
                assert alone[1].tobytes() == got[1][i : i + 1].tobytes()
    assert np.isnan(got[0][2]) and not got[1][3].any()


@pytest.mark.parametrize("dtype, N", [(np.float32, 3200), (np.float64, 1600)])
def test_crammer_singer_with_a_gradient_too_large_for_cache_matches_the_reference(dtype, N, rng):
    # From 12 MiB of gradient on, rows of 1000 classes are written around the
    # caches (stream_two_entry_row): every entry must still be the
    # reference's, zeros included, for each kind of row.
    C = 1000
    assert N * C * np.dtype(dtype).itemsize >= 12 << 20
    S = rng.integers(-3, 4, size=(N, C)).astype(dtype)  # ties for the maximum
    y = _labels(rng, N, C)
    S[1] = -np.inf
    S[1, y[1]] = 0.0  # no other class beats -inf
    S[2, (y[2] + 1) % C] = np.nan  # NaN loss, zero gradient
    S[3, y[3]] = 100.0  # inside the margin: no gradient
    S[4, C - 1], y[4] = 50.0, 0  # the maximum in the last vector
    S[5, 0], y[5] = 50.0, C - 1  # the maximum first, the target last
    w = rng.uniform(0.5, 2.0, N)
    w[::7] = 0.0  # zero-weighted rows: entries of +-0
    for squared in (False, True):
        for weights in (None, w):
            kw = dict(
                variant="crammer_singer", squared=squared, reduction="none", sample_weight=weights
            )
            got = fastlin.svm_loss(S, y, **kw)
            want = ref.svm_loss(S, y, **kw)
            np.testing.assert_array_equal(np.signbit(got[1]), np.signbit(want[1]))
            np.testing.assert_array_equal(got[1] != 0, want[1] != 0)
            if weights is None:
                np.testing.assert_array_equal(got[0], want[0])
                np.testing.assert_array_equal(got[1], want[1])
            else:  # the weights enter in another order than the reference's: last bits
                assert_loss_grad_close(got, want, dtype)
    assert not got[1][[1, 2, 3]].any() and got[1][4, C - 1] > 0 and got[1][5, 0] > 0


@pytest.mark.parametrize("dtype, huge", [(np.float32, 2e38), (np.float64, 1e308)])
def test_squared_hinge_with_huge_weights_matches_the_reference(dtype, huge):
    # Twice the gradient's scale overflows the dtype: a row with no active
    # class still has a zero gradient (not 0 * inf = NaN), an active one
    # infinite entries, as the reference gives.
    S = np.array([[5.0, 0.0, 0.0], [0.0, 0.0, -5.0]], dtype)
    y = np.array([0, 0])
    kw = dict(squared=True, sample_weight=np.full(2, huge), reduction="none")
    loss, G = fastlin.svm_loss(S, y, **kw)
    with np.errstate(over="ignore"):
        loss_ref, G_ref = ref.svm_loss(S, y, **kw)
    np.testing.assert_array_equal(loss, loss_ref)
    np.testing.assert_array_equal(G, G_ref)
    assert not G[0].any() and np.isinf(G[1, :2]).all()


LABEL_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.mark.parametrize("label_dtype", LABEL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["softmax-weight", "svm-cs-all", "svm-ww-all"])
def test_label_dtypes(name, label_dtype, rng):
    fname, (S, y), kw = build_case(name, rng, 50, 7, np.float64)
    want = call(fastlin, fname, (S, y), kw, reduction="none")
    yd = y.astype(label_dtype)
    got = call(fastlin, fname, (S, yd), kw, reduction="none")
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert_loss_grad_close(got, call(ref, fname, (S, yd), kw, reduction="none"), np.float64)
    # A plain list of Python ints works too.
    np.testing.assert_array_equal(
        call(fastlin, fname, (S, y.tolist()), kw)[1], call(fastlin, fname, (S, y), kw)[1]
    )


@pytest.mark.parametrize("label_dtype", [np.int8, np.int16, np.int32, np.int64])
def test_ignore_index_with_small_signed_labels(label_dtype, rng):
    S = _scores(rng, 12, 5, np.float32)
    y = _hit(_labels(rng, 12, 5), 4, -100).astype(label_dtype)
    assert_loss_grad_close(fastlin.softmax_loss(S, y), ref.softmax_loss(S, y), np.float32)
    loss, _ = fastlin.softmax_loss(S, y, reduction="none")
    assert np.all(loss[::4] == 0)


# --------------------------------------------------------------------------
# Memory layouts: strided, Fortran, read-only; inputs are never written
# --------------------------------------------------------------------------


def _relayout(a, layout):
    """``a`` with the same values in another memory layout."""
    if not isinstance(a, np.ndarray) or a.ndim == 0:
        return a
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "readonly":
        b = a.copy()
        b.setflags(write=False)
        return b
    if layout == "rows_step2":
        big = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
        big[::2] = a
        return big[::2]
    if layout == "cols_step2":
        if a.ndim == 1:
            big = np.zeros(2 * a.shape[0], dtype=a.dtype)
            big[::2] = a
            return big[::2]
        big = np.zeros((a.shape[0], 2 * a.shape[1]), dtype=a.dtype)
        big[:, ::2] = a
        return big[:, ::2]
    if layout == "reversed":
        return np.ascontiguousarray(a[::-1])[::-1]  # negative strides
    raise AssertionError(layout)


LAYOUTS = ["fortran", "readonly", "rows_step2", "cols_step2", "reversed"]


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "name",
    [
        "softmax-all",
        "softmax-soft-all",
        "svm-ww-all",
        "svm-cs-all",
        "squared-sample_weight",
        "squared-1d-sample_weight",
    ],
)
def test_any_layout_gives_the_same_result_and_writes_nothing(name, layout, dtype, reduction, rng):
    fname, args, kw = build_case(name, rng, 23, 6, dtype)
    want = call(fastlin, fname, args, kw, reduction=reduction)
    args2 = tuple(_relayout(a, layout) for a in args)
    kw2 = {k: _relayout(v, layout) for k, v in kw.items()}
    if layout != "readonly" and args2[0].ndim == 2:
        assert not args2[0].flags.c_contiguous
    saved = [
        np.array(a, copy=True)
        for a in list(args2) + list(kw2.values())
        if isinstance(a, np.ndarray)
    ]
    got = call(fastlin, fname, args2, kw2, reduction=reduction)
    # The compiled result does not depend on the layout at all.
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[1].flags.c_contiguous and got[1].flags.writeable
    assert_loss_grad_close(got, call(ref, fname, args2, kw2, reduction=reduction), dtype)
    after = [a for a in list(args2) + list(kw2.values()) if isinstance(a, np.ndarray)]
    for before, now in zip(saved, after):
        np.testing.assert_array_equal(now, before)


@pytest.mark.parametrize("module", MODULES)
def test_gradient_is_a_new_array(module, rng):
    S = _scores(rng, 5, 4, np.float64)
    y = _labels(rng, 5, 4)
    S0 = S.copy()
    _, G = module.softmax_loss(S, y)
    assert not np.shares_memory(G, S)
    np.testing.assert_array_equal(S, S0)


# --------------------------------------------------------------------------
# Dtypes of inputs and outputs
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "in_dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64, np.float16, np.bool_]
)
@pytest.mark.parametrize("name", ["softmax-weight", "svm-ww-all", "squared"])
def test_non_float_scores_promote(name, in_dtype, rng):
    fname, (S, y), kw = build_case(name, rng, 11, 5, np.float64)
    if np.dtype(in_dtype) == np.bool_:
        S_in = S > 0
    elif np.dtype(in_dtype).kind == "u":
        S_in = np.abs(np.round(S)).astype(in_dtype)
    else:
        S_in = np.round(S).astype(in_dtype)
    out_dtype = expected_dtype(in_dtype)
    for reduction in REDUCTIONS:
        got = call(fastlin, fname, (S_in, y), kw, reduction=reduction)
        assert got[1].dtype == out_dtype
        if reduction == "none":
            assert got[0].dtype == out_dtype
        # Same as converting the scores first: integers compute in float64.
        same = call(fastlin, fname, (S_in.astype(out_dtype), y), kw, reduction=reduction)
        np.testing.assert_array_equal(got[0], same[0])
        np.testing.assert_array_equal(got[1], same[1])
        assert_loss_grad_close(got, call(ref, fname, (S_in, y), kw, reduction=reduction), out_dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("target_dtype", [np.float16, np.float32, np.float64])
def test_soft_labels_and_targets_take_the_scores_dtype(dtype, target_dtype, rng):
    S = _scores(rng, 8, 5, dtype)
    t = _soft(rng, 8, 5, target_dtype)
    got = fastlin.softmax_loss(S, t, reduction="none")
    assert got[0].dtype == dtype and got[1].dtype == dtype
    assert_loss_grad_close(got, ref.softmax_loss(S, t, reduction="none"), dtype)
    T = rng.standard_normal((8, 5)).astype(target_dtype)
    got = fastlin.squared_loss(S, T, reduction="none")
    assert got[0].dtype == dtype and got[1].dtype == dtype
    assert_loss_grad_close(got, ref.squared_loss(S, T, reduction="none"), dtype)


@pytest.mark.parametrize("module", MODULES)
def test_reduced_float32_loss_is_accumulated_in_double(module):
    # 1e6 rows of loss 0.1 (not representable in float32): a float32 running
    # sum would drift by far more than 1e-6 relative.
    N = 1_000_000
    P = np.full(N, np.sqrt(0.2), dtype=np.float32)
    loss, _ = module.squared_loss(P, np.zeros(N, dtype=np.float32), reduction="sum", grad=False)
    assert type(loss) is float
    # Each row is 0.5 * P**2 rounded at most once to float32 (6e-8 relative).
    assert loss == pytest.approx(N * 0.5 * float(P[0]) ** 2, rel=2e-7)


# --------------------------------------------------------------------------
# Gradients against central finite differences (float64)
# --------------------------------------------------------------------------


def _hinge_safe_scores(rng, N, C, y, margin, variant):
    """Scores whose hinge terms all lie well away from their kinks."""
    for _ in range(1000):
        S = 2.0 * rng.standard_normal((N, C))
        s_y = S[np.arange(N), y][:, None]
        M = S - s_y + margin
        M[np.arange(N), y] = np.inf
        ok = np.all(np.abs(M) > 1e-3)
        if variant == "crammer_singer" and C > 2:
            others = np.sort(np.where(np.isinf(M), -np.inf, S), axis=1)
            ok = ok and np.all(others[:, -1] - others[:, -2] > 1e-3)
        if ok:
            return S
    raise AssertionError("could not draw kink-free scores")


def _total(loss):
    return float(np.sum(loss)) if isinstance(loss, np.ndarray) else loss


def _finite_difference(f, S, h=1e-6):
    G = np.zeros_like(S)
    for idx in np.ndindex(S.shape):
        Sp, Sm = S.copy(), S.copy()
        Sp[idx] += h
        Sm[idx] -= h
        G[idx] = (_total(f(Sp)) - _total(f(Sm))) / (2 * h)
    return G


FD_NAMES = sorted(OPTIONS)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", FD_NAMES)
@pytest.mark.parametrize("module", MODULES)
def test_gradient_matches_finite_differences(module, name, reduction, rng):
    N, C = 6, 5
    fname, args, kw = build_case(name, rng, N, C, np.float64)
    S = args[0]
    if fname == "svm_loss":
        S = _hinge_safe_scores(
            rng, N, C, args[1], kw.get("margin", 1.0), kw.get("variant", "weston_watkins")
        )
    if "sample_weight" in kw:
        kw["sample_weight"] = kw["sample_weight"] + 0.5  # keep every row in play

    def f(S_):
        return call(module, fname, (S_,) + args[1:], kw, reduction=reduction, grad=False)[0]

    # For "none" each row of the gradient is that row's own gradient; rows do
    # not interact, so the rows together are the gradient of the sum.
    _, G = call(module, fname, (S,) + args[1:], kw, reduction=reduction)
    G_fd = _finite_difference(f, S)
    assert G.shape == S.shape
    np.testing.assert_allclose(G, G_fd, rtol=1e-6, atol=1e-8)
    if fname == "svm_loss":
        assert np.abs(G).max() > 0, "a test with no active margin checks nothing"


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["softmax", "softmax-all", "softmax-soft-all", "softmax-ls-weight"]
)
@pytest.mark.parametrize("module", MODULES)
def test_softmax_unchanged_by_adding_a_constant_to_a_row(module, name, rng):
    fname, (S, y), kw = build_case(name, rng, 40, 9, np.float64)
    shift = rng.uniform(-8.0, 8.0, size=(40, 1))
    loss, G = call(module, fname, (S, y), kw, reduction="none")
    loss2, G2 = call(module, fname, (S + shift, y), kw, reduction="none")
    np.testing.assert_allclose(loss2, loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G2, G, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "name",
    [
        "softmax",
        "softmax-weight",
        "softmax-ls",
        "softmax-all",
        "softmax-soft",
        "softmax-soft-all",
        "svm",
        "svm-ww-all",
        "svm-cs-all",
    ],
)
@pytest.mark.parametrize("module", MODULES)
def test_gradient_rows_sum_to_zero(module, name, dtype, rng):
    # Softmax: dS_i = p_i * sum_c q_ic - q_i sums to zero for any (weighted,
    # smoothed) target q_i; SVM: the label's entry is minus the others' sum.
    fname, args, kw = build_case(name, rng, 60, 20, dtype)
    _, G = call(module, fname, args, kw, reduction="none")
    # Each of the C entries is within a few ulps of a value of size at most
    # sample_weight * weight <= 4 (the builders' ranges) or the row's largest
    # entry (squared hinge).
    row_scale = np.maximum(np.abs(G.astype(np.float64)).max(axis=1), 4.0)
    tol = 8 * G.shape[1] * np.finfo(dtype).eps * row_scale
    assert np.all(np.abs(G.astype(np.float64).sum(axis=1)) <= tol)
    assert np.abs(G).max() > 0


@pytest.mark.parametrize("margin", [-1.0, 0.0, 1.0, 3.0])
@pytest.mark.parametrize("name", ["svm", "svm-squared", "svm-cs", "svm-cs-squared", "svm-ww-all"])
@pytest.mark.parametrize("module", MODULES)
def test_hinge_loss_is_non_negative(module, name, margin, rng):
    fname, args, kw = build_case(name, rng, 200, 6, np.float64)
    kw["margin"] = margin
    loss, _ = call(module, fname, args, kw, reduction="none")
    assert np.all(loss >= 0)
    total, _ = call(module, fname, args, kw, reduction="sum")
    assert total >= 0


def _denominator(fname, args, kw):
    N = args[0].shape[0]
    sw = kw.get("sample_weight", np.ones(N))
    if fname == "squared_loss" or (fname == "softmax_loss" and args[1].dtype.kind == "f"):
        return float(np.sum(sw))
    y = np.asarray(args[1])
    keep = y != kw.get("ignore_index", -100) if fname == "softmax_loss" else np.ones(N, bool)
    w = kw.get("weight", np.ones(args[0].shape[1]))
    return float(np.sum(sw[keep] * w[y[keep]]))


@pytest.mark.parametrize("name", sorted(OPTIONS))
@pytest.mark.parametrize("module", MODULES)
def test_mean_is_sum_over_denominator_and_sum_is_sum_of_none(module, name, rng):
    fname, args, kw = build_case(name, rng, 31, 7, np.float64)
    mean, G_mean = call(module, fname, args, kw, reduction="mean")
    total, G_sum = call(module, fname, args, kw, reduction="sum")
    rows, G_rows = call(module, fname, args, kw, reduction="none")
    denom = _denominator(fname, args, kw)
    assert denom > 0
    assert mean == pytest.approx(total / denom, rel=1e-13)
    assert total == pytest.approx(float(np.sum(rows)), rel=1e-13)
    np.testing.assert_allclose(G_mean, G_sum / denom, rtol=1e-13, atol=1e-16)
    np.testing.assert_array_equal(G_sum, G_rows)


@pytest.mark.parametrize("module", MODULES)
def test_sample_weight_scales_rows(module, rng):
    S = _scores(rng, 10, 4, np.float64)
    y = _labels(rng, 10, 4)
    sw = rng.uniform(0.5, 2.0, 10)
    for fname, a in (("softmax_loss", y), ("svm_loss", y)):
        l1, g1 = getattr(module, fname)(S, a, reduction="none")
        l2, g2 = getattr(module, fname)(S, a, sample_weight=sw, reduction="none")
        np.testing.assert_allclose(l2, sw * l1, rtol=1e-14)
        np.testing.assert_allclose(g2, sw[:, None] * g1, rtol=1e-14)


# --------------------------------------------------------------------------
# Extremes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_huge_logits_are_exact(module, dtype):
    S = np.array([[1e4, -1e4, 0.0]] * 3, dtype=dtype)
    y = np.array([0, 1, 2])
    loss, G = module.softmax_loss(S, y, reduction="none")
    np.testing.assert_array_equal(loss, np.array([0.0, 2e4, 1e4], dtype=dtype))
    np.testing.assert_array_equal(G, np.array([[0, 0, 0], [1, -1, 0], [1, 0, -1]], dtype=dtype))
    mean, _ = module.softmax_loss(S, y)
    assert mean == pytest.approx(1e4, rel=1e-15)
    loss, G = module.softmax_loss(-S, y, reduction="none")
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(G))
    np.testing.assert_array_equal(loss, np.array([2e4, 0.0, 1e4], dtype=dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_minus_inf_logit_is_a_masked_class(module, dtype):
    S = np.array([[0.5, -np.inf, 1.5, -0.25]], dtype=dtype)
    y = np.array([2])
    loss, G = module.softmax_loss(S, y, reduction="none")
    loss3, G3 = module.softmax_loss(S[:, [0, 2, 3]], y - 1, reduction="none")
    assert np.isfinite(loss[0])
    assert G[0, 1] == 0
    assert np.all(np.isfinite(G))
    assert_close(loss, loss3, dtype, "loss")
    assert_close(G[:, [0, 2, 3]], G3, dtype, "gradient")
    # Soft labels with no mass on the masked class: finite too (0 log 0 = 0).
    t = np.array([[0.25, 0.0, 0.75, 0.0]], dtype=dtype)
    loss, G = module.softmax_loss(S, t, reduction="none")
    assert np.isfinite(loss[0]) and G[0, 1] == 0 and np.all(np.isfinite(G))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_minus_inf_target_gives_infinite_loss(module, dtype):
    S = np.array([[0.5, -np.inf, 1.5], [0.0, 1.0, 2.0]], dtype=dtype)
    y = np.array([1, 0])
    loss, G = module.softmax_loss(S, y, reduction="none")
    assert loss[0] == np.inf and np.isfinite(loss[1])
    assert np.all(np.isfinite(G[1]))
    total, _ = module.softmax_loss(S, y, reduction="sum")
    assert total == math.inf
    mean, _ = module.softmax_loss(S, y)
    assert mean == math.inf


@pytest.mark.parametrize("value", [0.0, 7.5, -1e4, 1e4])
@pytest.mark.parametrize("C", SIZES_C)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_equal_rows_give_log_C(module, dtype, C, value):
    S = np.full((3, C), value, dtype=dtype)
    y = np.array([0, C - 1, C // 2])
    loss, G = module.softmax_loss(S, y, reduction="none")
    tol = 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(loss, math.log(C), rtol=tol, atol=tol)
    want = np.full((3, C), 1.0 / C)
    want[np.arange(3), y] -= 1.0
    np.testing.assert_allclose(G, want, rtol=tol, atol=tol)


NAN_CASES = [
    "softmax",
    "softmax-all",
    "softmax-soft-all",
    "svm",
    "svm-ww-all",
    "svm-cs",
    "svm-cs-all",
    "squared",
    "squared-1d-sample_weight",
]


@pytest.mark.parametrize("where", ["target", "other"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", NAN_CASES)
@pytest.mark.parametrize("module", MODULES)
def test_nan_score_poisons_its_row_only(module, name, dtype, where, rng):
    fname, args, kw = build_case(name, rng, 9, 5, dtype)
    S = args[0].copy()
    y = np.asarray(args[1])
    if "sample_weight" in kw:
        kw["sample_weight"] = kw["sample_weight"] + 0.5
    if fname == "softmax_loss" and y.ndim == 1:
        y[4] = 1  # row 4 is counted
    if S.ndim == 1:
        S[4] = np.nan
    else:
        col = (
            int(y[4])
            if (where == "target" and y.ndim == 1)
            else (0 if y.ndim == 2 or int(y[4]) != 0 else 1)
        )
        S[4, col] = np.nan
    args = (S, y) + args[2:]
    loss, G = call(module, fname, args, kw, reduction="none")
    assert np.isnan(loss[4])
    clean = np.ones(9, bool)
    clean[4] = False
    assert not np.isnan(loss[clean]).any() and not np.isnan(G[clean]).any()
    sub_args = (S[clean], y[clean]) + args[2:]
    sub_kw = {k: (v[clean] if k == "sample_weight" else v) for k, v in kw.items()}
    loss_c, G_c = call(module, fname, sub_args, sub_kw, reduction="none")
    np.testing.assert_array_equal(loss[clean], loss_c)
    np.testing.assert_array_equal(G[clean], G_c)
    for reduction in ("mean", "sum"):
        assert math.isnan(call(module, fname, args, kw, reduction=reduction)[0])
    if module is fastlin:
        assert_loss_grad_close((loss, G), call(ref, fname, args, kw, reduction="none"), dtype)


def _nothing_counted_cases(rng):
    S = _scores(rng, 6, 4, np.float64)
    y = _labels(rng, 6, 4)
    zero_sw = np.zeros(6)
    yield "softmax_loss", (S, np.full(6, -100)), {}
    yield "softmax_loss", (S, np.full(6, 2)), {"ignore_index": 2}
    yield "softmax_loss", (S, y), {"sample_weight": zero_sw}
    yield "softmax_loss", (S, np.full(6, 1)), {"weight": np.array([1.0, 0.0, 1.0, 1.0])}
    yield "softmax_loss", (S, _soft(rng, 6, 4, np.float64)), {"sample_weight": zero_sw}
    yield "softmax_loss", (S[:0], y[:0]), {}
    yield "softmax_loss", (S[:0], _soft(rng, 0, 4, np.float64)), {}
    yield "svm_loss", (S, y), {"sample_weight": zero_sw}
    yield "svm_loss", (S, y), {"weight": np.zeros(4), "variant": "crammer_singer"}
    yield "svm_loss", (S[:0], y[:0]), {}
    yield "squared_loss", (S, S + 1), {"sample_weight": zero_sw}
    yield "squared_loss", (S[:0], S[:0]), {}
    yield "squared_loss", (S[:0, 0], S[:0, 0]), {}


@pytest.mark.parametrize("case", range(13))
@pytest.mark.parametrize("module", MODULES)
def test_mean_over_nothing_is_nan_with_zero_gradient(module, case, rng):
    fname, args, kw = list(_nothing_counted_cases(rng))[case]
    loss, G = call(module, fname, args, kw)
    assert type(loss) is float and math.isnan(loss)
    assert G.shape == args[0].shape and not G.any()
    total, G_sum = call(module, fname, args, kw, reduction="sum")
    assert total == 0.0 and not G_sum.any()


@pytest.mark.parametrize("module", MODULES)
def test_one_class_has_zero_loss(module, rng):
    S = _scores(rng, 5, 1, np.float64)
    y = np.zeros(5, dtype=np.int64)
    for fname, kw in (
        ("softmax_loss", {}),
        ("svm_loss", {}),
        ("svm_loss", {"variant": "crammer_singer", "squared": True}),
    ):
        loss, G = call(module, fname, (S, y), kw, reduction="none")
        np.testing.assert_array_equal(loss, np.zeros(5))
        np.testing.assert_array_equal(G, np.zeros((5, 1)))


@pytest.mark.parametrize("module", MODULES)
def test_crammer_singer_tie_goes_to_first_class(module):
    S = np.array([[2.0, 0.0, 2.0, 1.0]])
    loss, G = module.svm_loss(S, np.array([3]), variant="crammer_singer", reduction="sum")
    assert loss == 2.0
    np.testing.assert_array_equal(G, [[1.0, 0.0, 0.0, -1.0]])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("C", [2, 3, 9, 20, 33, 1000])
def test_crammer_singer_ties_anywhere_in_the_row_match_the_reference(C, dtype, rng):
    # Few distinct values: most rows tie for the maximum, in any lane and in
    # the overlapping last vector; the first maximising class j != y wins.
    S = rng.integers(-2, 3, size=(101, C)).astype(dtype)
    y = _labels(rng, 101, C)
    got = fastlin.svm_loss(S, y, variant="crammer_singer", reduction="none")
    want = ref.svm_loss(S, y, variant="crammer_singer", reduction="none")
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("module", MODULES)
def test_lecture_svm_example(module):
    # cs231n's worked example: scores of cat, car, frog for three images.
    S = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    y = np.array([0, 1, 2])
    loss, _ = module.svm_loss(S, y, reduction="none")
    np.testing.assert_allclose(loss, [2.9, 0.0, 12.9], rtol=1e-12)
    assert module.svm_loss(S, y)[0] == pytest.approx(15.8 / 3, rel=1e-12)  # "5.27"


def test_atol_helper_scales_with_the_data():
    assert atol_for(np.array([1e-3, -2e-3]), np.float32) == pytest.approx(2e-8)
    assert atol_for(np.array([np.inf, 1.0]), np.float64) == pytest.approx(1e-12)


@pytest.mark.parametrize("module", MODULES)
def test_mean_over_nothing_has_zero_gradient_even_with_nan_scores(module):
    S = np.array([[0.0, np.nan], [1.0, 2.0]])
    loss, G = module.softmax_loss(S, np.array([0, 1]), sample_weight=np.zeros(2))
    assert math.isnan(loss)
    np.testing.assert_array_equal(G, np.zeros_like(S))
