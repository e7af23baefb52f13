"""Typed user code passes ``mypy --strict`` against fastlin; wrong calls do not."""

from __future__ import annotations

import os
import textwrap

import pytest

# mypy takes a minute on a cold cache.
pytestmark = pytest.mark.slow

mypy_api = pytest.importorskip("mypy.api", reason="mypy checks the annotations")

USER_CODE = os.path.join(os.path.dirname(__file__), "typing", "user_code.py")

# Each line is a mistake the annotations must catch.
WRONG_CALLS = textwrap.dedent("""\
    import numpy as np
    import fastlin
    import fastlin.reference

    S, y = np.zeros((2, 3)), np.zeros(2, dtype=np.int64)
    fastlin.softmax_loss(S, y, reduction="average")
    fastlin.svm_loss(S, y, variant="one_vs_rest")
    fastlin.reference.softmax_loss(S, y, reduction="avg")
    loss: str = fastlin.linear_softmax_loss(S, y, np.zeros((3, 3))).loss
    fastlin.set_num_threads("2")
""")


@pytest.fixture(autouse=True)
def _fastlin_on_mypy_path(monkeypatch):
    # mypy finds an installed fastlin in site-packages; a source tree on
    # PYTHONPATH it finds only on its own search path.
    import fastlin

    parent = fastlin.get_include()
    if os.path.basename(parent) not in ("site-packages", "dist-packages"):
        monkeypatch.setenv("MYPYPATH", parent)


def _mypy(*paths):
    args = ["--strict", "--no-incremental", "--follow-imports=silent", *map(str, paths)]
    stdout, stderr, status = mypy_api.run(args)
    return stdout + stderr, status


def test_user_code_passes_strict():
    out, status = _mypy(USER_CODE)
    assert status == 0, out


def test_wrong_calls_are_caught(tmp_path):
    wrong = tmp_path / "wrong_calls.py"
    wrong.write_text(WRONG_CALLS)
    out, status = _mypy(wrong)
    assert status == 1, out
    flagged = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    assert flagged == {6, 7, 8, 9, 10}, out
