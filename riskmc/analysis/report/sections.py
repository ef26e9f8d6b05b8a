"""The report's sections: scenario, summary, decisions, drivers, plots and assumptions.

The lender's and the insurer's sections are in ``report/finance.py``.
"""

from __future__ import annotations

import base64
import math

import pandas as pd

from riskmc.analysis.curves import (
    contingency,
    joint_confidence,
    shortfall_probability,
    slip_probability,
    tail_probabilities,
)
from riskmc.analysis.plots import axis_label, figures, plan_dates, png_bytes
from riskmc.analysis.report.markup import (
    _describe,
    _e,
    _flat,
    _probability,
    _records,
    _table,
    _tags,
    _with_interval,
)
from riskmc.analysis.summary import grouped
from riskmc.data import sources
from riskmc.engine.propagate import debt_years
from riskmc.engine.simulate import SimulationResult
from riskmc.scenario import Scenario, param_mean

__all__ = ["CAPTIONS", "SLIP_DAYS"]


#: What each plot shows, under it in the report.
CAPTIONS = {
    "delay_histogram": "Delay to first production per replication, with the P50, P80 and P90.",
    "s_curve": "Probability of first production by each date; dotted: the plan.",
    "exceedance_delay_days": "Probability that the delay exceeds each number of days.",
    "exceedance_capex_overrun_usd": "Probability that the capex overrun exceeds each amount.",
    "exceedance_npv_loss_usd": "Probability that the NPV loss exceeds each amount.",
    "district_map": "Districts, road and rail segments, sites and ports.",
    "lost_output_map": "Districts coloured by their share of the expected lost output, with the "
    "road and rail segments, sites and ports.",
}
#: Days after the plan's first production at which the slip probability is given.
SLIP_DAYS = (0, 30, 90, 180, 365)


def _scenario_section(result: SimulationResult) -> str:
    s = result.scenario
    rows = [
        ("name", s.name),
        ("description", s.description or "(none)"),
        ("start", str(s.start_date)),
        ("horizon", f"{s.horizon_years:g} years ({s.horizon_days:,.0f} days)"),
        ("seed", str(result.seed)),
        ("replications", f"{result.n_replications:,}"),
        ("hazard process", s.hazard.process),
        (
            "projects",
            "; ".join(
                f"{p.name} ({'construction' if p.construction else 'operating'})"
                for p in s.projects
            ),
        ),
        ("fingerprint", s.fingerprint()[:16]),
    ]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<section id="scenario"><h2>Scenario</h2><table class="kv">{body}</table></section>'


def _summary_section(result: SimulationResult) -> str:
    summary = result.summary()
    header = ["project", "metric", "unit", "mean", "P50", "P80", "P90"]
    rows = []
    for (project, metric), g in summary.groupby(["project", "metric"], sort=False):
        label, scale = axis_label(str(metric))
        unit = label[len(str(metric)) :].strip(" []") or "count"
        stat = {str(r["statistic"]): r for r in _records(g)}
        cells = [_e(project), f"<code>{_e(metric)}</code>", _e(unit)]
        for key in ("mean", "P50", "P80", "P90"):
            v = stat[key]
            cells.append(_with_interval(v["value"] / scale, v["low"] / scale, v["high"] / scale))
        rows.append(cells)
    note = (
        "Each value with its 95 % Monte Carlo interval in brackets: for the mean, "
        "mean -/+ 1.96 standard errors; for a quantile, the distribution-free interval of "
        "order statistics (binomial ranks). Every metric is measured against the plan, the same "
        f"model with no hazard. {result.n_replications:,} replications."
    )
    return (
        '<section id="summary-section"><h2>Summary</h2>'
        f"{_table(header, rows, table_id='summary')}<p class='note'>{_e(note)}</p></section>"
    )


