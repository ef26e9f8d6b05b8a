"""A small simulated result, shared by the analysis tests of a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskmc.engine import SimulationResult, simulate
from riskmc.scenario import default_scenario, load_scenario, shipped_scenarios


@pytest.fixture(scope="session")
def tiny_result() -> SimulationResult:
    """60 replications of the tiny scenario: one district, one road, one mine."""
    tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    return simulate(tiny, 60, seed=3, workers=1)


@pytest.fixture(scope="session")
def default_result_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder of 24 replications of the default scenario (Reko Diq and Saindak)."""
    result = simulate(default_scenario(), 24, seed=5, workers=1)
    return result.to_parquet(tmp_path_factory.mktemp("results"))
