"""The SimPy engine's money and debt: the cost items of one run against its plan.

The compiled engine computes the same items in its kernels
(:mod:`riskmc.supply.compiled.outcomes`, the compiled twins of :func:`money`
and :func:`debt_shortfalls`).

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

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from riskmc.engine.cover import debt_years
from riskmc.scenario.distributions import param_quantile
from riskmc.scenario.schema import Project, Scenario
from riskmc.supply.model import OperationsPlan, ProjectResult, present_value
from riskmc.supply.project import ProjectValues

__all__ = ["Money", "debt_shortfalls", "money"]


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
