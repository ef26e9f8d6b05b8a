"""A self-contained HTML report of a saved result: ``riskmc report RESULTS_DIR``.

One HTML file with its CSS inline and its plots embedded as base64 PNG
(``data:`` URIs), so it opens offline, can be mailed as one attachment and
loads nothing from elsewhere. It holds:

- the scenario: name, description, start, horizon, seed, replications;
- the summary: mean, P50, P80 and P90 of every reported metric per project,
  each with its 95 % interval; the contingency (P80 against the plan); the
  lender's view (probability that first production slips past dates after the
  plan); the joint confidence of delay and capex overrun;
- the drivers of delay, when the outcome table has the attribution columns;
- the plots of :func:`riskmc.analysis.plots.figures`;
- the assumptions and their sources: the scenario's districts, projects and
  network with their source notes, and the citation of every source tag
  (``S1`` ... ``S54``) of the package data (:func:`riskmc.data.sources`).
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskmc.analysis.curves import (
    contingency,
    joint_confidence,
    shortfall_probability,
    slip_probability,
    tail_probabilities,
)
from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.insurer import insurer_view
from riskmc.analysis.lender import lender_view
from riskmc.analysis.plots import (
    aep_oep_plot,
    axis_label,
    dscr_fan_plot,
    figures,
    plan_dates,
    png_bytes,
)
from riskmc.analysis.summary import grouped
from riskmc.analysis.version import riskmc_version
from riskmc.data import sources
from riskmc.engine.checkpoint import (
    MANIFEST,
    OUTCOMES,
    RESULT,
    SCENARIO,
    ExecutionError,
    atomic_write,
    read_manifest,
)
from riskmc.engine.propagate import METRICS, debt_years
from riskmc.engine.simulate import SimulationResult
from riskmc.scenario import Scenario, param_mean
from riskmc.scenario.schema import name_key

__all__ = ["ReportError", "build_report", "load_results", "write_report"]

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


class ReportError(ValueError):
    """A folder that is not a saved result; ``str(error)`` is one line naming it."""


def load_results(folder: str | Path) -> SimulationResult:
    """Read a results folder, refusing with one line what is not one.

    Parameters
    ----------
    folder : str or Path
        What :meth:`SimulationResult.to_parquet` (or ``riskmc run --out``) wrote.

    Raises
    ------
    ReportError
        The folder is missing, is not a folder, lacks ``outcomes.parquet``,
        ``scenario.json`` or ``result.json``, or one of them cannot be read,
        or the outcomes lack a column the report needs or hold it with the
        wrong type.
    """
    path = Path(folder)
    if not path.exists():
        raise ReportError(f"{path}: no such folder (RESULTS_DIR must be a saved result)")
    if not path.is_dir():
        raise ReportError(f"{path}: not a folder (RESULTS_DIR must be a saved result)")
    missing = [name for name in (RESULT, SCENARIO, OUTCOMES) if not (path / name).is_file()]
    if missing:
        raise ReportError(
            f"{path}: not a results folder: {', '.join(missing)} missing (write one with "
            "SimulationResult.to_parquet or riskmc run --out DIR)"
        )
    try:
        result = SimulationResult.from_parquet(path)
    except ExecutionError as exc:
        raise ReportError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a damaged Parquet file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReportError(f"{path / OUTCOMES}: cannot be read ({first})") from None
    outcomes = result.outcomes
    for column in ("replication", "project", "first_production", *METRICS):
        if column not in outcomes.columns:
            raise ReportError(f"{path / OUTCOMES}: column {column!r} missing")
        dtype = outcomes[column].dtype
        if outcomes.empty:  # no project: the columns of an empty table have no type
            continue
        if column == "replication" and not pd.api.types.is_integer_dtype(dtype):
            raise ReportError(
                f"{path / OUTCOMES}: column {column!r} must hold integers, not {dtype}"
            )
        if column in METRICS and not (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        ):
            raise ReportError(
                f"{path / OUTCOMES}: column {column!r} must hold numbers, not {dtype}"
            )
    _check_consistent(path, result)
    return result


def _check_consistent(path: Path, result: SimulationResult) -> None:
    """The outcomes, ``result.json`` and the run's manifest tell one story.

    Each replication ``0 .. n - 1`` has one row per project, ``n`` being the
    replications ``result.json`` records; the numbers are not all missing; a
    run folder's manifest is complete and names the same scenario and seed.
    Anything else (files from two runs, a table edited or cut) is refused with
    what is wrong, rather than reported.
    """
    outcomes = result.outcomes
    if outcomes.empty:
        return
    where = path / OUTCOMES
    recorded = _recorded_result(path)
    reps = outcomes["replication"].to_numpy()
    twice = outcomes.duplicated(["replication", "project"])
    if twice.any():
        row = outcomes[twice].iloc[0]
        raise ReportError(
            f"{where}: replication {row['replication']} appears twice for project "
            f"{row['project']!r}"
        )
    n = int(recorded["replications"])
    held = set(np.unique(reps).tolist())
    if held != set(range(n)):
        missing = sorted(set(range(n)) - held)[:1]
        extra = sorted(held - set(range(n)))[:1]
        what = f"replication {missing[0]} is missing" if missing else f"holds {extra[0]}"
        raise ReportError(f"{where}: {what}; {path / RESULT} records replications 0 .. {n - 1}")
    projects = outcomes["project"].nunique()
    if len(outcomes) != n * projects:
        raise ReportError(f"{where}: {len(outcomes)} rows, not {n} replications x {projects}")
    numbers = outcomes[[c for c in METRICS if c in outcomes.columns]]
    if numbers.isna().all().all():
        raise ReportError(f"{where}: every metric is missing in every row")
    for column in numbers.columns:  # a simulated outcome is always a finite number
        values = numbers[column].to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = outcomes.iloc[int(np.argmax(bad))]
            raise ReportError(
                f"{where}: column {column!r} is {values[bad][0]} for replication "
                f"{row['replication']}, project {row['project']!r}: a simulated outcome is a "
                "finite number (the table was edited, or not written by riskmc)"
            )
    manifest_file = path / MANIFEST
    if manifest_file.is_file():
        try:
            manifest = read_manifest(path)
        except ExecutionError as exc:
            raise ReportError(str(exc)) from None
        if manifest is not None:
            if not manifest.complete:
                raise ReportError(
                    f"{manifest_file}: the run is not finished; finish it with "
                    f"riskmc run --out {path} --resume"
                )
            if manifest.seed != result.seed:
                raise ReportError(
                    f"{manifest_file}: seed {manifest.seed}, but {path / RESULT} has "
                    f"{result.seed}: the files are from two runs"
                )
            if manifest.scenario != result.scenario.fingerprint():
                raise ReportError(
                    f"{manifest_file}: another scenario than {path / SCENARIO}: the files are "
                    "from two runs"
                )


def _recorded_result(path: Path) -> dict[str, Any]:
    """``result.json`` as recorded (its replications are checked against the outcomes)."""
    import json

    try:
        doc = json.loads((path / RESULT).read_text(encoding="utf-8"))
        int(doc["replications"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{path / RESULT}: malformed ({exc!r})") from None
    if not isinstance(doc, dict):
        raise ReportError(f"{path / RESULT}: must hold a JSON object")
    return doc


def write_report(folder: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of a results folder.

    Parameters
    ----------
    folder : str or Path
        A saved result (see :func:`load_results`).
    output : str or Path, optional
        The HTML file; default ``report.html`` in ``folder``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ReportError
        The folder is not a saved result (:func:`load_results`), or the file
        cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from riskmc.engine import simulate
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> folder = simulate(tiny, 20, seed=1, workers=1).to_parquet(tempfile.mkdtemp())
    >>> path = write_report(folder)
    >>> path.name, "<table id=\\"summary\\"" in path.read_text()
    ('report.html', True)
    """
    result = load_results(folder)
    path = Path(output) if output is not None else Path(folder) / "report.html"
    if path.is_symlink():
        raise ReportError(f"{path}: is a symbolic link; riskmc writes no file through a link")
    if path.exists() and not _a_report(path):
        raise ReportError(
            f"{path}: exists and riskmc did not write it; riskmc overwrites no file of yours: "
            "choose another name"
        )
    text = build_report(result)
    # All at once: a temporary file beside it (a name no other file has), then a rename.
    try:
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    except ExecutionError as exc:
        raise ReportError(str(exc)) from None
    except OSError as exc:  # its folder missing, or a file
        raise ReportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return path


