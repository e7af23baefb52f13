"""fastlin.capi from Cython: a user's module (tests/cython/user_losses.pyx),
compiled here against ``fastlin.get_include()``, calls each function inside
``prange(nogil=True)``; its losses and gradients are those of the Python API."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, assert_close

import fastlin

# Building the user's module takes a minute (Cython's C++ for fused memoryviews).
pytestmark = pytest.mark.slow

USER_PYX = os.path.join(os.path.dirname(__file__), "cython", "user_losses.pyx")


def _compiler():
    cxx = (sysconfig.get_config_var("CXX") or "c++").split()
    return cxx if shutil.which(cxx[0]) else None


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    pytest.importorskip(
        "Cython", minversion="3.0", reason="Cython is needed to build a user module"
    )
    cxx = _compiler()
    if cxx is None:
        pytest.skip("no C++ compiler to build a user module")
    build = tmp_path_factory.mktemp("capi_user")
    source = build / "user_losses.cpp"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cython",
            "-3",
            "--cplus",
            "-I",
            fastlin.get_include(),
            USER_PYX,
            "-o",
            str(source),
        ],
        check=True,
    )
    module = build / ("user_losses" + sysconfig.get_config_var("EXT_SUFFIX"))
    darwin = sys.platform == "darwin"
    shared = ["-bundle", "-undefined", "dynamic_lookup"] if darwin else ["-shared"]
    # OpenMP where the compiler has it (prange runs serially without).
    openmp = [] if darwin else ["-fopenmp"]
    subprocess.run(
        [
            *cxx,
            "-O0",
            "-fPIC",
            *shared,
            *openmp,
            "-I",
            sysconfig.get_paths()["include"],
            str(source),
            "-o",
            str(module),
        ],
        check=True,
    )
    spec = importlib.util.spec_from_file_location("user_losses", module)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


K, N, D, C = 6, 37, 13, 7


def _data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        S=rng.standard_normal((K, N, C)).astype(dtype) * 3,
        y=rng.integers(0, C, (K, N)),
        T=rng.standard_normal((K, N, C)).astype(dtype),
        X=rng.standard_normal((K, N, D)).astype(dtype),
        W=rng.standard_normal((K, C, D)).astype(dtype),
        b=rng.standard_normal((K, C)).astype(dtype),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", ["softmax_loss", "svm_loss", "squared_loss"])
def test_scores_losses(user, dtype, name):
    d = _data(dtype)
    second = d["T"] if name == "squared_loss" else d["y"]
    grad = np.full_like(d["S"], np.nan)
    losses = getattr(user, "batched_" + name)(d["S"], second, grad)
    for k in range(K):
        loss, expected = getattr(fastlin, name)(d["S"][k], second[k])
        assert_close(float(losses[k]), loss, dtype, "loss")
        assert_close(grad[k], expected, dtype, "gradient")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", ["linear_softmax_loss", "linear_svm_loss", "linear_squared_loss"])
def test_fused_losses(user, dtype, name):
    d = _data(dtype, seed=1)
    second = d["T"] if name == "linear_squared_loss" else d["y"]
    dW, db = np.full_like(d["W"], np.nan), np.full_like(d["b"], np.nan)
    losses = getattr(user, "batched_" + name)(d["X"], second, d["W"], d["b"], 0.25, dW, db)
    for k in range(K):
        r = getattr(fastlin, name)(d["X"][k], second[k], d["W"][k], d["b"][k], reg=0.25)
        assert_close(float(losses[k]), r.loss, dtype, "loss")
        assert_close(dW[k], r.dW, dtype, "gradient")
        assert_close(db[k], r.db, dtype, "gradient")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_fused_without_bias(user, dtype):
    d = _data(dtype, seed=2)
    dW = np.full_like(d["W"], np.nan)
    losses = user.batched_linear_softmax_loss(d["X"], d["y"], d["W"], None, 0.0, dW, None)
    for k in range(K):
        r = fastlin.linear_softmax_loss(d["X"][k], d["y"][k], d["W"][k])
        assert_close(float(losses[k]), r.loss, dtype, "loss")
        assert_close(dW[k], r.dW, dtype, "gradient")


def test_bad_label_in_prange_raises_value_error(user):
    d = _data(np.float64)
    d["y"][3, 5] = C
    with pytest.raises(ValueError, match=r"y\[5\] = 7 is outside \[0, C\)"):
        user.batched_svm_loss(d["S"], d["y"], np.empty_like(d["S"]))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_bad_shapes_raise_value_error(user, dtype):
    d = _data(dtype)
    S, y = d["S"][0], d["y"][0]
    with pytest.raises(ValueError, match=r"y: expected shape \(37,\)"):
        user.softmax_loss_once(S, y[:5], np.empty_like(S))
    with pytest.raises(ValueError, match=r"dS: expected the shape of S \(37, 7\), got shape"):
        user.softmax_loss_once(S, y, np.empty_like(S[:, :6]))
    with pytest.raises(ValueError, match="dS: must not overlap S"):
        user.softmax_loss_once(S, y, S)
    with pytest.raises(ValueError, match=r"X: expected 13 features"):
        user.batched_linear_svm_loss(
            d["X"][:, :, :5].copy(),
            d["y"],
            d["W"],
            d["b"],
            0.0,
            np.empty_like(d["W"]),
            np.empty_like(d["b"]),
        )
    with pytest.raises(ValueError, match=r"reg: expected a finite number >= 0"):
        user.batched_linear_svm_loss(
            d["X"], d["y"], d["W"], d["b"], -1.0, np.empty_like(d["W"]), np.empty_like(d["b"])
        )
