"""Small hazard-only scenarios built per test from the tiny scenario."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from riskmc.scenario import Scenario, read_document, scenario_from_dict, shipped_scenarios

#: z-score of the Monte Carlo tolerances: a correct sampler fails a given
#: check with probability about 6e-5 (and never, for the fixed seeds used).
Z = 4.0


def quiet_doc() -> dict[str, Any]:
    """The tiny scenario with every source of events switched off and no project."""
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["projects"] = []
    doc["districts"][0]["attacks_per_year"] = 0
    h = doc["hazard"]
    h["campaigns"]["rate_per_year"] = 0
    h["closures"]["road"]["probability"] = 0
    h["closures"]["rail"]["probability"] = 0
    h["closures"]["protests"]["rate_per_year"] = 0
    h["blackouts"]["attack_probability"] = 0
    h["blackouts"]["province_wide"]["rate_per_year"] = 0
    return doc


@pytest.fixture
def quiet() -> dict[str, Any]:
    return quiet_doc()


def build(doc: dict[str, Any]) -> Scenario:
    return scenario_from_dict(doc)


def counts_per_replication(frame: Any, n: int) -> np.ndarray:
    """Rows per replication 0 .. n-1 (zeros included)."""
    return np.bincount(frame["replication"].to_numpy(), minlength=n)[:n]


def variance_se(x: np.ndarray) -> float:
    """Standard error of the sample variance, from the sample's fourth moment."""
    n = len(x)
    c = x - x.mean()
    m2 = np.mean(c**2)
    m4 = np.mean(c**4)
    return float(np.sqrt(max(m4 - m2 * m2 * (n - 3) / (n - 1), 0.0) / n))
