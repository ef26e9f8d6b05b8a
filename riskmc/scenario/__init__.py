"""Scenario files: schema, distributions, loading with ``extends:``, JSON Schema."""

from riskmc.scenario.distributions import (
    DISTRIBUTIONS,
    Beta,
    Bounds,
    Distribution,
    Fixed,
    Gamma,
    Lognormal,
    Param,
    Triangular,
    Uniform,
    param_mean,
)
from riskmc.scenario.errors import ScenarioError
from riskmc.scenario.jsonschema import scenario_json_schema
from riskmc.scenario.loading import (
    as_scenario,
    default_scenario,
    load_scenario,
    merge,
    read_document,
    resolve_document,
    scenario_from_dict,
    shipped_scenarios,
)
from riskmc.scenario.schema import Scenario

__all__ = [
    "DISTRIBUTIONS",
    "Beta",
    "Bounds",
    "Distribution",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Param",
    "Scenario",
    "ScenarioError",
    "Triangular",
    "Uniform",
    "as_scenario",
    "default_scenario",
    "load_scenario",
    "merge",
    "param_mean",
    "read_document",
    "resolve_document",
    "scenario_from_dict",
    "scenario_json_schema",
    "shipped_scenarios",
]
