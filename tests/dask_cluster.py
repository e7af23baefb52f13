"""A real ``dask.distributed`` cluster for the Dask tests, started and closed once a module.

Two worker processes of one thread each, under nannies (which restart a
worker that dies), as a user's ``LocalCluster`` would be. Closing it is
checked: no worker process is left running.
"""

from __future__ import annotations

import contextlib
import logging
import os

import pytest

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")


@contextlib.contextmanager
def local_cluster(**kwargs):
    """A ``LocalCluster`` and a ``Client`` to it; on exit both closed and every process gone."""
    options = dict(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    options.update(kwargs)
    workers = []
    with distributed.LocalCluster(**options) as cluster, distributed.Client(cluster) as client:
        yield client
        # Every process a worker ran in, including those a nanny restarted.
        workers = [psutil.Process(pid) for pid in _worker_pids(client)]
    _gone, alive = psutil.wait_procs([p for p in workers if p.pid != os.getpid()], timeout=10)
    assert not alive, f"worker processes left running after the cluster closed: {alive}"


def _worker_pids(client):
    return set(client.run(os.getpid).values())


@pytest.fixture(scope="module")
def client():
    """The module's client to a 2-worker ``LocalCluster`` of processes."""
    with local_cluster() as c:
        yield c
