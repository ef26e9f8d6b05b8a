"""riskmc: Monte Carlo investment-risk simulation of mining projects in conflict zones.

The data flow reads like the package: a scenario is loaded and validated
(:mod:`riskmc.scenario`), its hazard is sampled (:mod:`riskmc.hazard`), and the
disruptions are propagated through the supply chain of each project.

The names below are loaded on first use (PEP 562): ``import riskmc`` itself
imports nothing heavy, so that the command line can catch Ctrl-C from its very
start (NumPy, Numba, pandas and Dask take a second or more to import).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskmc.analysis.compare import Comparison, compare
    from riskmc.engine import ExecutionError, SimulationResult, simulate
    from riskmc.hazard import HazardSample, sample_hazard
    from riskmc.scenario import Scenario, ScenarioError, default_scenario, load_scenario

__version__ = "0.1.0.dev0"

__all__ = [
    "Comparison",
    "ExecutionError",
    "HazardSample",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "compare",
    "default_scenario",
    "load_scenario",
    "sample_hazard",
    "simulate",
]

#: Where each public name lives.
_HOMES = {
    "Comparison": "riskmc.analysis.compare",
    "compare": "riskmc.analysis.compare",
    "ExecutionError": "riskmc.engine",
    "SimulationResult": "riskmc.engine",
    "simulate": "riskmc.engine",
    "HazardSample": "riskmc.hazard",
    "sample_hazard": "riskmc.hazard",
    "Scenario": "riskmc.scenario",
    "ScenarioError": "riskmc.scenario",
    "default_scenario": "riskmc.scenario",
    "load_scenario": "riskmc.scenario",
}
_SUBPACKAGES = {
    "analysis",
    "calibration",
    "cli",
    "data",
    "engine",
    "hazard",
    "network",
    "scenario",
    "supply",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"riskmc.{name}")
    else:
        raise AttributeError(f"module 'riskmc' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES, *_SUBPACKAGES})
