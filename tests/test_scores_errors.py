"""Bad input to the scores losses: a ValueError or TypeError that names the
argument, the same from the compiled module and the
reference, and never a crash."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MODULES

import fastlin
import fastlin.reference as ref

N, C = 4, 3
U64_BIG = np.uint64(2**63 + 5)
U64_WRAPS_TO_IGNORE = np.uint64(2**64 - 100)  # int64(-100) once wrapped


def _S(shape=(N, C), dtype=np.float64):
    return np.arange(np.prod(shape), dtype=np.float64).reshape(shape).astype(dtype) / 7.0


def _y(values=(0, 1, 2, 1), dtype=np.int64):
    return np.array(values, dtype=dtype)


# (id, function, args, kwargs, expected exception, regex the message must match)
# Every message starts with the argument's name.
CASES = [
    # ---- labels
    (
        "softmax-label-negative",
        "softmax_loss",
        (_S(), _y((0, -1, 2, 1))),
        {},
        ValueError,
        r"^y\b.*-1",
    ),
    (
        "softmax-label-equals-C",
        "softmax_loss",
        (_S(), _y((0, 3, 2, 1))),
        {},
        ValueError,
        r"^y\b.*3",
    ),
    (
        "softmax-label-ignore-other",
        "softmax_loss",
        (_S(), _y((0, -100, 2, 1))),
        {"ignore_index": 1},
        ValueError,
        r"^y\b.*-100",
    ),
    (
        "softmax-label-u64-huge",
        "softmax_loss",
        (_S(), _y((0, 1, U64_BIG, 1), np.uint64)),
        {},
        ValueError,
        r"^y\b",
    ),
    (
        "softmax-label-u64-wraps-to-ignore",
        "softmax_loss",
        (_S(), _y((0, 1, U64_WRAPS_TO_IGNORE, 1), np.uint64)),
        {},
        ValueError,
        r"^y\b",
    ),
    ("softmax-label-bool", "softmax_loss", (_S(), _y((0, 1, 1, 0), bool)), {}, TypeError, r"^y\b"),
    (
        "softmax-label-complex",
        "softmax_loss",
        (_S(), _y((0, 1, 2, 1), complex)),
        {},
        TypeError,
        r"^y\b",
    ),
    (
        "softmax-label-string",
        "softmax_loss",
        (_S(), np.array(["a", "b", "c", "d"])),
        {},
        TypeError,
        r"^y\b",
    ),
    ("softmax-label-none", "softmax_loss", (_S(), None), {}, TypeError, r"^y\b"),
    (
        "softmax-label-float-1d",
        "softmax_loss",
        (_S(), _y((0, 1, 2, 1), np.float64)),
        {},
        TypeError,
        r"^y\b",
    ),
    (
        "softmax-label-length",
        "softmax_loss",
        (_S(), _y((0, 1, 2))),
        {},
        ValueError,
        r"^y\b.*\(3,\)",
    ),
    (
        "softmax-label-2d-int",
        "softmax_loss",
        (_S(), np.zeros((N, C), np.int64)),
        {},
        ValueError,
        r"^y\b",
    ),
    (
        "softmax-soft-shape",
        "softmax_loss",
        (_S(), np.full((N, 2), 0.5)),
        {},
        ValueError,
        r"^y\b.*\(4, 2\)",
    ),
    (
        "softmax-soft-rows",
        "softmax_loss",
        (_S(), np.full((N + 1, C), 0.5)),
        {},
        ValueError,
        r"^y\b",
    ),
    ("svm-label-negative", "svm_loss", (_S(), _y((0, -1, 2, 1))), {}, ValueError, r"^y\b.*-1"),
    ("svm-label-equals-C", "svm_loss", (_S(), _y((0, 1, 2, 3))), {}, ValueError, r"^y\b.*3"),
    ("svm-label-minus-100", "svm_loss", (_S(), _y((0, -100, 2, 1))), {}, ValueError, r"^y\b"),
    (
        "svm-label-u64-huge",
        "svm_loss",
        (_S(), _y((0, 1, U64_BIG, 1), np.uint64)),
        {},
        ValueError,
        r"^y\b",
    ),
    ("svm-label-float", "svm_loss", (_S(), _y((0, 1, 2, 1), np.float64)), {}, TypeError, r"^y\b"),
    ("svm-label-float-2d", "svm_loss", (_S(), np.full((N, C), 1 / 3)), {}, TypeError, r"^y\b"),
    ("svm-label-bool", "svm_loss", (_S(), _y((0, 1, 1, 0), bool)), {}, TypeError, r"^y\b"),
    ("svm-label-length", "svm_loss", (_S(), _y((0, 1, 2, 1, 0))), {}, ValueError, r"^y\b.*\(5,\)"),
    # ---- weights
    (
        "softmax-weight-length",
        "softmax_loss",
        (_S(), _y()),
        {"weight": np.ones(2)},
        ValueError,
        r"^weight\b.*\(2,\)",
    ),
    (
        "softmax-weight-2d",
        "softmax_loss",
        (_S(), _y()),
        {"weight": np.ones((1, C))},
        ValueError,
        r"^weight\b",
    ),
    (
        "softmax-weight-negative",
        "softmax_loss",
        (_S(), _y()),
        {"weight": np.array([1.0, -0.5, 1.0])},
        ValueError,
        r"^weight\b",
    ),
    (
        "softmax-weight-nan",
        "softmax_loss",
        (_S(), _y()),
        {"weight": np.array([1.0, np.nan, 1.0])},
        ValueError,
        r"^weight\b",
    ),
    (
        "softmax-weight-inf",
        "softmax_loss",
        (_S(), _y()),
        {"weight": np.array([1.0, np.inf, 1.0])},
        ValueError,
        r"^weight\b",
    ),
    (
        "softmax-weight-complex",
        "softmax_loss",
        (_S(), _y()),
        {"weight": np.ones(C, complex)},
        TypeError,
        r"^weight\b",
    ),
    (
        "softmax-sample_weight-length",
        "softmax_loss",
        (_S(), _y()),
        {"sample_weight": np.ones(N + 1)},
        ValueError,
        r"^sample_weight\b.*\(5,\)",
    ),
    (
        "softmax-sample_weight-negative",
        "softmax_loss",
        (_S(), _y()),
        {"sample_weight": np.array([1.0, 1.0, -1.0, 1.0])},
        ValueError,
        r"^sample_weight\b",
    ),
    (
        "softmax-sample_weight-nan",
        "softmax_loss",
        (_S(), _y()),
        {"sample_weight": np.array([1.0, 1.0, np.nan, 1.0])},
        ValueError,
        r"^sample_weight\b",
    ),
    (
        "softmax-soft-sample_weight-length",
        "softmax_loss",
        (_S(), np.full((N, C), 1 / 3)),
        {"sample_weight": np.ones(N - 1)},
        ValueError,
        r"^sample_weight\b",
    ),
    (
        "svm-weight-length",
        "svm_loss",
        (_S(), _y()),
        {"weight": np.ones(C + 1)},
        ValueError,
        r"^weight\b.*\(4,\)",
    ),
    (
        "svm-weight-negative",
        "svm_loss",
        (_S(), _y()),
        {"weight": np.array([1.0, 1.0, -2.0])},
        ValueError,
        r"^weight\b",
    ),
    (
        "svm-weight-nan",
        "svm_loss",
        (_S(), _y()),
        {"weight": np.array([np.nan, 1.0, 1.0])},
        ValueError,
        r"^weight\b",
    ),
    (
        "svm-sample_weight-length",
        "svm_loss",
        (_S(), _y()),
        {"sample_weight": np.ones(2)},
        ValueError,
        r"^sample_weight\b.*\(2,\)",
    ),
    (
        "svm-sample_weight-negative",
        "svm_loss",
        (_S(), _y()),
        {"sample_weight": np.array([-1.0, 1.0, 1.0, 1.0])},
        ValueError,
        r"^sample_weight\b",
    ),
    (
        "svm-sample_weight-nan",
        "svm_loss",
        (_S(), _y()),
        {"sample_weight": np.array([1.0, 1.0, 1.0, np.nan])},
        ValueError,
        r"^sample_weight\b",
    ),
    (
        "squared-sample_weight-length",
        "squared_loss",
        (_S(), _S()),
        {"sample_weight": np.ones(N + 2)},
        ValueError,
        r"^sample_weight\b.*\(6,\)",
    ),
    (
        "squared-sample_weight-negative",
        "squared_loss",
        (_S(), _S()),
        {"sample_weight": np.array([1.0, -1.0, 1.0, 1.0])},
        ValueError,
        r"^sample_weight\b",
    ),
    (
        "squared-sample_weight-nan",
        "squared_loss",
        (_S(), _S()),
        {"sample_weight": np.array([1.0, np.nan, 1.0, 1.0])},
        ValueError,
        r"^sample_weight\b",
    ),
    # ---- scores: ndim and dtype
    ("softmax-S-1d", "softmax_loss", (_S((C,)), _y((0,))), {}, ValueError, r"^S\b.*\(3,\)"),
    ("softmax-S-3d", "softmax_loss", (_S((N, C, 2)), _y()), {}, ValueError, r"^S\b.*\(4, 3, 2\)"),
    ("softmax-S-0d", "softmax_loss", (np.float64(1.0), _y((0,))), {}, ValueError, r"^S\b"),
    ("softmax-S-no-classes", "softmax_loss", (np.zeros((0, 0)), _y(())), {}, ValueError, r"^S\b"),
    (
        "softmax-S-complex",
        "softmax_loss",
        (_S(dtype=complex), _y()),
        {},
        TypeError,
        r"^S\b.*complex",
    ),
    (
        "softmax-S-object",
        "softmax_loss",
        (np.array([[1.0, None, 2.0]] * N, dtype=object), _y()),
        {},
        TypeError,
        r"^S\b.*object",
    ),
    ("softmax-S-string", "softmax_loss", (np.full((N, C), "x"), _y()), {}, TypeError, r"^S\b"),
    (
        "softmax-S-datetime",
        "softmax_loss",
        (np.zeros((N, C), "datetime64[s]"), _y()),
        {},
        TypeError,
        r"^S\b",
    ),
    ("softmax-S-none", "softmax_loss", (None, _y()), {}, TypeError, r"^S\b"),
    ("svm-S-1d", "svm_loss", (_S((C,)), _y((0,))), {}, ValueError, r"^S\b"),
    ("svm-S-3d", "svm_loss", (_S((N, C, 1)), _y()), {}, ValueError, r"^S\b"),
    ("svm-S-complex", "svm_loss", (_S(dtype=np.complex64), _y()), {}, TypeError, r"^S\b"),
    ("svm-S-object", "svm_loss", (np.array([[object()] * C] * N), _y()), {}, TypeError, r"^S\b"),
    # ---- squared: P and T
    ("squared-T-shape", "squared_loss", (_S(), _S((N, 2))), {}, ValueError, r"^T\b.*\(4, 2\)"),
    ("squared-T-rows", "squared_loss", (_S(), _S((N + 1, C))), {}, ValueError, r"^T\b"),
    ("squared-T-1d-vs-2d", "squared_loss", (_S((N,)), _S((N, 1))), {}, ValueError, r"^T\b"),
    ("squared-P-3d", "squared_loss", (_S((N, C, 2)), _S((N, C, 2))), {}, ValueError, r"^P\b"),
    ("squared-P-0d", "squared_loss", (np.float64(1.0), np.float64(1.0)), {}, ValueError, r"^P\b"),
    ("squared-P-complex", "squared_loss", (_S(dtype=complex), _S()), {}, TypeError, r"^P\b"),
    (
        "squared-T-object",
        "squared_loss",
        (_S(), np.array([[None] * C] * N)),
        {},
        TypeError,
        r"^T\b",
    ),
    ("squared-T-string", "squared_loss", (_S(), np.full((N, C), "t")), {}, TypeError, r"^T\b"),
    # ---- options
    (
        "softmax-reduction",
        "softmax_loss",
        (_S(), _y()),
        {"reduction": "avg"},
        ValueError,
        r"^reduction\b.*avg",
    ),
    (
        "softmax-reduction-case",
        "softmax_loss",
        (_S(), _y()),
        {"reduction": "Mean"},
        ValueError,
        r"^reduction\b",
    ),
    (
        "svm-reduction",
        "svm_loss",
        (_S(), _y()),
        {"reduction": "mean "},
        ValueError,
        r"^reduction\b",
    ),
    (
        "squared-reduction",
        "squared_loss",
        (_S(), _S()),
        {"reduction": "elementwise_mean"},
        ValueError,
        r"^reduction\b",
    ),
    (
        "svm-variant",
        "svm_loss",
        (_S(), _y()),
        {"variant": "one_vs_rest"},
        ValueError,
        r"^variant\b.*one_vs_rest",
    ),
    (
        "svm-margin-nan",
        "svm_loss",
        (_S(), _y()),
        {"margin": float("nan")},
        ValueError,
        r"^margin\b",
    ),
    (
        "svm-margin-inf",
        "svm_loss",
        (_S(), _y()),
        {"margin": float("inf")},
        ValueError,
        r"^margin\b",
    ),
    (
        "softmax-label_smoothing-negative",
        "softmax_loss",
        (_S(), _y()),
        {"label_smoothing": -0.1},
        ValueError,
        r"^label_smoothing\b.*-0\.1",
    ),
    (
        "softmax-label_smoothing-above-1",
        "softmax_loss",
        (_S(), _y()),
        {"label_smoothing": 1.5},
        ValueError,
        r"^label_smoothing\b.*1\.5",
    ),
    (
        "softmax-label_smoothing-nan",
        "softmax_loss",
        (_S(), _y()),
        {"label_smoothing": float("nan")},
        ValueError,
        r"^label_smoothing\b",
    ),
    # Options of the wrong type: "unknown reduction/variant" and non-numbers.
    (
        "softmax-reduction-none",
        "softmax_loss",
        (_S(), _y()),
        {"reduction": None},
        ValueError,
        r"^reduction\b",
    ),
    ("svm-variant-none", "svm_loss", (_S(), _y()), {"variant": None}, ValueError, r"^variant\b"),
    (
        "softmax-label_smoothing-string",
        "softmax_loss",
        (_S(), _y()),
        {"label_smoothing": "0.1"},
        TypeError,
        r"^label_smoothing\b",
    ),
    ("svm-margin-string", "svm_loss", (_S(), _y()), {"margin": "1"}, TypeError, r"^margin\b"),
    (
        "softmax-ignore_index-float",
        "softmax_loss",
        (_S(), _y()),
        {"ignore_index": 1.5},
        TypeError,
        r"^ignore_index\b",
    ),
    (
        "softmax-soft-label_smoothing-negative",
        "softmax_loss",
        (_S(), np.full((N, C), 1 / 3)),
        {"label_smoothing": -1e-3},
        ValueError,
        r"^label_smoothing\b",
    ),
]


def _params(with_module):
    for case in CASES:
        if with_module:
            for m in MODULES:
                yield pytest.param(m.values[0], *case[1:], id=f"{m.id}-{case[0]}")
        else:
            yield pytest.param(*case[1:], id=case[0])


def _raise(module, fname, args, kw):
    with pytest.raises((ValueError, TypeError)) as info:
        getattr(module, fname)(*args, **kw)
    return info


@pytest.mark.parametrize(("module", "fname", "args", "kw", "exc", "match"), list(_params(True)))
def test_bad_input_raises_and_names_the_argument(module, fname, args, kw, exc, match):
    saved = [
        np.array(a, copy=True) for a in list(args) + list(kw.values()) if isinstance(a, np.ndarray)
    ]
    with pytest.raises(exc, match=match):
        getattr(module, fname)(*args, **kw)
    after = [a for a in list(args) + list(kw.values()) if isinstance(a, np.ndarray)]
    for before, now in zip(saved, after):
        if before.dtype.kind in "fc":
            np.testing.assert_array_equal(now, before)
        else:
            assert np.array_equal(now, before) or before.dtype.kind == "O"


@pytest.mark.parametrize(("fname", "args", "kw", "exc", "match"), list(_params(False)))
def test_compiled_and_reference_raise_the_same_type(fname, args, kw, exc, match):
    got = _raise(fastlin, fname, args, kw)
    want = _raise(ref, fname, args, kw)
    assert got.type is want.type, (
        f"fastlin raised {got.type.__name__}: {got.value}; "
        f"reference raised {want.type.__name__}: {want.value}"
    )


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("bad", [-1, 3, 1000, -101])
def test_every_position_of_a_bad_label_is_caught(module, bad):
    # The bad label in the last row, after good ones: checked before any output.
    for n in (1, 2, 7, 300):
        y = np.zeros(n, dtype=np.int64)
        y[-1] = bad
        S = np.zeros((n, C))
        for fname in ("softmax_loss", "svm_loss"):
            with pytest.raises(ValueError, match=rf"^y\b.*{bad}"):
                getattr(module, fname)(S, y)


@pytest.mark.parametrize("fname", ["softmax_loss", "svm_loss"])
def test_labels_are_checked_and_counted_in_pieces(fname):
    # Labels are checked and counted in pieces of 32768 on the thread pool:
    # ignored rows in every piece leave the mean's denominator, and of two
    # bad labels in later pieces the first one is named.
    rng = np.random.default_rng(5)
    N = 100_000
    S = rng.standard_normal((N, C))
    y = rng.integers(0, C, N)
    if fname == "softmax_loss":
        y[::7] = -100
    got, want = getattr(fastlin, fname)(S, y), getattr(ref, fname)(S, y)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-18)
    y[90_001] = -1
    y[40_001] = C
    with pytest.raises(ValueError, match=r"^y: label y\[40001\] = " + str(C)):
        getattr(fastlin, fname)(S, y)


@pytest.mark.parametrize("module", MODULES)
def test_label_errors_are_caught_for_float32_and_grad_false(module):
    S = np.zeros((5, C), np.float32)
    y = np.array([0, 1, 2, 3, 0])
    for fname in ("softmax_loss", "svm_loss"):
        for reduction in ("mean", "sum", "none"):
            with pytest.raises(ValueError, match=r"^y\b"):
                getattr(module, fname)(S, y, reduction=reduction, grad=False)


@pytest.mark.parametrize("module", MODULES)
def test_valid_edge_values_are_accepted(module):
    # The boundaries of what the checks allow are not errors.
    S = _S()
    module.softmax_loss(S, _y(), label_smoothing=0.0)
    module.softmax_loss(S, _y(), label_smoothing=1.0)
    module.softmax_loss(S, _y(), weight=np.zeros(C), sample_weight=np.zeros(N))
    module.softmax_loss(S, _y((0, -100, 2, -100), np.int8))
    module.softmax_loss(S, _y((0, 7, 2, 7)), ignore_index=7)
    module.svm_loss(S, _y((0, 1, 2, 1), np.uint64), margin=0.0)
    module.svm_loss(S, _y(), margin=-3.0)
    module.squared_loss(_S((N,)), _S((N,)), sample_weight=np.zeros(N))
