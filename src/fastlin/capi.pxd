# fastlin's losses for Cython code: ``from fastlin.capi cimport softmax_loss``,
# compiled with ``include_dirs=[fastlin.get_include()]``.
#
# Each function is the Python function of the same name with its default
# options (reduction="mean", no weights; softmax skips rows whose label is
# ignore_index = -100, svm is Weston-Watkins with margin 1), over C-contiguous
# float32 or float64 typed memoryviews (all of one type). It runs without the
# GIL, writes the gradient into the arrays given (which must not overlap the
# inputs) and returns the loss. A bad label or shape raises ValueError (the
# return value is then -1). ``b`` and ``db`` may be None: a model without bias.

from cython cimport floating
from libc.stdint cimport int64_t

cdef double softmax_loss(const floating[:, ::1] S, const int64_t[::1] y,
                         floating[:, ::1] dS) except? -1 nogil
cdef double svm_loss(const floating[:, ::1] S, const int64_t[::1] y,
                     floating[:, ::1] dS) except? -1 nogil
cdef double squared_loss(const floating[:, ::1] P, const floating[:, ::1] T,
                         floating[:, ::1] dP) except? -1 nogil

cdef double linear_softmax_loss(const floating[:, ::1] X, const int64_t[::1] y,
                                const floating[:, ::1] W, const floating[::1] b, double reg,
                                floating[:, ::1] dW, floating[::1] db) except? -1 nogil
cdef double linear_svm_loss(const floating[:, ::1] X, const int64_t[::1] y,
                            const floating[:, ::1] W, const floating[::1] b, double reg,
                            floating[:, ::1] dW, floating[::1] db) except? -1 nogil
cdef double linear_squared_loss(const floating[:, ::1] X, const floating[:, ::1] T,
                                const floating[:, ::1] W, const floating[::1] b, double reg,
                                floating[:, ::1] dW, floating[::1] db) except? -1 nogil
