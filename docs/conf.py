"""Sphinx configuration of fastlin's documentation.

Build: ``pip install ".[docs]"`` then ``sphinx-build -W -b html docs docs/_build/html``.
The pictures are drawn at build time (matplotlib's plot directive): the user
guide trains its classifiers with fastlin itself, and the performance page
plots the committed benchmark results in ``docs/bench_results.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import fastlin

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))  # for _bench_table, the performance page's table

project = "fastlin"
author = "fastlin developers"
copyright = "fastlin developers"
release = fastlin.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",
]

exclude_patterns = ["_build", "_generated_src", "api/_names_*"]

source_suffix = {".rst": "restructuredtext"}
default_role = "code"  # `x` in running text is code, as ``x``
nitpicky = False

# API reference: one page per function, from the numpydoc-style docstrings.
templates_path = ["_templates"]  # autosummary/class.rst: a class page shows its own methods
autosummary_generate = [
    "api/_names_fastlin.rst",
    "api/_names_reference.rst",
    "api/_names_cs231n.rst",
]
autodoc_typehints = "none"  # the signatures and docstrings already say the types
autodoc_member_order = "bysource"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # NamedTuple fields: no second description of each field
napoleon_use_rtype = False

# Pictures: code shown beside the figure, PNG only, no links to the sources.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.dpi": 110, "savefig.bbox": "tight"}

html_theme = "pydata_sphinx_theme"
html_title = f"fastlin {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # The performance page's tables need the width of the page-contents column.
    "secondary_sidebar_items": {"**": ["page-toc"], "performance": []},
}
html_sidebars = {"**": []}  # few pages: the top bar lists them, the text gets the width
html_static_path: list = []


# The API reference lists every name a module exports (its ``__all__``), so a
# new public function or class appears without editing the docs; the groups
# only order the page, and what fits none of them goes under "More".
API_GROUPS = {
    "The linear layer": ["linear", "linear_backward", "bias_trick"],
    "Losses on scores": ["softmax_loss", "svm_loss", "squared_loss"],
    "Linear layer + loss + backward, fused": [
        "linear_softmax_loss",
        "linear_svm_loss",
        "linear_squared_loss",
        "LossGrad",
    ],
    "Least squares": ["least_squares"],
    "Run time": ["get_num_threads", "set_num_threads", "cpu_variant", "show_config"],
}


def _autosummary(names) -> list:
    return [".. autosummary::", "   :toctree: generated", "", *(f"   {n}" for n in names), ""]


def api_rst(module, groups=API_GROUPS) -> str:
    """reST for ``module``'s exports, grouped; each name gets its own page."""
    public = [
        n for n in module.__all__ if not (module.__name__ != "fastlin" and n == "LossGrad")
    ]  # one page for it
    lines, placed = [f".. currentmodule:: {module.__name__}", ""], set()
    for title, names in groups.items():
        names = [n for n in names if n in public]
        if names:
            lines += [title, "~" * len(title), "", *_autosummary(names)]
            placed.update(names)
    rest = [n for n in public if n not in placed]
    if rest:
        lines += (["More", "~~~~", ""] if placed else []) + _autosummary(rest)
    return "\n".join(lines)


def _write(path: Path, text: str):
    """Write a generated source; an unchanged one is not touched, so not rebuilt."""
    path.parent.mkdir(exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _write_generated_sources():
    from _bench_table import run_rst, table_rst

    import fastlin.compat.cs231n
    import fastlin.reference

    _write(DOCS / "api" / "_names_fastlin.rst", api_rst(fastlin))
    _write(DOCS / "api" / "_names_reference.rst", api_rst(fastlin.reference))
    _write(DOCS / "api" / "_names_cs231n.rst", api_rst(fastlin.compat.cs231n, groups={}))
    report = json.loads((DOCS / "bench_results.json").read_text())
    _write(DOCS / "_generated_src" / "bench_table.rst", table_rst(report))
    _write(DOCS / "_generated_src" / "bench_run.rst", run_rst(report))


_write_generated_sources()
