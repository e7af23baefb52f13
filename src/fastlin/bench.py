"""``python -m fastlin.bench``: fastlin beside its NumPy reference and PyTorch.

For every standard workload (``WORKLOADS``; the docs' Performance page) and
dtype it prints the median time of fastlin, of ``fastlin.reference`` and, when
PyTorch is importable, of PyTorch's CPU ops; the speed-ups; and each time as a
multiple of the hardware limit measured in the same run:

* scores losses (loss + gradient of an ``(N, C)`` score matrix): the
  *streaming limit*, the bytes the op must move (read ``S`` and ``y``, write
  ``dS``) over the copy bandwidth of ``np.copyto`` on a 256 MB array;
* linear-layer losses (loss, ``dW`` and ``db``): the *FLOP limit*,
  ``4 N D C`` flops over the peak of a 3072 x 3072 matrix product (NumPy ``@``)
  in the same dtype.

Every contender's result (loss and gradient) is checked once against the
reference before its time is printed; a mismatch is printed as ``WRONG`` and
makes the exit status 1. A function fastlin does not have is shown as ``n/a``.

    python -m fastlin.bench [--quick] [--dtype float32|float64|both]
                            [--only NAME ...] [--threads N]
                            [--json FILE] [--plot FILE] [--load FILE]

``--quick`` skips the vocabulary head and times fewer repeats (same shapes).
``--json FILE`` saves the results (machine, limits, every time and status);
``--plot FILE`` draws them (each time over its limit, needs matplotlib:
``pip install "fastlin[plot]"``); ``--load FILE`` plots or prints a saved
``--json`` file instead of measuring.
The vocabulary head runs each contender in a fresh subprocess so that its
peak memory (RSS growth during its first call) is measured honestly.

The workload table (``WORKLOADS``), ``make_inputs`` and ``contenders`` are
shared with the pytest-benchmark suite in ``benches/``.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

import fastlin
import fastlin.reference as reference

# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One standard workload. ``D == 0`` means a scores loss (no linear layer)."""

    name: str
    loss: str  # "softmax", "svm_ww", "svm_cs" or "squared"
    N: int
    C: int
    D: int = 0
    heavy: bool = False  # skipped by --quick (and by the benches smoke run)

    @property
    def linear(self) -> bool:
        return self.D > 0

    @property
    def shape(self) -> str:
        return f"N={self.N} D={self.D} C={self.C}" if self.linear else f"N={self.N} C={self.C}"


def _scores(loss, N, C):
    return Workload(f"{loss}_{N}x{C}", loss, N, C)


def _linear(loss, tag, N, D, C, heavy=False):
    return Workload(f"linear_{loss}_{tag}", loss, N, C, D, heavy)


WORKLOADS = [
    *(
        _scores(loss, N, C)
        for N, C in ((200_000, 20), (20_000, 1000))
        for loss in ("softmax", "svm_ww", "svm_cs")
    ),
    *(
        _linear(loss, tag, N, 3072, 20)
        for tag, N in (("tinyplaces", 20_000), ("one_image", 1), ("batch256", 256))
        for loss in ("softmax", "svm", "squared")
    ),
    _linear("softmax", "vocab", 4096, 1024, 32_000, heavy=True),
]
WORKLOADS_BY_NAME = {w.name: w for w in WORKLOADS}
DTYPES = ("float32", "float64")


@dataclass
class Inputs:
    S: Optional[np.ndarray] = None  # scores workloads
    X: Optional[np.ndarray] = None  # linear workloads
    W: Optional[np.ndarray] = None
    b: Optional[np.ndarray] = None
    target: Optional[np.ndarray] = None  # labels (N,) int64, or targets (N, C) for squared


