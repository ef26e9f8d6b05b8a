"""The compiled engine's Python side: a chunk's arrays in, its outcome table out.

:class:`CompiledModel` does, once per scenario, what
:class:`~riskmc.engine.simpy_engine.SimpyModel` does (routes, districts,
settings; both start from a :class:`~riskmc.engine.prepared.PreparedScenario`),
and per chunk, on whole arrays, what the SimPy engine does per
replication in Python: the parameters of each replication
(:class:`riskmc.supply.project.ProjectValues`), the suspensions
(:func:`riskmc.supply.project.suspensions`), the damage of each site attack,
the plan runs (cached by plan). One call of
:func:`riskmc.supply.compiled.chunk.run_chunk` then runs every replication
and project. No Python object is made per event or per replication, except
the first-production dates of the table.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.engine.cover import (
    PERILS,
    cover_keys,
    cover_years,
    debt_columns,
    debt_years,
    extra_schema,
)
from riskmc.engine.outcomes import DATE_DTYPE, DRIVER_CAUSES, LOSS_CAUSES, project_dtype
from riskmc.hazard.inputs import CAUSES, TARGETS
from riskmc.hazard.sample import HazardSample
from riskmc.scenario.distributions import Param, param_mean, param_quantiles
from riskmc.scenario.schema import Project, name_key
from riskmc.supply.compiled import chunk as ck
from riskmc.supply.compiled import cover as cv
from riskmc.supply.compiled import outcomes as oc
from riskmc.supply.compiled import project as cp
from riskmc.supply.compiled.twin import plan_vector
from riskmc.supply.project import construction_plan, operations_plan

if TYPE_CHECKING:
    from riskmc.engine.prepared import PreparedScenario

__all__ = ["CompiledModel"]

_SITE = TARGETS.index("site")
#: Plan runs kept per project: enough for every chunk of a scenario whose plans are fixed,
#: bounded for one whose plans are drawn per replication (each its own plan).
_PLAN_CACHE = 4096
#: Plan slots drawn per replication, and their parameter paths (under the project).
_PLAN_PATHS = {
    cp.P_PLANNED_DAYS: "construction.planned_days",
    cp.P_MATERIAL_T: "construction.material_t",
    cp.P_BUFFER_DAYS: "construction.site_buffer_days",
    cp.P_BLACKOUT_PROD: "construction.blackout_productivity",
    cp.P_CONVOY_T: "logistics.convoy_t",
    cp.P_LOSS_SHARE: "costs.convoy_loss_share",
    cp.P_OUTPUT: "operations.output_t_per_day",
    cp.P_CONSUMABLES: "operations.consumables_t_per_day",
    cp.P_CONS_BUFFER: "operations.consumables_buffer_days",
    cp.P_STORAGE_DAYS: "operations.storage_days",
    cp.P_TRAINS: "operations.trains_per_day",
    cp.P_SURGE: "operations.surge_trains_per_day",
    cp.P_TRAIN_T: "operations.train_t",
    cp.P_RAMP_DAYS: "operations.ramp_up_days",
    cp.P_PRICE: "costs.price_usd_per_t",
    cp.P_DISCOUNT: "costs.discount_rate",
}
_DRIVER_OF_CAUSE = {
    "attack": oc.C_ATTACK_CLOSURE,
    "seizure": oc.C_SEIZURE,
    "protest": oc.C_PROTEST,
    "stress": oc.C_STRESS,
}


def _value_params(project: Project) -> list[tuple[str, Param | None]]:
    """The (path, scenario value) of each ``outcomes.V_*`` slot; None: no such value (NaN)."""
    c, s, d = project.costs, project.suspension, project.debt
    return [
        ("costs.standby_usd_per_day", c.standby_usd_per_day),
        ("costs.overhead_usd_per_day", c.overhead_usd_per_day),
        ("costs.interest_usd_per_day", c.interest_usd_per_day),
        ("costs.transport_usd_per_tkm", c.transport_usd_per_tkm),
        ("costs.material_usd_per_t", c.material_usd_per_t),
        ("costs.consumables_usd_per_t", c.consumables_usd_per_t),
        ("costs.escort_usd_per_convoy", c.escort_usd_per_convoy),
        ("costs.mitigation_usd", c.mitigation_usd),
        ("suspension.remobilization_usd", s.remobilization_usd if s else None),
        ("suspension.remobilization_days", s.remobilization_days if s else 0.0),
        ("suspension.standby_days", s.standby_days if s else None),
        (
            "suspension.site_attack.probability",
            s.site_attack.probability if s and s.site_attack else None,
        ),
        (
            "suspension.district_attack.probability",
            s.district_attack.probability if s and s.district_attack else None,
        ),
        ("suspension.campaign.probability", s.campaign.probability if s and s.campaign else None),
        ("debt.service_usd_per_year", d.service_usd_per_year if d else None),
        ("debt.cash_margin", d.cash_margin if d else None),
    ]


def _check_sorted(values: NDArray[np.generic], offsets: NDArray[np.int64], what: str) -> None:
    """Raise unless ``values`` ascend within each replication's rows."""
    step = np.diff(values.astype(np.float64))
    starts = offsets[1:-1] - 1  # the steps from one replication to the next
    ok = step >= 0
    ok[starts[(starts >= 0) & (starts < len(step))]] = True
    if not ok.all():
        raise RuntimeError(f"compiled engine: the hazard sample's {what} is not sorted")


