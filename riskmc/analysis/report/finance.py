"""The report's lender and insurer sections (docs/finance.md), with their plots."""

from __future__ import annotations

import base64
import math
from typing import Any

from riskmc.analysis.insurer import insurer_view
from riskmc.analysis.lender import lender_view
from riskmc.analysis.plots import aep_oep_plot, dscr_fan_plot, png_bytes
from riskmc.analysis.report.markup import _e, _probability, _records, _table
from riskmc.engine.simulate import SimulationResult
from riskmc.scenario.schema import name_key


def _figure_html(name: str, fig: Any, caption: str) -> str:
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return (
        f'<figure id="plot-{_e(name)}"><img src="data:image/png;base64,{data}" '
        f'alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'
    )


def _money(x: float) -> str:
    return _e("-" if not math.isfinite(x) else f"{x / 1e6:,.1f}") if x != math.inf else "∞"


def _lender_section(result: SimulationResult) -> str:
    """The lender's page: DSCR by year, lock-up, reserve, default, grace (docs/finance.md)."""
    s, o = result.scenario, result.outcomes
    view = lender_view(s, o)
    parts = ['<section id="lender"><h2>Lender view</h2>']
    parts.append(
        "<p class='note'>Per year of debt service: the debt service coverage ratio (export "
        "revenue x cash margin / debt service) over the replications, the probability that it "
        "falls below 1.0 (the payment needs the reserve) and below the lock-up level (no "
        "distributions to the sponsors), the mean draw on the debt service reserve, and the "
        "probability of a payment default in that year or before (a shortfall the reserve "
        "cannot pay), with 95 % Wilson intervals. Cover recoveries are not counted as cash "
        "here. See docs/finance.md.</p>"
    )
    if len(view.grace):
        rows = [
            [_e(r["project"]), _e(str(r["grace_date"])),
             _probability(r["p_late"], r["low"], r["high"])]
            for r in _records(view.grace)
        ]  # fmt: skip
        parts.append(_table(["project", "grace date", "P(first production after it)"], rows,
                            "grace"))  # fmt: skip
    if len(view.years):
        rows = [
            [
                _e(r["project"]),
                _e(str(r["year"])),
                _money(r["service_usd"]),
                _e(f"{r['dscr_p10']:.2f} / {r['dscr_p50']:.2f} / {r['dscr_p90']:.2f}"),
                _probability(r["p_below_1"], r["p_below_1_low"], r["p_below_1_high"]),
                _probability(r["p_below_lockup"], r["p_below_lockup_low"],
                             r["p_below_lockup_high"]),
                _money(r["reserve_drawn_usd"]),
                _probability(r["p_default"], r["p_default_low"], r["p_default_high"]),
            ]
            for r in _records(view.years)
        ]  # fmt: skip
        header = [
            "project",
            "year",
            "service [M USD]",
            "DSCR P10 / P50 / P90",
            "P(DSCR < 1)",
            "P(DSCR < lock-up)",
            "reserve drawn, mean [M USD]",
            "P(default by then)",
        ]
        parts.append(_table(header, rows, "dscr"))  # fmt: skip
        for p in s.projects:
            mine = view.years[view.years["project"] == p.name]
            if p.debt is None or mine.empty:
                continue
            fig = dscr_fan_plot(mine, p.debt.lockup_dscr, project=p.name, scenario=s.name,
                                n=result.n_replications)  # fmt: skip
            parts.append(
                _figure_html(
                    f"dscr_{name_key(p.name)}",
                    fig,
                    f"DSCR by year, {p.name}: median and quantile bands.",
                )
            )
    parts.append("</section>")
    return "\n".join(parts)


def _insurer_section(result: SimulationResult) -> str:
    """The insurer's page: AAL, premiums, return-period losses, AEP/OEP (docs/finance.md)."""
    s = result.scenario
    view = insurer_view(s, result.cover_years, result.n_replications)
    parts = ['<section id="insurer"><h2>Insurer view</h2>']
    parts.append(
        "<p class='note'>Each replication-year is a simulated year. Annual loss: what a cover "
        "pays for the occurrences that start in the year, after waiting period, deductible "
        "and limit. AAL: its mean (with standard error); technical premium: AAL + 0.3 x its "
        "standard deviation, beside the premium written (rate x limit). Losses at return "
        "periods: AEP, the year's total; OEP, the year's largest occurrence; 95 % "
        "order-statistic intervals (∞: the sample cannot bound it). See docs/finance.md.</p>"
    )
    if len(view.covers):
        rows = [
            [_e(r["project"]), _e(r["cover"]), _e(r["peril"]), _e(f"{r['years']:,}"),
             _e(f"{r['aal_usd'] / 1e6:,.2f} ± {r['aal_se_usd'] / 1e6:,.2f}"),
             _e(f"{100 * r['p_loss_year']:.1f} %"), _money(r["technical_premium_usd"]),
             _money(r["written_premium_usd"])]
            for r in _records(view.covers)
        ]  # fmt: skip
        header = ["project", "cover", "peril", "years", "AAL [M USD]", "years with a loss",
                  "technical premium [M USD/yr]", "written premium [M USD/yr]"]  # fmt: skip
        parts.append(_table(header, rows, "covers"))
        rows = [
            [_e(r["project"]), _e(r["cover"]), _e(r["curve"]), _e(f"{r['return_period_years']:g}"),
             _money(r["loss_usd"]),
             f"<span class='ci'>[{_money(r['low_usd'])} - {_money(r['high_usd'])}]</span>"]
            for r in _records(view.return_periods)
        ]  # fmt: skip
        header = ["project", "cover", "curve", "return period [years]", "loss [M USD]",
                  "95 % interval"]  # fmt: skip
        parts.append(_table(header, rows, "return_periods"))
        for p in s.projects:
            for c in p.cover:
                g = view.curves[
                    (view.curves["project"] == p.name) & (view.curves["cover"] == c.name)
                ] if len(view.curves) else view.curves  # fmt: skip
                if len(g) == 0:
                    continue
                fig = aep_oep_plot(g, project=p.name, cover=c.name, scenario=s.name)
                parts.append(
                    _figure_html(
                        f"aep_oep_{name_key(p.name)}_{name_key(c.name)}",
                        fig,
                        f"AEP and OEP of {c.name}, {p.name}.",
                    )
                )
    parts.append("</section>")
    return "\n".join(parts)