def make_inputs(w: Workload, dtype, seed: int = 0) -> Inputs:
    """Deterministic inputs for ``w`` in ``dtype`` (C-ordered, no copies needed)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if w.loss == "squared":
        target = rng.standard_normal((w.N, w.C), dtype=dtype)
    else:
        target = rng.integers(0, w.C, w.N, dtype=np.int64)
    if not w.linear:
        S = rng.standard_normal((w.N, w.C), dtype=dtype)
        S *= 3
        return Inputs(S=S, target=target)
    X, W, b = _layer(w.N, w.D, w.C, dtype, seed)
    return Inputs(X=X, W=W, b=b, target=target)


@functools.lru_cache(maxsize=1)
def _layer(N, D, C, dtype, seed):
    """X, W, b of a linear workload; cached so the three losses of a shape share them."""
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((N, D), dtype=dtype)
    W = rng.standard_normal((C, D), dtype=dtype)
    W *= 1 / math.sqrt(D)
    b = rng.standard_normal(C, dtype=dtype)
    return X, W, b


# --------------------------------------------------------------------------
# Contenders. Each gives a zero-argument ``call`` (what is timed) and
# ``result(raw)`` turning its raw return into (loss, gradient) in the
# reference's convention (dS for scores losses, dW for linear losses).
# --------------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    call: Callable[[], object]
    result: Callable[[object], tuple]


def _api_options(w: Workload) -> dict:
    return {"variant": "crammer_singer"} if w.loss == "svm_cs" else {}


def api_contender(module, label: str, w: Workload, inp: Inputs) -> Optional[Contender]:
    """fastlin or fastlin.reference (same API); None if the function is missing."""
    base = "svm" if w.loss.startswith("svm") else w.loss
    fn = getattr(module, f"linear_{base}_loss" if w.linear else f"{base}_loss", None)
    if fn is None:
        return None
    kw = _api_options(w)
    if w.linear:
        return Contender(
            label, lambda: fn(inp.X, inp.target, inp.W, inp.b, **kw), lambda r: (float(r[0]), r[1])
        )
    return Contender(label, lambda: fn(inp.S, inp.target, **kw), lambda r: (float(r[0]), r[1]))


def _torch():
    """PyTorch, or None when it is not importable (imported only when needed)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_has_peer(w: Workload, chunked: bool = False) -> bool:
    """Whether PyTorch has an op for ``w``: no Crammer-Singer loss; chunked is softmax only."""
    if chunked:
        return w.linear and w.loss == "softmax"
    return w.loss != "svm_cs"


def torch_contender(w: Workload, inp: Inputs, chunked: bool = False) -> Optional[Contender]:
    """PyTorch forward + backward with autograd; None where PyTorch has no peer.

    Scores: ``cross_entropy`` / ``multi_margin_loss`` on a tensor with
    ``requires_grad``. Linear: ``F.linear`` + the loss + ``backward()``, or
    (``chunked``) ``F.linear_cross_entropy`` with ``LinearCrossEntropyOptions()``.
    ``multi_margin_loss`` is the SVM loss over C (the docs' Losses page), so its
    loss and gradient are scaled by C before the check.
    """
    torch = _torch()
    if torch is None or not torch_has_peer(w, chunked):
        return None
    F = torch.nn.functional
    if chunked and not (
        hasattr(F, "linear_cross_entropy") and hasattr(torch.nn, "LinearCrossEntropyOptions")
    ):
        return None
    scale = w.C if w.loss.startswith("svm") else 1.0
    target = torch.from_numpy(inp.target)
    losses = {
        "softmax": F.cross_entropy,
        "svm_ww": F.multi_margin_loss,
        "svm": F.multi_margin_loss,
        "squared": lambda P, T: F.mse_loss(P, T, reduction="sum") * (0.5 / P.shape[0]),
    }
    if w.linear:
        X = torch.from_numpy(inp.X)
        W = torch.from_numpy(inp.W).requires_grad_()
        b = torch.from_numpy(inp.b).requires_grad_()
        leaves, grad_of = (W, b), W
        if chunked:
            options = torch.nn.LinearCrossEntropyOptions()

            def forward():
                return F.linear_cross_entropy(X, W, target, linear_bias=b, options=options)
        else:

            def forward():
                return losses[w.loss](F.linear(X, W, b), target)
    else:
        S = torch.from_numpy(inp.S).requires_grad_()
        leaves, grad_of = (S,), S

        def forward():
            return losses[w.loss](S, target)

    def call():
        for leaf in leaves:
            leaf.grad = None
        loss = forward()
        loss.backward()
        return loss.detach(), grad_of.grad

    def result(raw):
        loss, grad = raw
        return loss.item() * scale, grad.numpy() * scale

    return Contender("torch chunked" if chunked else "torch", call, result)


