"""An out-of-range label raises fastlin.LabelError, a ValueError and an IndexError."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import MODULES

import fastlin
import fastlin.reference
from fastlin.compat import cs231n

N, D, C = 7, 5, 4


def _calls(fl, y):
    rng = np.random.default_rng(3)
    S = rng.standard_normal((N, C))
    X = rng.standard_normal((N, D))
    W = rng.standard_normal((C, D))
    return {
        "softmax_loss": lambda: fl.softmax_loss(S, y),
        "svm_loss": lambda: fl.svm_loss(S, y, variant="crammer_singer"),
        "linear_softmax_loss": lambda: fl.linear_softmax_loss(X, y, W),
        "linear_svm_loss": lambda: fl.linear_svm_loss(X, y, W, np.zeros(C)),
    }


def test_pickles_as_fastlin_label_error():
    # Errors cross process boundaries (multiprocessing, Dask workers) pickled.
    try:
        fastlin.svm_loss(np.zeros((N, C)), np.full(N, C))
    except fastlin.LabelError as exc:
        error = exc
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is fastlin.LabelError
    assert str(copy) == str(error)
    assert repr(type(copy)) == "<class 'fastlin.LabelError'>"


def test_one_class_shared_by_both_modules():
    assert fastlin.LabelError is fastlin.reference.LabelError
    assert issubclass(fastlin.LabelError, ValueError)
    assert issubclass(fastlin.LabelError, IndexError)


@pytest.mark.parametrize("fl", MODULES)
@pytest.mark.parametrize("bad", [C, -1, 10**6, np.iinfo(np.int64).min])
@pytest.mark.parametrize("function", list(_calls(fastlin, np.zeros(N, np.int64))))
def test_out_of_range_label(fl, bad, function):
    y = np.arange(N, dtype=np.int64) % C
    y[4] = bad
    with pytest.raises(fastlin.LabelError, match=rf"y\[4\] = {bad} is outside \[0, C\)"):
        _calls(fl, y)[function]()
    # As PyTorch code and cs231n-style code catch it.
    with pytest.raises(IndexError):
        _calls(fl, y)[function]()


@pytest.mark.parametrize("fl", MODULES)
def test_uint64_beyond_int64(fl):
    y = np.zeros(N, dtype=np.uint64)
    y[2] = np.uint64(2**63)
    with pytest.raises(fastlin.LabelError, match=r"y\[2\] = 9223372036854775808"):
        fl.svm_loss(np.zeros((N, C)), y)


def test_cs231n_signatures():
    y = np.full(N, C)
    X, W = np.ones((N, D)), np.ones((D, C))
    with pytest.raises(IndexError):
        cs231n.softmax_loss_vectorized(W, X, y, 0.0)
    with pytest.raises(IndexError):
        cs231n.svm_loss(np.ones((N, C)), y)


@pytest.mark.parametrize("fl", MODULES)
def test_other_bad_input_is_not_an_index_error(fl):
    with pytest.raises(ValueError) as info:
        fl.softmax_loss(np.zeros((N, C)), np.zeros(N + 1, np.int64))
    assert not isinstance(info.value, IndexError)
