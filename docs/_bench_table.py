"""The performance page's tables, written as reST from a ``--json`` benchmark file."""

from __future__ import annotations

from fastlin.bench import fmt_bytes, fmt_time


def _cell(result: dict, labels) -> tuple:
    """(text, seconds) of the fastest checked time among ``labels``."""
    found = {k: o for k, o in result["contenders"].items() if k in labels}
    timed = [(o["seconds"], o) for o in found.values() if o["seconds"]]
    if not timed:
        return next((o["status"] for o in found.values() if o["status"]), "n/a"), None
    best, outcome = min(timed, key=lambda t: t[0])
    text = f"{fmt_time(best)} ({best / result['limit_seconds']:.1f}x)"
    if outcome.get("peak_bytes"):  # measured for the vocabulary head only
        text += f", peak {fmt_bytes(outcome['peak_bytes'])}"
    return text, best


def _ratio(num, den) -> str:
    return f"{num / den:.1f}x" if num and den else "n/a"


def table_rst(report: dict) -> str:
    """One table per dtype: each contender's time (its ratio to the limit) and the speed-ups."""
    out = []
    for dtype in dict.fromkeys(r["dtype"] for r in report["results"]):
        rows = [
            [
                "workload",
                "limit",
                "fastlin",
                "reference",
                "PyTorch",
                "reference / fastlin",
                "PyTorch / fastlin",
            ]
        ]
        for r in (r for r in report["results"] if r["dtype"] == dtype):
            fl, fl_s = _cell(r, ("fastlin",))
            ref, ref_s = _cell(r, ("reference",))
            torch, torch_s = _cell(r, ("torch", "torch chunked"))
            rows.append(
                [
                    f"``{r['workload']}``",
                    f"{fmt_time(r['limit_seconds'])} ({r['limit']})",
                    fl,
                    ref,
                    torch,
                    _ratio(ref_s, fl_s),
                    _ratio(torch_s, fl_s),
                ]
            )
        out += [f".. list-table:: {dtype}", "   :header-rows: 1", ""]
        for cells in rows:
            out.append("   * - " + cells[0])
            out += [f"     - {c}" for c in cells[1:]]
        out.append("")
    return "\n".join(out)


def run_rst(report: dict) -> str:
    """A sentence saying where and how the saved run was made."""
    peaks = ", ".join(f"{d} {f / 1e9:.0f} GFLOP/s" for d, f in report["peak_flops"].items())
    load = report.get("load_average")
    return (
        f"The run of {report['date']}: {report['machine']}; NumPy {report['numpy']}, "
        f"PyTorch {report['torch'] or 'not installed'}, fastlin {report['fastlin']} "
        f"({report['cpu_variant']} kernels, {report['threads']} threads). Limits measured "
        f"in the run: copy bandwidth {report['copy_bandwidth'] / 1e9:.1f} GB/s, "
        f"matrix-product peak {peaks}."
        + (
            " Load average at the end of the run (1, 5, 15 minutes): "
            + ", ".join(f"{x:.1f}" for x in load)
            + "."
            if load
            else ""
        )
        + "\n"
    )
