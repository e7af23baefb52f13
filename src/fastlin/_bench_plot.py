"""The picture of ``python -m fastlin.bench``: each workload's time over its limit.

Kept apart from the report so that matplotlib is imported only when a plot is
asked for (``--plot FILE``); it comes with ``pip install "fastlin[plot]"``.
"""

from __future__ import annotations

import numpy as np

# The faster of PyTorch's two columns (plain and chunked) stands for PyTorch.
SERIES = (
    ("fastlin", ("fastlin",), "#1f77b4"),
    ("fastlin.reference (NumPy)", ("reference",), "#ff7f0e"),
    ("PyTorch", ("torch", "torch chunked"), "#2ca02c"),
)


def _ratio(result: dict, labels) -> float:
    """The contender's time over the row's limit, NaN where it has no checked time."""
    times = [
        result["contenders"][k]["seconds"]
        for k in labels
        if k in result["contenders"] and result["contenders"][k]["seconds"]
    ]
    return min(times) / result["limit_seconds"] if times else float("nan")


def plot_report(report: dict, path=None):
    """Draw ``report`` (what ``--json`` saves) and save it to ``path``; returns the figure.

    One panel per dtype; one group of bars per workload, on a log scale: the
    time over the hardware limit of that workload (1 is the limit: streaming
    for the scores losses, FLOP for the linear-layer ones), shorter is faster.
    A missing bar is a contender without that function (PyTorch has no
    Crammer-Singer loss) or one whose result was wrong.
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")  # a file is asked for: no display needed
    import matplotlib.pyplot as plt

    results = report["results"]
    dtypes = list(dict.fromkeys(r["dtype"] for r in results))
    names = list(dict.fromkeys(r["workload"] for r in results))
    fig, axes = plt.subplots(
        1,
        len(dtypes),
        sharey=True,
        squeeze=False,
        layout="constrained",
        figsize=(4.2 * len(dtypes) + 2.2, 0.42 * len(names) + 2.2),
    )
    height = 0.8 / len(SERIES)
    y = np.arange(len(names))
    for ax, dtype in zip(axes[0], dtypes):
        rows = {r["workload"]: r for r in results if r["dtype"] == dtype}
        for k, (label, keys, color) in enumerate(SERIES):
            ratios = [_ratio(rows[n], keys) if n in rows else float("nan") for n in names]
            ax.barh(
                y + (k - (len(SERIES) - 1) / 2) * height, ratios, height, label=label, color=color
            )
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_title(dtype)
        ax.set_xlabel("time / hardware limit (log; 1 = the limit)")
        ax.grid(axis="x", which="major", alpha=0.3)
    axes[0][0].set_yticks(y, names)
    axes[0][0].invert_yaxis()
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(SERIES), fontsize="small")
    machine = report.get("machine", "").split(", Python")[0]
    fig.suptitle(
        f"python -m fastlin.bench{' --quick' if report.get('quick') else ''}\n{machine}",
        fontsize="small",
    )
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