def contenders(w: Workload, inp: Inputs) -> list:
    """[(label, Contender or None)] in report order; None means "n/a"."""
    return [
        ("fastlin", api_contender(fastlin, "fastlin", w, inp)),
        ("reference", api_contender(reference, "reference", w, inp)),
        ("torch", torch_contender(w, inp)),
        ("torch chunked", torch_contender(w, inp, chunked=True)),
    ]


def mismatch(got: tuple, want: tuple, dtype) -> Optional[str]:
    """Why ``got`` (loss, grad) differs from the reference's ``want``, or None.

    Loose on purpose (float32 sums over 10^6 terms in any order agree to ~1e-5):
    this guards the report against timing a wrong answer, not the last ulp.
    """
    tol = 1e-3 if np.dtype(dtype) == np.float32 else 1e-7
    (loss, grad), (rloss, rgrad) = got, want
    if not np.isclose(loss, rloss, rtol=tol, atol=tol):
        return f"loss {loss!r} != reference {rloss!r}"
    grad, rgrad = np.asarray(grad), np.asarray(rgrad)
    if grad.shape != rgrad.shape:
        return f"gradient shape {grad.shape} != reference {rgrad.shape}"
    scale = float(np.max(np.abs(rgrad))) if rgrad.size else 0.0
    err = float(np.max(np.abs(grad - rgrad))) if rgrad.size else 0.0
    if not err <= tol * max(scale, 1e-30):
        return f"gradient off by {err:.3g} (max |reference| {scale:.3g})"
    return None


# --------------------------------------------------------------------------
# Timing and limits
# --------------------------------------------------------------------------


def median_time(
    fn,
    repeats: int,
    budget_s: float = math.inf,
    min_repeat_s: float = 2e-3,
    best: bool = False,
    warmup_s: float = 0.05,
):
    """(median seconds per call, result of the first call); the fastest repeat if ``best``.

    The first call's result is returned for checking. Calls go on untimed
    until ``warmup_s`` has passed (at least the first call): right after
    the pause before each contender, short calls run slower for a while,
    and the first call alone was too little warm-up (measured in the
    report's own loop, fastlin float32 on 2 cores, two sets of three runs
    an hour apart: one image 19-31 us without, 13.9-23.2 us with 50 ms of
    calls; N = 256 602-958 us against 568-748). Each repeat then loops over
    enough calls to last ``min_repeat_s`` so that microsecond calls are not
    lost in the clock's resolution. At most ``repeats`` repeats, and no new
    one once ``budget_s`` has been spent (at least one is always timed).
    """
    t0 = time.perf_counter()
    first = fn()
    calls = 1
    while time.perf_counter() - t0 < warmup_s:
        fn()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    number = max(1, math.ceil(min_repeat_s / max(per_call, 1e-9)))
    times = []
    while len(times) < repeats and (not times or sum(times) * number < budget_s):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return float(np.min(times) if best else np.median(times)), first


@dataclass
class Limits:
    copy_bandwidth: float  # bytes/s, np.copyto on a 256 MB array, read + write
    peak_flops: dict  # dtype name -> flop/s of a 3072^3 matrix product


