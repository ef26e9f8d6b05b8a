"""One chunk of replications: sample its hazard, run each project's supply chain.

This is the unit of work of every backend (:func:`simulate_chunk`). Its
outcome rows depend only on the scenario, the seed and the replication
indices, never on how the replications were split into chunks or where the
chunk ran.

For each project, each replication runs the project model
(:func:`riskmc.supply.model.simulate_project`: construction if any, then
operations to the horizon) under the replication's hazard, and once more with
no hazard (the plan, cached). Every outcome is measured against the plan.

Money (SPEC.md, "Costs")
    ``capex_overrun_usd`` (undiscounted) = standby x stalled days + (overhead
    + interest) x delay days + transport x detour tonne-km of construction
    convoys + damage of site attacks before first production + construction
    cargo destroyed in convoy attacks (tonnes x ``material_usd_per_t``), each
    item also in its own column, so that they add up to the cent; with a
    ``suspension`` block, also standby x construction days suspended and
    ``remobilization_usd`` for each suspension that starts before first
    production. Each site attack's damage is the quantile of
    ``site_attack_damage_usd`` at the attack's uniform mark (so one
    replication's attacks differ).
    ``lost_revenue_usd`` = price x ``lost_output_t``.
    ``npv_loss_usd`` = the plan's export revenue minus the replication's, both
    discounted to the scenario's start at ``discount_rate`` (continuous, from
    the annual rate), plus every extra cost discounted at the day it is
    incurred: the capex overrun items, then, in operations, transport on
    detours, site-attack damage, consumables destroyed in convoy attacks and
    the remobilization of suspensions that start after first production
    (``opex_extra_usd``, undiscounted). A remobilization is paid on the day
    its suspension starts (or the project's run does, if later). Destroyed
    cargo is valued on the day its convoy arrives short.
    ``mitigation_cost_usd`` (escorts per convoy when ``logistics.escorted``,
    each discounted to the start from its departure day at ``discount_rate``,
    plus ``costs.mitigation_usd``, spent at the start) is the present value of
    a mitigation's price, kept out of the losses so that a comparison can weigh
    one against the other on the same footing as ``npv_loss_usd``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.engine.cover import (
    cover_keys,
    cover_years,
    debt_columns,
    debt_years,
    extra_schema,
    project_cover_row,
)
from riskmc.hazard.inputs import CAUSES
from riskmc.hazard.sample import HazardSample, ReplicationEvents, sample_hazard
from riskmc.network import CorridorNetwork
from riskmc.network.compiled import isolated_days_packed
from riskmc.scenario.distributions import param_quantile
from riskmc.scenario.schema import Project, Scenario
from riskmc.supply.model import (
    HELD_BY_BLACKOUT,
    HELD_BY_BLACKOUT_WORK,
    HELD_BY_NOTHING,
    HELD_BY_SITE_ATTACK,
    HELD_BY_SUSPENSION,
    ConstructionPlan,
    Hazard,
    OperationsPlan,
    ProjectResult,
    present_value,
    simulate_project,
)
from riskmc.supply.project import (
    ProjectValues,
    construction_plan,
    district_of,
    exposure_districts,
    operations_plan,
    replication_hazard,
    site_attacks,
    site_schedule,
    standdown_days,
    suspensions,
)

if TYPE_CHECKING:
    from riskmc.engine.compiled import CompiledModel

__all__ = [
    "DRIVER_CAUSES",
    "ENGINES",
    "LOSS_CAUSES",
    "METRICS",
    "OUTCOME_COLUMNS",
    "ChunkModel",
    "Money",
    "debt_shortfalls",
    "debt_years",
    "district_column",
    "driver_districts",
    "loss_district_column",
    "money",
    "outcome_frame",
    "outcome_schema",
    "project_dtype",
    "simulate_chunk",
]

#: Plan runs kept (see ChunkModel._plan).
_PLAN_CACHE = 4096
#: The engines that run the project models: the compiled state machine, and the SimPy
#: model (the readable reference). They give the same outcomes (SPEC 3c).
ENGINES = ("compiled", "simpy")
#: Columns of ``SimulationResult.outcomes`` and what they mean.
OUTCOME_COLUMNS = {
    "replication": "replication index",
    "project": "project name",
    "first_production": "date the construction work is done, at midnight (NaT for an "
    "operating mine)",
    "delay_days": "first production minus the plan's [days]",
    "stall_days": "construction days with the site idle (empty stockpile or stand-down), "
    "against the plan's [days]",
    "capex_overrun_usd": "standby x stall days + (overhead + interest) x delay days "
    "+ transport on construction detours + site-attack damage before first production "
    "+ construction cargo destroyed in convoy attacks + standby x suspended construction "
    "days + remobilization of suspensions before first production [USD]",
    "lost_output_t": "planned minus actual output exported within the horizon, "
    "net of cargo destroyed [t]",
    "lost_revenue_usd": "price x lost_output_t [USD, undiscounted]",
    "npv_loss_usd": "discounted revenue shortfall against the plan plus discounted extra "
    "costs [USD at the scenario start]",
    "site_isolated_days": "days with no open road path between the port and the site [days]",
    "site_blackout_days": "days the site's district was blacked out [days]",
    "attacks": "attacks over the horizon in the districts of the site and its routes",
    "convoys_delayed": "convoys that waited for a closure or took a detour",
    "convoy_wait_days": "days convoys (inbound and road exports) waited at closed segments, "
    "summed over the convoys [days]",
    "convoy_losses": "convoys and trains hit by an attack on their segment",
    "suspensions": "suspensions of the site (merged) that overlap the project's run "
    "(from the construction start, or day 0 for an operating mine) within the horizon",
    "suspended_days": "days of the project's run with the site suspended, within the "
    "horizon [days]",
    "force_majeure": "some suspension of the run at least force_majeure_days long, "
    "within the horizon",
    "standby_usd": "standby x construction days idle [USD]",
    "delay_carry_usd": "(overhead + interest) x delay days [USD]",
    "detour_transport_usd": "transport x extra tonne-km of construction detours [USD]",
    "damage_usd": "damage of site attacks before first production [USD]",
    "cargo_damage_usd": "construction cargo lost in convoy attacks x material_usd_per_t [USD]",
    "suspension_standby_usd": "standby x construction days suspended (the first "
    "suspension.standby_days of each, if set) [USD]",
    "remobilization_usd": "remobilization_usd x suspensions that start before first "
    "production [USD]",
    "opex_extra_usd": "transport on operations detours + site-attack damage after first "
    "production + consumables destroyed in convoy attacks + remobilization of suspensions "
    "after first production [USD, undiscounted]",
    "mitigation_cost_usd": "escort x convoys (when escorted, each discounted from its departure) "
    "+ the one-off mitigation cost [USD, present value]",
    "debt_shortfall_years": "whole years in which export revenue x cash margin < debt service",
    "debt_shortfall_mask": "bit k set: a shortfall in year debt.first_year + k",
    "cover_recovery_usd": "what the project's covers pay over the horizon (SPEC 4b) "
    "[USD, undiscounted]",
    "cover_recovery_pv_usd": "cover_recovery_usd discounted to the scenario start, each "
    "payment on its day (an interruption's as its days accrue) [USD, present value]",
    "cover_premium_usd": "the project's cover premiums [USD, present value]",
}
#: Causes to which delay is attributed, each with a column ``delay_<cause>_days``.
DRIVER_CAUSES = (
    "attack_closure",
    "seizure",
    "protest",
    "stress_closure",
    "blackout",
    "site_attack",
    "suspension",
    "other",
)
OUTCOME_COLUMNS |= {
    f"delay_{cause}_days": f"days of delay_days attributed to {cause.replace('_', ' ')}s"
    for cause in DRIVER_CAUSES
}
#: Causes to which lost output is attributed, each with a column ``lost_<cause>_t``: those
#: of delay, concentrate destroyed by attacks on the way to the port, and concentrate still
#: in storage at the horizon beyond the plan's (signed: the plan may hold more).
LOSS_CAUSES = (*DRIVER_CAUSES, "cargo_attack", "in_storage")
OUTCOME_COLUMNS |= {
    f"lost_{cause}_t": f"tonnes of lost_output_t attributed to {cause.replace('_', ' ')}s"
    for cause in LOSS_CAUSES
    if cause != "in_storage"
}
OUTCOME_COLUMNS["lost_in_storage_t"] = (
    "tonnes of lost_output_t still in storage at the site at the horizon, minus what the plan "
    "holds then (signed: the plan can hold more)"
)


def district_column(name: str) -> str:
    """Column of the delay attributed to district ``name``: ``delay_at_<name>_days``.

    Examples
    --------
    >>> district_column("Dera Bugti")
    'delay_at_dera_bugti_days'
    """
    return "delay_at_" + "_".join(name.lower().split()) + "_days"


def loss_district_column(name: str) -> str:
    """Column of the lost output attributed to district ``name``: ``lost_at_<name>_t``.

    Examples
    --------
    >>> loss_district_column("Dera Bugti")
    'lost_at_dera_bugti_t'
    """
    return "lost_at_" + "_".join(name.lower().split()) + "_t"


#: The integer columns of the outcome table (int64). ``project`` is a categorical of the
#: scenario's project names (:func:`project_dtype`), ``first_production`` datetime64[ns]
#: (NaT for an operating mine), ``force_majeure`` bool, and every other column float64
#: (:func:`outcome_schema`).
INTEGER_COLUMNS = (
    "replication",
    "attacks",
    "convoys_delayed",
    "convoy_losses",
    "suspensions",
    "debt_shortfall_years",
    "debt_shortfall_mask",
)
#: The type of ``first_production``: a date at midnight, NaT for an operating mine.
DATE_DTYPE = np.dtype("datetime64[ns]")


def project_dtype(scenario: Scenario) -> pd.CategoricalDtype:
    """The type of the ``project`` column: the scenario's project names, in its order.

    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> project_dtype(load_scenario(shipped_scenarios()["balochistan.yaml"])).categories.tolist()
    ['Reko Diq', 'Saindak']
    """
    return pd.CategoricalDtype([p.name for p in scenario.projects], ordered=False)


def driver_districts(scenario: Scenario) -> list[int]:
    """Indices of the districts that delay and lost output can be attributed to, ascending.

    Those of the network's segments and of the projects' sites; each has a
    column of delay (:func:`district_column`) and one of lost output
    (:func:`loss_district_column`).
    """
    names = [d.name for d in scenario.districts]
    held = {names.index(n) for g in scenario.network.segments for n in g.districts}
    for p in scenario.projects:
        site = district_of(scenario, p.site)
        if site is not None:
            held.add(site)
    return sorted(held)


def outcome_schema(scenario: Scenario) -> dict[str, np.dtype | pd.CategoricalDtype]:
    """The columns of the scenario's outcome table and their types, in order.

    :data:`OUTCOME_COLUMNS`, then the columns of the covers and the DSCR
    (:func:`riskmc.engine.cover.extra_schema`, none without cover or debt), then the
    delay of each driver district, then its lost output (:func:`driver_districts`);
    types as :data:`INTEGER_COLUMNS` says (the cover's yearly columns and the DSCR
    float32).

    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> schema = outcome_schema(load_scenario(shipped_scenarios()["tiny.yaml"]))
    >>> [str(schema[c]) for c in ("replication", "project", "first_production", "delay_days")]
    ['int64', 'category', 'datetime64[ns]', 'float64']
    """
    names = [d.name for d in scenario.districts]
    districts = driver_districts(scenario)
    extra = extra_schema(scenario)
    columns = [
        *OUTCOME_COLUMNS,
        *extra,
        *(district_column(names[d]) for d in districts),
        *(loss_district_column(names[d]) for d in districts),
    ]
    projects = project_dtype(scenario)
    schema: dict[str, np.dtype | pd.CategoricalDtype] = {}
    for c in columns:
        if c in extra:
            schema[c] = extra[c]
        elif c == "project":
            schema[c] = projects
        elif c == "first_production":
            schema[c] = DATE_DTYPE
        elif c == "force_majeure":
            schema[c] = np.dtype(np.bool_)
        elif c in INTEGER_COLUMNS:
            schema[c] = np.dtype(np.int64)
        else:
            schema[c] = np.dtype(np.float64)
    return schema


def outcome_frame(
    rows: Sequence[Sequence[object]], schema: dict[str, np.dtype | pd.CategoricalDtype]
) -> pd.DataFrame:
    """An outcome table from rows of values in the order of ``schema``, with its types.

    ``project`` holds names of the categories; ``first_production`` a
    ``datetime.date`` or None (NaT). One array per column, none copied into a
    block of others.
    """
    values = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    data: dict[str, object] = {}
    for (name, dtype), column in zip(schema.items(), values, strict=True):
        if isinstance(dtype, pd.CategoricalDtype):
            data[name] = pd.Categorical(column, dtype=dtype)
        elif dtype.kind == "M":  # dates, exactly: the day, at midnight; None is NaT
            data[name] = np.array(column, dtype="datetime64[D]").astype(dtype)
        else:
            data[name] = np.array(column, dtype=dtype)
    return pd.DataFrame(data, copy=False)


#: The numeric outcome columns that ``summary()`` reports.
METRICS = (
    "delay_days",
    "stall_days",
    "capex_overrun_usd",
    "lost_output_t",
    "lost_revenue_usd",
    "npv_loss_usd",
    "site_isolated_days",
    "site_blackout_days",
    "attacks",
    "suspensions",
    "suspended_days",
    "mitigation_cost_usd",
)


class _Build(NamedTuple):
    """What a project needs, worked out once per simulation."""

    project: Project
    standdowns: tuple[float, float]
    site_district: int | None
    port_district: int | None
    exposure: NDArray[np.int64]
    start: float
    road_plan: NDArray[np.int64]


class ChunkModel:
    """A scenario made ready to simulate chunks of replications.

    Building it costs the per-scenario work once (network, routes, exposure);
    :meth:`run` then simulates any range of replications. Plan runs are
    cached by plan.

    Examples
    --------
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> model = ChunkModel(load_scenario(shipped_scenarios()["tiny.yaml"]))
    >>> rows = model.run(seed=1, first=0, stop=2)
    >>> list(rows["replication"])
    [0, 1]
    """

    def __init__(
        self, scenario: Scenario, threads: int | None = None, engine: str = "compiled"
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        self.scenario = scenario
        #: Which project model runs the replications (:data:`ENGINES`).
        self.engine = engine
        #: Numba threads of the hazard sampler (None: every core); 1 in pool workers.
        self.threads = threads
        self.network = net = CorridorNetwork.from_scenario(scenario)
        self.builds = []
        for p in scenario.projects:
            port, site = net.index(p.port), net.index(p.site)
            path = net.fastest_path(port, site)
            self.builds.append(
                _Build(
                    project=p,
                    standdowns=standdown_days(p),
                    site_district=district_of(scenario, p.site),
                    port_district=district_of(scenario, p.port),
                    exposure=np.array(sorted(exposure_districts(scenario, p, net)), dtype=np.int64),
                    start=scenario.day_of(p.construction.start) if p.construction else 0.0,
                    road_plan=np.array(path.segments if path else (), dtype=np.int64),
                )
            )
        self._plans: dict[tuple[ConstructionPlan | None, OperationsPlan], ProjectResult] = {}
        #: SimPy events processed by :meth:`propagate` so far (plans excluded).
        self.simpy_events = 0
        #: Convoys sent by :meth:`propagate` so far (plans excluded): each is a dispatch and a
        #: delivery that the regimes handle inside their compiled calls.
        self.convoys = 0
        names = [d.name for d in scenario.districts]
        self._seg_districts = [
            [names.index(n) for n in g.districts] for g in scenario.network.segments
        ]
        # districts that delay and lost output can be attributed to: those of the segments
        # and of the sites
        self.driver_districts = driver_districts(scenario)
        self._district_slot = {d: k for k, d in enumerate(self.driver_districts)}
        #: The columns of :meth:`run`'s table and their types (:func:`outcome_schema`):
        #: OUTCOME_COLUMNS, then one per driver district for delay, then one per driver
        #: district for lost output.
        self.schema = outcome_schema(scenario)
        self.columns = list(self.schema)
        #: The covers' column keys, the simulated years of their yearly columns, and the
        #: calendar years of the DSCR columns (:mod:`riskmc.engine.cover`).
        self.cover_keys = cover_keys(scenario)
        self.cover_years = cover_years(scenario)
        self.debt_columns = debt_columns(scenario)

    @cached_property
    def compiled(self) -> CompiledModel:
        """The compiled engine's arrays of this scenario (built when first needed)."""
        from riskmc.engine.compiled import CompiledModel

        return CompiledModel(self)

    def warm_hazard(self) -> None:
        """Compile (or load from the Numba cache) the hazard kernels: one replication."""
        sample_hazard(self.scenario, range(0, 1), seed=0, pieces=True, threads=self.threads)

    def warm_supply(self) -> None:
        """Compile (or load) the supply kernels: each project's plan, and the isolation sweep.

        Needs no hazard sample, so it can run beside :meth:`warm_hazard`. With the
        compiled engine, its chunk kernel too (on no replication).
        """
        if self.engine == "compiled":
            self.compiled.run(
                sample_hazard(self.scenario, range(0, 0), seed=0, pieces=True, threads=1)
            )
        net = self.network
        none = Hazard.none(net)
        for b in self.builds:
            p = b.project
            build = construction_plan(self.scenario, p, net) if p.construction else None
            ops = operations_plan(self.scenario, p, net)
            self._plan(build, ops)
            isolated_days_packed(
                *none.packed(), net.road, b.road_plan, ops.port, ops.site, 0.0, 1.0
            )

    def run(self, seed: int, first: int, stop: int) -> pd.DataFrame:
        """Outcome rows of replications ``first .. stop - 1``, in (replication, project) order."""
        hazard = sample_hazard(
            self.scenario, range(first, stop), seed=seed, pieces=True, threads=self.threads
        )
        if self.engine == "compiled":
            return self.compiled.run(hazard)  # typed as self.schema says
        return outcome_frame(self.propagate(hazard), self.schema)

    def _attribute(
        self,
        records: list[_Record],
        held_by: _Held,
        site_district: int | None,
    ) -> tuple[list[float], list[float]]:
        """Amounts (delay days, or tonnes) by cause (DRIVER_CAUSES) and by driver district.

        Each record ``(held by, until, amount, follows the previous one)`` the model made
        (:attr:`ProjectResult.delay_causes`, :attr:`ProjectResult.lost_causes`)
        goes to what held it: the closure piece that ended the longest wait of
        the convoy that ended a stall (its cause; for an attack, the attack's
        district, else the districts of the segment, shared equally), the
        closure that held the export, a blackout of the site's district
        (dispatch held, or work slowed), or an attack on the site (stand-down).
        A stall ended by a convoy that nothing held is the tail of the
        disruption just before it (the stock was still rebuilding) and goes to
        it; with none before, or after a gap, to "other", as does output held
        by no disruption.
        """
        by_cause = [0.0] * len(DRIVER_CAUSES)
        by_district = [0.0] * len(self.driver_districts)
        last: tuple[str, list[int]] | None = None
        for held, until, amount, follows in _runs(records):
            if not follows:
                last = None
            districts: list[int] = []
            if held == HELD_BY_NOTHING and last is not None:
                name, districts = last
            elif held >= 0:
                cause, start = held_by.piece(held, until)
                name = _CLOSURE_DRIVER.get(cause, "other")
                if name == "attack_closure":
                    districts = held_by.attack_district(start, self._seg_districts[held])
                else:
                    districts = self._seg_districts[held]
            elif held == HELD_BY_SITE_ATTACK:
                name = "site_attack"
            elif held == HELD_BY_SUSPENSION:
                # the triggering event is always in the site's district
                name = "suspension"
            elif held in (HELD_BY_BLACKOUT, HELD_BY_BLACKOUT_WORK):
                name = "blackout"
            else:
                name = "other"
            if name in ("site_attack", "blackout", "suspension") and site_district is not None:
                districts = [site_district]
            if held >= 0 or held == HELD_BY_BLACKOUT:  # what can leave a stock rebuilding
                last = (name, districts)
            by_cause[DRIVER_CAUSES.index(name)] += amount
            for d in districts:
                by_district[self._district_slot[d]] += amount / len(districts)
        return by_cause, by_district

    def _lost(
        self,
        r: ProjectResult,
        plan: ProjectResult,
        lost_t: float,
        delay: tuple[list[float], list[float]],
        held_by: _Held,
        site_district: int | None,
    ) -> tuple[list[float], list[float]]:
        """Lost output (tonnes) by cause (LOSS_CAUSES) and by driver district.

        Output not made because first production came late (the plan's
        potential output minus this run's) is shared like the delay; output
        the mine could have made but did not goes to what held it (a
        stand-down, consumables that ran out, storage full while the export
        route was closed); concentrate destroyed on the way to the port to the
        attack's district (rail: each attack on the flow; road: a convoy's
        first attack); concentrate still in storage at the horizon, against
        the plan's, to "in_storage". The rest is "other": shortfalls nothing
        held (export capacity, against the plan's own), and rounding.
        """
        by_cause = [0.0] * len(LOSS_CAUSES)
        by_district = [0.0] * len(self.driver_districts)
        late = plan.potential_t - r.potential_t
        delay_cause, delay_district = delay
        held = sum(delay_cause)
        if late > 0 and held > 0:
            for k, v in enumerate(delay_cause):
                by_cause[k] += late * v / held
            for k, v in enumerate(delay_district):
                by_district[k] += late * v / held
        made_cause, made_district = self._attribute(r.lost_causes, held_by, site_district)
        for k, v in enumerate(made_cause):
            by_cause[k] += v
        for k, v in enumerate(made_district):
            by_district[k] += v
        by_cause[LOSS_CAUSES.index("in_storage")] = r.storage_t - plan.storage_t
        cargo = LOSS_CAUSES.index("cargo_attack")
        for day, seg, tonnes in r.export_hits:
            by_cause[cargo] += tonnes
            districts = held_by.attack_district(day, self._seg_districts[seg])
            for d in districts:
                by_district[self._district_slot[d]] += tonnes / len(districts)
        other = LOSS_CAUSES.index("other")
        by_cause[other] = lost_t - (sum(by_cause) - by_cause[other])
        return by_cause, by_district

    def _plan(self, build: ConstructionPlan | None, ops: OperationsPlan) -> ProjectResult:
        key = (build, ops)
        if len(self._plans) > _PLAN_CACHE:  # plans drawn per replication: memory bounded
            self._plans.clear()
        if key not in self._plans:
            self._plans[key] = simulate_project(Hazard.none(self.network), build, ops)
        return self._plans[key]

    def propagate(self, hazard: HazardSample) -> list[tuple[object, ...]]:
        """Outcome rows of the replications of a hazard sample (taken with ``pieces=True``).

        Adds the SimPy events processed to :attr:`simpy_events` and the convoys sent to
        :attr:`convoys`.
        """
        scenario, net = self.scenario, self.network
        horizon = scenario.horizon_days
        rows: list[tuple[object, ...]] = []
        for rep in hazard.replications:
            events = hazard.replication(int(rep))
            held_by = _Held(events)
            for b in self.builds:
                p = b.project
                cplan = (
                    construction_plan(scenario, p, net, hazard, events.theta)
                    if p.construction
                    else None
                )
                oplan = operations_plan(scenario, p, net, hazard, events.theta)
                values = ProjectValues(p, hazard, events.theta)
                susp = suspensions(values, p.suspension, b.site_district, events, horizon)
                # the suspensions that reach into the project's run, whole: one that ended
                # before it neither slows it (remobilisation) nor counts
                touching = tuple((a, e) for a, e in susp.spans if e > b.start)
                sched = site_schedule(
                    b.site_district,
                    b.port_district,
                    events,
                    b.standdowns,
                    touching,
                    _remobilization_days(p, values),
                )
                rh = replication_hazard(net, events, sched)
                r = simulate_project(rh, cplan, oplan)
                self.simpy_events += r.simpy_events
                self.convoys += r.convoys
                plan = self._plan(cplan, oplan)
                attacks = events.attacks
                run_spans = susp.within(b.start, horizon)
                m = money(
                    p, values, r, plan, oplan, site_attacks(b.site_district, events), touching
                )
                short, short_mask, dscr = debt_shortfalls(p, values, r, scenario)
                hits = site_attacks(b.site_district, events)
                damage = [
                    param_quantile(p.costs.site_attack_damage_usd, float(u)) for u in hits["mark"]
                ]
                cover, cover_pv, premium, amounts = project_cover_row(
                    p,
                    self.cover_keys,
                    touching,
                    list(zip(hits["day"].tolist(), damage, strict=True)),
                    b.start,
                    horizon,
                    oplan.discount_rate,
                    self.cover_years,
                )
                dscr_cols = [dscr.get(y, math.nan) for y in self.debt_columns]
                iso = isolated_days_packed(
                    *rh.packed(),
                    net.road,
                    b.road_plan,
                    cplan.port if cplan else oplan.port,
                    cplan.site if cplan else oplan.site,
                    b.start,
                    horizon,
                )
                lost_t = plan.exported_t - r.exported_t
                delay = r.finish - plan.finish if cplan else 0.0
                delay_cause, delay_district = drivers = self._attribute(
                    [(h, u, d, True) for h, u, d in r.delay_causes], held_by, b.site_district
                )
                lost_cause, lost_district = self._lost(
                    r, plan, lost_t, drivers, held_by, b.site_district
                )
                rows.append(
                    (
                        int(rep),
                        p.name,
                        scenario.start_date + timedelta(days=r.finish) if cplan else None,
                        delay,
                        _stalled(r) - _stalled(plan),
                        m.capex_overrun,
                        lost_t,
                        oplan.price_usd_per_t * lost_t,
                        m.npv_loss,
                        iso,
                        r.blackout_days,
                        int(np.isin(attacks["district"], b.exposure).sum()),
                        r.convoys_delayed,
                        r.convoy_wait_days,
                        r.convoy_losses,
                        len(run_spans),
                        sum((e - s for s, e in run_spans), 0.0),
                        p.suspension is not None
                        and any(e - s >= p.suspension.force_majeure_days for s, e in touching),
                        m.standby,
                        m.delay_carry,
                        m.build_transport,
                        m.build_damage,
                        m.build_cargo,
                        m.suspension_standby,
                        m.remobilization,
                        m.opex_extra,
                        m.mitigation,
                        short,
                        short_mask,
                        cover,
                        cover_pv,
                        premium,
                        *delay_cause,
                        *lost_cause,
                        *amounts,
                        *dscr_cols,
                        *delay_district,
                        *lost_district,
                    )
                )
        return rows


