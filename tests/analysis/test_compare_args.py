"""``riskmc.compare`` names an argument of the wrong type in one line, before any work."""

from __future__ import annotations

import pytest

import riskmc
from riskmc.scenario import shipped_scenarios

TINY = shipped_scenarios()["tiny.yaml"]


@pytest.mark.parametrize(
    ("scenarios", "message"),
    [
        ("tiny", "scenarios: must be a list of Scenario objects or scenario paths, got Scenario"),
        ("path", "scenarios: must be a list of Scenario objects or scenario paths, got str"),
        ("none", "scenarios: each must be a Scenario or the path of a scenario file, got NoneType"),
    ],
)
def test_compare_names_scenarios_of_the_wrong_type(scenarios, message):
    tiny = riskmc.load_scenario(TINY)
    given = {"tiny": tiny, "path": str(TINY), "none": [tiny, None]}[scenarios]
    with pytest.raises(TypeError, match=f"^{message}$"):
        riskmc.compare(given, replications=3, seed=1, workers=1)


def test_simulate_names_an_out_of_the_wrong_type():
    with pytest.raises(TypeError, match=r"^out: must be the path of a folder, got int$"):
        riskmc.simulate(TINY, 3, seed=1, workers=1, out=123)
