"""JSON Schema of scenario files, as printed by ``riskmc schema``."""

from __future__ import annotations

from typing import Any

from riskmc.scenario.schema import Scenario

__all__ = ["scenario_json_schema"]


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file.

    It describes a whole scenario, after ``extends:`` is resolved; ``extends``
    itself is listed so that a complete file that extends another still
    validates. Range rules on distributions' supports and the cross-checks of
    names are enforced by :func:`riskmc.load_scenario`, not by the schema.
    """
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "riskmc scenario"
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "A scenario file this one is merged onto (relative path or shipped name).",
    }
    return schema
