"""Hostile input through every public function.

One table, ``CASES``: each case is a call of a public function with one
hostile argument and what it must do -- either work and give the reference's
result (``OK``), or raise ``ValueError``/``TypeError`` (``fastlin.LabelError`` for a label out
of range) whose message starts with the argument's name. Every case is checked twice:

* in this process, one pytest case each (``test_case``), which also checks
  that no input array was written to;
* in a child process, one child per function running all of that function's
  cases (``test_cases_in_a_subprocess``), so a crash (segfault, abort, ASan
  report) fails the function's cases instead of killing the test run; the
  child prints each case's id before running it, so the crashing case is
  named.

No public function takes an output buffer (every result is a new array), so
there is no output aliasing to test; the aliasing cases here pass the same
array (or overlapping views of one buffer) as two inputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from conftest import assert_close

import fastlin
import fastlin.compat.cs231n as cs231n
import fastlin.reference as ref
from fastlin import LabelError

OK = None
N, C, D = 5, 3, 4


# --------------------------------------------------------------------------
# Inputs: deterministic, so the child process builds the very same arrays
# --------------------------------------------------------------------------


def _mat(n, m, dtype=np.float64, phase=0.0):
    seed = int(phase * 1000) + 31 * n + m
    return (2.0 * np.random.default_rng(seed).standard_normal((n, m))).astype(dtype)


def _S(n=N, c=C, dtype=np.float64):
    return _mat(n, c, dtype)


def _y(n=N, c=C, dtype=np.int64):
    return (np.arange(n) % c).astype(dtype)


def _X(n=N, d=D, dtype=np.float64):
    return _mat(n, d, dtype, phase=0.5)


def _W(c=C, d=D, dtype=np.float64):
    return 0.5 * _mat(c, d, dtype, phase=1.0)


def _b(c=C, dtype=np.float64):
    # Not +-1: with equal rows of W a hinge term would sit exactly on its kink.
    return np.linspace(-0.77, 0.77, c).astype(dtype)


def _T(n=N, k=C, dtype=np.float64):
    return _mat(n, k, dtype, phase=2.0)


def _soft(n=N, c=C):
    t = np.abs(_mat(n, c, phase=3.0)) + 0.1
    return t / t.sum(axis=1, keepdims=True)


def _ls_X(n=12, d=3):
    return _mat(n, d, phase=0.3)


def _ls_T(n=12, k=2):
    return _mat(n, k, phase=0.7)


# Layouts of the same values: each is an ``OK`` case wherever the argument is an array.
def _fortran(a):
    return np.asfortranarray(a)


def _strided(a):
    big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def _negative_stride(a):
    flipped = a[tuple(slice(None, None, -1) for _ in a.shape)].copy()
    return flipped[tuple(slice(None, None, -1) for _ in a.shape)]


def _read_only(a):
    a = a.copy()
    a.setflags(write=False)
    return a


def _zero_stride(a):
    # Every row the same (broadcast, read-only, stride 0 along the rows).
    return np.broadcast_to(a[:1], a.shape) if a.ndim >= 1 and a.shape[0] else a


LAYOUTS = {
    "fortran": _fortran,
    "strided": _strided,
    "negstride": _negative_stride,
    "readonly": _read_only,
    "zerostride": _zero_stride,
}


# --------------------------------------------------------------------------
# The functions: compiled, oracle, and a valid base call
# --------------------------------------------------------------------------


def _compat_vectorized_oracle(ref_fn):
    def oracle(W, X, y, reg):
        r = ref_fn(X, y, np.asarray(W).T, reg=reg)
        return r.loss, np.ascontiguousarray(r.dW.T)

    return oracle


@dataclass
class Function:
    compiled: Callable
    oracle: Callable
    args: tuple  # names of the positional arguments
    base: Callable  # () -> dict of a valid call's arguments (positional and keyword)


FUNCTIONS = {
    "softmax_loss": Function(
        fastlin.softmax_loss, ref.softmax_loss, ("S", "y"), lambda: {"S": _S(), "y": _y()}
    ),
    "svm_loss": Function(
        fastlin.svm_loss, ref.svm_loss, ("S", "y"), lambda: {"S": _S(), "y": _y()}
    ),
    "squared_loss": Function(
        fastlin.squared_loss, ref.squared_loss, ("P", "T"), lambda: {"P": _S(), "T": _T()}
    ),
    "linear": Function(
        fastlin.linear, ref.linear, ("X", "W", "b"), lambda: {"X": _X(), "W": _W(), "b": _b()}
    ),
    "linear_backward": Function(
        fastlin.linear_backward,
        ref.linear_backward,
        ("dS", "X", "W"),
        lambda: {"dS": _S(), "X": _X(), "W": _W()},
    ),
    "bias_trick": Function(
        fastlin.bias_trick,
        ref.bias_trick,
        ("X", "W", "b"),
        lambda: {"X": _X(), "W": _W(), "b": _b()},
    ),
    "linear_softmax_loss": Function(
        fastlin.linear_softmax_loss,
        ref.linear_softmax_loss,
        ("X", "y", "W", "b"),
        lambda: {"X": _X(), "y": _y(), "W": _W(), "b": _b()},
    ),
    "linear_svm_loss": Function(
        fastlin.linear_svm_loss,
        ref.linear_svm_loss,
        ("X", "y", "W", "b"),
        lambda: {"X": _X(), "y": _y(), "W": _W(), "b": _b()},
    ),
    "linear_squared_loss": Function(
        fastlin.linear_squared_loss,
        ref.linear_squared_loss,
        ("X", "T", "W", "b"),
        lambda: {"X": _X(), "T": _T(), "W": _W(), "b": _b()},
    ),
    "least_squares": Function(
        fastlin.least_squares, ref.least_squares, ("X", "T"), lambda: {"X": _ls_X(), "T": _ls_T()}
    ),
    "cs231n.softmax_loss_vectorized": Function(
        cs231n.softmax_loss_vectorized,
        _compat_vectorized_oracle(ref.linear_softmax_loss),
        ("W", "X", "y", "reg"),
        lambda: {"W": _W().T, "X": _X(), "y": _y(), "reg": 0.1},
    ),
    "cs231n.svm_loss_vectorized": Function(
        cs231n.svm_loss_vectorized,
        _compat_vectorized_oracle(ref.linear_svm_loss),
        ("W", "X", "y", "reg"),
        lambda: {"W": _W().T, "X": _X(), "y": _y(), "reg": 0.1},
    ),
    "cs231n.softmax_loss": Function(
        cs231n.softmax_loss, ref.softmax_loss, ("x", "y"), lambda: {"x": _S(), "y": _y()}
    ),
    "cs231n.svm_loss": Function(
        cs231n.svm_loss, ref.svm_loss, ("x", "y"), lambda: {"x": _S(), "y": _y()}
    ),
}

# Which arguments are class labels, class-count or sample-count sized, per function.
_LABEL_FUNCS = [f for f, spec in FUNCTIONS.items() if "y" in spec.args]
_SOFTMAX_FUNCS = [
    "softmax_loss",
    "linear_softmax_loss",
    "cs231n.softmax_loss",
    "cs231n.softmax_loss_vectorized",
]
_WEIGHTED = {  # function -> the options it takes among weight, sample_weight
    "softmax_loss": ("weight", "sample_weight"),
    "svm_loss": ("weight", "sample_weight"),
    "squared_loss": ("sample_weight",),
    "linear_softmax_loss": ("weight", "sample_weight"),
    "linear_svm_loss": ("weight", "sample_weight"),
    "linear_squared_loss": ("sample_weight",),
}
_REDUCTION_FUNCS = list(_WEIGHTED)
_REG_FUNCS = [
    "linear_softmax_loss",
    "linear_svm_loss",
    "linear_squared_loss",
    "least_squares",
    "cs231n.softmax_loss_vectorized",
    "cs231n.svm_loss_vectorized",
]
_SVM_FUNCS = ["svm_loss", "linear_svm_loss"]


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    fn: str
    make: Callable  # () -> dict of the call's arguments
    expect: object  # OK, or (exception type, the argument name the message starts with)


CASES: list[Case] = []


def _case(fn, what, changes, expect):
    """A case of ``fn``: its base call with ``changes`` (a dict of argument ->
    value, or a callable taking and returning the argument dict)."""

    def make():
        kw = FUNCTIONS[fn].base()
        if callable(changes):
            return changes(kw)
        kw.update({k: (v() if callable(v) else v) for k, v in changes.items()})
        return kw

    CASES.append(Case(f"{fn}-{what}", fn, make, expect))


def _arrays_of(fn):
    return [name for name, v in FUNCTIONS[fn].base().items() if isinstance(v, np.ndarray)]


for _fn in FUNCTIONS:
    for _arg in _arrays_of(_fn):
        # Every layout of every array argument works and gives the reference's result.
        for _lname, _layout in LAYOUTS.items():
            _case(_fn, f"{_arg}-{_lname}", (lambda kw, a=_arg, f=_layout: {**kw, a: f(kw[a])}), OK)
        # Non-numeric dtypes are a TypeError naming the argument.
        _case(
            _fn,
            f"{_arg}-complex",
            (lambda kw, a=_arg: {**kw, a: kw[a].astype(complex)}),
            (TypeError, _arg),
        )
        _case(
            _fn,
            f"{_arg}-object",
            (lambda kw, a=_arg: {**kw, a: kw[a].astype(object)}),
            (TypeError, _arg),
        )
        _case(
            _fn,
            f"{_arg}-string",
            (lambda kw, a=_arg: {**kw, a: np.full(kw[a].shape, "x")}),
            (TypeError, _arg),
        )
        _case(
            _fn, f"{_arg}-bytes-object", (lambda kw, a=_arg: {**kw, a: b"abc"}), (TypeError, _arg)
        )
        if _arg != "b":  # b=None is valid (no bias) except for bias_trick
            _case(_fn, f"{_arg}-None", {_arg: None}, (TypeError, _arg))
        # One dimension too many is a ValueError naming the argument.
        _case(
            _fn,
            f"{_arg}-extra-dim",
            (lambda kw, a=_arg: {**kw, a: kw[a][..., None]}),
            (ValueError, _arg),
        )
    # Integer and bool inputs where floats are expected are promoted (y aside).
    for _arg in _arrays_of(_fn):
        if _arg != "y":
            _case(
                _fn,
                f"{_arg}-int",
                (lambda kw, a=_arg: {**kw, a: np.round(kw[a] * 3).astype(np.int32)}),
                OK,
            )

_case("bias_trick", "b-None", {"b": None}, (TypeError, "b"))

# ---- wrong ndim, 0-d and 1-d
for _fn, _arg in [
    ("softmax_loss", "S"),
    ("svm_loss", "S"),
    ("cs231n.softmax_loss", "x"),
    ("cs231n.svm_loss", "x"),
    ("linear", "W"),
    ("linear_backward", "W"),
    ("linear_softmax_loss", "W"),
    ("linear_softmax_loss", "X"),
    ("least_squares", "X"),
    ("cs231n.softmax_loss_vectorized", "W"),
    ("cs231n.svm_loss_vectorized", "X"),
]:
    _case(_fn, f"{_arg}-1d", (lambda kw, a=_arg: {**kw, a: kw[a][0]}), (ValueError, _arg))
    _case(_fn, f"{_arg}-0d", (lambda kw, a=_arg: {**kw, a: kw[a][0, 0]}), (ValueError, _arg))
for _fn in ["squared_loss"]:
    _case(_fn, "P-0d", {"P": np.float64(1.0), "T": np.float64(1.0)}, (ValueError, "P"))
    _case(_fn, "1d", {"P": _S()[:, 0], "T": _T()[:, 0]}, OK)
# A single sample (D,) where the API takes one.
_case("linear", "X-single-sample", {"X": _X()[0]}, OK)
_case("linear_backward", "single-sample", {"dS": _S()[0], "X": _X()[0]}, OK)
_case("bias_trick", "X-single-sample", {"X": _X()[0]}, OK)

# ---- mismatched shapes between every pair of arguments
_MISMATCH = [
    ("softmax_loss", "y-length", {"y": _y(N + 1)}, "y"),
    ("softmax_loss", "soft-y-classes", {"y": _soft(N, C + 1)}, "y"),
    ("softmax_loss", "soft-y-rows", {"y": _soft(N - 1, C)}, "y"),
    ("softmax_loss", "weight-length", {"weight": np.ones(C + 1)}, "weight"),
    ("softmax_loss", "sample_weight-length", {"sample_weight": np.ones(N - 1)}, "sample_weight"),
    ("svm_loss", "y-length", {"y": _y(N - 1)}, "y"),
    ("svm_loss", "weight-length", {"weight": np.ones(C - 1)}, "weight"),
    ("svm_loss", "sample_weight-length", {"sample_weight": np.ones(N + 1)}, "sample_weight"),
    ("squared_loss", "T-columns", {"T": _T(N, C + 1)}, "T"),
    ("squared_loss", "T-rows", {"T": _T(N + 1, C)}, "T"),
    ("squared_loss", "T-1d", {"T": _T()[:, 0]}, "T"),
    ("squared_loss", "sample_weight-length", {"sample_weight": np.ones(N + 1)}, "sample_weight"),
    ("linear", "X-features", {"X": _X(N, D + 1)}, "X"),
    ("linear", "b-length", {"b": _b(C + 1)}, "b"),
    ("linear_backward", "dS-rows", {"dS": _S(N + 1, C)}, "dS"),
    ("linear_backward", "dS-classes", {"dS": _S(N, C + 1)}, "dS"),
    ("linear_backward", "X-features", {"X": _X(N, D - 1)}, "X"),
    ("linear_backward", "dS-1d-X-2d", {"dS": _S()[0]}, "dS"),
    ("bias_trick", "X-features", {"X": _X(N, D + 1)}, "X"),
    ("bias_trick", "b-length", {"b": _b(C - 1)}, "b"),
    ("least_squares", "T-rows", {"T": _ls_T(11)}, "T"),
    ("cs231n.softmax_loss_vectorized", "W-features", {"W": _W(C, D + 1).T}, "X"),
    ("cs231n.softmax_loss_vectorized", "y-length", {"y": _y(N + 2)}, "y"),
    ("cs231n.svm_loss_vectorized", "y-length", {"y": _y(N - 2)}, "y"),
    ("cs231n.softmax_loss", "y-length", {"y": _y(N + 1)}, "y"),
    ("cs231n.svm_loss", "y-length", {"y": _y(N + 1)}, "y"),
]
for _fn in ["linear_softmax_loss", "linear_svm_loss", "linear_squared_loss"]:
    _first = "T" if _fn == "linear_squared_loss" else "y"
    _MISMATCH += [
        (_fn, "X-features", {"X": _X(N, D + 1)}, "X"),
        (_fn, "b-length", {"b": _b(C + 1)}, "b"),
        (_fn, "sample_weight-length", {"sample_weight": np.ones(N + 1)}, "sample_weight"),
    ]
    _MISMATCH.append(
        (_fn, f"{_first}-rows", {_first: _T(N + 1, C) if _first == "T" else _y(N + 1)}, _first)
    )
    if _fn != "linear_squared_loss":
        _MISMATCH.append((_fn, "weight-length", {"weight": np.ones(C + 1)}, "weight"))
_MISMATCH += [
    ("linear_squared_loss", "T-columns", {"T": _T(N, C + 1)}, "T"),
    ("linear_softmax_loss", "soft-y-classes", {"y": _soft(N, C + 1)}, "y"),
]
for _fn, _what, _changes, _arg in _MISMATCH:
    _case(_fn, _what, _changes, (ValueError, _arg))

# ---- labels
_U64_BIG = np.uint64(2**63 + 5)
_U64_WRAPS_TO_IGNORE = np.uint64(2**64 - 100)  # int64(-100), ignore_index, once wrapped
for _fn in _LABEL_FUNCS:
    _case(_fn, "y-negative", {"y": np.array([0, 1, -1, 2, 0])}, (LabelError, "y"))
    _case(_fn, "y-equals-C", {"y": np.array([0, 1, C, 2, 0])}, (LabelError, "y"))
    _case(_fn, "y-huge", {"y": np.array([0, 1, 2**62, 2, 0])}, (LabelError, "y"))
    _case(_fn, "y-int64-min", {"y": np.array([0, 1, -(2**63), 2, 0])}, (LabelError, "y"))
    _case(_fn, "y-u64-huge", {"y": np.array([0, 1, _U64_BIG, 2, 0], np.uint64)}, (LabelError, "y"))
    _case(
        _fn,
        "y-u64-wraps-to-ignore",
        {"y": np.array([0, 1, _U64_WRAPS_TO_IGNORE, 2, 0], np.uint64)},
        (LabelError, "y"),
    )
    _case(_fn, "y-bool", {"y": np.array([0, 1, 1, 0, 1], bool)}, (TypeError, "y"))
    _case(_fn, "y-float-1d", {"y": _y().astype(np.float64)}, (TypeError, "y"))
    _case(_fn, "y-object-ints", {"y": _y().astype(object)}, (TypeError, "y"))
    _case(_fn, "y-python-list", {"y": [0, 1, 2, 0, 1]}, OK)
    for _dt in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.uint64):
        _case(_fn, f"y-{np.dtype(_dt).name}", {"y": _y(dtype=_dt)}, OK)
for _fn in ["svm_loss", "linear_svm_loss", "cs231n.svm_loss", "cs231n.svm_loss_vectorized"]:
    _case(_fn, "y-float-2d", {"y": _soft()}, (TypeError, "y"))
# ignore_index: -100 is skipped by softmax (a mean over the other rows) but is a bad label for SVM.
_case("softmax_loss", "y-ignored-row", {"y": np.array([0, -100, 2, 1, 0])}, OK)
_case("softmax_loss", "y-all-ignored", {"y": np.full(N, -100)}, OK)
_case("linear_softmax_loss", "y-ignored-row", {"y": np.array([0, -100, 2, 1, 0])}, OK)
_case("svm_loss", "y-minus-100", {"y": np.array([0, -100, 2, 1, 0])}, (LabelError, "y"))
_case(
    "softmax_loss",
    "ignore_index-huge-label",
    {"y": np.array([0, 2**40, 2, 1, 0]), "ignore_index": 2**40},
    OK,
)
_case("softmax_loss", "ignore_index-float", {"ignore_index": 1.5}, (TypeError, "ignore_index"))
_case("softmax_loss", "ignore_index-string", {"ignore_index": "-100"}, (TypeError, "ignore_index"))
_case("softmax_loss", "soft-labels", {"y": _soft()}, OK)
_case("softmax_loss", "soft-labels-float32", {"y": _soft().astype(np.float32)}, OK)
_case("linear_softmax_loss", "soft-labels", {"y": _soft()}, OK)

# ---- options
for _fn in _SOFTMAX_FUNCS[:2]:
    for _eps in (-0.1, 1.1, float("nan"), float("inf"), -1e-300):
        _case(
            _fn,
            f"label_smoothing-{_eps}",
            {"label_smoothing": _eps},
            (ValueError, "label_smoothing"),
        )
    for _eps in (0.0, 1.0, 0.5):
        _case(_fn, f"label_smoothing-ok-{_eps}", {"label_smoothing": _eps}, OK)
    _case(_fn, "label_smoothing-string", {"label_smoothing": "0.1"}, (TypeError, "label_smoothing"))
    _case(_fn, "label_smoothing-complex", {"label_smoothing": 0.1j}, (TypeError, "label_smoothing"))
    _case(
        _fn,
        "label_smoothing-soft-1.5",
        {"y": _soft(), "label_smoothing": 1.5},
        (ValueError, "label_smoothing"),
    )
for _fn in _REDUCTION_FUNCS:
    for _r in ("avg", "Mean", "", None, 1, b"mean"):
        _case(_fn, f"reduction-{_r!r}", {"reduction": _r}, (ValueError, "reduction"))
    for _r in ("mean", "sum", "none"):
        _case(_fn, f"reduction-ok-{_r}", {"reduction": _r}, OK)
for _fn in _SVM_FUNCS:
    for _v in ("one_vs_rest", "WESTON_WATKINS", None, 0):
        _case(_fn, f"variant-{_v!r}", {"variant": _v}, (ValueError, "variant"))
    for _m in (float("nan"), float("inf"), -float("inf")):
        _case(_fn, f"margin-{_m}", {"margin": _m}, (ValueError, "margin"))
    _case(_fn, "margin-string", {"margin": "1"}, (TypeError, "margin"))
    _case(_fn, "margin-negative", {"margin": -2.0}, OK)
    _case(_fn, "crammer_singer-squared", {"variant": "crammer_singer", "squared": True}, OK)
for _fn in _REG_FUNCS:
    for _reg in (-1.0, float("nan"), float("inf")):
        _case(_fn, f"reg-{_reg}", {"reg": _reg}, (ValueError, "reg"))
    _case(_fn, "reg-string", {"reg": "0.1"}, (TypeError, "reg"))
    _case(_fn, "reg-None", {"reg": None}, (TypeError, "reg"))
    _case(_fn, "reg-ok", {"reg": 0.25}, OK)
for _fn, _opts in _WEIGHTED.items():
    for _w in _opts:
        n = C if _w == "weight" else N
        _case(_fn, f"{_w}-negative", {_w: np.r_[np.ones(n - 1), -0.5]}, (ValueError, _w))
        _case(_fn, f"{_w}-nan", {_w: np.r_[np.nan, np.ones(n - 1)]}, (ValueError, _w))
        _case(_fn, f"{_w}-inf", {_w: np.r_[np.ones(n - 1), np.inf]}, (ValueError, _w))
        _case(_fn, f"{_w}-2d", {_w: np.ones((1, n))}, (ValueError, _w))
        _case(_fn, f"{_w}-0d", {_w: np.float64(1.0)}, (ValueError, _w))
        _case(_fn, f"{_w}-complex", {_w: np.ones(n, complex)}, (TypeError, _w))
        _case(_fn, f"{_w}-string", {_w: np.full(n, "1")}, (TypeError, _w))
        _case(_fn, f"{_w}-zeros", {_w: np.zeros(n)}, OK)  # a mean over nothing: NaN
        _case(_fn, f"{_w}-int", {_w: np.arange(n)}, OK)
        _case(_fn, f"{_w}-negstride", {_w: _negative_stride(np.linspace(0.5, 2.0, n))}, OK)
_case(
    "least_squares",
    "X-nan",
    {"X": np.where(np.arange(36).reshape(12, 3) == 7, np.nan, _ls_X())},
    (ValueError, "X"),
)
_case(
    "least_squares",
    "T-inf",
    {"T": np.where(np.arange(24).reshape(12, 2) == 5, np.inf, _ls_T())},
    (ValueError, "T"),
)
_case("least_squares", "T-1d", {"T": _ls_T()[:, 0]}, OK)
_case("least_squares", "no-bias", {"fit_bias": False}, OK)
_case("least_squares", "singular", {"X": np.repeat(_ls_X(12, 2), [1, 2], axis=1)}, OK)
_case(
    "least_squares",
    "float32",
    {"X": _ls_X().astype(np.float32), "T": _ls_T().astype(np.float32)},
    OK,
)

# ---- N = 0 and C = 0 (and D = 0)
for _fn in ["softmax_loss", "svm_loss"]:
    _case(_fn, "N0", {"S": _S(0, C), "y": _y(0)}, OK)
    _case(_fn, "C0", {"S": _S(N, 0), "y": np.zeros(N, np.int64)}, (ValueError, "S"))
    _case(_fn, "N0-C0", {"S": _S(0, 0), "y": _y(0)}, (ValueError, "S"))
    _case(_fn, "C1", {"S": _S(N, 1), "y": np.zeros(N, np.int64)}, OK)
_case("softmax_loss", "N0-soft", {"S": _S(0, C), "y": _soft(0, C)}, OK)
_case("squared_loss", "N0", {"P": _S(0, C), "T": _T(0, C)}, OK)
_case("squared_loss", "K0", {"P": _S(N, 0), "T": _T(N, 0)}, OK)
_case("linear", "N0", {"X": _X(0, D)}, OK)
_case("linear", "C0", {"W": _W(0, D), "b": _b(0)}, OK)
_case("linear", "D0", {"X": _X(N, 0), "W": _W(C, 0)}, OK)
_case("linear_backward", "N0", {"dS": _S(0, C), "X": _X(0, D)}, OK)
_case("linear_backward", "C0", {"dS": _S(N, 0), "W": _W(0, D)}, OK)
_case("linear_backward", "D0", {"X": _X(N, 0), "W": _W(C, 0)}, OK)
_case("bias_trick", "N0", {"X": _X(0, D)}, OK)
_case("bias_trick", "C0", {"W": _W(0, D), "b": _b(0)}, OK)
for _fn in ["linear_softmax_loss", "linear_svm_loss", "linear_squared_loss"]:
    _first = "T" if _fn == "linear_squared_loss" else "y"
    _case(_fn, "N0", {"X": _X(0, D), _first: _T(0, C) if _first == "T" else _y(0)}, OK)
    _case(_fn, "D0", {"X": _X(N, 0), "W": _W(C, 0)}, OK)
    _case(
        _fn,
        "N0-return_dX",
        {"X": _X(0, D), _first: _T(0, C) if _first == "T" else _y(0), "return_dX": True},
        OK,
    )
_case(
    "linear_softmax_loss",
    "C0",
    {"W": _W(0, D), "b": _b(0), "y": np.zeros(N, np.int64)},
    (ValueError, "W"),
)
_case(
    "linear_svm_loss",
    "C0",
    {"W": _W(0, D), "b": _b(0), "y": np.zeros(N, np.int64)},
    (ValueError, "W"),
)
_case("linear_squared_loss", "C0", {"W": _W(0, D), "b": _b(0), "T": _T(N, 0)}, (ValueError, "W"))
_case("least_squares", "N0", {"X": _ls_X(0, 3), "T": _ls_T(0, 2)}, (ValueError, "X"))
_case("least_squares", "K0", {"T": _ls_T(12, 0)}, OK)
_case("least_squares", "N1", {"X": _ls_X(1, 3), "T": _ls_T(1, 2)}, OK)
_case("cs231n.softmax_loss", "N0", {"x": _S(0, C), "y": _y(0)}, OK)
_case("cs231n.svm_loss", "C0", {"x": _S(N, 0), "y": np.zeros(N, np.int64)}, (ValueError, "x"))

# ---- inputs that alias each other (no function takes an output buffer)
_case("squared_loss", "P-is-T", lambda kw: {**kw, "T": kw["P"]}, OK)
_case(
    "squared_loss",
    "T-overlaps-P",
    lambda kw: (lambda buf: {**kw, "P": buf[:-1], "T": buf[1:]})(_mat(N + 1, C)),
    OK,
)
_case("linear", "X-is-W", lambda kw: {**kw, "X": kw["W"]}, OK)
_case(
    "linear_backward",
    "dS-overlaps-X",
    lambda kw: (lambda buf: {"dS": buf[:, :C], "X": buf[:, 1:], "W": kw["W"]})(_mat(N, D + 1)),
    OK,
)
_case("linear_softmax_loss", "X-is-W", lambda kw: {**kw, "X": kw["W"], "y": _y(C)}, OK)
_case(
    "linear_squared_loss", "T-is-X", lambda kw: {**kw, "T": kw["X"], "W": _W(D, D), "b": _b(D)}, OK
)
_case("softmax_loss", "soft-y-is-S", lambda kw: {**kw, "y": kw["S"]}, OK)
_case("least_squares", "T-is-X", lambda kw: {**kw, "T": kw["X"]}, OK)

# ---- extreme values are not errors
_case(
    "softmax_loss",
    "S-nan-inf",
    {
        "S": np.array(
            [[np.nan, 0, 1], [np.inf, 0, 1], [-np.inf, 0, 1], [-np.inf] * 3, [1e308, -1e308, 0]]
        )
    },
    OK,
)
_case(
    "svm_loss",
    "S-nan-inf",
    {
        "S": np.array(
            [[np.nan, 0, 1], [np.inf, 0, 1], [-np.inf, 0, 1], [-np.inf] * 3, [1e308, -1e308, 0]]
        )
    },
    OK,
)
_case(
    "squared_loss",
    "P-nan-inf",
    {
        "P": np.array(
            [[np.nan, 0, 1], [np.inf, 0, 1], [-np.inf, 0, 1], [1.0] * 3, [1e308, -1e308, 0]]
        )
    },
    OK,
)
_case("linear_softmax_loss", "X-huge", {"X": _X() * 1e300}, OK)

CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "duplicate case ids"


# --------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------


def _call(fn, spec: Function, kw):
    args = [kw.pop(name) for name in spec.args if name in kw]
    return fn(*args, **kw)


def _result_dtype(result):
    leaves = result if isinstance(result, tuple) else (result,)
    if any(isinstance(r, np.ndarray) and r.dtype == np.float32 for r in leaves):
        return np.float32
    return np.float64


def _compare(got, want, dtype, what="result", scale=0.0):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), f"{what}: {got!r} vs {want!r}"
        assert type(got).__name__ == type(want).__name__, f"{what}: {type(got)} vs {type(want)}"
        for k, (g, w) in enumerate(zip(got, want)):
            _compare(g, w, dtype, f"{what}[{k}]", scale)
        return
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{what}: expected an ndarray, got {type(got)}"
        assert got.shape == want.shape and got.dtype == want.dtype, (
            f"{what}: {got.shape} {got.dtype} vs {want.shape} {want.dtype}"
        )
    assert_close(got, want, dtype, what, scale)


def check_case(case: Case):
    """Runs ``case`` through the compiled function and, for ``OK``, compares
    with the oracle; checks that no input array changed. Raises
    AssertionError on failure."""
    spec = FUNCTIONS[case.fn]
    kw = case.make()
    before = {k: np.array(v, copy=True) for k, v in kw.items() if isinstance(v, np.ndarray)}
    if case.expect is OK:
        got = _call(spec.compiled, spec, dict(kw))
        want = _call(spec.oracle, spec, case.make())
        # least_squares: errors relative to the data's scale (O(1) here), not
        # to a solution that may be rounding noise (W of constant targets).
        scale = 1.0 if case.fn == "least_squares" else 0.0
        _compare(got, want, _result_dtype(want), scale=scale)
    else:
        exc, name = case.expect
        try:
            _call(spec.compiled, spec, dict(kw))
        except (ValueError, TypeError) as e:
            assert type(e) is exc, f"raised {type(e).__name__} ({e}), expected {exc.__name__}"
            assert str(e).startswith(f"{name}:") or str(e).startswith(f"{name} "), (
                f"message does not start with the argument's name {name!r}: {e}"
            )
        else:
            raise AssertionError(f"no error, expected {exc.__name__} naming {name!r}")
        # The oracle agrees (compat functions have no reference counterpart of their own).
        if not case.fn.startswith("cs231n."):
            try:
                _call(spec.oracle, spec, case.make())
            except (ValueError, TypeError) as e:
                assert type(e) is exc, f"the reference raised {type(e).__name__} ({e})"
            else:
                raise AssertionError("the reference raised nothing")
    for k, v in before.items():
        now = kw[k]
        if v.dtype.kind in "fc":
            np.testing.assert_array_equal(now, v, err_msg=f"{k} was written to")
        elif v.dtype.kind != "O":
            assert np.array_equal(now, v), f"{k} was written to"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_case(case):
    with np.errstate(all="ignore"):
        check_case(case)


def _child_main(fn):
    """In the child: run every case of ``fn``, one JSON line per case."""
    import warnings

    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    for case in CASES:
        if case.fn != fn:
            continue
        print(json.dumps({"start": case.id}), flush=True)
        try:
            check_case(case)
            outcome = {"id": case.id, "ok": True}
        except BaseException:  # noqa: BLE001 - reported, the parent decides
            outcome = {"id": case.id, "ok": False, "error": traceback.format_exc(limit=3)}
        print(json.dumps(outcome), flush=True)


@pytest.mark.parametrize("fn", list(FUNCTIONS))
def test_cases_in_a_subprocess(fn):
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([here] + [p for p in sys.path if p])
    code = f"import test_hostile_input as t; t._child_main({fn!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    started = [d["start"] for d in lines if "start" in d]
    done = {d["id"]: d for d in lines if "id" in d}
    if proc.returncode != 0:
        crashed = started[-1] if started and started[-1] not in done else None
        pytest.fail(
            f"child exited with {proc.returncode} in case {crashed!r}\n{proc.stderr[-3000:]}"
        )
    expected = [c.id for c in CASES if c.fn == fn]
    assert started == expected
    failed = {k: d["error"] for k, d in done.items() if not d["ok"]}
    assert not failed, "\n".join(f"{k}:\n{v}" for k, v in failed.items())
