"""Cover terms and the lender's yearly columns (SPEC 4b): the rules, and the columns they fill.

This is the reference of the SimPy engine; the compiled engine's twin is
:mod:`riskmc.supply.compiled.cover`. Both give, per (replication, project):

Interruption cover
    Each merged suspension that reaches into the project's run is one
    occurrence. It pays ``usd_per_day`` for each of its days beyond
    ``waiting_days`` (counted from the suspension's start) that lies within the
    run and the horizon: ``max(0, min(end, horizon) - max(start + waiting,
    run start)) x usd_per_day``. Suspensions are cut at the horizon when drawn
    (:func:`riskmc.supply.project.suspensions`), so a suspension that runs past
    the horizon pays for its days within it only, as ``suspended_days`` and
    ``force_majeure`` count them: the horizon is the end of the simulated world.
Damage cover
    Each attack on the site on or after the run's start is one occurrence; it
    pays its damage (the ``site_attack_damage_usd`` of ``damage_usd`` and
    ``opex_extra_usd``) above ``deductible_usd``.
Limit
    Occurrences are paid in the order of their days until ``limit_usd`` is
    spent: the limit caps the cover's total over the horizon.
Premium
    ``premium_rate x limit_usd`` a year, paid in advance on the run's start and
    each anniversary of it before the horizon, the last one pro rata to the
    horizon, each discounted to the scenario's start at the project's
    ``discount_rate`` (as :func:`riskmc.supply.model.present_value`).
Years
    An occurrence's payment belongs to the simulated year in which the
    occurrence starts: year ``k`` (1-based) holds days ``[(k - 1) x 365.25, k x
    365.25)`` from the scenario's start. Per cover and year the table keeps the
    year's payments (``cover_<key>_y<k>_usd``) and its largest payment
    (``cover_<key>_y<k>_max_usd``), as float32 (7 significant digits, a cent in
    100,000 USD): the insurer's aggregate and occurrence exceedance curves
    (:mod:`riskmc.analysis.insurer`) read them.
DSCR
    ``dscr_<year>``: export revenue of the calendar year x ``cash_margin`` /
    that year's debt service, for the years of
    :func:`debt_years` (float32; NaN for a project
    without debt, a year not its own, or one with no service due).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from riskmc.scenario.schema import DAYS_PER_YEAR, Cover, Project, Scenario, name_key

__all__ = [
    "PERILS",
    "CoverAmounts",
    "cover_amounts",
    "cover_keys",
    "cover_table",
    "cover_years",
    "debt_columns",
    "debt_years",
    "extra_schema",
    "premium_pv",
]

#: The perils a cover may name, in the order of their codes in the compiled engine.
PERILS = ("interruption", "damage")


def cover_keys(scenario: Scenario) -> list[str]:
    """The covers' column keys (:func:`~riskmc.scenario.schema.name_key`), in order of first use.

    A cover's name may recur in several projects: one set of columns holds it.
    """
    keys: list[str] = []
    for p in scenario.projects:
        for c in p.cover:
            if name_key(c.name) not in keys:
                keys.append(name_key(c.name))
    return keys


def cover_years(scenario: Scenario) -> int:
    """Simulated years of the horizon, the last one perhaps partial: ``ceil(horizon_years)``."""
    return max(1, math.ceil(scenario.horizon_days / DAYS_PER_YEAR - 1e-9))


def debt_columns(scenario: Scenario) -> list[int]:
    """The calendar years with a ``dscr_<year>`` column: those of any project's debt."""

    years: set[int] = set()
    for p in scenario.projects:
        if p.debt is not None:
            years.update(debt_years(scenario, p.debt.first_year))
    return sorted(years)


def extra_schema(scenario: Scenario) -> dict[str, np.dtype]:
    """Columns of the covers and of the DSCR, in order, with their types (module docstring)."""
    keys = cover_keys(scenario)
    n_years = cover_years(scenario)
    cols: dict[str, np.dtype] = {}
    for key in keys:
        cols[f"cover_{key}_recovery_usd"] = np.dtype(np.float64)
        cols[f"cover_{key}_premium_usd"] = np.dtype(np.float64)
    for key in keys:
        for k in range(1, n_years + 1):
            cols[f"cover_{key}_y{k}_usd"] = np.dtype(np.float32)
            cols[f"cover_{key}_y{k}_max_usd"] = np.dtype(np.float32)
    for year in debt_columns(scenario):
        cols[f"dscr_{year}"] = np.dtype(np.float32)
    return cols


@dataclass
class CoverAmounts:
    """What one cover pays in one replication [USD]."""

    recovery: float  # nominal, over the horizon
    recovery_pv: float  # each payment discounted from its day
    premium: float  # present value at the scenario's start
    by_year: list[float]  # payments of the occurrences starting in each simulated year
    max_by_year: list[float]  # the largest such payment


def premium_pv(cover: Cover, rate: float, start: float, horizon: float) -> float:
    """Present value of the premiums of ``cover`` over the run ``[start, horizon]`` [USD].

    Examples
    --------
    Five whole years at 8 %, a premium of 1 a year: 1 + 1/1.08 + ... + 1/1.08^4.

    >>> from riskmc.scenario.schema import Cover
    >>> c = Cover(name="c", peril="damage", limit_usd=100.0, premium_rate=0.01)
    >>> round(premium_pv(c, 0.08, 0.0, 5 * 365.25), 9) == round(sum(1.08**-k for k in range(5)), 9)
    True
    """
    yearly = cover.premium_rate * cover.limit_usd
    rho = math.log1p(rate) / DAYS_PER_YEAR
    pv = 0.0
    t = start
    while t < horizon:
        share = min(1.0, (horizon - t) / DAYS_PER_YEAR)
        pv += yearly * share * math.exp(-rho * t)
        t += DAYS_PER_YEAR
    return pv


