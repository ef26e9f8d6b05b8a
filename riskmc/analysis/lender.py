"""The lender's view of a project's debt (SPEC 4b): DSCR by year, reserve, payment default.

Per calendar year of the debt (the whole years of the horizon from
``debt.first_year``, :func:`riskmc.engine.propagate.debt_years`):

- Debt service: the level ``service_usd_per_year`` or the year's entry of
  ``schedule_usd`` (none due after it).
- DSCR (debt service coverage ratio): cash available for debt service (the
  year's export revenue x ``cash_margin``) / debt service, the outcome table's
  ``dscr_<year>``; its distribution over the replications, P(DSCR < 1.0) and
  P(DSCR < ``lockup_dscr``), each with the Wilson interval.
- Debt service reserve: it holds ``reserve_months`` / 12 of the first year's
  service at the start (funded at financial close). A year whose cash falls
  short of its service draws the gap from the reserve; if the reserve cannot
  cover it, the payment defaults in that year (the first default is counted;
  the years after it are not followed). A year with cash to spare refills the
  reserve up to ``reserve_months`` / 12 of that year's service. With no reserve,
  a default is a year with DSCR < 1.
- P(default by year): the share of replications whose first default falls in
  that year or before, with the Wilson interval.
- P(first production after the grace date): ``debt.grace_date``, or 1 January
  of ``first_year``; an unfinished construction counts as late.

Cash is in units of the service: a level service drawn per replication scales
cash, gap and reserve alike, so the DSCR alone decides the reserve's path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from riskmc.analysis.intervals import binomial_interval
from riskmc.engine.propagate import debt_years
from riskmc.scenario.distributions import param_mean
from riskmc.scenario.schema import Debt, Scenario

__all__ = ["FAN_QUANTILES", "LenderView", "first_defaults", "lender_view"]

#: Quantiles of the DSCR fan chart.
FAN_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def first_defaults(
    dscr: ArrayLike, service: ArrayLike, reserve_months: float
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The year of each replication's first payment default, and the reserve drawn each year.

    Parameters
    ----------
    dscr : array (replications, years)
        Cash available for debt service / service, per year (NaN: no service due).
    service : array (years,)
        Each year's service, in any unit (the reserve scales with it).
    reserve_months : float
        The reserve's size in months of the year's service.

    Returns
    -------
    (first, drawn)
        ``first[r]``: index of the year of the first default, -1 for none;
        ``drawn[r, y]``: what the reserve paid in year y, in the unit of ``service``.

    Examples
    --------
    A level service of 1, a reserve of 6 months (0.5): DSCR 0.8 draws 0.2, 1.1 refills
    0.1, 0.6 draws 0.4 (0.4 left of 0.4), then 0.9 needs 0.1 from an empty reserve.

    >>> first, drawn = first_defaults([[0.8, 1.1, 0.6, 0.9]], [1, 1, 1, 1], 6)
    >>> int(first[0]), [round(float(d), 6) for d in drawn[0]]
    (3, [0.2, 0.0, 0.4, 0.0])
    """
    ratio = np.asarray(dscr, dtype=np.float64)
    due = np.asarray(service, dtype=np.float64)
    n, n_years = ratio.shape
    share = reserve_months / 12.0
    reserve = np.full(n, share * due[0] if n_years else 0.0)
    first = np.full(n, -1, dtype=np.int64)
    drawn = np.zeros((n, n_years))
    alive = np.ones(n, dtype=np.bool_)
    for y in range(n_years):
        if due[y] <= 0:
            continue
        cash = np.where(np.isnan(ratio[:, y]), 0.0, ratio[:, y]) * due[y]
        gap = due[y] - cash
        short = alive & (gap > 0)
        fails = short & (gap > reserve + 1e-9 * due[y])
        first[fails] = y
        alive &= ~fails
        pay = short & ~fails
        drawn[pay, y] = gap[pay]
        reserve[pay] -= gap[pay]
        spare = alive & (gap <= 0)
        reserve[spare] = np.minimum(reserve[spare] - gap[spare], share * due[y])
    return first, drawn


@dataclass(frozen=True)
class LenderView:
    """The lender's tables of a run (module docstring)."""

    #: Per (project, year): service [USD; a drawn level amount at its mean], DSCR
    #: quantiles, P(DSCR < 1) and P(DSCR < lock-up) with intervals, the mean reserve draw
    #: [USD], P(default in the year or before) with its interval.
    years: pd.DataFrame
    #: Per project: the grace date and P(first production after it) with its interval.
    grace: pd.DataFrame


def _service(debt: Debt, years: list[int]) -> NDArray[np.float64]:
    """Each year's service in units of the level amount (1), or in USD for a schedule."""
    return np.array([debt.service(y - debt.first_year, 1.0) for y in years], dtype=np.float64)


def _share(k: int, n: int) -> tuple[float, float, float]:
    low, high = binomial_interval(k, n)
    return k / n, float(low), float(high)


def lender_view(scenario: Scenario, outcomes: pd.DataFrame) -> LenderView:
    """The lender's tables of every project with debt (module docstring)."""
    rows, grace = [], []
    for p in scenario.projects:
        debt = p.debt
        if debt is None:
            continue
        mine = outcomes[outcomes["project"] == p.name]
        n = len(mine)
        if n == 0:
            continue
        due_date = debt.grace_date or date(debt.first_year, 1, 1)
        if p.construction is not None:
            fp = mine["first_production"]
            late = int((fp.isna() | (fp > pd.Timestamp(due_date))).sum())
            share, low, high = _share(late, n)
            grace.append(
                {"project": p.name, "grace_date": due_date, "p_late": share, "low": low,
                 "high": high}
            )  # fmt: skip
        years = debt_years(scenario, debt.first_year)
        if not years:
            continue
        ratio = np.column_stack([mine[f"dscr_{y}"].to_numpy(dtype=np.float64) for y in years])
        service = _service(debt, years)
        # USD of one unit of ``service``: the level amount (its mean, if drawn), or 1
        unit = 1.0 if debt.service_usd_per_year is None else param_mean(debt.service_usd_per_year)
        first, drawn = first_defaults(ratio, service, debt.reserve_months)
        for j, y in enumerate(years):
            col = ratio[:, j]
            due = service[j] > 0
            quantiles = np.quantile(col, FAN_QUANTILES) if due else [np.nan] * 7
            row: dict[str, object] = {"project": p.name, "year": y}
            row["service_usd"] = float(service[j] * unit)
            for q, v in zip(FAN_QUANTILES, quantiles, strict=True):
                row[f"dscr_p{round(q * 100):02d}"] = float(v)
            for name, bound in (("below_1", 1.0), ("below_lockup", debt.lockup_dscr)):
                k = int(np.count_nonzero(col < bound)) if due else 0
                row[f"p_{name}"], row[f"p_{name}_low"], row[f"p_{name}_high"] = _share(k, n)
            row["reserve_drawn_usd"] = float(drawn[:, j].mean() * unit)
            k = int(np.count_nonzero((first >= 0) & (first <= j)))
            row["p_default"], row["p_default_low"], row["p_default_high"] = _share(k, n)
            rows.append(row)
    return LenderView(years=pd.DataFrame(rows), grace=pd.DataFrame(grace))
