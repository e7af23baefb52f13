"""The report's saved results: --json writes what --load reads back, and --plot draws it.

No timing is asserted: the results are made up, only their path through the
command line is checked.
"""

from __future__ import annotations

import json

import pytest

from fastlin import bench


def _made_up_report():
    w = bench.WORKLOADS_BY_NAME["softmax_200000x20"]
    outcomes = {
        "fastlin": bench.Outcome(seconds=2e-3),
        "reference": bench.Outcome(seconds=3e-2),
        "torch": bench.Outcome(seconds=1e-2),
        "torch chunked": bench.Outcome(status="n/a"),
    }
    limits = bench.Limits(copy_bandwidth=1e10, peak_flops={"float32": 1e11})
    rows = [bench.result_record(w, "float32", 1e-3, outcomes)]
    return bench.report_record(limits, rows, quick=True, threads=2)


def test_load_prints_the_saved_rows_and_json_writes_them_unchanged(tmp_path, capsys):
    saved, again = tmp_path / "run.json", tmp_path / "again.json"
    saved.write_text(json.dumps(_made_up_report()))

    assert bench.main(["--load", str(saved), "--json", str(again)]) == 0

    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("softmax_200000x20"))
    assert "2 ms (2.0x)" in row and "30 ms (30.0x)" in row and "n/a" in row
    assert "15.0x" in row  # the reference over fastlin
    assert json.loads(again.read_text()) == json.loads(saved.read_text())


def test_plot_draws_one_bar_per_contender_with_a_time(tmp_path):
    pytest.importorskip("matplotlib")
    from fastlin._bench_plot import plot_report

    png = tmp_path / "run.png"
    fig = plot_report(_made_up_report(), png)

    assert png.stat().st_size > 0
    (ax,) = fig.axes
    widths = sorted(patch.get_width() for patch in ax.patches)
    assert widths == pytest.approx([2.0, 10.0, 30.0])  # fastlin, PyTorch, reference over the limit