def _a_report(path: Path) -> bool:
    """Whether ``path`` is an HTML report riskmc wrote (its generator tag, or its footer)."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(2048)
            f.seek(max(0, path.stat().st_size - 4096))
            tail = f.read()
    except OSError:
        return False
    return b'<meta name="generator" content="riskmc' in head or b"Written by riskmc" in tail


def build_report(result: SimulationResult, drivers: pd.DataFrame | None = None) -> str:
    """The HTML text of the report of a result.

    Parameters
    ----------
    result : SimulationResult
    drivers : DataFrame, optional
        Driver shares to show (see :func:`riskmc.analysis.plots.driver_bars`);
        default: :func:`~riskmc.analysis.drivers.driver_shares` of the outcome
        table when it has the attribution columns.

    Returns
    -------
    str
    """
    s, o = result.scenario, result.outcomes
    if drivers is None and any(str(c).startswith("delay_at_") for c in o.columns):
        drivers = driver_shares(o)
    sections = [
        _scenario_section(result),
        _summary_section(result),
        _decision_section(result),
    ]
    if any(p.debt is not None for p in s.projects):
        sections.append(_lender_section(result))
    if any(p.cover for p in s.projects):
        sections.append(_insurer_section(result))
    if drivers is not None and len(drivers):
        sections.append(_drivers_section(drivers, s))
    if "lost_other_t" in o.columns:
        lost = driver_shares(o, "lost_output_t")
        if len(lost):
            sections.append(_drivers_section(lost, s, "lost output"))
    sections.append(_plots_section(result, drivers))
    sections.append(_assumptions_section(s))
    title = f"riskmc report: {s.name}"
    return _PAGE.format(
        title=_e(title), css=_CSS, body="\n".join(sections), version=_e(riskmc_version())
    )


# -- sections ----------------------------------------------------------------------------------


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


# -- helpers -----------------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], table_id: str) -> str:
    """An HTML table; the cells of ``rows`` are already escaped HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _number(x: float) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"  # an interval the sample does not bound
    if not math.isfinite(x):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if abs(x) >= 1 else f"{x:.3g}"


