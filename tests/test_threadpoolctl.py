"""threadpoolctl sees fastlin's thread pool and caps it."""

from __future__ import annotations

import os

import pytest

import fastlin
from fastlin import _core

threadpoolctl = pytest.importorskip("threadpoolctl", minversion="3.2")


def _fastlin_pools():
    return [info for info in threadpoolctl.threadpool_info() if info["internal_api"] == "fastlin"]


def _core_pool():
    core = os.path.realpath(_core.__file__)
    pools = [p for p in _fastlin_pools() if os.path.realpath(p["filepath"]) == core]
    assert len(pools) == 1, _fastlin_pools()
    return pools[0]


@pytest.fixture
def threads():
    saved = fastlin.get_num_threads()
    yield
    fastlin.set_num_threads(saved)


def test_info_lists_the_pool(threads):
    fastlin.set_num_threads(3)
    pool = _core_pool()
    assert pool["user_api"] == "fastlin"
    assert pool["num_threads"] == 3
    assert pool["version"] == fastlin.__version__
    assert pool["prefix"] == "_core"


@pytest.mark.parametrize("user_api", [None, "fastlin"])
def test_limits_cap_and_restore(threads, user_api):
    fastlin.set_num_threads(3)
    with threadpoolctl.threadpool_limits(limits=1, user_api=user_api):
        assert fastlin.get_num_threads() == 1
        assert _core_pool()["num_threads"] == 1
    assert fastlin.get_num_threads() == 3


def test_limits_of_blas_only_leave_it(threads):
    fastlin.set_num_threads(3)
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert fastlin.get_num_threads() == 3


def test_controller_api(threads):
    controller = threadpoolctl.ThreadpoolController().select(internal_api="fastlin")
    assert len(controller.lib_controllers) >= 1
    with controller.limit(limits=2):
        assert fastlin.get_num_threads() == 2


def test_capi_pool_follows_the_main_one(threads):
    import fastlin.capi  # noqa: F401  (its own copy of the pool)

    fastlin.set_num_threads(3)
    assert {p["prefix"]: p["num_threads"] for p in _fastlin_pools()} == {"_core": 3, "capi": 3}
    with threadpoolctl.threadpool_limits(limits=1):
        assert {p["prefix"]: p["num_threads"] for p in _fastlin_pools()} == {"_core": 1, "capi": 1}
    assert {p["prefix"]: p["num_threads"] for p in _fastlin_pools()} == {"_core": 3, "capi": 3}
