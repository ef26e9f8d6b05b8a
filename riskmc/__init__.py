"""riskmc: Monte Carlo investment-risk simulation of mining projects in conflict zones.

The data flow reads like the package: a scenario is loaded and validated
(:mod:`riskmc.scenario`), its hazard is sampled (:mod:`riskmc.hazard`), and the
disruptions are propagated through the supply chain of each project.
"""

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