class CompiledModel:
    """A :class:`~riskmc.engine.propagate.ChunkModel`'s scenario, ready for the compiled engine.

    ``model`` is the scenario prepared for both engines
    (:class:`~riskmc.engine.prepared.PreparedScenario`, which a ``ChunkModel`` is).
    """

    def __init__(self, model: PreparedScenario) -> None:

        self.model = model
        scenario, net = model.scenario, model.network
        na = net.arrays
        self.net_f = np.concatenate(([na.window], na.days, na.ban, na.weight, na.km, na.road))
        self.net_i = np.concatenate(
            (na.seg_from, na.seg_to, na.node_ptr, na.adj_seg, na.adj_node)
        ).astype(np.int64)
        self.head = np.array([len(na.km), len(na.node_ptr) - 1, len(na.adj_seg)], dtype=np.int64)
        self.allow = np.asarray(net.road, dtype=np.bool_).copy()
        n_p = len(model.builds)
        n_districts = len(scenario.districts)
        self.cfg_i = np.zeros((n_p, ck.N_CFG_I), dtype=np.int64)
        self.cfg_f = np.zeros((n_p, ck.N_CFG_F))
        routes: list[int] = []
        route_ptr = [0]
        years: list[float] = []
        year_ptr = [0]
        debt: list[tuple[int, int, int]] = []
        debt_due: list[float] = []
        dscr_years = debt_columns(scenario)
        keys = cover_keys(scenario)
        cov_ptr = [0]
        cov_terms: list[list[float]] = []
        cov_slot: list[int] = []
        debt_ptr = [0]
        self.exposure = np.zeros((n_p, n_districts), dtype=np.bool_)
        self.templates: list[NDArray[np.float64]] = []
        self.routes_of: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]] = []
        for k, b in enumerate(model.builds):
            p = b.project
            cplan = construction_plan(scenario, p, net) if p.construction else None
            oplan = operations_plan(scenario, p, net)
            self.templates.append(plan_vector(net, cplan, oplan))
            self.cfg_i[k] = (
                -1 if b.site_district is None else b.site_district,
                -1 if b.port_district is None else b.port_district,
                int(p.suspension is not None),
                int(p.logistics.escorted),
            )
            self.cfg_f[k] = (
                b.start,
                scenario.horizon_days,
                b.standdowns[0],
                b.standdowns[1],
                p.suspension.force_majeure_days if p.suspension else np.inf,
            )
            inbound = net._route(oplan.port, oplan.site, ("road",)).segments
            export = net._route(oplan.site, oplan.port, (oplan.export_mode,)).segments
            for segs in (inbound, export, b.road_plan.tolist()):
                routes += list(segs)
                route_ptr.append(len(routes))
            self.routes_of.append(
                (
                    np.array(inbound, dtype=np.int64),
                    np.array(export, dtype=np.int64),
                    np.asarray(oplan.year_starts, dtype=np.float64),
                )
            )
            years += list(oplan.year_starts)
            year_ptr.append(len(years))
            if p.debt is not None:
                first_year = scenario.start_date.year
                for y in debt_years(scenario, p.debt.first_year):
                    bit = y - p.debt.first_year
                    debt.append((y - first_year, bit, dscr_years.index(y)))
                    due = math.nan if p.debt.schedule_usd is None else p.debt.service(bit, 0.0)
                    debt_due.append(due)
            debt_ptr.append(len(debt))
            for c in p.cover:
                cov_terms.append(
                    [
                        PERILS.index(c.peril),
                        c.waiting_days,
                        c.usd_per_day,
                        c.deductible_usd,
                        c.limit_usd,
                        c.premium_rate,
                    ]
                )
                cov_slot.append(keys.index(name_key(c.name)))
            cov_ptr.append(len(cov_terms))
            self.exposure[k, b.exposure] = True
        self.routes = np.array(routes, dtype=np.int64)
        self.route_ptr = np.array(route_ptr, dtype=np.int64)
        self.years = np.array(years, dtype=np.float64)
        self.year_ptr = np.array(year_ptr, dtype=np.int64)
        self.debt = np.array(debt, dtype=np.int64).reshape(-1, 3)
        self.debt_due = np.array(debt_due, dtype=np.float64)
        self.cov_ptr = np.array(cov_ptr, dtype=np.int64)
        self.cov_terms = np.array(cov_terms, dtype=np.float64).reshape(-1, cv.N_TERMS)
        self.cov_slot = np.array(cov_slot, dtype=np.int64)
        self.n_years = cover_years(scenario)
        #: The cover and DSCR columns and their types, after the three totals in ``xout``.
        self.extra = extra_schema(scenario)
        self.debt_ptr = np.array(debt_ptr, dtype=np.int64)
        seg_districts = model._seg_districts
        self.seg_ptr = np.cumsum([0] + [len(d) for d in seg_districts]).astype(np.int64)
        self.seg_districts = np.array([d for ds in seg_districts for d in ds], dtype=np.int64)
        self.slot = np.full(n_districts, -1, dtype=np.int64)
        for d, s in model._district_slot.items():
            self.slot[d] = s
        self.cause_driver = np.array([_DRIVER_OF_CAUSE.get(c, -1) for c in CAUSES], dtype=np.int64)
        self._summaries: list[dict[bytes, NDArray[np.float64]]] = [{} for _ in range(n_p)]

    # -- per chunk ------------------------------------------------------------------------

    def _column(
        self, project: Project, hazard: HazardSample, path: str, default: Param | None
    ) -> NDArray[np.float64]:
        """A project parameter per replication: its draws, else its value (NaN: none)."""
        n = len(hazard.replications)
        full = f"projects[{project.name}].{path}"
        paths = hazard.parameters.paths
        if full in paths:
            return np.asarray(hazard.theta[:, paths.index(full)], dtype=np.float64)
        return np.full(n, np.nan if default is None else param_mean(default))

    def _plans(self, hazard: HazardSample) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Each replication's plan vector and its plan run's summary, per project."""
        n = len(hazard.replications)
        n_p = len(self.model.builds)
        plans = np.empty((n_p, n, cp.N_PLAN))
        summaries = np.empty((n_p, n, oc.N_SUMMARY))
        for k, b in enumerate(self.model.builds):
            plans[k] = self.templates[k]
            full = f"projects[{b.project.name}]."
            for slot, path in _PLAN_PATHS.items():
                if full + path in hazard.parameters.paths and not np.isnan(self.templates[k][slot]):
                    plans[k, :, slot] = self._column(b.project, hazard, path, None)
            cache = self._summaries[k]
            if len(cache) > _PLAN_CACHE:  # plans drawn per replication: keep memory bounded
                cache.clear()
            keys = [row.tobytes() for row in plans[k]]
            new = {key: i for i, key in enumerate(keys) if key not in cache}
            if new:
                inbound, export, years = self.routes_of[k]
                rows = plans[k][list(new.values())]
                got = ck.plan_runs(
                    self.net_f, self.net_i, self.head, self.allow, inbound, export, rows, years
                )
                for key, summary in zip(new, got, strict=True):
                    cache[key] = summary
            for i, key in enumerate(keys):
                summaries[k, i] = cache[key]
        return plans, summaries

    def _suspensions(
        self,
        k: int,
        hazard: HazardSample,
        values: NDArray[np.float64],
        attacks: NDArray[np.void],
        att_off: NDArray[np.int64],
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The merged suspensions of project ``k`` in each replication (offsets, spans).

        :func:`riskmc.supply.project.suspensions` on the whole chunk at once.
        """
        b = self.model.builds[k]
        s = b.project.suspension
        n = len(hazard.replications)
        horizon = self.model.scenario.horizon_days
        if s is None or b.site_district is None:
            return np.zeros(n + 1, dtype=np.int64), np.zeros((0, 2))
        reps: list[NDArray[np.int64]] = []
        days: list[NDArray[np.float64]] = []
        u_days: list[NDArray[np.float64]] = []
        watched, w_off = hazard.raw("watched")
        w_rep = np.repeat(np.arange(n), np.diff(w_off))
        rows = att_off[w_rep] + watched["attack"].astype(np.int64)
        att = attacks[rows]
        here = att["district"] == b.site_district
        att, watched, w_rep = att[here], watched[here], w_rep[here]
        if len(att) and (s.site_attack or s.district_attack):
            fatal = watched["fatalities"]
            p = np.zeros(len(att))
            if (rule := s.site_attack) is not None:
                prob = values[w_rep, oc.V_P_SITE]
                hit = (att["target"] == _SITE) & (fatal >= rule.min_fatalities)
                p = np.where(hit, np.maximum(p, prob), p)
            if (rule := s.district_attack) is not None:
                prob = values[w_rep, oc.V_P_DISTRICT]
                p = np.where(fatal >= rule.min_fatalities, np.maximum(p, prob), p)
            u = watched["u_suspend"].astype(np.float64)
            hit = (u >= 0) & (u < p)
            reps.append(w_rep[hit])
            days.append(att["day"][hit].astype(np.float64))
            u_days.append(watched["u_days"][hit].astype(np.float64))
        if s.campaign is not None:
            joins, j_off = hazard.raw("joins")
            j_rep = np.repeat(np.arange(n), np.diff(j_off))
            here = joins["district"] == b.site_district
            joins, j_rep = joins[here], j_rep[here]
            u = joins["u_suspend"].astype(np.float64)
            hit = (u >= 0) & (u < values[j_rep, oc.V_P_CAMPAIGN])
            reps.append(j_rep[hit])
            days.append(joins["day"][hit].astype(np.float64))
            u_days.append(joins["u_days"][hit].astype(np.float64))
        if not reps:
            return np.zeros(n + 1, dtype=np.int64), np.zeros((0, 2))
        rep = np.concatenate(reps)
        day = np.concatenate(days)
        u = np.concatenate(u_days)
        order = np.lexsort((u, day, rep))
        rep, day, u = rep[order], day[order], u[order]
        length = param_quantiles(s.days, u)
        spans: list[tuple[float, float]] = []
        counts = np.zeros(n, dtype=np.int64)
        last = -1
        for r, t, q in zip(rep.tolist(), day.tolist(), length.tolist(), strict=True):
            if t >= horizon:
                continue
            end = min(t + q, horizon)
            if r == last and t <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((t, end))
                counts[r] += 1
                last = r
        off = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return off, np.array(spans, dtype=np.float64).reshape(-1, 2)

    def run(self, hazard: HazardSample) -> pd.DataFrame:
        """The outcome table of a hazard sample's replications (taken with ``pieces=True``)."""
        model = self.model
        n = len(hazard.replications)
        n_p = len(model.builds)
        reps = hazard.replications
        if n and not np.array_equal(reps, np.arange(reps[0], reps[0] + n)):
            raise ValueError("the compiled engine runs a contiguous range of replications")
        clo, clo_off = hazard.raw("closures")
        pcs, pc_off = hazard.raw("closure_pieces")
        att, att_off = hazard.raw("attacks")
        blk, blk_off = hazard.raw("blackouts")
        # the lookups of the drivers search a replication's attacks by day and its closure
        # pieces by segment, in the order the hazard kernels write them
        _check_sorted(att["day"], att_off, "attacks by day")
        _check_sorted(pcs["key"], pc_off, "closure pieces by segment")
        values = np.empty((n_p, n, oc.N_VALUES))
        damage = np.zeros((n_p, len(att)))
        susp_offs: list[NDArray[np.int64]] = []
        susp_spans: list[NDArray[np.float64]] = []
        for k, b in enumerate(model.builds):
            p = b.project
            for slot, (path, default) in enumerate(_value_params(p)):
                values[k, :, slot] = self._column(p, hazard, path, default)
            if b.site_district is not None:
                site = (att["target"] == _SITE) & (att["district"] == b.site_district)
                damage[k, site] = param_quantiles(
                    p.costs.site_attack_damage_usd, att["mark"][site].astype(np.float64)
                )
            off, spans = self._suspensions(k, hazard, values[k], att, att_off)
            susp_offs.append(off + sum(len(s) for s in susp_spans))
            susp_spans.append(spans)
        plans, summaries = self._plans(hazard)
        n_dd = len(model.driver_districts)
        out = np.zeros((n * n_p, ck.F_FIXED + 2 * n_dd))
        iout = np.zeros((n * n_p, ck.I_COLUMNS), dtype=np.int64)
        xout = np.zeros((n * n_p, 3 + len(self.extra)))
        xout[:, 3 + len(self.extra) - len(debt_columns(model.scenario)) :] = np.nan
        ck.run_chunk(
            self.net_f, self.net_i, self.head, self.allow, int(reps[0]) if n else 0, n,
            clo["key"].astype(np.int64), clo["start"].copy(), clo["end"].copy(), clo_off,
            pcs["key"].astype(np.int64), pcs["start"].copy(), pcs["end"].copy(),
            pcs["cause"].astype(np.int64), pc_off,
            att["day"].copy(), att["district"].astype(np.int64), att["target"].astype(np.int64),
            att_off,
            blk["key"].astype(np.int64), blk["start"].copy(), blk["end"].copy(), blk_off,
            self.cfg_i, self.cfg_f, self.route_ptr, self.routes, self.year_ptr, self.years,
            self.debt_ptr, self.debt, self.exposure, plans, summaries, values, damage,
            np.stack(susp_offs) if susp_offs else np.zeros((0, n + 1), dtype=np.int64),
            np.concatenate(susp_spans) if susp_spans else np.zeros((0, 2)),
            self.seg_ptr, self.seg_districts, self.slot, self.cause_driver, self.debt_due,
            self.cov_ptr, self.cov_terms, self.cov_slot, self.n_years, out, iout, xout,
        )  # fmt: skip
        return self._frame(out, iout, xout, n)

    def _frame(
        self, out: NDArray[np.float64], iout: NDArray[np.int64], xout: NDArray[np.float64], n: int
    ) -> pd.DataFrame:
        """The outcome table from the kernel's arrays, with the SimPy engine's columns and types."""
        model = self.model
        start = model.scenario.start_date
        has_build = [b.project.construction is not None for b in model.builds]
        n_p = len(has_build)
        # the day of first production exactly as the SimPy engine's date arithmetic gives it
        finish = out[:, ck.F_FINISH].tolist()
        dates = [
            start + timedelta(days=f) if has_build[i % n_p] else None for i, f in enumerate(finish)
        ]
        cols: dict[str, object] = {
            "replication": iout[:, ck.I_REP],
            "project": pd.Categorical.from_codes(
                np.tile(np.arange(n_p), n), dtype=project_dtype(model.scenario)
            ),
            "first_production": np.array(dates, dtype="datetime64[D]").astype(DATE_DTYPE),
        }
        f = {
            "delay_days": ck.F_DELAY,
            "stall_days": ck.F_STALL,
            "capex_overrun_usd": ck.F_CAPEX,
            "lost_output_t": ck.F_LOST,
            "lost_revenue_usd": ck.F_LOST_USD,
            "npv_loss_usd": ck.F_NPV,
            "site_isolated_days": ck.F_ISOLATED,
            "site_blackout_days": ck.F_BLACKOUT,
            "convoy_wait_days": ck.F_WAIT,
            "suspended_days": ck.F_SUSPENDED_DAYS,
            "standby_usd": ck.F_MONEY + oc.M_STANDBY,
            "delay_carry_usd": ck.F_MONEY + oc.M_CARRY,
            "detour_transport_usd": ck.F_MONEY + oc.M_TRANSPORT,
            "damage_usd": ck.F_MONEY + oc.M_DAMAGE,
            "cargo_damage_usd": ck.F_MONEY + oc.M_CARGO,
            "suspension_standby_usd": ck.F_MONEY + oc.M_SUSP_STANDBY,
            "remobilization_usd": ck.F_MONEY + oc.M_REMOB,
            "opex_extra_usd": ck.F_MONEY + oc.M_OPEX,
            "mitigation_cost_usd": ck.F_MONEY + oc.M_MITIGATION,
        }
        f |= {f"delay_{c}_days": ck.F_DELAY_CAUSES + k for k, c in enumerate(DRIVER_CAUSES)}
        f |= {f"lost_{c}_t": ck.F_LOST_CAUSES + k for k, c in enumerate(LOSS_CAUSES)}
        i = {
            "attacks": ck.I_ATTACKS,
            "convoys_delayed": ck.I_DELAYED,
            "convoy_losses": ck.I_LOSSES,
            "suspensions": ck.I_SUSPENSIONS,
            "debt_shortfall_years": ck.I_DEBT,
            "debt_shortfall_mask": ck.I_MASK,
        }
        n_dd = len(model.driver_districts)
        x = {"cover_recovery_usd": 0, "cover_recovery_pv_usd": 1, "cover_premium_usd": 2}
        x |= {name: 3 + k for k, name in enumerate(self.extra)}
        for name in model.columns:
            if name in cols:
                continue
            if name in x:
                kind = model.schema[name]
                assert isinstance(kind, np.dtype)  # float64 or float32 (extra_schema)
                cols[name] = xout[:, x[name]].astype(kind, copy=False)
                continue
            if name in f:
                cols[name] = out[:, f[name]]
            elif name in i:
                cols[name] = iout[:, i[name]]
            elif name == "force_majeure":
                cols[name] = iout[:, ck.I_FORCE_MAJEURE] != 0
        for k, name in enumerate(model.columns[-2 * n_dd :] if n_dd else []):
            cols[name] = out[:, ck.F_FIXED + k]
        return pd.DataFrame({name: cols[name] for name in model.columns}, copy=False)
