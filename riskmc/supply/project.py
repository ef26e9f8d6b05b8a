"""Assemble one project's run from a scenario and a replication's hazard sample.

Shared by both engines: the SimPy engine (:mod:`riskmc.engine.propagate`) and
the compiled one (:mod:`riskmc.engine.compiled`) build a project's plans
(:mod:`riskmc.supply.plans`), values and suspensions here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

import numpy as np

from riskmc.hazard.inputs import CAUSES, TARGETS
from riskmc.hazard.sample import HazardSample, ReplicationEvents
from riskmc.network import CorridorNetwork
from riskmc.network.compiled import SegmentTimes
from riskmc.scenario.distributions import Param, param_mean, param_quantile
from riskmc.scenario.schema import Project, Scenario, Suspension
from riskmc.supply.plans import ConstructionPlan, Hazard, OperationsPlan, SiteSchedule

__all__ = [
    "ProjectValues",
    "Suspensions",
    "construction_plan",
    "district_of",
    "exposure_districts",
    "operations_plan",
    "remobilizations",
    "replication_hazard",
    "site_attacks",
    "site_schedule",
    "standdown_days",
    "suspensions",
    "year_starts",
]

_ATTACK = CAUSES.index("attack")
_SITE = TARGETS.index("site")


class ProjectValues:
    """A project's parameters for one replication: the draw if uncertain, else the value."""

    def __init__(
        self, project: Project, hazard: HazardSample | None, theta: np.ndarray | None
    ) -> None:
        self.base = f"projects[{project.name}]"
        self.paths = hazard.parameters.paths if hazard is not None else ()
        self.theta = theta

    def __call__(self, path: str, default: Param) -> float:
        full = f"{self.base}.{path}"
        if self.theta is not None and full in self.paths:
            return float(self.theta[self.paths.index(full)])
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
    v = ProjectValues(project, hazard, theta)
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


def operations_plan(
    scenario: Scenario,
    project: Project,
    network: CorridorNetwork,
    hazard: HazardSample | None = None,
    theta: np.ndarray | None = None,
) -> OperationsPlan:
    """The numbers of ``project``'s operations for one replication (its draws)."""
    o = project.operations
    v = ProjectValues(project, hazard, theta)
    return OperationsPlan(
        end=scenario.horizon_days,
        output_t_per_day=v("operations.output_t_per_day", o.output_t_per_day),
        consumables_t_per_day=v("operations.consumables_t_per_day", o.consumables_t_per_day),
        consumables_buffer_days=v("operations.consumables_buffer_days", o.consumables_buffer_days),
        storage_days=v("operations.storage_days", o.storage_days),
        export_mode=o.export_mode,
        trains_per_day=v("operations.trains_per_day", o.trains_per_day),
        surge_trains_per_day=(
            None
            if o.surge_trains_per_day is None
            else v("operations.surge_trains_per_day", o.surge_trains_per_day)
        ),
        train_t=v("operations.train_t", o.train_t),
        ramp_up_days=v("operations.ramp_up_days", o.ramp_up_days),
        convoy_t=v("logistics.convoy_t", project.logistics.convoy_t),
        convoy_loss_share=v("costs.convoy_loss_share", project.costs.convoy_loss_share),
        dispatch_needs_comms=project.logistics.dispatch_needs_comms,
        port=network.index(project.port),
        site=network.index(project.site),
        price_usd_per_t=v("costs.price_usd_per_t", project.costs.price_usd_per_t),
        discount_rate=v("costs.discount_rate", project.costs.discount_rate),
        year_starts=year_starts(scenario),
    )


def year_starts(scenario: Scenario) -> tuple[float, ...]:
    """Day (from the scenario's start) of 1 January of each calendar year of the horizon.

    The first entry is the start itself when it is not a 1 January.
    """
    first = scenario.start_date
    out = [0.0]
    year = first.year + 1
    while (day := scenario.day_of(date(year, 1, 1))) < scenario.horizon_days:
        out.append(day)
        year += 1
    return tuple(out)


def standdown_days(project: Project) -> tuple[float, float]:
    """Stand-down after a site attack (construction, operations) [days], at their means."""
    c = project.construction
    build = param_mean(c.site_attack_standdown_days) if c is not None else 0.0
    ops = project.operations.site_attack_standdown_days
    return build, (build if ops is None else param_mean(ops))


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


def site_attacks(site_district: int | None, events: ReplicationEvents) -> np.ndarray:
    """The replication's attacks aimed at the site (in the site's district): records."""
    att = events.attacks
    keep = (att["target"] == _SITE) & (att["district"] == site_district)
    out: np.ndarray = att[keep] if site_district is not None else att[:0]
    return out


def site_schedule(
    site_district: int | None,
    port_district: int | None,
    events: ReplicationEvents,
    standdown_days: float | tuple[float, float],
    suspended: Sequence[tuple[float, float]] = (),
    remobilization_days: float = 0.0,
) -> SiteSchedule:
    """Blackouts of the site's district, stand-downs after site attacks, dispatch blocks.

    ``standdown_days`` is one number, or (construction, operations) as from
    :func:`standdown_days`. Districts are indices (:func:`district_of`),
    computed once per scenario. ``suspended`` are the merged suspensions
    (:func:`suspensions`), each followed by ``remobilization_days`` at half rate.
    """
    blk = events.blackouts
    site_blk = blk[blk["key"] == site_district] if site_district is not None else blk[:0]
    blocked: Sequence[tuple[float, float]] = _spans(site_blk)
    if port_district is not None and port_district != site_district:
        blocked = [*blocked, *_spans(blk[blk["key"] == port_district])]
    build, ops = (
        (float(standdown_days), float(standdown_days))
        if isinstance(standdown_days, float | int)
        else standdown_days
    )
    days = site_attacks(site_district, events)["day"]
    return SiteSchedule(
        site_blackouts=_spans(site_blk),
        standdowns=[(float(t), float(t) + build) for t in days],
        dispatch_blocked=blocked,
        ops_standdowns=[(float(t), float(t) + ops) for t in days],
        suspended=tuple(suspended),
        remobilizing=tuple(remobilizations(suspended, remobilization_days)),
    )