class Money(NamedTuple):
    """The money of one run against its plan [USD]; see the module docstring."""

    standby: float  # standby x stalled construction days
    delay_carry: float  # (overhead + interest) x delay days
    build_transport: float  # transport on construction detours
    build_damage: float  # site-attack damage before first production
    build_cargo: float  # construction cargo destroyed in convoy attacks
    suspension_standby: float  # standby x suspended construction days
    remobilization: float  # remobilization of suspensions before first production
    opex_extra: float  # transport on operations detours, damage and consumables destroyed
    # after first production
    mitigation: float  # escorts x convoys (present value) + one-off mitigation cost
    npv_loss: float

    @property
    def capex_overrun(self) -> float:
        return (
            self.standby
            + self.delay_carry
            + self.build_transport
            + self.build_damage
            + self.build_cargo
            + self.suspension_standby
            + self.remobilization
        )


def money(
    project: Project,
    value: ProjectValues,
    r: ProjectResult,
    plan: ProjectResult,
    ops: OperationsPlan,
    site_hits: np.ndarray,
    suspended: Sequence[tuple[float, float]] = (),
) -> Money:
    """Cost items, mitigation cost and NPV loss of run ``r`` against ``plan``.

    ``site_hits`` are the replication's attacks on the site (records with
    ``day`` and ``mark``); ``suspended`` the merged suspensions that reach into
    the project's run, whole (one begun before the run's start keeps its start,
    from which its ``standby_days`` count).
    """
    c = project.costs
    standby = value("costs.standby_usd_per_day", c.standby_usd_per_day)
    carry = value("costs.overhead_usd_per_day", c.overhead_usd_per_day) + value(
        "costs.interest_usd_per_day", c.interest_usd_per_day
    )
    tkm = value("costs.transport_usd_per_tkm", c.transport_usd_per_tkm)
    rate = ops.discount_rate
    built = r.finish if not math.isnan(r.finish) else -math.inf
    delay = r.finish - plan.finish if not math.isnan(r.finish) else 0.0
    # against the plan, which stalls too when its stockpile holds less than a convoy load
    pv = standby * sum(present_value(rate, a, b) for a, b in r.stall_spans)
    pv -= standby * sum(present_value(rate, a, b) for a, b in plan.stall_spans)
    if delay > 0:
        pv += carry * present_value(rate, plan.finish, r.finish)
    elif delay < 0:
        pv -= carry * present_value(rate, r.finish, plan.finish)
    pv += tkm * r.detour_pv_tkm
    pv += plan.export_pv_usd - r.export_pv_usd
    build_damage = ops_damage = 0.0
    for day, mark in zip(site_hits["day"], site_hits["mark"], strict=True):
        usd = param_quantile(c.site_attack_damage_usd, float(mark))
        if day < built:
            build_damage += usd
        else:
            ops_damage += usd
        pv += usd * present_value(rate, float(day))
    # inbound cargo destroyed in convoy attacks, at its replacement price
    cargo = {
        "material": value("costs.material_usd_per_t", c.material_usd_per_t),
        "consumables": value("costs.consumables_usd_per_t", c.consumables_usd_per_t),
    }
    build_cargo = ops_cargo = 0.0
    for name, pile in r.stockpiles.items():
        usd_per_t = cargo[name]
        if name == "material":
            build_cargo += usd_per_t * pile["lost_t"]
        else:
            ops_cargo += usd_per_t * pile["lost_t"]
        pv += usd_per_t * pile["lost_pv_t"]
    # standby while suspended in construction (the plan has no suspension), and a
    # remobilization per suspension, paid on the day it starts
    charged = _standby_spans(project, value, r.suspended_build_spans, suspended)
    pv += standby * sum(present_value(rate, a, b) for a, b in charged)
    build_remob = ops_remob = 0.0
    if project.suspension is not None and suspended:
        remob = value("suspension.remobilization_usd", project.suspension.remobilization_usd)
        for day, _ in suspended:
            if day < built:
                build_remob += remob
            else:
                ops_remob += remob
            pv += remob * present_value(rate, day)
    escorts = value("costs.escort_usd_per_convoy", c.escort_usd_per_convoy)
    mitigation = value("costs.mitigation_usd", c.mitigation_usd)
    if project.logistics.escorted:
        mitigation += escorts * r.convoys_pv
    return Money(
        standby=standby * (_stalled(r) - _stalled(plan)),
        delay_carry=carry * delay,
        build_transport=tkm * r.build_detour_tkm,
        build_damage=build_damage,
        build_cargo=build_cargo,
        suspension_standby=standby * sum(b - a for a, b in charged),
        remobilization=build_remob,
        opex_extra=tkm * (r.detour_tkm - r.build_detour_tkm) + ops_damage + ops_cargo + ops_remob,
        mitigation=mitigation,
        npv_loss=pv,
    )


