"""The version the analysis writes into its files (report, workbook, GeoJSON)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import riskmc
from riskmc.analysis.version import riskmc_version


def test_the_version_written_is_the_packages_and_pyprojects():
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    assert riskmc_version() == riskmc.__version__ == declared


def test_a_source_tree_never_installed_says_unknown(monkeypatch):
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr("riskmc.analysis.version.version", missing)
    riskmc_version.cache_clear()
    try:
        assert riskmc_version() == "unknown"
    finally:
        monkeypatch.undo()
        riskmc_version.cache_clear()
    assert riskmc_version() == riskmc.__version__
