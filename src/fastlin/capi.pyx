# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""fastlin's losses for Cython code, without the GIL (see capi.pxd).

The functions call the C++ kernels directly; the checks here are the ones the
Python bindings make on shapes. A Python caller uses ``fastlin`` itself: this
module exports C functions to ``cimport``, and keeps its copy of the thread
pool at the thread count of fastlin's.
"""

from cython cimport floating
from libc.math cimport isfinite
from libc.stdint cimport int64_t, uintptr_t


cdef extern from "parallel.hpp" namespace "fastlin" nogil:
    int get_num_threads()
    void set_num_threads(int n)


cdef extern from "loss_options.hpp" namespace "fastlin" nogil:
    # Default-constructed: reduction "mean", no weights, the Python defaults.
    cdef cppclass SoftmaxOptions:
        pass
    cdef cppclass SvmOptions:
        pass
    cdef cppclass SquaredOptions:
        pass


cdef extern from "scores_losses.hpp" namespace "fastlin" nogil:
    cdef cppclass ScoresBatch[T]:
        const T* S
        int64_t N
        int64_t C
        T* dS
        T* row_loss
    double kernel_softmax "fastlin::softmax_loss_hard"[T](
        const ScoresBatch[T]& b, const int64_t* y, const SoftmaxOptions& o) except +
    double kernel_svm "fastlin::svm_loss"[T](
        const ScoresBatch[T]& b, const int64_t* y, const SvmOptions& o) except +
    double kernel_squared "fastlin::squared_loss"[T](
        const ScoresBatch[T]& b, const T* target, const SquaredOptions& o) except +


cdef extern from "linear_losses.hpp" namespace "fastlin" nogil:
    cdef cppclass LinearLossBatch[T]:
        const T* X
        const T* W
        const T* b
        int64_t N
        int64_t D
        int64_t C
        double reg
        T* dW
        T* db
        T* dX
        T* row_loss
    double kernel_linear_softmax "fastlin::linear_softmax_hard"[T](
        const LinearLossBatch[T]& a, const int64_t* y, const SoftmaxOptions& o) except +
    double kernel_linear_svm "fastlin::linear_svm"[T](
        const LinearLossBatch[T]& a, const int64_t* y, const SvmOptions& o) except +
    double kernel_linear_squared "fastlin::linear_squared"[T](
        const LinearLossBatch[T]& a, const T* target, const SquaredOptions& o) except +


cdef bint overlap(const void* a, Py_ssize_t a_bytes,
                  const void* b, Py_ssize_t b_bytes) noexcept nogil:
    cdef uintptr_t pa = <uintptr_t>a, pb = <uintptr_t>b
    return (a_bytes > 0 and b_bytes > 0
            and pa < pb + <uintptr_t>b_bytes and pb < pa + <uintptr_t>a_bytes)


# n_labels: the length of y, or -1 for a loss without labels.
cdef int check_scores(const char* s_arg, const floating[:, ::1] S, Py_ssize_t n_labels,
                      const char* g_arg, floating[:, ::1] dS) except -1 nogil:
    if S.shape[1] < 1:
        with gil:
            s_name = s_arg.decode()
            raise ValueError(f"{s_name}: expected at least one class (C >= 1), got shape "
                             f"({S.shape[0]}, {S.shape[1]})")
    if n_labels >= 0 and n_labels != S.shape[0]:
        with gil:
            s_name = s_arg.decode()
            raise ValueError(f"y: expected shape ({S.shape[0]},) to match the rows of {s_name}, "
                             f"got shape ({n_labels},)")
    if dS.shape[0] != S.shape[0] or dS.shape[1] != S.shape[1]:
        with gil:
            s_name, g_name = s_arg.decode(), g_arg.decode()
            raise ValueError(f"{g_name}: expected the shape of {s_name} "
                             f"({S.shape[0]}, {S.shape[1]}), "
                             f"got shape ({dS.shape[0]}, {dS.shape[1]})")
    cdef Py_ssize_t nbytes = S.shape[0] * S.shape[1] * sizeof(floating)
    if overlap(&S[0, 0], nbytes, &dS[0, 0], nbytes):
        with gil:
            s_name, g_name = s_arg.decode(), g_arg.decode()
            raise ValueError(f"{g_name}: must not overlap {s_name}")
    return 0


cdef inline ScoresBatch[floating] scores_batch(const floating[:, ::1] S,
                                               floating[:, ::1] dS) noexcept nogil:
    cdef ScoresBatch[floating] batch
    batch.S = &S[0, 0]
    batch.N = S.shape[0]
    batch.C = S.shape[1]
    batch.dS = &dS[0, 0]
    batch.row_loss = NULL
    return batch


cdef double softmax_loss(const floating[:, ::1] S, const int64_t[::1] y,
                         floating[:, ::1] dS) except? -1 nogil:
    check_scores("S", S, y.shape[0], "dS", dS)
    cdef SoftmaxOptions options
    return kernel_softmax(scores_batch(S, dS), &y[0], options)


cdef double svm_loss(const floating[:, ::1] S, const int64_t[::1] y,
                     floating[:, ::1] dS) except? -1 nogil:
    check_scores("S", S, y.shape[0], "dS", dS)
    cdef SvmOptions options
    return kernel_svm(scores_batch(S, dS), &y[0], options)


cdef double squared_loss(const floating[:, ::1] P, const floating[:, ::1] T,
                         floating[:, ::1] dP) except? -1 nogil:
    check_scores("P", P, -1, "dP", dP)
    if T.shape[0] != P.shape[0] or T.shape[1] != P.shape[1]:
        with gil:
            raise ValueError(f"T: expected the shape of P ({P.shape[0]}, {P.shape[1]}), "
                             f"got shape ({T.shape[0]}, {T.shape[1]})")
    cdef SquaredOptions options
    return kernel_squared(scores_batch(P, dP), &T[0, 0], options)


cdef int check_model(const floating[:, ::1] X, Py_ssize_t n_targets, const char* targets_arg,
                     const floating[:, ::1] W, const floating[::1] b, double reg,
                     floating[:, ::1] dW, floating[::1] db) except -1 nogil:
    if W.shape[0] < 1:
        with gil:
            raise ValueError(f"W: expected at least one class (C >= 1), got shape "
                             f"({W.shape[0]}, {W.shape[1]})")
    if X.shape[1] != W.shape[1]:
        with gil:
            raise ValueError(f"X: expected {W.shape[1]} features to match W of shape "
                             f"({W.shape[0]}, {W.shape[1]}), got shape "
                             f"({X.shape[0]}, {X.shape[1]})")
    if n_targets != X.shape[0]:
        with gil:
            targets_name = targets_arg.decode()
            raise ValueError(f"{targets_name}: expected {X.shape[0]} rows to match X, "
                             f"got {n_targets}")
    if b is not None and b.shape[0] != W.shape[0]:
        with gil:
            raise ValueError(f"b: expected shape ({W.shape[0]},) to match W, "
                             f"got shape ({b.shape[0]},)")
    if (b is None) != (db is None):
        with gil:
            raise ValueError("db: expected None exactly when b is None")
    if db is not None and db.shape[0] != W.shape[0]:
        with gil:
            raise ValueError(f"db: expected shape ({W.shape[0]},), got shape ({db.shape[0]},)")
    if dW.shape[0] != W.shape[0] or dW.shape[1] != W.shape[1]:
        with gil:
            raise ValueError(f"dW: expected the shape of W ({W.shape[0]}, {W.shape[1]}), "
                             f"got shape ({dW.shape[0]}, {dW.shape[1]})")
    if not (reg >= 0 and isfinite(reg)):
        with gil:
            raise ValueError(f"reg: expected a finite number >= 0, got {reg}")
    cdef Py_ssize_t w_bytes = W.shape[0] * W.shape[1] * sizeof(floating)
    cdef Py_ssize_t x_bytes = X.shape[0] * X.shape[1] * sizeof(floating)
    if (overlap(&dW[0, 0], w_bytes, &W[0, 0], w_bytes)
            or overlap(&dW[0, 0], w_bytes, &X[0, 0], x_bytes)):
        with gil:
            raise ValueError("dW: must not overlap X or W")
    return 0


cdef inline LinearLossBatch[floating] linear_batch(
        const floating[:, ::1] X, const floating[:, ::1] W, const floating[::1] b, double reg,
        floating[:, ::1] dW, floating[::1] db) noexcept nogil:
    cdef LinearLossBatch[floating] batch
    batch.X = &X[0, 0]
    batch.W = &W[0, 0]
    batch.b = NULL
    if b is not None:
        batch.b = &b[0]
    batch.N = X.shape[0]
    batch.D = X.shape[1]
    batch.C = W.shape[0]
    batch.reg = reg
    batch.dW = &dW[0, 0]
    batch.db = NULL
    if db is not None:
        batch.db = &db[0]
    batch.dX = NULL
    batch.row_loss = NULL
    return batch


cdef double linear_softmax_loss(const floating[:, ::1] X, const int64_t[::1] y,
                                const floating[:, ::1] W, const floating[::1] b, double reg,
                                floating[:, ::1] dW, floating[::1] db) except? -1 nogil:
    check_model(X, y.shape[0], "y", W, b, reg, dW, db)
    cdef SoftmaxOptions options
    return kernel_linear_softmax(linear_batch(X, W, b, reg, dW, db), &y[0], options)


cdef double linear_svm_loss(const floating[:, ::1] X, const int64_t[::1] y,
                            const floating[:, ::1] W, const floating[::1] b, double reg,
                            floating[:, ::1] dW, floating[::1] db) except? -1 nogil:
    check_model(X, y.shape[0], "y", W, b, reg, dW, db)
    cdef SvmOptions options
    return kernel_linear_svm(linear_batch(X, W, b, reg, dW, db), &y[0], options)


cdef double linear_squared_loss(const floating[:, ::1] X, const floating[:, ::1] T,
                                const floating[:, ::1] W, const floating[::1] b, double reg,
                                floating[:, ::1] dW, floating[::1] db) except? -1 nogil:
    check_model(X, T.shape[0], "T", W, b, reg, dW, db)
    if T.shape[1] != W.shape[0]:
        with gil:
            raise ValueError(f"T: expected shape ({X.shape[0]}, {W.shape[0]}) (N, C), "
                             f"got shape ({T.shape[0]}, {T.shape[1]})")
    cdef SquaredOptions options
    return kernel_linear_squared(linear_batch(X, W, b, reg, dW, db), &T[0, 0], options)


def _set_num_threads(int n):
    """Called by fastlin.set_num_threads, so that both pools have its count."""
    set_num_threads(n)


import fastlin as _fastlin

set_num_threads(_fastlin.get_num_threads())
