"""Shared fixtures: small scenario documents built fresh for each test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from riskmc.scenario import read_document, shipped_scenarios

DATA = Path(__file__).parent / "data"


@pytest.fixture
def tiny_doc() -> dict[str, Any]:
    """The tiny scenario as a plain mapping, a fresh copy per test."""
    return copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))


@pytest.fixture
def write_yaml(tmp_path: Path):
    """Write a mapping (or raw text) to a YAML file in tmp_path and return its path."""

    def write(doc: Any, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