def cover_amounts(
    cover: Cover,
    suspended: Sequence[tuple[float, float]],
    hits: Sequence[tuple[float, float]],
    start: float,
    horizon: float,
    rate: float,
    n_years: int,
) -> CoverAmounts:
    """What ``cover`` pays in one replication (module docstring for the rules).

    Parameters
    ----------
    cover : Cover
    suspended : sequence of (start, end)
        The merged suspensions that reach into the run, in order [days].
    hits : sequence of (day, damage)
        The attacks on the site, in order of day [days, USD].
    start, horizon : float
        The run's first day and the horizon [days from the scenario's start].
    rate : float
        The project's annual discount rate.
    n_years : int
        Simulated years (:func:`cover_years`).
    """
    # (day of the occurrence, its loss, first day paid)
    occurrences: list[tuple[float, float, float]] = []
    if cover.peril == "interruption":
        for a, b in suspended:
            first = max(a + cover.waiting_days, start)
            days = min(b, horizon) - first
            if days > 0:
                occurrences.append((max(a, start), days * cover.usd_per_day, first))
    else:
        for day, usd in hits:
            if start <= day < horizon and usd > cover.deductible_usd:
                occurrences.append((day, usd - cover.deductible_usd, day))
    left = cover.limit_usd
    by_year = [0.0] * n_years
    max_by_year = [0.0] * n_years
    paid = paid_pv = 0.0
    rho = math.log1p(rate) / DAYS_PER_YEAR
    for day, loss, first in occurrences:
        pay = min(loss, left)
        left -= pay
        paid += pay
        if cover.peril == "interruption":
            if pay > 0:  # paid as the days beyond the wait accrue
                paid_pv += cover.usd_per_day * _accrued(rho, first, first + pay / cover.usd_per_day)
        else:
            paid_pv += pay * math.exp(-rho * day)
        k = min(math.floor(day / DAYS_PER_YEAR), n_years - 1)
        by_year[k] += pay
        max_by_year[k] = max(max_by_year[k], pay)
    premium = premium_pv(cover, rate, start, horizon)
    return CoverAmounts(paid, paid_pv, premium, by_year, max_by_year)


def _accrued(rho: float, a: float, b: float) -> float:
    """Present value of 1 a day over days ``[a, b]`` at the daily rate ``rho``."""
    if rho == 0.0:
        return b - a
    return (math.exp(-rho * a) - math.exp(-rho * b)) / rho


def project_cover_row(
    project: Project,
    keys: Sequence[str],
    suspended: Sequence[tuple[float, float]],
    hits: Sequence[tuple[float, float]],
    start: float,
    horizon: float,
    rate: float,
    n_years: int,
) -> tuple[float, float, float, list[float]]:
    """The project's totals (recovery, its present value, premium) and its cover columns.

    The cover columns as :func:`extra_schema` orders them (before the DSCR); a
    cover the project does not hold is 0.
    """
    n = len(keys)
    amounts = [0.0] * (2 * n + 2 * n * n_years)
    total = total_pv = premium = 0.0
    for c in project.cover:
        j = keys.index(name_key(c.name))
        got = cover_amounts(c, suspended, hits, start, horizon, rate, n_years)
        amounts[2 * j] = got.recovery
        amounts[2 * j + 1] = got.premium
        base = 2 * n + 2 * n_years * j
        for k in range(n_years):
            amounts[base + 2 * k] = got.by_year[k]
            amounts[base + 2 * k + 1] = got.max_by_year[k]
        total += got.recovery
        total_pv += got.recovery_pv
        premium += got.premium
    return total, total_pv, premium, amounts


def cover_table(scenario: Scenario, outcomes: pd.DataFrame) -> pd.DataFrame:
    """``SimulationResult.cover``: one row per (replication, project, cover) of the outcomes.

    Columns ``replication``, ``project`` (categorical as in the outcomes),
    ``cover`` (categorical of the cover names), ``recovery_usd``, ``premium_usd``.
    """
    names = list(dict.fromkeys(c.name for p in scenario.projects for c in p.cover))
    covers = pd.CategoricalDtype(names)
    parts = []
    for p in scenario.projects:
        if not p.cover:
            continue
        rows = outcomes[outcomes["project"] == p.name]
        for c in p.cover:
            key = name_key(c.name)
            parts.append(
                pd.DataFrame(
                    {
                        "replication": rows["replication"].to_numpy(),
                        "project": rows["project"].to_numpy(),
                        "cover": pd.Categorical([c.name] * len(rows), dtype=covers),
                        "recovery_usd": rows[f"cover_{key}_recovery_usd"].to_numpy(),
                        "premium_usd": rows[f"cover_{key}_premium_usd"].to_numpy(),
                    }
                )
            )
    if not parts:
        empty = {"replication": np.zeros(0, np.int64), "project": outcomes["project"].iloc[:0]}
        empty |= {"cover": pd.Categorical([], dtype=covers)}
        empty |= {"recovery_usd": np.zeros(0), "premium_usd": np.zeros(0)}
        return pd.DataFrame(empty)
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["replication", "project", "cover"], kind="stable").reset_index(
        drop=True
    )


def debt_years(scenario: Scenario, first_year: int) -> list[int]:
    """The calendar years whose debt service is checked: from ``first_year`` on, whole
    years inside the horizon only (not one the start or the horizon's end cuts)."""
    start = scenario.start_date
    years = []
    year = max(first_year, start.year + (start.timetuple().tm_yday > 1))
    while scenario.day_of(date(year + 1, 1, 1)) <= scenario.horizon_days + 1e-9:
        years.append(year)
        year += 1
    return years
