"""Scenario loading: every shipped scenario loads well under a second (issue: foundation)."""

from __future__ import annotations

import pytest
from throughput import record

from riskmc.scenario import load_scenario, shipped_scenarios


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_load_shipped_scenario(benchmark, name):
    benchmark.group = "scenario"
    path = shipped_scenarios()[name]
    scenario = benchmark(load_scenario, path)
    assert scenario.name
    record(benchmark, loads=1)
