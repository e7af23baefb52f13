"""Outputs of 32 MiB or more reuse the memory of the last such output that
Python released (python/output_arrays.hpp): never while it is alive, and
always written whole, whatever it held before."""

from __future__ import annotations

import numpy as np

import fastlin
import fastlin.reference as ref

# float64 (4096, 1024): exactly 32 MiB, the smallest output recycled.
N, C = 4096, 1024


def _address(a):
    return a.__array_interface__["data"][0]


def test_a_released_output_is_reused_and_written_whole(rng):
    S1, S2, S3 = (rng.standard_normal((N, C)) * 3 for _ in range(3))
    y = rng.integers(0, C, N)
    _, G1 = fastlin.softmax_loss(S1, y)
    _, G2 = fastlin.softmax_loss(S2, y)  # G1 is alive: its memory is not
    assert not np.shares_memory(G1, G2)
    first = _address(G1)
    del G1
    loss3, G3 = fastlin.svm_loss(S3, y)  # another loss, the same size
    assert _address(G3) == first  # G1's memory, overwritten
    want_loss, want_G = ref.svm_loss(S3, y)
    np.testing.assert_allclose(loss3, want_loss, rtol=1e-12)
    np.testing.assert_allclose(G3, want_G, rtol=1e-12, atol=1e-18)
    assert G3.flags.c_contiguous and G3.flags.writeable and G3.dtype == np.float64
    G3[0, 0] = 1.0  # an ordinary, writable array


def test_a_reused_output_of_nothing_is_zero(rng):
    S = rng.standard_normal((N, C))
    _, G = fastlin.softmax_loss(S, rng.integers(0, C, N))
    del G  # released: nonzero values
    loss, G = fastlin.softmax_loss(S, np.full(N, -100))
    assert np.isnan(loss) and not G.any()


def test_a_reused_weight_gradient_matches_the_reference(rng):
    # dW of (8192, 1024) float32 is 32 MiB; the first call's dW is released
    # before the second.
    n, D, K = 5, 1024, 8192
    W = rng.standard_normal((K, D)).astype(np.float32) * 0.01
    y = rng.integers(0, K, n)
    fastlin.linear_softmax_loss(rng.standard_normal((n, D)).astype(np.float32), y, W)
    X = rng.standard_normal((n, D)).astype(np.float32)
    got, want = fastlin.linear_softmax_loss(X, y, W), ref.linear_softmax_loss(X, y, W)
    np.testing.assert_allclose(got.dW, want.dW, rtol=1e-4, atol=1e-7)
    del got
    # The backward pass of no rows: a zero dW, in the released memory.
    _, dW, _ = fastlin.linear_backward(
        np.empty((0, K), np.float32), np.empty((0, D), np.float32), W
    )
    assert dW.shape == (K, D) and not dW.any()
