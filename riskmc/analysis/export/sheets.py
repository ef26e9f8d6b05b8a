"""The sheets of the workbook: summary, drivers, lender and insurer (:func:`workbook_sheets`).

The ``scenario`` sheet's tables are built in ``export/scenario.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from riskmc.analysis.curves import shortfall_probability, slip_probability, tail_probabilities
from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.export.blocks import (
    _DATE,
    _INTEGER,
    _PROBABILITY,
    _SHARE,
    Block,
    _unit_format,
    metric_unit,
)
from riskmc.analysis.export.scenario import _scenario_blocks
from riskmc.analysis.insurer import insurer_view
from riskmc.analysis.lender import lender_view
from riskmc.analysis.plots import plan_dates
from riskmc.analysis.report.sections import SLIP_DAYS
from riskmc.analysis.summary import summarize
from riskmc.engine.propagate import debt_years
from riskmc.engine.simulate import SimulationResult

__all__ = ["COVER_COLUMNS", "workbook_sheets"]


#: Outcome columns of political-risk cover (SPEC 4b), summarised on the ``insurer`` sheet.
COVER_COLUMNS = ("cover_recovery_usd", "cover_recovery_pv_usd", "cover_premium_usd")


def workbook_sheets(result: SimulationResult) -> dict[str, list[Block]]:
    """The sheets of the workbook of a result, each a list of tables.

    - ``summary``: :meth:`SimulationResult.summary` as it is (values in the
      column's own unit, US dollars not scaled) with a ``unit`` column.
    - ``drivers``: the shares of expected delay and of lost output by cause
      and district (:func:`~riskmc.analysis.drivers.driver_shares`).
    - ``lender``: the probability that first production is later than the
      plan and 30 ... 365 days after it, of a debt-service shortfall by year
      (with a ``debt`` block), and the tail (long delays, suspensions, force
      majeure).
    - ``lender`` also gets the DSCR by year, lock-up, reserve and default of
      :func:`riskmc.analysis.lender.lender_view`, with a ``debt`` block.
    - ``insurer``: the summary of the cover columns (:data:`COVER_COLUMNS`),
      each cover's AAL and premiums, and its losses at return periods, only
      when a project has cover.
    - ``scenario``: the run, the districts, places, segments and projects with
      their source notes, every project parameter, the hazard and stress
      settings, and the sources cited.

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    dict of str to list of Block
        In sheet order.
    """
    o = result.outcomes
    sheets = {
        "summary": [_summary_block(result.summary(), "summary")],
        "drivers": [_drivers_block(result)],
        "lender": _lender_blocks(result),
    }
    cover = [c for c in COVER_COLUMNS if c in o.columns]
    if cover and any(p.cover for p in result.scenario.projects):
        view = insurer_view(result.scenario, result.cover_years, result.n_replications)
        sheets["insurer"] = [
            _summary_block(summarize(o, cover), "insurer"),
            Block("insurer_covers", view.covers, _money_formats(view.covers),
                  title="Each cover: annual loss (AAL, its standard error and deviation), share "
                  "of years with a loss, technical premium (AAL + 0.3 x SD) and written "
                  "premium, USD a year (docs/finance.md)"),
            Block("insurer_return_periods", view.return_periods,
                  _money_formats(view.return_periods),
                  title="Losses at return periods (AEP: the year's total; OEP: its largest "
                  "occurrence), USD, with 95 % order-statistic intervals"),
        ]  # fmt: skip
    sheets["scenario"] = _scenario_blocks(result)
    return sheets


def _summary_block(summary: pd.DataFrame, name: str) -> Block:
    frame = summary.copy()
    frame.insert(2, "unit", [metric_unit(str(m)) for m in frame["metric"]])
    per_row = [_unit_format(u) for u in frame["unit"]]
    formats: dict[str, str | Sequence[str]] = dict.fromkeys(("value", "se", "low", "high"), per_row)
    formats["n"] = _INTEGER
    return Block(name, frame, formats, empty="(no project: nothing to summarise)")


def _district_names(result: SimulationResult) -> dict[str, str]:
    """Column slug of each district (``killa_abdullah``) -> its name in the scenario."""
    return {"_".join(d.name.lower().split()): d.name for d in result.scenario.districts}


def _drivers_block(result: SimulationResult) -> Block:
    o, names = result.outcomes, _district_names(result)
    parts = []
    for metric, unit in (("delay_days", "days"), ("lost_output_t", "t")):
        pre = "delay_at_" if metric == "delay_days" else "lost_at_"
        if not any(str(c).startswith(pre) for c in o.columns):
            continue  # a table saved before the attribution
        d = driver_shares(o, metric)
        parts.append(
            pd.DataFrame(
                {
                    "project": d["project"].astype(str),
                    "metric": metric,
                    "kind": d["kind"],
                    "driver": [
                        names.get(n, n) if k == "district" else n
                        for k, n in zip(d["kind"], d["name"], strict=True)
                    ],
                    "share (fraction)": d["share"],
                    "low (fraction)": d["low"],
                    "high (fraction)": d["high"],
                    "se (fraction)": d["se"],
                    "mean held": d["mean"],
                    "unit": unit,
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_DRIVERS)
    formats: dict[str, str | Sequence[str]] = dict.fromkeys(_DRIVERS[4:8], _SHARE)
    formats["mean held"] = [_unit_format(u) for u in frame["unit"]]
    return Block("drivers", frame, formats, empty="(the outcome table has no attribution columns)")


_DRIVERS = ["project", "metric", "kind", "driver", "share (fraction)", "low (fraction)",
            "high (fraction)", "se (fraction)", "mean held", "unit"]  # fmt: skip
# The tables of probabilities: the columns before the probabilities.
_SLIP = ("project", "plan (date)", "date", "days after plan")
_SHORTFALL = ("project", "year")
_TAIL = ("project", "event")
_PROBABILITIES = ("probability (fraction)", "low (fraction)", "high (fraction)")


def _probability_block(
    name: str, first: Sequence[str], counted: str, rows: list[tuple[Any, ...]], **kw: Any
) -> Block:
    """A table of probabilities with their Wilson intervals and the counts they rest on."""
    columns = [*first, *_PROBABILITIES, counted, "replications"]
    formats: dict[str, str | Sequence[str]] = dict.fromkeys(_PROBABILITIES, _PROBABILITY)
    formats |= dict.fromkeys((counted, "replications"), _INTEGER)
    formats |= {"plan (date)": _DATE, "date": _DATE, "days after plan": _INTEGER, "year": "0"}
    return Block(name, pd.DataFrame(rows, columns=columns), formats, **kw)


def _money_formats(frame: pd.DataFrame) -> dict[str, str | Sequence[str]]:
    """Number formats of a view's table: USD as whole dollars, the rest with two decimals."""
    return {
        c: ("#,##0" if c.endswith("_usd") else "#,##0.00")
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c])
    }


