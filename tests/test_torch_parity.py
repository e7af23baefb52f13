"""fastlin and fastlin.reference against PyTorch, through the documented
correspondences of the losses. Skipped as a whole when PyTorch is not installed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, MODULES, assert_close

torch = pytest.importorskip("torch")
F = torch.nn.functional

N, C = 37, 11


def _torch_loss_grad(fn, S, *args, **kw):
    """PyTorch's loss of ``S`` and its gradient by autograd (of the sum for "none")."""
    St = torch.from_numpy(S.copy()).requires_grad_(True)
    out = fn(St, *args, **kw)
    out.sum().backward()
    loss = out.detach().numpy() if out.ndim else float(out.item())
    return loss, St.grad.numpy()


def _data(rng, dtype, n=N, c=C):
    S = (3.0 * rng.standard_normal((n, c))).astype(dtype)
    y = rng.integers(0, c, size=n)
    return S, y


def _class_weight(rng, c=C):
    return rng.uniform(0.2, 2.0, size=c)


def _grad_scale(w, denom):
    # Size of the terms a gradient entry comes from (see conftest.atol_for).
    return (1.0 if w is None else float(np.max(w))) / denom


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15, 1.0])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_softmax_hard_labels_match_cross_entropy(
    module, dtype, weighted, ignore, label_smoothing, reduction, rng
):
    S, y = _data(rng, dtype)
    kw, tkw = {}, {}
    if ignore:
        y[::4] = 5  # a real class, ignored
        kw["ignore_index"] = tkw["ignore_index"] = 5
    w = _class_weight(rng) if weighted else None
    if weighted:
        kw["weight"] = w
        tkw["weight"] = torch.from_numpy(w.astype(dtype))
    want = _torch_loss_grad(
        F.cross_entropy,
        S,
        torch.from_numpy(y),
        label_smoothing=label_smoothing,
        reduction=reduction,
        **tkw,
    )
    got = module.softmax_loss(S, y, label_smoothing=label_smoothing, reduction=reduction, **kw)
    keep = y != kw.get("ignore_index", -100)
    denom = float(np.sum((w if weighted else np.ones(C))[y[keep]])) if reduction == "mean" else 1.0
    assert_close(got[0], want[0], dtype, "loss")
    assert_close(got[1], want[1], dtype, "gradient", _grad_scale(w, denom))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_softmax_soft_labels_match_cross_entropy(
    module, dtype, weighted, label_smoothing, reduction, rng
):
    S, _ = _data(rng, dtype)
    t = rng.dirichlet(np.ones(C), size=N)  # strictly positive: PyTorch has no 0 log 0 rule
    kw, tkw = {}, {}
    w = _class_weight(rng) if weighted else None
    if weighted:
        kw["weight"] = w
        tkw["weight"] = torch.from_numpy(w.astype(dtype))
    t = t.astype(dtype)
    want = _torch_loss_grad(
        F.cross_entropy,
        S,
        torch.from_numpy(t),
        label_smoothing=label_smoothing,
        reduction=reduction,
        **tkw,
    )
    got = module.softmax_loss(S, t, label_smoothing=label_smoothing, reduction=reduction, **kw)
    assert_close(got[0], want[0], dtype, "loss")
    assert_close(
        got[1], want[1], dtype, "gradient", _grad_scale(w, N if reduction == "mean" else 1.0)
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_softmax_extremes_match_cross_entropy(module, dtype):
    S = np.array(
        [[1e4, -1e4, 0.0], [0.5, -np.inf, 1.5], [2.0, 2.0, 2.0], [-1e4, 1e4, -np.inf]], dtype=dtype
    )
    y = np.array([1, 2, 0, 0])
    want = _torch_loss_grad(F.cross_entropy, S, torch.from_numpy(y), reduction="none")
    got = module.softmax_loss(S, y, reduction="none")
    assert_close(got[0], want[0], dtype, "loss")
    assert_close(got[1], want[1], dtype, "gradient", 1.0)


@pytest.mark.parametrize("module", MODULES)
def test_softmax_all_ignored_mean_is_nan_like_pytorch(module, rng):
    S, y = _data(rng, np.float64)
    y[:] = -100
    want = _torch_loss_grad(F.cross_entropy, S, torch.from_numpy(y))
    got = module.softmax_loss(S, y)
    assert np.isnan(want[0]) and np.isnan(got[0])
    np.testing.assert_array_equal(got[1], np.zeros_like(S))


def _kink_free(rng, dtype, margin):
    """Scores and labels with every margin term well away from 0 (gradients agree)."""
    for _ in range(1000):
        S, y = _data(rng, dtype)
        M = S.astype(np.float64) - S[np.arange(N), y][:, None] + margin
        M[np.arange(N), y] = 1.0
        if np.all(np.abs(M) > 1e-3):
            return S, y
    raise AssertionError("could not draw kink-free scores")


@pytest.mark.parametrize("margin", [1.0, 0.3, 2.5])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("module", MODULES)
def test_svm_sum_over_C_matches_multi_margin_loss(module, dtype, p, weighted, margin, rng):
    S, y = _kink_free(rng, dtype, margin)
    kw, tkw = {}, {}
    w = _class_weight(rng) if weighted else None
    if weighted:
        kw["weight"] = w
        tkw["weight"] = torch.from_numpy(w.astype(dtype))
    want = _torch_loss_grad(
        F.multi_margin_loss, S, torch.from_numpy(y), p=p, margin=margin, reduction="sum", **tkw
    )
    loss, G = module.svm_loss(S, y, margin=margin, squared=(p == 2), reduction="sum", **kw)
    assert_close(loss / C, want[0], dtype, "loss")
    assert_close(G / dtype(C), want[1], dtype, "gradient")
    # Per sample too: PyTorch's "none" is each sample's w_y L_i / C.
    want_rows = _torch_loss_grad(
        F.multi_margin_loss, S, torch.from_numpy(y), p=p, margin=margin, reduction="none", **tkw
    )
    rows, G_rows = module.svm_loss(S, y, margin=margin, squared=(p == 2), reduction="none", **kw)
    assert_close(rows / dtype(C), want_rows[0], dtype, "per-sample loss")
    assert_close(G_rows / dtype(C), want_rows[1], dtype, "per-sample gradient")