def _decision_section(result: SimulationResult) -> str:
    o = result.outcomes
    parts = ['<section id="decisions"><h2>Contingency, lender view and joint confidence</h2>']
    cont = contingency(
        o, [m for m in ("delay_days", "capex_overrun_usd", "npv_loss_usd") if m in o]
    )
    rows = []
    for c in _records(cont):
        label, scale = axis_label(str(c["metric"]))
        unit = label[len(str(c["metric"])) :].strip(" []")
        rows.append(
            [
                _e(c["project"]),
                f"<code>{_e(c['metric'])}</code>",
                _e(unit),
                _with_interval(c["contingency"] / scale, c["low"] / scale, c["high"] / scale),
            ]
        )
    parts.append("<h3>Contingency: P80 minus plan</h3>")
    parts.append(_table(["project", "metric", "unit", "P80 contingency [95 % interval]"], rows,
                        table_id="contingency"))  # fmt: skip
    parts.append(
        "<p class='note'>The plan's value is 0 for these columns (they are measured against "
        "the plan), so the contingency is the P80 itself: it suffices in 80 % of the "
        "replications.</p>"
    )
    plan = plan_dates(o)
    if plan:
        rows = []
        for project, when in plan.items():
            mine = o.loc[o["project"] == project, ["project", "first_production"]]
            for days in SLIP_DAYS:
                date = (when + pd.Timedelta(days=days)).date()
                slip = _records(slip_probability(mine, date))[0]
                rows.append(
                    [
                        _e(project),
                        _e(f"{date} (plan + {days} d)"),
                        _probability(slip["probability"], slip["low"], slip["high"]),
                    ]
                )
        parts.append("<h3>Lender view: first production later than a date</h3>")
        parts.append(_table(["project", "date", "probability [95 % interval]"], rows,
                            table_id="slip"))  # fmt: skip
        parts.append(
            "<p class='note'>Share of replications whose first production is after the "
            "date (an unfinished construction counts as later), with the Wilson score "
            "interval. Operating mines are left out.</p>"
        )
    tail = tail_probabilities(o)
    if len(tail):
        rows = [
            [_e(r["project"]), _e(r["event"]), _probability(r["probability"], r["low"], r["high"])]
            for r in _records(tail)
        ]
        parts.append("<h3>The tail: long delays, suspensions and force majeure</h3>")
        parts.append(_table(["project", "event", "probability [95 % interval]"], rows,
                            table_id="tail"))  # fmt: skip
        parts.append(
            "<p class='note'>Share of replications in which first production slips more "
            "than the given days past the plan (an unfinished construction counts), in which "
            "the site is suspended at least once, and in which a suspension lasts at least "
            "the project's <code>force_majeure_days</code> (force majeure), with the Wilson "
            "score interval. An interval's upper end is what the sample cannot rule out: "
            "with no replication in the tail it is about 3.8 / n. See docs/tail.md.</p>"
        )
    debts = {p.name: p.debt for p in result.scenario.projects if p.debt is not None}
    if debts and "debt_shortfall_mask" in o:
        first = {name: d.first_year for name, d in debts.items()}
        years = {name: debt_years(result.scenario, y) for name, y in first.items()}
        table = shortfall_probability(o, first, years)
        rows = [
            [
                _e(r["project"]),
                _e(str(r["year"])),
                _probability(r["probability"], r["low"], r["high"]),
            ]
            for r in _records(table)
        ]
        parts.append("<h3>Lender view: debt-service shortfall by year</h3>")
        parts.append(_table(["project", "year", "probability [95 % interval]"], rows,
                            table_id="shortfall"))  # fmt: skip
        terms = "; ".join(
            (
                f"{name}: {param_mean(d.service_usd_per_year) / 1e6:,.0f} M USD a year"
                if d.service_usd_per_year is not None
                else f"{name}: a schedule of {len(d.schedule_usd or ())} years"
            )
            + f" from {d.first_year}, cash margin {param_mean(d.cash_margin):.0%}"
            for name, d in debts.items()
        )
        parts.append(
            "<p class='note'>Share of replications in which the year's export revenue times "
            "the cash margin falls short of the year's debt service, with the Wilson score "
            f"interval; whole calendar years of the horizon only. Debt terms: {_e(terms)}.</p>"
        )
    pair = [m for m in ("delay_days", "capex_overrun_usd") if m in o]
    if len(pair) == 2:
        rows = []
        for name, g in grouped(o, "project", ["project", *pair]):
            if g["delay_days"].nunique() < 2:
                continue
            limits = {m: float(g[m].quantile(0.8)) for m in pair}
            joint = _records(joint_confidence(g, limits))[0]
            rows.append(
                [
                    _e(name),
                    _e(f"{limits['delay_days']:,.1f} d"),
                    _e(f"{limits['capex_overrun_usd'] / 1e6:,.1f} M USD"),
                    _probability(joint["probability"], joint["low"], joint["high"]),
                ]
            )
        if rows:
            parts.append("<h3>Joint confidence: delay and capex overrun both within their P80</h3>")
            header = ["project", "delay within", "capex overrun within", "probability"]
            parts.append(_table(header, rows, table_id="joint"))
            parts.append(
                "<p class='note'>Each limit alone holds in 80 % of the replications; both "
                "hold together less often unless delay and cost move together. Wilson "
                "interval.</p>"
            )
    parts.append("</section>")
    return "\n".join(parts)