def _with_interval(value: float, low: float, high: float) -> str:
    return (
        f"{_e(_number(value))} <span class='ci'>[{_e(_number(low))} - {_e(_number(high))}]</span>"
    )


def _probability(p: float, low: float, high: float) -> str:
    if not math.isfinite(low):
        return _e(f"{100 * p:.1f} %")
    return f"{100 * p:.1f} % <span class='ci'>[{100 * low:.1f} - {100 * high:.1f}]</span>"


def _describe(value: object) -> str:
    """A parameter as written: a number, or a distribution with its settings."""
    if isinstance(value, int | float):
        return f"{value:g}"
    dump = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    if isinstance(dump, dict):
        return ", ".join(f"{k} {v}" for k, v in dump.items())
    return str(dump)


def _flat(doc: object, prefix: str = "") -> str:
    if isinstance(doc, dict):
        return "\n".join(_flat(v, f"{prefix}{k}.") for k, v in doc.items()).strip("\n")
    return f"{prefix.rstrip('.')}: {doc}"


def _tags(notes: Iterable[str | None]) -> list[str]:
    found = {m for note in notes if note for m in re.findall(r"\bS\d+[a-z]?\b", note)}
    return sorted(found, key=lambda t: (int(re.sub(r"\D", "", t)), t))


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 1.5em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; border-bottom: 2px solid #3182bd; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; color: #08519c; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .88em; }
th, td { border: 1px solid #ddd; padding: .25em .55em; text-align: left; vertical-align: top; }
thead th { background: #f0f5fa; }
table.kv th { background: #f7f7f7; width: 11em; }
td .ci { color: #777; font-size: .9em; }
.note { color: #555; font-size: .88em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: .88em; }
pre { background: #f7f7f7; padding: .6em; font-size: .82em; overflow-x: auto; }
footer { margin-top: 2em; color: #888; font-size: .8em; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="riskmc {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<h1>{title}</h1>
{body}
<footer>Written by riskmc {version}. Self-contained: the plots are embedded; nothing is
loaded from elsewhere.</footer>
</body>
</html>
"""
