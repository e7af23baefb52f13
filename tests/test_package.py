"""The package as installed: one version, the license, the Cython declarations."""

from __future__ import annotations

import importlib.metadata
import os
import re

import pytest

import fastlin


def _installed_distribution():
    """The installed fastlin distribution when it is what was imported, else None
    (the tests run against a source tree on PYTHONPATH)."""
    try:
        dist = importlib.metadata.distribution("fastlin")
    except importlib.metadata.PackageNotFoundError:
        return None
    installed = os.path.realpath(dist.locate_file("fastlin/__init__.py"))
    return dist if installed == os.path.realpath(fastlin.__file__) else None


def test_version_is_the_installed_metadata():
    dist = _installed_distribution()
    if dist is None:
        pytest.skip("fastlin is imported from a source tree, not from an installed distribution")
    assert fastlin.__version__ == dist.version


def test_version_is_pep440():
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", fastlin.__version__)


def test_license_ships_with_the_installed_distribution():
    dist = _installed_distribution()
    if dist is None:
        pytest.skip("fastlin is imported from a source tree, not from an installed distribution")
    licenses = [f for f in dist.files or [] if f.name == "LICENSE"]
    assert licenses, "no LICENSE file in the installed distribution"
    assert "MIT License" in licenses[0].read_text()
    assert dist.metadata["License-Expression"] == "MIT"


def test_get_include_holds_the_cython_declarations():
    assert os.path.isfile(os.path.join(fastlin.get_include(), "fastlin", "capi.pxd"))