def _standby_spans(
    project: Project,
    value: ProjectValues,
    build_spans: Sequence[tuple[float, float]],
    suspended: Sequence[tuple[float, float]],
) -> list[tuple[float, float]]:
    """The suspended construction days that pay standby: the first ``standby_days`` of each.

    ``build_spans`` are the construction stretches under suspension, ``suspended``
    the merged suspensions; without ``suspension.standby_days`` every suspended
    construction day pays standby.
    """
    s = project.suspension
    if s is None or s.standby_days is None:
        return list(build_spans)
    cap = value("suspension.standby_days", s.standby_days)
    windows = [(a, min(b, a + cap)) for a, b in suspended]
    return [
        (max(a, w0), min(b, w1))
        for a, b in build_spans
        for w0, w1 in windows
        if min(b, w1) > max(a, w0)
    ]


def _remobilization_days(project: Project, value: ProjectValues) -> float:
    """Days at half rate after each suspension (0 without a ``suspension`` block)."""
    s = project.suspension
    return 0.0 if s is None else value("suspension.remobilization_days", s.remobilization_days)


def _stalled(r: ProjectResult) -> float:
    """Construction days idle in a run: empty stockpile or stand-down."""
    return r.material_stall_days + r.standdown_days


def debt_shortfalls(
    project: Project, value: ProjectValues, r: ProjectResult, scenario: Scenario
) -> tuple[int, int, dict[int, float]]:
    """Years of the horizon whose export revenue x cash margin falls short of debt service.

    Returns ``(count, mask, dscr)``: bit ``k`` of ``mask`` is year
    ``debt.first_year + k``; ``dscr`` maps each year to its debt service coverage
    ratio, cash (export revenue x cash margin) / service (NaN with no service
    due). Only the years of :func:`debt_years` count. The service is the level
    ``service_usd_per_year``, or the year's entry of ``schedule_usd`` (0 after it).
    """
    debt = project.debt
    if debt is None:
        return 0, 0, {}
    price = value("costs.price_usd_per_t", project.costs.price_usd_per_t)
    level = math.nan
    if debt.service_usd_per_year is not None:
        level = value("debt.service_usd_per_year", debt.service_usd_per_year)
    margin = value("debt.cash_margin", debt.cash_margin)
    count = mask = 0
    dscr: dict[int, float] = {}
    for year in debt_years(scenario, debt.first_year):
        tonnes = r.exported_by_year[year - scenario.start_date.year]
        service = debt.service(year - debt.first_year, level)
        cash = margin * price * tonnes
        dscr[year] = cash / service if service > 0 else math.nan
        if cash < service:
            count += 1
            mask |= 1 << (year - debt.first_year)
    return count, mask, dscr