def measure_limits(dtypes, repeats: int) -> Limits:
    """Copy bandwidth and matmul peaks: the fastest of ``repeats`` repeats.

    A limit is what the hardware can do, and a busy machine only ever slows a
    repeat down, so the best repeat is the honest yardstick (the contenders get
    the median).
    """
    src = np.ones(256 * 2**20 // 8)
    dst = np.zeros_like(src)  # written once so page faults are not timed
    t, _ = median_time(functools.partial(np.copyto, dst, src), repeats, best=True)
    bandwidth = 2 * src.nbytes / t
    del src, dst
    peak = {}
    n = 3072
    rng = np.random.default_rng(1)
    for dtype in dtypes:
        A = rng.standard_normal((n, n), dtype=dtype)
        B = rng.standard_normal((n, n), dtype=dtype)
        out = np.empty_like(A)
        t, _ = median_time(functools.partial(np.matmul, A, B, out=out), repeats, best=True)
        peak[dtype] = 2 * n**3 / t
    return Limits(bandwidth, peak)


def limit_seconds(w: Workload, dtype, limits: Limits) -> float:
    """The time the hardware limit allows: streaming (scores) or FLOP (linear)."""
    if w.linear:
        return 4 * w.N * w.D * w.C / limits.peak_flops[dtype]
    itemsize = np.dtype(dtype).itemsize
    bytes_moved = 2 * w.N * w.C * itemsize + w.N * 8  # read S, write dS, read int64 y
    return bytes_moved / limits.copy_bandwidth


# --------------------------------------------------------------------------
# One workload in this process, or (vocabulary head) each contender in a child
# --------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: Optional[float] = None
    status: str = ""  # "" when timed and checked; else n/a, WRONG, error
    peak_bytes: Optional[int] = None
    note: str = ""


# The worker threads of a multi-threaded library (OpenBLAS under NumPy, OpenMP
# under PyTorch) spin for a while after its last call, and would take a core
# from whichever contender is timed next. Measured: linear_softmax_loss at
# N=256 on 2 threads took 1.18-1.51 ms right after the NumPy reference and
# 0.78-0.87 ms after a pause of 0.2-0.5 s.
SETTLE_S = 0.25


def run_in_process(w: Workload, dtype, repeats: int, budget_s: float = math.inf) -> dict:
    inp = make_inputs(w, dtype)
    outcomes, want = {}, None
    ordered = sorted(contenders(w, inp), key=lambda lc: lc[0] != "reference")
    for label, c in ordered:
        if c is None:
            outcomes[label] = Outcome(status="n/a")
            continue
        time.sleep(SETTLE_S)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                seconds, raw = median_time(c.call, repeats, budget_s)
            got = c.result(raw)
        except Exception as exc:  # report, don't die: the other contenders still run
            outcomes[label] = Outcome(status="error", note=f"{type(exc).__name__}: {exc}")
            continue
        note = "; ".join(sorted({str(m.message).splitlines()[0] for m in caught}))
        if label == "reference":
            want = got
        outcomes[label] = checked(got, want, dtype, seconds, note=note)
    return outcomes


def checked(got, want, dtype, seconds, peak_bytes=None, note="") -> Outcome:
    """The outcome of a timed contender whose result ``got`` is checked
    against the reference's ``want`` (None: the reference failed)."""
    if want is None:
        return Outcome(status="unchecked", note="the reference failed")
    why = mismatch(got, want, dtype)
    return Outcome(None if why else seconds, "WRONG" if why else "", peak_bytes, why or note)


def _status_field(name):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(name)


def _child(label: str, name: str, dtype: str, repeats: int) -> dict:
    """Run one contender on one workload in this (fresh) process; JSON-able result.

    Peak memory: the kernel's high-water mark of resident memory is reset
    (``/proc/self/clear_refs``) after the inputs exist, and its growth over
    the resident size at that moment is read after the first call.
    """
    w = WORKLOADS_BY_NAME[name]
    inp = make_inputs(w, dtype)
    c = dict(contenders(w, inp))[label]
    if c is None:
        return {"status": "n/a"}
    try:
        rss0 = _status_field("VmRSS")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # not Linux, or not allowed: no memory figure rather than a wrong one
        rss0 = None
    raw = c.call()
    peak = None if rss0 is None else _status_field("VmHWM") - rss0
    loss, grad = c.result(raw)
    seconds, _ = median_time(c.call, repeats) if repeats else (None, None)
    sample = np.asarray(grad).ravel()[::997].astype(np.float64)
    return {
        "status": "",
        "seconds": seconds,
        "peak_bytes": peak,
        "loss": loss,
        "grad_sample": sample.tolist(),
    }


def run_in_children(w: Workload, dtype, repeats: int, threads) -> dict:
    outcomes, want = {}, None
    for label in ("reference", "fastlin", "torch", "torch chunked"):
        cmd = [
            sys.executable,
            "-m",
            "fastlin.bench",
            "--child",
            label,
            w.name,
            dtype,
            "--repeats",
            str(repeats),
        ] + (["--threads", str(threads)] if threads else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            outcomes[label] = Outcome(status="error", note=tail)
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        if r["status"]:
            outcomes[label] = Outcome(status=r["status"])
            continue
        got = (r["loss"], np.array(r["grad_sample"]))
        if label == "reference":
            want = got
        outcomes[label] = checked(got, want, dtype, r["seconds"], r["peak_bytes"])
    return outcomes


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

LABELS = ("fastlin", "reference", "torch", "torch chunked")


def fmt_time(s: Optional[float]) -> str:
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def fmt_bytes(n: Optional[int]) -> str:
    return "-" if n is None else f"{n / 2**20:+.0f} MB"


def row(w: Workload, dtype: str, limit: float, outcomes: dict) -> str:
    cells = []
    for label in LABELS:
        o = outcomes[label]
        cells.append(
            f"{fmt_time(o.seconds)} ({o.seconds / limit:.1f}x)" if o.seconds else o.status or "-"
        )
    fl = outcomes["fastlin"].seconds
    ref = outcomes["reference"].seconds
    torch_times = [outcomes[k].seconds for k in ("torch", "torch chunked") if outcomes[k].seconds]
    vs_ref = f"{ref / fl:.1f}x" if fl and ref else "-"
    vs_torch = f"{min(torch_times) / fl:.1f}x" if fl and torch_times else "-"
    return (
        f"{w.name:<26} {dtype:<8} {fmt_time(limit):>9}  "
        + "".join(f"{c:>19}" for c in cells)
        + f"  {vs_ref:>7} {vs_torch:>8}"
    )


HEADER = (
    f"{'workload':<26} {'dtype':<8} {'limit':>9}  "
    + "".join(f"{k:>19}" for k in LABELS)
    + f"  {'ref/fl':>7} {'torch/fl':>8}"
)


def machine_summary() -> str:
    """One line naming the CPU, its cores, the OS and Python."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{model}, {os.cpu_count()} logical cores ({usable} usable), "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )


def print_machine(limits: Limits):
    print(f"machine  : {machine_summary()}")
    blas = "BLAS unknown (install threadpoolctl to see it)"
    try:
        from threadpoolctl import threadpool_info

        blas = (
            ", ".join(
                f"{i['internal_api']} {i.get('version')} {i['num_threads']} threads"
                for i in threadpool_info()
                if i["user_api"] == "blas"
            )
            or "no BLAS found"
        )
    except ImportError:
        pass
    print(f"numpy    : {np.__version__} ({blas})")
    torch = _torch()
    print(
        f"torch    : {torch.__version__} ({torch.get_num_threads()} threads)"
        if torch
        else "torch    : not installed (its columns show n/a)"
    )
    threads = (
        f" ({fastlin.get_num_threads()} threads)" if hasattr(fastlin, "get_num_threads") else ""
    )
    print(f"fastlin  : {fastlin.__version__}{threads}")
    if hasattr(fastlin, "show_config"):
        fastlin.show_config()
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(
                f"WARNING  : {var}={os.environ[var]} is set; it can slow NumPy's BLAS "
                f"(and the FLOP limit). Run with `env -u {var}` for fair figures."
            )
    print(
        f"limits   : copy bandwidth {limits.copy_bandwidth / 1e9:.1f} GB/s (np.copyto, 256 MB); "
        + ", ".join(f"{d} matmul peak {f / 1e9:.0f} GFLOP/s" for d, f in limits.peak_flops.items())
        + " (3072^3, numpy @)"
    )
    print(flush=True)


LEGEND = """\
Times are medians; "(k x)" is the time over the limit of the row: for scores
losses the streaming limit (read S and y, write dS at copy bandwidth), for
linear losses the FLOP limit (4 N D C flops over the matmul peak). ref/fl and
torch/fl are fastlin's speed-ups over the reference and over the faster PyTorch
column. n/a: the contender has no such function (PyTorch has no Crammer-Singer
loss; its chunked linear_cross_entropy is softmax only). Every time shown was
checked against the reference (loss and gradient; WRONG marks a mismatch)."""


def result_record(w: Workload, dtype: str, limit: float, outcomes: dict) -> dict:
    """One row of the report as JSON-able data (what ``--json`` saves)."""
    return {
        "workload": w.name,
        "shape": w.shape,
        "dtype": dtype,
        "limit": "flop" if w.linear else "streaming",
        "limit_seconds": limit,
        "contenders": {
            label: {
                "seconds": o.seconds,
                "status": o.status,
                "peak_bytes": o.peak_bytes,
                "note": o.note,
            }
            for label, o in outcomes.items()
        },
    }


def report_record(limits: Limits, results: list, quick: bool, threads: Optional[int]) -> dict:
    """The whole report as JSON-able data: the machine, the limits and every row."""
    torch = _torch()
    return {
        "machine": machine_summary(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch else None,
        "fastlin": fastlin.__version__,
        "cpu_variant": fastlin.cpu_variant() if hasattr(fastlin, "cpu_variant") else None,
        "threads": threads
        or (fastlin.get_num_threads() if hasattr(fastlin, "get_num_threads") else None),
        "quick": quick,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        # A busy machine slows every contender unevenly: say how busy it was.
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "copy_bandwidth": limits.copy_bandwidth,
        "peak_flops": limits.peak_flops,
        "results": results,
    }


def save_report(report: dict, args) -> int:
    """Write ``--json`` and draw ``--plot``; print the saved table when loaded."""
    if args.load:
        print(f"machine  : {report['machine']}\n\n{HEADER}")
        for r in report["results"]:
            outcomes = {label: Outcome(**o) for label, o in r["contenders"].items()}
            w = WORKLOADS_BY_NAME.get(r["workload"])
            print(row(w, r["dtype"], r["limit_seconds"], outcomes) if w else r["workload"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        print(f"results saved to {args.json}")
    if args.plot:
        from ._bench_plot import plot_report  # matplotlib only when asked for

        plot_report(report, args.plot)
        print(f"plot saved to {args.plot}")
    return 0


def apply_threads(n: Optional[int]):
    """Give every contender ``n`` threads (fastlin, PyTorch, NumPy's BLAS)."""
    if not n:
        return
    os.environ["FASTLIN_NUM_THREADS"] = str(n)
    if hasattr(fastlin, "set_num_threads"):
        fastlin.set_num_threads(n)
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits

        apply_threads.keep = threadpool_limits(limits=n, user_api="blas")
    except ImportError:
        print("note: threadpoolctl is not installed; NumPy's BLAS keeps its own thread count")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m fastlin.bench", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="skip the vocabulary head and time fewer repeats (under a minute)",
    )
    p.add_argument("--dtype", choices=("float32", "float64", "both"), default="both")
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="workloads whose name contains NAME or matches it as a glob; "
        "names: "
        + ", ".join(w.name for w in WORKLOADS)
        + "; sgd: the SGD section"
        + "; fit (a substring): fit_probe, fit_tinyplaces, fit_small (--quick)",
    )
    p.add_argument("--threads", type=int, help="threads for fastlin, PyTorch and NumPy's BLAS")
    p.add_argument(
        "--repeats",
        type=int,
        help="timed repeats per contender, at most (default 3 quick, 9 full); "
        "fewer once a contender has used its time budget (0.3 s quick, 10 s full)",
    )
    p.add_argument("--json", metavar="FILE", help="also save the results to FILE (JSON)")
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="draw each time over its limit to FILE (.png, .svg, .pdf; needs matplotlib)",
    )
    p.add_argument(
        "--load", metavar="FILE", help="take the results from a --json FILE instead of measuring"
    )
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.load:
        with open(args.load) as f:
            return save_report(json.load(f), args)
    apply_threads(args.threads)
    repeats = args.repeats or (3 if args.quick else 9)
    budget_s = 0.3 if args.quick else 10.0

    if args.child:
        print(json.dumps(_child(*args.child, repeats=repeats)))
        return 0

    dtypes = DTYPES if args.dtype == "both" else (args.dtype,)
    chosen = [
        w
        for w in WORKLOADS
        if not (args.quick and w.heavy)
        and (
            not args.only or any(pat in w.name or fnmatch.fnmatch(w.name, pat) for pat in args.only)
        )
    ]
    run_sgd = not args.only or any(pat in "sgd" or fnmatch.fnmatch("sgd", pat) for pat in args.only)
    from ._bench_fit import FIT_WORKLOADS
    from ._bench_fit import report as fit_report

    run_fit = not args.only or any(pat in w.name for w in FIT_WORKLOADS for pat in args.only)
    if not chosen and not run_sgd and not run_fit:
        p.error(f"no workload matches {args.only}")

    start = time.perf_counter()
    limits = measure_limits(dtypes, repeats)
    print_machine(limits)
    print(HEADER, flush=True)
    problems, results = [], []
    for dtype in dtypes:
        for w in chosen:
            if w.heavy:
                print(
                    f"# {w.name} ({w.shape}): each contender in a fresh subprocess; peak memory "
                    "= RSS growth during its first call (includes dW); takes minutes",
                    flush=True,
                )
                outcomes = run_in_children(w, dtype, max(1, repeats // 3), args.threads)
            else:
                outcomes = run_in_process(w, dtype, repeats, budget_s)
            limit = limit_seconds(w, dtype, limits)
            print(row(w, dtype, limit, outcomes), flush=True)
            results.append(result_record(w, dtype, limit, outcomes))
            if w.heavy:
                dW = w.C * w.D * np.dtype(dtype).itemsize
                print(
                    f"{'':<26} {'':<8} {'peak mem':>9}  "
                    + "".join(f"{fmt_bytes(outcomes[k].peak_bytes):>19}" for k in LABELS)
                    + f"   (dW itself: {dW / 2**20:.0f} MB)",
                    flush=True,
                )
            problems += [
                f"{w.name} {dtype} {k}: {o.status or 'note'}: {o.note}"
                for k, o in outcomes.items()
                if o.note
            ]
    if run_sgd:
        from . import _bench_sgd

        problems += _bench_sgd.report(limits, args.quick, repeats)
    print("\n" + LEGEND)
    if run_fit:
        problems += fit_report(args.quick, dtypes, args.only)
    for line in problems:
        print("  " + line)
    print(
        f"\n{len(chosen)} workloads x {len(dtypes)} dtypes in {time.perf_counter() - start:.0f} s"
    )
    failed = any(
        ("WRONG" in line or ": error:" in line or "NOT REACHED" in line) for line in problems
    )
    report = report_record(limits, results, quick=args.quick, threads=args.threads)
    return max(int(failed), save_report(report, args))


if __name__ == "__main__":
    sys.exit(main())
