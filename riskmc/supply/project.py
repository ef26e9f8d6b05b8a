"""Assemble one project's construction run from a replication's hazard sample."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from riskmc.hazard.inputs import CAUSES, TARGETS
from riskmc.hazard.sample import HazardSample, ReplicationEvents
from riskmc.network import Closures, CorridorNetwork
from riskmc.scenario.distributions import Param, param_mean
from riskmc.scenario.schema import Project, Scenario
from riskmc.supply.construction import ConstructionPlan, SiteSchedule

__all__ = [
    "attack_closures",
    "construction_plan",
    "district_of",
    "exposure_districts",
    "replication_closures",
    "site_schedule",
]

_ATTACK = CAUSES.index("attack")
_SITE = TARGETS.index("site")


def _value(hazard: HazardSample, theta: np.ndarray, path: str, default: Param) -> float:
    """A parameter's draw for this replication if it is uncertain, else its value."""
    paths = hazard.parameters.paths
    if path in paths:
        return float(theta[paths.index(path)])
    return param_mean(default)


def construction_plan(
    scenario: Scenario,
    project: Project,
    network: CorridorNetwork,
    hazard: HazardSample | None = None,
    theta: np.ndarray | None = None,
) -> ConstructionPlan:
    """The numbers of ``project``'s construction for one replication (its draws)."""
    c = project.construction
    if c is None:
        raise ValueError(f"project {project.name!r} has no construction phase")
    base = f"projects[{project.name}]"

    def v(path: str, default: Param) -> float:
        if hazard is None or theta is None:
            return param_mean(default)
        return _value(hazard, theta, f"{base}.{path}", default)

    return ConstructionPlan(
        start=scenario.day_of(c.start),
        planned_days=v("construction.planned_days", c.planned_days),
        material_t=v("construction.material_t", c.material_t),
        site_buffer_days=v("construction.site_buffer_days", c.site_buffer_days),
        blackout_productivity=v("construction.blackout_productivity", c.blackout_productivity),
        convoy_t=v("logistics.convoy_t", project.logistics.convoy_t),
        convoy_loss_share=v("costs.convoy_loss_share", project.costs.convoy_loss_share),
        dispatch_needs_comms=project.logistics.dispatch_needs_comms,
        port=network.index(project.port),
        site=network.index(project.site),
    )


def district_of(scenario: Scenario, place: str) -> int | None:
    """Index of the district a place lies in, or None outside the province."""
    names = [d.name for d in scenario.districts]
    district = next(p.district for p in scenario.network.places if p.name == place)
    return None if district is None else names.index(district)


def exposure_districts(scenario: Scenario, project: Project, network: CorridorNetwork) -> set[int]:
    """Districts of the project's site and of its planned road and export routes."""
    names = [d.name for d in scenario.districts]
    site_d = district_of(scenario, project.site)
    out = {site_d} if site_d is not None else set()
    site, port = network.index(project.site), network.index(project.port)
    for modes in (("road",), (project.operations.export_mode,)):
        path = network.fastest_path(port, site, modes)
        for seg in path.segments if path else ():
            out.update(names.index(n) for n in scenario.network.segments[seg].districts)
    return out


def _spans(rows: np.ndarray) -> list[tuple[float, float]]:
    return [(float(s), float(e)) for s, e in zip(rows["start"], rows["end"], strict=True)]


def site_schedule(
    site_district: int | None,
    port_district: int | None,
    events: ReplicationEvents,
    standdown_days: float,
) -> SiteSchedule:
    """Blackouts of the site's district, stand-downs after site attacks, dispatch blocks.

    Districts are indices (:func:`district_of`), computed once per scenario.
    """
    blk = events.blackouts
    site_blk = blk[blk["key"] == site_district] if site_district is not None else blk[:0]
    blocked: Sequence[tuple[float, float]] = _spans(site_blk)
    if port_district is not None and port_district != site_district:
        blocked = [*blocked, *_spans(blk[blk["key"] == port_district])]
    standdowns: list[tuple[float, float]] = []
    if site_district is not None:
        att = events.attacks
        hits = att[(att["target"] == _SITE) & (att["district"] == site_district)]
        standdowns = [(float(t), float(t) + standdown_days) for t in hits["day"]]
    return SiteSchedule(
        site_blackouts=_spans(site_blk), standdowns=standdowns, dispatch_blocked=blocked
    )


def replication_closures(network: CorridorNetwork, events: ReplicationEvents) -> Closures:
    """The replication's merged closures as per-segment intervals."""
    c = events.closures
    return Closures.from_arrays(len(network.segments), c["key"], c["start"], c["end"])


def attack_closures(events: ReplicationEvents) -> tuple[list[int], list[float]]:
    """(segment, day) of every closure started by an attack (from the pieces)."""
    p = events.closure_pieces
    hit = p[p["cause"] == _ATTACK]
    return hit["key"].astype(int).tolist(), hit["start"].astype(float).tolist()
