# cython: language_level=3, boundscheck=False, wraparound=False
# A user's Cython module, compiled by tests/test_capi.py at test time: each
# function runs one fastlin.capi call per batch k in a prange loop, without
# the GIL, and returns the K losses.

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int64_t

from fastlin.capi cimport (linear_softmax_loss, linear_squared_loss, linear_svm_loss,
                           softmax_loss, squared_loss, svm_loss)

import numpy as np


def batched_softmax_loss(const floating[:, :, ::1] S, const int64_t[:, ::1] y,
                         floating[:, :, ::1] dS):
    cdef double[::1] out = np.empty(S.shape[0])
    cdef Py_ssize_t k
    for k in prange(S.shape[0], nogil=True):
        out[k] = softmax_loss(S[k], y[k], dS[k])
    return np.asarray(out)


def batched_svm_loss(const floating[:, :, ::1] S, const int64_t[:, ::1] y,
                     floating[:, :, ::1] dS):
    cdef double[::1] out = np.empty(S.shape[0])
    cdef Py_ssize_t k
    for k in prange(S.shape[0], nogil=True):
        out[k] = svm_loss(S[k], y[k], dS[k])
    return np.asarray(out)


def batched_squared_loss(const floating[:, :, ::1] P, const floating[:, :, ::1] T,
                         floating[:, :, ::1] dP):
    cdef double[::1] out = np.empty(P.shape[0])
    cdef Py_ssize_t k
    for k in prange(P.shape[0], nogil=True):
        out[k] = squared_loss(P[k], T[k], dP[k])
    return np.asarray(out)


# The fused passes, one model (W, b) per batch k; b and db None for no bias.
def batched_linear_softmax_loss(const floating[:, :, ::1] X, const int64_t[:, ::1] y,
                                const floating[:, :, ::1] W, const floating[:, ::1] b, double reg,
                                floating[:, :, ::1] dW, floating[:, ::1] db):
    cdef double[::1] out = np.empty(X.shape[0])
    cdef Py_ssize_t k
    cdef const floating[::1] no_b = None
    cdef floating[::1] no_db = None
    if b is None:
        for k in prange(X.shape[0], nogil=True):
            out[k] = linear_softmax_loss(X[k], y[k], W[k], no_b, reg, dW[k], no_db)
    else:
        for k in prange(X.shape[0], nogil=True):
            out[k] = linear_softmax_loss(X[k], y[k], W[k], b[k], reg, dW[k], db[k])
    return np.asarray(out)


def batched_linear_svm_loss(const floating[:, :, ::1] X, const int64_t[:, ::1] y,
                            const floating[:, :, ::1] W, const floating[:, ::1] b, double reg,
                            floating[:, :, ::1] dW, floating[:, ::1] db):
    cdef double[::1] out = np.empty(X.shape[0])
    cdef Py_ssize_t k
    for k in prange(X.shape[0], nogil=True):
        out[k] = linear_svm_loss(X[k], y[k], W[k], b[k], reg, dW[k], db[k])
    return np.asarray(out)


def batched_linear_squared_loss(const floating[:, :, ::1] X, const floating[:, :, ::1] T,
                                const floating[:, :, ::1] W, const floating[:, ::1] b, double reg,
                                floating[:, :, ::1] dW, floating[:, ::1] db):
    cdef double[::1] out = np.empty(X.shape[0])
    cdef Py_ssize_t k
    for k in prange(X.shape[0], nogil=True):
        out[k] = linear_squared_loss(X[k], T[k], W[k], b[k], reg, dW[k], db[k])
    return np.asarray(out)


def softmax_loss_once(const floating[:, ::1] S, const int64_t[::1] y, floating[:, ::1] dS):
    """One call, for the tests of bad input."""
    with nogil:
        loss = softmax_loss(S, y, dS)
    return loss