_OTHER = -1
#: Closure causes (riskmc.hazard.inputs.CAUSES codes) as driver causes.
_CLOSURE_DRIVER = {
    CAUSES.index("attack"): "attack_closure",
    CAUSES.index("seizure"): "seizure",
    CAUSES.index("protest"): "protest",
    CAUSES.index("stress"): "stress_closure",
}


_Record = tuple[int, float, float, bool]


def _runs(records: list[_Record]) -> list[_Record]:
    """Records that follow one another with equal ``(held by, until)`` merged, amounts summed."""
    out: list[_Record] = []
    for held, until, amount, follows in records:
        if follows and out and out[-1][0] == held and out[-1][1] == until:
            out[-1] = (held, until, out[-1][2] + amount, out[-1][3])
        else:
            out.append((held, until, amount, follows))
    return out


class _Held:
    """One replication's closure pieces and attacks, indexed for the driver attribution."""

    def __init__(self, events: ReplicationEvents) -> None:
        self.events = events
        self._pieces: dict[int, dict[float, tuple[int, float]]] = {}
        self._attack_days: list[float] | None = None
        self._attack_districts: list[int] = []

    def piece(self, seg: int, end: float) -> tuple[int, float]:
        """(cause, start) of the closure piece of segment ``seg`` that ends at ``end``.

        A merged closure ends with one of its pieces, so a convoy held until
        the closure's end was held by that piece.
        """
        ends = self._pieces.get(seg)
        if ends is None:  # the pieces of one segment, when first asked for
            p = self.events.closure_pieces
            p = p[p["key"] == seg]
            ends = self._pieces[seg] = {
                e: (c, s)
                for s, e, c in zip(
                    p["start"].tolist(), p["end"].tolist(), p["cause"].tolist(), strict=True
                )
            }
        return ends.get(end, (_OTHER, 0.0))

    def attack_district(self, day: float, candidates: list[int]) -> list[int]:
        """District of the road or rail attack on ``day`` that started a closure or hit cargo."""
        if self._attack_days is None:
            att = self.events.attacks
            order = np.argsort(att["day"], kind="stable")
            self._attack_days = att["day"][order].tolist()
            self._attack_districts = att["district"][order].tolist()
        days = self._attack_days
        i = bisect.bisect_left(days, day)
        while i < len(days) and days[i] == day:
            if self._attack_districts[i] in candidates:
                return [self._attack_districts[i]]
            i += 1
        return candidates


def simulate_chunk(scenario: Scenario, seed: int, first: int, stop: int) -> pd.DataFrame:
    """Outcome rows of replications ``first .. stop - 1`` (builds a :class:`ChunkModel`)."""
    return ChunkModel(scenario).run(seed, first, stop)
