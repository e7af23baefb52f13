"""dW_out= / db_out= of the fused linear_*_loss functions: the gradients are
written into the caller's arrays, which the result then holds, bit for bit
what the allocating call returns; bad buffers are rejected before anything
is written."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, MODULES


def _problem(rng, dtype, N=37, D=29, C=7):
    X = rng.standard_normal((N, D)).astype(dtype)
    W = rng.standard_normal((C, D)).astype(dtype)
    b = rng.standard_normal(C).astype(dtype)
    y = rng.integers(0, C, N)
    T = rng.standard_normal((N, C)).astype(dtype)
    return X, y, T, W, b


# Each fused function with the target it takes and some non-default options.
CALLS = {
    "softmax": lambda mod, X, y, T, W, b, **kw: mod.linear_softmax_loss(
        X, y, W, b, reg=0.01, label_smoothing=0.1, **kw
    ),
    "svm": lambda mod, X, y, T, W, b, **kw: mod.linear_svm_loss(
        X, y, W, b, reg=0.01, squared=True, **kw
    ),
    "crammer_singer": lambda mod, X, y, T, W, b, **kw: mod.linear_svm_loss(
        X, y, W, b, variant="crammer_singer", **kw
    ),
    "squared": lambda mod, X, y, T, W, b, **kw: mod.linear_squared_loss(X, T, W, b, reg=0.01, **kw),
}


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("loss", sorted(CALLS))
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_buffers_are_written_in_place_bit_for_bit(mod, loss, dtype, reduction, rng):
    X, y, T, W, b = _problem(rng, dtype)
    call = CALLS[loss]
    expected = call(mod, X, y, T, W, b, reduction=reduction)
    dW_out = np.full_like(W, np.nan)
    db_out = np.full_like(b, np.nan)
    got = call(mod, X, y, T, W, b, reduction=reduction, dW_out=dW_out, db_out=db_out)
    assert got.dW is dW_out and got.db is db_out
    np.testing.assert_array_equal(dW_out, expected.dW)
    np.testing.assert_array_equal(db_out, expected.db)
    np.testing.assert_array_equal(got.loss, expected.loss)
    # Reused: a second call at other parameters overwrites the same arrays.
    W2 = (W * 0.5).astype(dtype)
    again = call(mod, X, y, T, W2, b, reduction=reduction, dW_out=dW_out, db_out=db_out)
    assert again.dW is dW_out
    np.testing.assert_array_equal(dW_out, call(mod, X, y, T, W2, b, reduction=reduction).dW)


@pytest.mark.parametrize("mod", MODULES)
def test_only_one_buffer_and_no_bias(mod, rng):
    X, y, _, W, b = _problem(rng, np.float32)
    dW_out = np.empty_like(W)
    got = mod.linear_softmax_loss(X, y, W, None, dW_out=dW_out)
    assert got.dW is dW_out and got.db is None
    np.testing.assert_array_equal(dW_out, mod.linear_softmax_loss(X, y, W).dW)
    db_out = np.empty_like(b)
    got = mod.linear_softmax_loss(X, y, W, b, db_out=db_out)
    assert got.db is db_out and got.dW is not db_out
    np.testing.assert_array_equal(db_out, mod.linear_softmax_loss(X, y, W, b).db)


@pytest.mark.parametrize("mod", MODULES)
def test_mixed_dtypes_write_the_gradients_dtype(mod, rng):
    # float64 X with float32 W computes in float64; dW is W's float32.
    X, y, _, W, b = _problem(rng, np.float32)
    X64 = X.astype(np.float64)
    expected = mod.linear_softmax_loss(X64, y, W, b)
    assert expected.dW.dtype == np.float32
    dW_out, db_out = np.empty_like(W), np.empty_like(b)
    got = mod.linear_softmax_loss(X64, y, W, b, dW_out=dW_out, db_out=db_out)
    assert got.dW is dW_out and got.db is db_out
    np.testing.assert_array_equal(dW_out, expected.dW)
    np.testing.assert_array_equal(db_out, expected.db)


def test_compiled_buffers_equal_reference(rng):
    import fastlin
    import fastlin.reference as ref

    X, y, _, W, b = _problem(rng, np.float64)
    dW_out, db_out = np.empty_like(W), np.empty_like(b)
    fastlin.linear_softmax_loss(X, y, W, b, reg=0.1, dW_out=dW_out, db_out=db_out)
    expected = ref.linear_softmax_loss(X, y, W, b, reg=0.1)
    np.testing.assert_allclose(dW_out, expected.dW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(db_out, expected.db, rtol=1e-12, atol=1e-14)


def _bad_buffers(W, b):
    C, D = W.shape
    other = np.float64 if W.dtype == np.float32 else np.float32
    fortran = np.asfortranarray(np.empty((C, D), W.dtype))
    read_only = np.empty_like(W)
    read_only.flags.writeable = False
    return [
        ("dW_out", [[0.0] * D] * C, TypeError, "numpy.ndarray"),
        ("dW_out", np.empty((C, D), other), TypeError, "dtype"),
        ("dW_out", np.empty((C, D + 1), W.dtype), ValueError, "shape"),
        ("dW_out", np.empty(C * D, W.dtype), ValueError, "shape"),
        ("dW_out", fortran, ValueError, "C-contiguous"),
        ("dW_out", np.empty((C, 2 * D), W.dtype)[:, ::2], ValueError, "C-contiguous"),
        ("dW_out", read_only, ValueError, "writeable"),
        ("db_out", np.empty(C + 1, b.dtype), ValueError, "shape"),
        ("db_out", np.empty(C, np.int64), TypeError, "dtype"),
    ]


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_bad_buffers_are_rejected(mod, dtype, rng):
    X, y, _, W, b = _problem(rng, dtype)
    for name, buf, error, words in _bad_buffers(W, b):
        with pytest.raises(error, match=rf"^{name}: .*{words}"):
            mod.linear_softmax_loss(X, y, W, b, **{name: buf})


@pytest.mark.parametrize("mod", MODULES)
def test_db_out_without_bias_is_rejected(mod, rng):
    X, y, _, W, b = _problem(rng, np.float64)
    with pytest.raises(ValueError, match=r"^db_out: .*b is None"):
        mod.linear_svm_loss(X, y, W, None, db_out=np.empty_like(b))


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("loss", sorted(CALLS))
def test_buffers_overlapping_inputs_are_rejected_and_untouched(mod, loss, rng):
    X, y, T, W, b = _problem(rng, np.float64)
    call = CALLS[loss]
    C, D = W.shape
    N = X.shape[0]
    # X and dW_out in one array, two rows shared; dW_out and db_out sharing an element.
    holder = np.zeros((N + C, D))
    holder[:N] = X
    big = np.zeros(C * D + C)
    cases = [
        (X, W, b, {"dW_out": W}),
        (X, W, b, {"db_out": b}),
        (holder[:N], W, b, {"dW_out": holder[N - 2 : N - 2 + C]}),
        (X, W, b, {"dW_out": big[: C * D].reshape(C, D), "db_out": big[C * D - 1 : C * D - 1 + C]}),
    ]
    for Xc, Wc, bc, outs in cases:
        before = [a.copy() for a in (Xc, Wc, bc)]
        with pytest.raises(ValueError, match=r"_out: shares memory"):
            call(mod, Xc, y, T, Wc, bc, **outs)
        for a, a0 in zip((Xc, Wc, bc), before):
            np.testing.assert_array_equal(a, a0)
    # Disjoint parts of one array are fine.
    got = call(mod, holder[:N], y, T, W, b, dW_out=holder[N : N + C])
    np.testing.assert_array_equal(got.dW, call(mod, X, y, T, W, b).dW)


@pytest.mark.parametrize("mod", MODULES)
def test_bad_label_writes_nothing(mod, rng):
    X, y, _, W, b = _problem(rng, np.float32)
    y = y.copy()
    y[5] = W.shape[0]
    dW_out = np.full_like(W, 7.0)
    db_out = np.full_like(b, 7.0)
    with pytest.raises(ValueError):
        mod.linear_softmax_loss(X, y, W, b, dW_out=dW_out, db_out=db_out)
    assert np.all(dW_out == 7.0) and np.all(db_out == 7.0)


def test_read_only_inputs_with_buffers(rng):
    import fastlin

    X, y, _, W, b = _problem(rng, np.float32)
    for a in (X, y, W, b):
        a.flags.writeable = False
    dW_out, db_out = np.empty_like(W), np.empty_like(b)
    got = fastlin.linear_softmax_loss(X, y, W, b, dW_out=dW_out, db_out=db_out)
    np.testing.assert_array_equal(got.dW, fastlin.linear_softmax_loss(X, y, W, b).dW)