def _lender_blocks(result: SimulationResult) -> list[Block]:
    o, s = result.outcomes, result.scenario
    projects = o["project"].astype(str)
    rows: list[tuple[Any, ...]] = []
    for project, when in plan_dates(o).items():
        mine = o[projects == project]
        for days in SLIP_DAYS:
            day = (when + pd.Timedelta(days=days)).date()
            slip = slip_probability(mine, day).iloc[0]
            rows.append((project, when.date(), day, days, *_interval(slip), slip["k"], slip["n"]))
    blocks = [
        _probability_block(
            "lender_slip",
            _SLIP,
            "replications later",
            rows,
            title="First production later than the date (Wilson 95 % interval; an unfinished "
            "construction counts as later; operating mines are left out)",
            empty="(no project under construction)",
        )
    ]
    debts = {p.name: p.debt for p in s.projects if p.debt is not None}
    rows = []
    if debts and "debt_shortfall_mask" in o.columns:
        first = {name: d.first_year for name, d in debts.items()}
        years = {name: debt_years(s, y) for name, y in first.items()}
        for r in shortfall_probability(o, first, years).to_dict("records"):
            rows.append((str(r["project"]), r["year"], *_interval(r), r["k"], r["n"]))
    blocks.append(
        _probability_block(
            "lender_shortfall",
            _SHORTFALL,
            "replications short",
            rows,
            title="Debt-service shortfall by year: export revenue x cash margin below the "
            "year's service (Wilson 95 % interval; whole calendar years of the horizon)",
            empty="(no project has a debt block)",
        )
    )
    if debts and any(c.startswith("dscr_") for c in o.columns):
        view = lender_view(s, o)
        blocks.append(
            Block("lender_dscr", view.years, _money_formats(view.years),
                  title="DSCR by year (quantiles), P(DSCR < 1) and P(DSCR < lock-up), mean "
                  "reserve draw (USD) and P(payment default by the year), 95 % Wilson "
                  "intervals (docs/finance.md)")
        )  # fmt: skip
        if len(view.grace):
            blocks.append(
                Block("lender_grace", view.grace, {"grace_date": _DATE},
                      title="First production after the lenders' grace date")
            )  # fmt: skip
    tail = tail_probabilities(o).to_dict("records")
    rows = [(str(r["project"]), r["event"], *_interval(r), r["k"], r["n"]) for r in tail]
    blocks.append(
        _probability_block(
            "lender_tail",
            _TAIL,
            "replications with it",
            rows,
            title="The tail: long delays past the plan, suspensions and force majeure (Wilson "
            "95 % interval)",
            empty="(no project)",
        )
    )
    return blocks


def _interval(row: Mapping[Any, Any] | pd.Series[Any]) -> tuple[float, float, float]:
    return float(row["probability"]), float(row["low"]), float(row["high"])
