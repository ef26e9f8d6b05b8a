"""The SimPy engine: each replication of a chunk, in Python, project by project.

For each project, each replication runs the project model
(:func:`riskmc.supply.model.simulate_project`: construction if any, then
operations to the horizon) under the replication's hazard, and once more with
no hazard (the plan, cached). Every outcome is measured against the plan
(money: :mod:`riskmc.engine.simpy_money`), and delay and lost output are
attributed to what held them (:meth:`SimpyModel._attribute`). The compiled
engine (:mod:`riskmc.engine.compiled`) gives the same rows from whole arrays.
"""

from __future__ import annotations

import bisect
import math
from datetime import timedelta

import numpy as np

from riskmc.engine.cover import project_cover_row
from riskmc.engine.outcomes import DRIVER_CAUSES, LOSS_CAUSES
from riskmc.engine.prepared import PreparedScenario
from riskmc.engine.simpy_money import _remobilization_days, _stalled, debt_shortfalls, money
from riskmc.hazard.inputs import CAUSES
from riskmc.hazard.sample import HazardSample, ReplicationEvents
from riskmc.network.compiled import isolated_days_packed
from riskmc.scenario.distributions import param_quantile
from riskmc.scenario.schema import Scenario
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
    simulate_project,
)
from riskmc.supply.project import (
    ProjectValues,
    construction_plan,
    operations_plan,
    replication_hazard,
    site_attacks,
    site_schedule,
    suspensions,
)

__all__ = ["SimpyModel"]

#: Plan runs kept (see SimpyModel._plan).
_PLAN_CACHE = 4096

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


class SimpyModel(PreparedScenario):
    """A prepared scenario run by the SimPy engine: :meth:`propagate` a hazard sample."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(scenario)
        self._plans: dict[tuple[ConstructionPlan | None, OperationsPlan], ProjectResult] = {}
        #: SimPy events processed by :meth:`propagate` so far (plans excluded).
        self.simpy_events = 0
        #: Convoys sent by :meth:`propagate` so far (plans excluded): each is a dispatch and a
        #: delivery that the regimes handle inside their compiled calls.
        self.convoys = 0

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
