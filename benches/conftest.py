"""Shared fixture for the pytest-benchmark suite.

Workloads, inputs, contenders and the result check all come from
``fastlin.bench`` (the report a user runs), so the two never disagree about
shapes. Each test times one contender on one workload and dtype; the group is
the workload and dtype, so fastlin, ``fastlin.reference`` and PyTorch sit side
by side. Every timed result is checked against the reference.

    pytest benches/                          # time everything (minutes)
    pytest benches/ --benchmark-disable -q   # smoke: each call once, no vocab head
"""

import pytest

from fastlin import bench

_cache = {}


def _prepared(w, dtype):
    """Inputs, contenders and the reference's (loss, grad), one workload at a time."""
    key = (w.name, dtype)
    if key not in _cache:
        _cache.clear()  # keep one workload's arrays alive, not all of them
        inp = bench.make_inputs(w, dtype)
        found = dict(bench.contenders(w, inp))
        ref = found["reference"]
        _cache[key] = (found, ref.result(ref.call()))
    return _cache[key]


def _cases(linear):
    """(workload, dtype, contender) triples, grouped so each workload's arrays are made once."""
    return [
        (w, dtype, label)
        for dtype in bench.DTYPES
        for w in bench.WORKLOADS
        if w.linear == linear
        for label in bench.LABELS
        if not label.startswith("torch") or bench.torch_has_peer(w, label == "torch chunked")
    ]


def pytest_generate_tests(metafunc):
    """A test asking for ``scores_case`` or ``linear_case`` runs once per triple."""
    for name, linear in (("scores_case", False), ("linear_case", True)):
        if name in metafunc.fixturenames:
            triples = _cases(linear)
            metafunc.parametrize(
                name,
                triples,
                ids=[f"{w.name}-{dtype}-{label.replace(' ', '_')}" for w, dtype, label in triples],
            )


@pytest.fixture
def run_case(benchmark, request):
    """``run_case(workload, dtype, label)``: time the contender and check its result."""

    def run(w, dtype, label):
        if w.heavy and request.config.getoption("benchmark_disable"):
            pytest.skip(f"{w.name} is heavy: not part of the --benchmark-disable smoke run")
        found, want = _prepared(w, dtype)
        c = found[label]
        if c is None:
            pytest.skip(f"{label} is not installed or has no function for {w.name} yet")
        benchmark.group = f"{w.name} {dtype}"
        if w.heavy:
            raw = benchmark.pedantic(c.call, rounds=3, warmup_rounds=1)
        else:
            raw = benchmark(c.call)
        why = bench.mismatch(c.result(raw), want, dtype)
        assert why is None, f"{label} on {w.name} {dtype}: {why}"

    return run