def replication_hazard(
    network: CorridorNetwork, events: ReplicationEvents, schedule: SiteSchedule
) -> Hazard:
    """The replication's closures and attack days by segment, and a site schedule."""
    n = len(network.segments)
    c = events.closures
    p = events.closure_pieces
    hit = p[p["cause"] == _ATTACK]
    return Hazard(
        network,
        SegmentTimes.of(n, c["key"], c["start"], c["end"]),
        SegmentTimes.of(n, hit["key"], hit["start"]),
        schedule,
    )


class Suspensions(NamedTuple):
    """A project's suspensions in one replication (SPEC 3b).

    ``spans`` are the merged suspensions ``(start, end)`` [days], in order,
    each ending at the horizon at the latest; ``triggers`` is the number of
    events that suspended the site (a merged suspension can hold several).
    """

    spans: tuple[tuple[float, float], ...] = ()
    triggers: int = 0

    def within(self, start: float, end: float) -> tuple[tuple[float, float], ...]:
        """The merged suspensions that overlap ``[start, end)``, cut to it."""
        return tuple((max(s, start), min(e, end)) for s, e in self.spans if e > start and s < end)


def _suspends(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Which events suspend: a drawn uniform (-1: not drawn) below its probability.

    The hazard keeps the single-precision uniforms below 1, so a probability of
    1 always suspends.
    """
    u = u.astype(np.float64)
    out: np.ndarray = (u >= 0) & (u < p)
    return out


def suspensions(
    values: ProjectValues,
    suspension: Suspension | None,
    site_district: int | None,
    events: ReplicationEvents,
    horizon: float,
) -> Suspensions:
    """The replication's suspensions of a project: qualifying events that suspend, merged.

    Every event lies in the site's district: an attack on the site with at
    least ``site_attack.min_fatalities`` deaths, any attack with at least
    ``district_attack.min_fatalities``, a campaign that the district joins.
    An event suspends when its uniform ``u_suspend`` (drawn in the hazard
    stage, from the suspension stream, for the attacks of ``events.watched``
    and the joins; -1 where not drawn) is below the
    trigger's probability; an
    attack that qualifies under both attack rules is one event, and suspends
    with the larger of the two probabilities (one draw, so the rules do not
    add up to a second chance). Its length is the ``u_days``-quantile of
    ``suspension.days``. A suspension that starts while another runs extends
    it to the later end; none runs past ``horizon``.

    Parameters
    ----------
    values : ProjectValues
        The project's parameters for the replication (the trigger probabilities).
    suspension : Suspension or None
        The project's ``suspension`` block; None: no suspension.
    site_district : int or None
        Index of the site's district (:func:`district_of`).
    events : ReplicationEvents
    horizon : float
        [days from the scenario's start]

    Returns
    -------
    Suspensions
    """
    if suspension is None or site_district is None:
        return Suspensions()
    days: list[float] = []  # the day and the uniform of its length, of each event that suspends
    u_days: list[float] = []
    # the attacks of watched districts, with their deaths and uniforms; then the site's
    watched = events.watched
    att = events.attacks[watched["attack"]]
    here = att["district"] == site_district
    att, watched = att[here], watched[here]
    if len(att) and (suspension.site_attack or suspension.district_attack):
        fatal = watched["fatalities"]
        p = np.zeros(len(att))
        if (rule := suspension.site_attack) is not None:
            prob = values("suspension.site_attack.probability", rule.probability)
            hit = (att["target"] == _SITE) & (fatal >= rule.min_fatalities)
            p = np.where(hit, np.maximum(p, prob), p)
        if (rule := suspension.district_attack) is not None:
            prob = values("suspension.district_attack.probability", rule.probability)
            p = np.where(fatal >= rule.min_fatalities, np.maximum(p, prob), p)
        hit = _suspends(watched["u_suspend"], p)
        days += att["day"][hit].tolist()
        u_days += watched["u_days"][hit].tolist()
    if suspension.campaign is not None:
        joins = events.joins
        joins = joins[joins["district"] == site_district]
        prob = values("suspension.campaign.probability", suspension.campaign.probability)
        hit = _suspends(joins["u_suspend"], np.full(len(joins), prob))
        days += joins["day"][hit].tolist()
        u_days += joins["u_days"][hit].tolist()
    spans: list[tuple[float, float]] = []
    triggers = 0
    for day, u in sorted(zip(days, u_days, strict=True)):
        if day >= horizon:
            break
        triggers += 1
        end = min(day + param_quantile(suspension.days, u), horizon)
        if spans and day <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((day, end))
    return Suspensions(tuple(spans), triggers)


def remobilizations(spans: Sequence[tuple[float, float]], days: float) -> list[tuple[float, float]]:
    """Half-rate spans after each merged suspension [days].

    Each lasts ``days``, or as long as the suspension itself if that is
    shorter: staff who left for three days are back in less than a month.
    """
    if not days > 0:  # NaN too
        return []
    return [(e, e + min(days, e - s)) for s, e in spans]