def _drivers_section(drivers: pd.DataFrame, s: Scenario, what: str = "delay") -> str:
    names = {"_".join(d.name.lower().split()): d.name for d in s.districts}
    label = "name" if "name" in drivers else "driver"
    rows = []
    for r in _records(drivers):
        name = str(r[label])
        shown = names.get(name, name)
        rows.append(
            [
                _e(r.get("project", "")),
                _e(r.get("kind", "")),
                _e(shown),
                _probability(r["share"], r.get("low", math.nan), r.get("high", math.nan)),
            ]
        )
    note = (
        f"Share of the expected {what} held by each cause and each district, measured from "
        "the replications (ratio of means, delta-method 95 % interval)."
    )
    if what != "delay":
        note += (
            " Output lost to a late first production is shared like the delay; output the "
            "mine could have made goes to what stopped it (a stand-down, consumables run out, "
            "storage full while the export route was closed); 'in storage' is concentrate "
            "still at the site at the horizon against the plan's (signed)."
        )
    key = "drivers" if what == "delay" else "drivers-" + "-".join(what.split())
    return (
        f'<section id="{key}"><h2>Drivers of {_e(what)}</h2>'
        f"{_table(['project', 'kind', 'driver', 'share [95 % interval]'], rows, key + '-table')}"
        f"<p class='note'>{_e(note)}</p></section>"
    )


def _driver_caption(name: str) -> str | None:
    if name.startswith("lost_drivers"):
        return "Share of the expected lost output by cause and by district."
    if name.startswith("drivers"):
        return "Share of the expected delay by cause and by district."
    return None


def _plots_section(result: SimulationResult, drivers: pd.DataFrame | None) -> str:
    items = []
    for name, fig in figures(result, drivers).items():
        data = base64.b64encode(png_bytes(fig)).decode("ascii")
        title = fig.axes[0].get_title() if fig.axes else name
        sup = fig.get_suptitle()
        alt = sup or title or name
        caption = CAPTIONS.get(name) or _driver_caption(name) or alt
        items.append(
            f'<figure id="plot-{_e(name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{_e(alt)}"><figcaption>{_e(caption)}</figcaption></figure>'
        )
    return '<section id="plots"><h2>Plots</h2>' + "\n".join(items) + "</section>"


def _assumptions_section(s: Scenario) -> str:
    parts = ['<section id="assumptions"><h2>Assumptions and sources</h2>']
    parts.append(
        "<p class='note'>The scenario's inputs as simulated. Numbers that are not published "
        "facts are the scenario author's estimates (marked ESTIMATE in the source notes; the "
        "reasoning is in the comments of the scenario file). Source tags (S1 ...) refer to "
        "the package data's sources, listed below.</p>"
    )
    rows = [
        [
            _e(d.name),
            _e(f"{param_mean(d.attacks_per_year):.1f}"),
            _e(_describe(d.attacks_per_year)),
            _e("" if d.lat is None else f"{d.lat:.2f}, {d.lon:.2f}"),
            _e(d.source or ""),
        ]
        for d in s.districts
    ]
    parts.append("<h3>Districts</h3>")
    parts.append(_table(["district", "attacks / year (mean)", "as given", "lat, lon", "source"],
                        rows, "districts"))  # fmt: skip
    rows = []
    for p in s.projects:
        c = p.construction
        plan = (
            f"from {c.start}, {_describe(c.planned_days)} days, {c.material_t:,.0f} t, buffer "
            f"{c.site_buffer_days:g} days"
            if c
            else "operating"
        )
        ops = p.operations
        rows.append(
            [
                _e(p.name),
                _e(f"{p.site} / {p.port}"),
                _e(plan),
                _e(f"{ops.output_t_per_day:,.0f} t/day by {ops.export_mode}"),
                _e(p.source or ""),
            ]
        )
    parts.append("<h3>Projects</h3>")
    header = ["project", "site / port", "construction", "operations", "source"]
    parts.append(_table(header, rows, "projects"))
    rows = [
        [
            _e(g.name),
            _e(g.mode),
            _e(f"{g.from_} - {g.to}"),
            _e(f"{g.km:g}"),
            _e(f"{g.kmh:g}"),
            _e(", ".join(g.districts)),
            _e(g.source or ""),
        ]
        for g in s.network.segments
    ]
    parts.append("<h3>Network segments</h3>")
    header = ["segment", "mode", "from - to", "km", "km/h", "districts", "source"]
    parts.append(_table(header, rows, "segments"))
    h = s.hazard
    hazard = h.model_dump(mode="json", exclude_none=True)
    parts.append("<h3>Hazard</h3><pre>" + _e(_flat(hazard)) + "</pre>")
    cited = _tags(
        [d.source for d in s.districts]
        + [p.source for p in s.network.places]
        + [g.source for g in s.network.segments]
        + [p.source for p in s.projects]
    )
    table = sources()
    rows = [[_e(tag), _e(table.get(tag, "(not in the package data)"))] for tag in cited]
    parts.append("<h3>Sources cited by the scenario</h3>")
    parts.append(_table(["tag", "source"], rows, "cited"))
    rows = [[_e(tag), _e(text)] for tag, text in table.items()]
    parts.append(
        f"<details><summary>All {len(table)} sources of the package data "
        "(riskmc/data/balochistan/SOURCES.md)</summary>"
        f"{_table(['tag', 'source'], rows, 'sources')}</details>"
    )
    parts.append("</section>")
    return "\n".join(parts)
