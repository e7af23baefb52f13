"""fastlin.compat.cs231n: the assignment's signatures, against the
assignment's naive (looped) definitions."""

from __future__ import annotations

import numpy as np
import pytest

from fastlin.compat import cs231n


def _softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros_like(W)
    N = X.shape[0]
    for i in range(N):
        s = X[i] @ W
        s = s - s.max()
        p = np.exp(s) / np.exp(s).sum()
        loss -= np.log(p[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def _svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros_like(W)
    N = X.shape[0]
    for i in range(N):
        s = X[i] @ W
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = s[j] - s[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W


@pytest.mark.parametrize("name", ["softmax", "svm"])
def test_vectorized_matches_the_naive_loops(name, rng):
    N, D, C = 30, 17, 10
    X = rng.standard_normal((N, D))
    W = 0.01 * rng.standard_normal((D, C))
    y = rng.integers(0, C, N)
    fast = getattr(cs231n, f"{name}_loss_vectorized")
    naive = _softmax_loss_naive if name == "softmax" else _svm_loss_naive
    loss, dW = fast(W, X, y, 0.5)
    loss_n, dW_n = naive(W, X, y, 0.5)
    assert type(loss) is float and dW.shape == (D, C) and dW.flags.c_contiguous
    np.testing.assert_allclose(loss, loss_n, rtol=1e-12)
    np.testing.assert_allclose(dW, dW_n, rtol=1e-10, atol=1e-14)
    loss32, dW32 = fast(W.astype(np.float32), X.astype(np.float32), y, 0.5)
    assert dW32.dtype == np.float32
    np.testing.assert_allclose(dW32, dW_n, rtol=1e-4, atol=1e-6)


def test_layer_losses(rng):
    x = rng.standard_normal((8, 5))
    y = rng.integers(0, 5, 8)
    loss, dx = cs231n.softmax_loss(x, y)
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(loss, -np.mean(np.log(p[np.arange(8), y])), rtol=1e-12)
    p[np.arange(8), y] -= 1
    np.testing.assert_allclose(dx, p / 8, rtol=1e-12, atol=1e-15)
    loss, dx = cs231n.svm_loss(x, y)
    margins = np.maximum(0, x - x[np.arange(8), y][:, None] + 1.0)
    margins[np.arange(8), y] = 0
    np.testing.assert_allclose(loss, margins.sum() / 8, rtol=1e-12)
    g = (margins > 0).astype(float)
    g[np.arange(8), y] = -g.sum(1)
    np.testing.assert_allclose(dx, g / 8, rtol=1e-12)


def test_bad_weights_shape():
    with pytest.raises(ValueError, match="W: "):
        cs231n.softmax_loss_vectorized(np.ones(3), np.ones((2, 3)), np.zeros(2, int), 0.0)
