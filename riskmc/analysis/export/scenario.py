"""The workbook's ``scenario`` sheet: the scenario as simulated, with its sources.

The run, the districts, places, segments and projects with their source notes,
every project parameter, the hazard and stress settings, and the sources cited.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pandas as pd
from pydantic import BaseModel

from riskmc.analysis.export.blocks import _DATE, _INTEGER, Block
from riskmc.analysis.report.markup import _describe, _tags
from riskmc.analysis.version import riskmc_version
from riskmc.data import sources
from riskmc.engine.simulate import SimulationResult
from riskmc.scenario import param_mean
from riskmc.scenario.distributions import Distribution


def _noted(note: str | None) -> tuple[str, bool]:
    """A source note, and whether it marks an ESTIMATE."""
    return note or "", note is not None and "ESTIMATE" in note


def _scenario_blocks(result: SimulationResult) -> list[Block]:
    s = result.scenario
    places = s.network.places
    run = [
        ("scenario", s.name),
        ("description", s.description or ""),
        ("start (date)", s.start_date),
        ("horizon (years)", s.horizon_years),
        ("seed", result.seed),
        ("replications", result.n_replications),
        ("hazard process", s.hazard.process),
        ("fingerprint (SHA-256 of the scenario)", s.fingerprint()),
        ("written by", f"riskmc {riskmc_version()}"),
    ]
    blocks = [
        Block(
            "scenario_run",
            pd.DataFrame(run, columns=["field", "value"]),
            {"value": ["@", "@", _DATE, "General", "0", _INTEGER, "@", "@", "@"]},
            title="The run. Source notes marked ESTIMATE are the scenario author's estimates; "
            "their reasoning is in the comments of the scenario file",
        )
    ]
    note = "source note"
    rows: list[tuple[Any, ...]] = [
        (
            d.name,
            param_mean(d.attacks_per_year),
            _describe(d.attacks_per_year),
            d.lat,
            d.lon,
            *_noted(d.source),
        )
        for d in s.districts
    ]
    columns = ["district", "attacks per year (mean)", "attacks per year (as given)",
               "lat (deg N)", "lon (deg E)", note, "ESTIMATE"]  # fmt: skip
    blocks.append(
        Block(
            "scenario_districts",
            pd.DataFrame(rows, columns=columns),
            {columns[1]: "0.0", columns[3]: "0.00##", columns[4]: "0.00##"},
            title="Districts (coordinates: headquarters)",
        )
    )
    rows = [(p.name, p.district or "", p.kind, p.lat, p.lon, *_noted(p.source)) for p in places]
    columns = ["place", "district", "kind", "lat (deg N)", "lon (deg E)", note, "ESTIMATE"]
    blocks.append(
        Block(
            "scenario_places",
            pd.DataFrame(rows, columns=columns),
            {columns[3]: "0.00##", columns[4]: "0.00##"},
            title="Places of the network",
        )
    )
    rows = [
        (
            g.name,
            g.mode,
            g.from_,
            g.to,
            param_mean(g.km),
            param_mean(g.kmh),
            ", ".join(g.districts),
            *_noted(g.source),
        )
        for g in s.network.segments
    ]
    columns = ["segment", "mode", "from", "to", "length (km, mean)", "speed (km/h, mean)",
               "districts", note, "ESTIMATE"]  # fmt: skip
    blocks.append(
        Block(
            "scenario_segments",
            pd.DataFrame(rows, columns=columns),
            {columns[4]: "#,##0", columns[5]: "0"},
            title="Segments of the network (usable both ways)",
            empty="(no segment)",
        )
    )
    phase = {True: "construction", False: "operating"}
    rows = [
        (
            p.name,
            p.site,
            p.port,
            phase[p.construction is not None],
            p.operations.export_mode,
            *_noted(p.source),
        )
        for p in s.projects
    ]
    columns = ["project", "site", "port", "phase", "export mode", note, "ESTIMATE"]
    blocks.append(
        Block(
            "scenario_projects",
            pd.DataFrame(rows, columns=columns),
            title="Projects",
            empty="(no project)",
        )
    )
    rows = [
        (p.name, key, given, mean)
        for p in s.projects
        for part in ("construction", "operations", "logistics", "costs", "debt", "suspension")
        for key, given, mean in _parameters(getattr(p, part), part)
    ]
    columns = ["project", "parameter", "as given", "mean (unit in the parameter's name)"]
    blocks.append(
        Block(
            "scenario_parameters",
            pd.DataFrame(rows, columns=columns),
            {columns[3]: "#,##0.####"},
            title="Project parameters (usd_per_day: US dollars a day; _t: tonnes; a "
            "distribution is drawn per replication, its mean given beside it)",
            empty="(no project)",
        )
    )
    hazard = s.hazard.model_dump(mode="json", exclude_none=True)
    stress = [e.model_dump(mode="json", by_alias=True) for e in s.stress]
    rows = [*_flat_rows(hazard, "hazard"), *_flat_rows(stress, "stress")]
    blocks.append(
        Block(
            "scenario_hazard",
            pd.DataFrame(rows, columns=["setting", "value"]),
            title="Hazard and stress events, as given",
        )
    )
    cited = _tags(
        [d.source for d in s.districts]
        + [p.source for p in s.network.places]
        + [g.source for g in s.network.segments]
        + [p.source for p in s.projects]
    )
    table = sources()
    rows = [(tag, table.get(tag, "(not in the package data)")) for tag in cited]
    blocks.append(
        Block(
            "scenario_sources",
            pd.DataFrame(rows, columns=["tag", "source"]),
            title="Sources cited by the source notes (riskmc/data/balochistan/SOURCES.md)",
            empty="(the scenario cites no source tag)",
        )
    )
    return blocks


_DISTRIBUTIONS = get_args(Distribution)


def _parameters(model: BaseModel | None, prefix: str) -> Iterator[tuple[str, str, float | None]]:
    """(parameter, as given, mean) of each leaf of a scenario block."""
    if model is None:
        return
    for name, value in model:
        key = f"{prefix}.{name.rstrip('_')}"
        if isinstance(value, _DISTRIBUTIONS):
            yield key, _describe(value), param_mean(value)
        elif isinstance(value, BaseModel):
            yield from _parameters(value, key)
        elif isinstance(value, tuple):
            for k, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _parameters(item, f"{key}.{k}")
                else:
                    yield f"{key}.{k}", str(item), None
        elif isinstance(value, bool) or value is None:
            yield key, str(value).lower() if value is not None else "null", None
        elif isinstance(value, int | float):
            yield key, f"{value:g}", float(value)
        else:
            yield key, str(value), None


def _flat_rows(doc: object, prefix: str) -> Iterator[tuple[str, object]]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _flat_rows(v, f"{prefix}.{k}")
    elif isinstance(doc, list) and doc and all(isinstance(v, dict | list) for v in doc):
        for k, v in enumerate(doc):
            yield from _flat_rows(v, f"{prefix}.{k}")
    elif isinstance(doc, list):
        yield prefix, ", ".join(str(v) for v in doc) if doc else "(none)"
    else:
        yield prefix, doc
