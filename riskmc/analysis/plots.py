"""Plots of outcome tables and of the statistics of :mod:`riskmc.analysis.curves`.

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot``, so no global figure state is touched and the Agg canvas renders it
(``fig.savefig("x.png")``) whatever backend the user's matplotlib is set to.
Each figure carries a title, axis labels with units (read from
:data:`riskmc.engine.propagate.OUTCOME_COLUMNS` at run time), the scenario's
name and, where it applies, what the band means and where the data come from.

:func:`write_plots` writes the plots that apply to a
:class:`~riskmc.engine.SimulationResult` as PNG files.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib import dates as mdates
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from riskmc.analysis.curves import exceedance, s_curve
from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.summary import group_rows
from riskmc.analysis.text import plain_text
from riskmc.data import load_table
from riskmc.engine.checkpoint import atomic_write
from riskmc.scenario import Scenario, param_mean
from riskmc.scenario.schema import name_key

if TYPE_CHECKING:
    from riskmc.engine.simulate import SimulationResult

__all__ = [
    "aep_oep_plot",
    "attack_shares",
    "axis_label",
    "comparison_plot",
    "district_map",
    "driver_bars",
    "dscr_fan_plot",
    "exceedance_plot",
    "figures",
    "histogram",
    "plan_dates",
    "png_bytes",
    "s_curve_plot",
    "tornado_plot",
    "write_plots",
]

_DPI = 110
_QUANTILE_MARKS = ((0.50, "P50", "#1b9e77"), (0.80, "P80", "#d95f02"), (0.90, "P90", "#7570b3"))
_BAND_NOTE = "shaded: pointwise 95 % Wilson score interval (Monte Carlo error)"


_F = TypeVar("_F", bound=Callable[..., Any])


def _names_as_text(build: _F) -> _F:
    """Build the figure with mathtext off: a name holding ``$`` is shown as it is.

    Matplotlib reads ``$...$`` in any text as TeX math; a scenario, district or
    project called ``"$x^"`` would fail to draw (and ``"$1$"`` would draw as math).
    Text objects keep the setting they were made with, so drawing later is safe.
    """

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context({"text.parse_math": False}):
            return build(*args, **kwargs)

    return cast(_F, wrapper)


def axis_label(metric: str) -> tuple[str, float]:
    """Axis label of an outcome column, and the factor its values are divided by.

    The unit is the bracketed part of the column's description in
    ``OUTCOME_COLUMNS``; US dollars are shown in millions.

    >>> axis_label("delay_days")
    ('delay_days [days]', 1.0)
    >>> axis_label("capex_overrun_usd")
    ('capex_overrun_usd [million USD]', 1000000.0)
    """
    from riskmc.engine.propagate import OUTCOME_COLUMNS

    found = re.search(r"\[([^\]]+)\]", OUTCOME_COLUMNS.get(metric, ""))
    unit = found.group(1) if found else ("USD" if metric.endswith("_usd") else "")
    if unit.startswith("USD"):
        return f"{metric} [million {unit}]", 1e6
    return (f"{metric} [{unit}]" if unit else metric), 1.0


def _figure(width: float = 8.0, height: float = 4.8) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _footer(fig: Figure, *lines: str) -> None:
    text = "\n".join(line for line in lines if line)
    if text:
        fig.supxlabel(text, fontsize=7.5, color="0.35", ha="left", x=0.01)


def _scenario_line(scenario: str, n: int | None = None, seed: int | None = None) -> str:
    parts = [f"Scenario: {scenario}"]
    if n is not None:
        parts.append(f"{n:,} replications")
    if seed is not None:
        parts.append(f"seed {seed}")
    return ", ".join(parts)


@_names_as_text
def histogram(
    outcomes: pd.DataFrame,
    metric: str = "delay_days",
    *,
    scenario: str,
    projects: Sequence[str] | None = None,
    seed: int | None = None,
    bins: int = 40,
) -> Figure:
    """Histogram of a metric per project, with P50, P80 and P90 marked.

    Parameters
    ----------
    outcomes : DataFrame
        An outcome table.
    metric : str
        The column, ``delay_days`` by default.
    scenario : str
        The scenario's name, for the title.
    projects : sequence of str, optional
        One panel each; default every project in the table.
    seed : int, optional
        Shown in the footer.
    bins : int

    Returns
    -------
    Figure
    """
    names = list(projects) if projects is not None else list(outcomes["project"].unique())
    label, scale = axis_label(metric)
    fig = _figure(8.0, 2.2 + 2.6 * max(len(names), 1))
    axes = fig.subplots(max(len(names), 1), 1, squeeze=False)[:, 0]
    n = 0
    for ax, name in zip(axes, names, strict=False):
        x = outcomes.loc[outcomes["project"] == name, metric].to_numpy(dtype=np.float64) / scale
        x = x[~np.isnan(x)]
        n = max(n, len(x))
        ax.hist(x, bins=bins, color="#9ecae1", edgecolor="#3182bd", linewidth=0.5)
        for q, tag, colour in _QUANTILE_MARKS:
            value = float(np.quantile(x, q)) if len(x) else np.nan
            ax.axvline(value, color=colour, linewidth=1.6, label=f"{tag} = {value:,.1f}")
        ax.set_title(f"{name}", loc="left", fontsize=10)
        ax.set_xlabel(label)
        ax.set_ylabel("replications")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    fig.suptitle(f"Distribution of {metric} per project: {scenario}")
    _footer(fig, _scenario_line(scenario, n, seed) + "; lines: sample quantiles")
    return fig


#: Lowest probability on the exceedance plots' log axis.
TAIL_FLOOR = 1e-3


@_names_as_text
def exceedance_plot(
    curve: pd.DataFrame, *, scenario: str, seed: int | None = None, by: str = "project"
) -> Figure:
    """Exceedance curves, ``P(metric > x)``, one line per project with its band.

    The probability axis is logarithmic down to :data:`TAIL_FLOOR` (1e-3), so
    the 1-in-100 and 1-in-1,000 tail reads as clearly as the median.

    Parameters
    ----------
    curve : DataFrame
        The output of :func:`riskmc.analysis.exceedance` (one metric).
    scenario : str
    seed : int, optional
    by : str
        The grouping column of ``curve``.

    Returns
    -------
    Figure
    """
    metric = str(curve["metric"].iloc[0]) if len(curve) else "metric"
    label, scale = axis_label(metric)
    fig = _figure()
    ax = fig.add_subplot()
    for group, g in curve.groupby(by, sort=False):
        x = g["threshold"].to_numpy(dtype=np.float64) / scale
        (line,) = ax.step(x, g["probability"], where="post", label=str(group))
        # a band's lower end of 0 has no place on the log axis: drawn at its floor
        low = np.maximum(g["low"].to_numpy(dtype=np.float64), TAIL_FLOOR / 10)
        ax.fill_between(
            x, low, g["high"], step="post", color=line.get_color(), alpha=0.2, linewidth=0
        )
    for level in (0.5, 0.1, 0.01):
        ax.axhline(level, color="0.8", linewidth=0.6, zorder=0)
    # log scale down to 1e-3: the tail a lender or an underwriter reads is visible
    ax.set_yscale("log")
    ax.set_ylim(TAIL_FLOOR, 1.05)
    ax.set_xlabel(label)
    ax.set_ylabel(f"P({metric} > x)")
    ax.legend(frameon=False)
    ax.set_title(f"Exceedance of {metric}: {scenario}")
    n = int(curve["n"].max()) if len(curve) else None
    _footer(fig, _scenario_line(scenario, n, seed), _BAND_NOTE)
    return fig


@_names_as_text
def s_curve_plot(
    curve: pd.DataFrame,
    *,
    scenario: str,
    plan: Mapping[str, object] | None = None,
    seed: int | None = None,
    by: str = "project",
) -> Figure:
    """S-curve of first production: P(first production on or before each date).

    Parameters
    ----------
    curve : DataFrame
        The output of :func:`riskmc.analysis.s_curve`.
    scenario : str
    plan : mapping of str to date, optional
        Each project's planned first production, drawn as a dotted line.
    seed : int, optional
    by : str

    Returns
    -------
    Figure
    """
    fig = _figure()
    ax = fig.add_subplot()
    for group, g in curve.groupby(by, sort=False):
        (line,) = ax.step(g["date"], g["probability"], where="post", label=str(group))
        ax.fill_between(
            g["date"].to_numpy(),
            g["low"],
            g["high"],
            step="post",
            color=line.get_color(),
            alpha=0.2,
            linewidth=0,
        )
        if plan and group in plan:
            when = pd.Timestamp(plan[str(group)])  # type: ignore[arg-type]
            x = float(mdates.date2num(when))  # type: ignore[no-untyped-call]
            ax.axvline(x, color=line.get_color(), linestyle=":", linewidth=1.4)
            ax.annotate(
                f"plan {when.date()}",
                (when, 0.03),
                rotation=90,
                fontsize=8,
                color=line.get_color(),
                ha="right",
                va="bottom",
            )
    for level in (0.5, 0.8, 0.9):
        ax.axhline(level, color="0.8", linewidth=0.6, zorder=0)
        ax.annotate(f"P{round(level * 100)}", (1.0, level), xycoords=("axes fraction", "data"),
                    fontsize=7, color="0.5", ha="left", va="center")  # fmt: skip
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("date of first production")
    ax.set_ylabel("P(first production by date)")
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(f"First production S-curve: {scenario}")
    n = int(curve["n"].max()) if len(curve) else None
    _footer(
        fig,
        _scenario_line(scenario, n, seed)
        + "; operating mines have no curve; an unfinished construction never reaches it",
        _BAND_NOTE,
    )
    fig.autofmt_xdate()
    return fig


@_names_as_text
def driver_bars(
    shares: pd.DataFrame,
    *,
    scenario: str,
    metric: str = "delay_days",
    title: str | None = None,
    source: str = "measured from the replications",
) -> Figure:
    """Horizontal bars: the share of a metric's expected value caused by each driver.

    Parameters
    ----------
    shares : DataFrame
        Long form: ``name`` or ``driver`` (a district or a cause), ``share`` (a fraction,
        0 to 1), and optionally ``kind`` (e.g. ``"district"``, ``"cause"``:
        one panel each) and ``low``, ``high`` (an interval of the share).
    scenario : str
    metric : str
        What is shared out, for the axis label.
    title : str, optional
    source : str
        Where the shares come from, for the footer.

    Returns
    -------
    Figure
    """
    kinds = list(shares["kind"].unique()) if "kind" in shares else [None]
    fig = _figure(8.0, 1.6 + 0.28 * len(shares) + 0.6 * len(kinds))
    axes = fig.subplots(len(kinds), 1, squeeze=False)[:, 0]
    for ax, kind in zip(axes, kinds, strict=True):
        g = shares if kind is None else shares[shares["kind"] == kind]
        g = g.sort_values("share")
        y = np.arange(len(g))
        err = None
        if {"low", "high"} <= set(g.columns):
            err = np.vstack([g["share"] - g["low"], g["high"] - g["share"]]) * 100
        ax.barh(y, g["share"] * 100, xerr=err, color="#fdae6b", edgecolor="#e6550d",
                error_kw={"linewidth": 0.8, "ecolor": "0.3"})  # fmt: skip
        ax.set_yticks(y, [str(d) for d in g[_label_column(g)]])
        ends = g["high"] if "high" in g else g["share"]
        for yi, s, end in zip(y, g["share"], ends, strict=True):
            ax.annotate(f"{100 * s:.1f} %", (100 * end, yi), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=8)  # fmt: skip
        ax.set_xlabel(f"share of expected {metric} [%]")
        top = max(100.0, float(g["share"].max()) * 100 * 1.15) if len(g) else 100.0
        # a signed share (lost output still in storage) can be negative
        low = min(0.0, float(g["share"].min()) * 100 * 1.15) if len(g) else 0.0
        ax.set_xlim(low, top)
        if low < 0:
            ax.axvline(0.0, color="0.3", linewidth=0.8)
        if kind is not None:
            ax.set_title(f"by {kind}", loc="left", fontsize=10)
    fig.suptitle(title or f"Drivers of {metric}: {scenario}")
    _footer(fig, f"Scenario: {scenario}; shares {source}")
    return fig


def _label_column(frame: pd.DataFrame) -> str:
    return "name" if "name" in frame else "driver"


def attack_shares(scenario: Scenario) -> dict[str, float]:
    """Each district's share of the scenario's long-run attack rate (campaigns excluded).

    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> attack_shares(load_scenario(shipped_scenarios()["tiny.yaml"]))
    {'Alpha': 1.0}
    """
    rates = {d.name: param_mean(d.attacks_per_year) for d in scenario.districts}
    total = sum(rates.values())
    return {k: (v / total if total > 0 else 0.0) for k, v in rates.items()}


def _table_coordinates(table: str, key: str) -> dict[str, tuple[float, float]]:
    """(lon, lat) by name from a package table of the default region."""
    rows = load_table(table).to_dict("records")
    return {str(r[key]): (float(r["lon"]), float(r["lat"])) for r in rows if r["lat"] and r["lon"]}


def _coordinates(scenario: Scenario) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """(lon, lat) of districts and places, and where each came from.

    The scenario's own coordinates first; then the package tables of the
    default region (places.csv, then districts.csv by headquarters); a place
    with neither takes its district's.
    """
    districts: dict[str, tuple[float, float]] = {}
    origin: dict[str, str] = {}
    table = _table_coordinates("districts", "district")
    for d in scenario.districts:
        if d.lat is not None and d.lon is not None:
            districts[d.name] = (d.lon, d.lat)
            origin[d.name] = "scenario"
        elif d.name in table:
            districts[d.name] = table[d.name]
            origin[d.name] = "riskmc data districts.csv"
    places: dict[str, tuple[float, float]] = {}
    ptable = _table_coordinates("places", "place")
    for p in scenario.network.places:
        if p.lat is not None and p.lon is not None:
            places[p.name] = (p.lon, p.lat)
        elif p.name in ptable:
            places[p.name] = ptable[p.name]
        elif p.district is not None and p.district in districts:
            places[p.name] = districts[p.district]
    return {**{f"district:{k}": v for k, v in districts.items()}, **places}, origin


@_names_as_text
def district_map(
    scenario: Scenario,
    values: Mapping[str, float],
    *,
    label: str = "share of modelled attacks [%]",
    title: str | None = None,
    source: str = "",
) -> Figure:
    """Map of the scenario's districts coloured by a value, with its roads and railways.

    Districts are drawn at their coordinates (headquarters), sized and coloured
    by ``values`` (a share, shown in percent); the network's road (solid) and
    rail (dashed) segments are drawn between their places; project sites are
    stars and ports squares. Longitude and latitude in degrees, plotted with
    the x axis stretched by ``1 / cos(latitude)`` so that distances look right.

    Parameters
    ----------
    scenario : Scenario
        Its districts and places need coordinates (from the scenario, or the
        package tables for the default region's names).
    values : mapping of str to float
        District name -> share (a fraction) to colour by; districts not in it are grey.
    label : str
        Colour-bar label.
    title : str, optional
    source : str
        Where ``values`` come from, for the footer.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        When no district has coordinates.
    """
    coords, origin = _coordinates(scenario)
    located = [d.name for d in scenario.districts if f"district:{d.name}" in coords]
    if not located:
        raise ValueError(f"scenario {scenario.name!r}: no district has coordinates (lat, lon)")
    fig = _figure(8.5, 7.0)
    ax = fig.add_subplot()
    drawn = {"road": False, "rail": False}
    for seg in scenario.network.segments:
        if seg.from_ in coords and seg.to in coords:
            (x0, y0), (x1, y1) = coords[seg.from_], coords[seg.to]
            rail = seg.mode == "rail"
            ax.plot(
                [x0, x1],
                [y0, y1],
                color="0.15" if rail else "#de2d26",
                linestyle=(0, (4, 2)) if rail else "-",
                linewidth=1.0 if rail else 1.6,
                alpha=0.75,
                zorder=1,
            )
            drawn[seg.mode] = True
    shown = {k: float(v) for k, v in values.items() if k in located}
    top = max(shown.values(), default=0.0)
    norm = Normalize(0.0, top * 100 if top > 0 else 1.0)
    cmap = colormaps["YlOrRd"]
    for name in located:
        x, y = coords[f"district:{name}"]
        share = shown.get(name)
        colour = cmap(norm(share * 100)) if share is not None else "0.8"
        size = 60 + 900 * (share / top if share is not None and top > 0 else 0.0)
        ax.scatter([x], [y], s=size, color=colour, edgecolor="0.25", linewidth=0.6, zorder=2)
        ax.annotate(name, (x, y), xytext=(0, -11), textcoords="offset points",
                    ha="center", va="top", fontsize=7.5, zorder=4)  # fmt: skip
    sites = {p.site for p in scenario.projects}
    ports = {p.port for p in scenario.projects}
    for name in sorted(sites | ports):
        if name in coords:
            x, y = coords[name]
            site = name in sites
            ax.scatter([x], [y], marker="*" if site else "s", s=170 if site else 60,
                       color="#08519c", edgecolor="white", linewidth=0.6, zorder=3)  # fmt: skip
            ax.annotate(name, (x, y), xytext=(6, 4), textcoords="offset points",
                        fontsize=8.5, fontweight="bold", color="#08519c", zorder=4)  # fmt: skip
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=label, shrink=0.7)
    lats = [coords[f"district:{n}"][1] for n in located]
    ax.set_aspect(1.0 / np.cos(np.radians(float(np.mean(lats)))))
    ax.set_xlabel("longitude [degrees E]")
    ax.set_ylabel("latitude [degrees N]")
    handles = [
        Line2D([], [], color="#de2d26", linewidth=1.6, label="road segment"),
        Line2D([], [], color="0.15", linestyle=(0, (4, 2)), label="rail segment"),
        Line2D([], [], marker="*", color="#08519c", linestyle="", markersize=11, label="site"),
        Line2D([], [], marker="s", color="#08519c", linestyle="", markersize=6, label="port"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.85)
    ax.grid(color="0.92", linewidth=0.6)
    ax.set_title(title or f"Districts and corridors: {scenario.name}")
    tables = sorted({v for v in origin.values() if v != "scenario"})
    coord_note = "coordinates: district headquarters and places from the scenario"
    if tables:
        coord_note += " and " + ", ".join(tables)
    _footer(fig, f"Scenario: {scenario.name}; {coord_note} (straight lines, not road alignments)",
            source)  # fmt: skip
    return fig


@_names_as_text
def tornado_plot(
    frame: pd.DataFrame,
    *,
    scenario: str,
    metric: str = "delay_days",
    base: float | None = None,
    statistic: str = "mean",
) -> Figure:
    """Tornado plot: the metric with each factor at its low and its high setting.

    Parameters
    ----------
    frame : DataFrame
        ``factor``, ``low`` and ``high`` (the metric's value with the factor at
        its low and its high setting, the others at base), and optionally
        ``base`` (the value with every factor at base).
    scenario : str
    metric : str
        For the axis label (and its unit).
    base : float, optional
        The base value; default the frame's ``base`` column, else the mean of
        the low and high values of the widest factor.
    statistic : str
        What the values are (``"mean"``, ``"P90"``...), for the labels.

    Returns
    -------
    Figure
    """
    label, scale = axis_label(metric)
    g = frame.assign(swing=(frame["high"] - frame["low"]).abs()).sort_values("swing")
    if base is None:
        base = (
            float(frame["base"].iloc[0])
            if "base" in frame
            else float((g["low"].iloc[-1] + g["high"].iloc[-1]) / 2)
        )
    fig = _figure(8.0, 1.8 + 0.4 * len(g))
    ax = fig.add_subplot()
    y = np.arange(len(g))
    low = g["low"].to_numpy(dtype=np.float64) / scale
    high = g["high"].to_numpy(dtype=np.float64) / scale
    b = base / scale
    ax.barh(y, low - b, left=b, color="#6baed6", label="factor at its low setting")
    ax.barh(y, high - b, left=b, color="#fd8d3c", label="factor at its high setting")
    ax.axvline(b, color="0.2", linewidth=1.0)
    ax.set_yticks(y, [str(f) for f in g["factor"]])
    ax.set_xlabel(f"{statistic} of {label}")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_title(f"One factor at a time: {statistic} {metric}, {scenario}")
    _footer(fig, f"Scenario: {scenario}; base {statistic} = {b:,.2f}; common random numbers")
    return fig


@_names_as_text
def comparison_plot(
    frame: pd.DataFrame,
    *,
    scenario: str,
    metric: str = "delay_days",
    label: str = "scenario",
    value: str = "value",
    by: str | None = "project",
) -> Figure:
    """Paired differences against a reference, each with its confidence interval.

    Parameters
    ----------
    frame : DataFrame
        One row per alternative (and project): ``label`` (its name), ``value``
        (the mean paired difference, alternative minus reference), ``low``
        and ``high`` (its interval).
    scenario : str
        The reference scenario's name.
    metric : str
        What is compared, for the axis label.
    label, value : str
        Column names of the alternative and of the difference.
    by : str, optional
        A column to draw one marker colour per value of (e.g. ``project``).

    Returns
    -------
    Figure
    """
    axis, scale = axis_label(metric)
    groups = list(frame[by].unique()) if by is not None and by in frame else [None]
    names = list(dict.fromkeys(frame[label]))
    fig = _figure(8.0, 1.8 + 0.45 * len(names) * max(1, len(groups)) ** 0.5)
    ax = fig.add_subplot()
    offsets = np.linspace(-0.15, 0.15, len(groups)) if len(groups) > 1 else [0.0]
    for off, group in zip(offsets, groups, strict=True):
        g = frame if group is None else frame[frame[str(by)] == group]
        y = np.array([names.index(n) for n in g[label]]) + off
        v = g[value].to_numpy(dtype=np.float64) / scale
        err = np.vstack([v - g["low"] / scale, g["high"] / scale - v])
        ax.errorbar(v, y, xerr=err, fmt="o", capsize=3, label=None if group is None else group)
    ax.axvline(0.0, color="0.3", linewidth=1.0)
    ax.set_yticks(np.arange(len(names)), [str(n) for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)  # the first alternative on top
    ax.set_xlabel(f"difference in mean {axis} (alternative - {scenario})")
    if groups != [None]:
        ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Paired differences against {scenario}: {metric}")
    _footer(
        fig,
        f"Reference scenario: {scenario}; common random numbers; "
        "bars: 95 % confidence interval of the mean paired difference",
    )
    return fig


def plan_dates(outcomes: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Each construction project's planned first production, from first production - delay.

    ``first_production`` is the date in which the work ends (its time of day dropped) and
    ``delay_days`` is exact, so their difference falls in the day before the plan's finish,
    up to it. A plan that ends at midnight (whole planned days from a start date, the usual
    case) is thus the difference rounded up to a whole day, exactly. The median over the
    replications is given (the plan varies when the planned days are uncertain).
    """
    dates = pd.to_datetime(outcomes["first_production"])
    plan = dates - pd.to_timedelta(outcomes["delay_days"], unit="D")
    # a microsecond's slack: a delay off by rounding must not push the plan a day on
    plan = (plan - pd.Timedelta(microseconds=1)).dt.ceil("D")
    out = {}
    for name, g in plan.groupby(outcomes["project"], sort=False):
        if g.notna().any():
            out[str(name)] = g.dropna().median().floor("D")
    return out


def figures(result: SimulationResult, drivers: pd.DataFrame | None = None) -> dict[str, Figure]:
    """The plots that apply to a result, by file stem.

    - ``delay_histogram``, ``s_curve``: when a project has a construction phase;
    - ``exceedance_<metric>`` for delay, capex overrun and NPV loss: for the
      projects where the metric varies;
    - ``drivers_<project>`` (``drivers`` without a project column): the
      shares of expected delay by cause and by district, from ``drivers`` or
      else from :func:`riskmc.analysis.drivers.driver_shares` of the outcome
      table, for each project with a delay;
    - ``district_map``: when the districts have coordinates, coloured by the
      district shares of delay of the first such project, or, without
      attribution, by each district's share of the modelled attacks;
    - ``lost_drivers_<project>`` and ``lost_output_map``: the same for lost
      output, when the outcome table has its attribution columns.
    """
    o, s = result.outcomes, result.scenario
    out: dict[str, Figure] = {}
    dated = pd.to_datetime(o["first_production"]).notna().to_numpy(dtype=bool)
    building = [str(p) for p in dict.fromkeys(o["project"].to_numpy()[dated])]
    if building:
        out["delay_histogram"] = histogram(
            o, "delay_days", scenario=s.name, projects=building, seed=result.seed
        )
        out["s_curve"] = s_curve_plot(
            s_curve(o), scenario=s.name, plan=plan_dates(o), seed=result.seed
        )
    for metric in ("delay_days", "capex_overrun_usd", "npv_loss_usd"):
        if metric not in o:
            continue
        column = o[metric]
        varies = [str(p) for p, rows in group_rows(o, "project") if column.take(rows).nunique() > 1]
        if varies:  # the two columns of those projects' rows, not the whole table
            curve = exceedance(o.loc[o["project"].isin(varies), ["project", metric]], metric)
            out[f"exceedance_{metric}"] = exceedance_plot(curve, scenario=s.name, seed=result.seed)
    if drivers is None and any(str(c).startswith("delay_at_") for c in o.columns):
        drivers = driver_shares(o)
    coords, _ = _coordinates(s)
    mapped = any(f"district:{d.name}" in coords for d in s.districts)
    if "lost_other_t" in o.columns:
        lost = _named(driver_shares(o, "lost_output_t"), s)
        for project in lost["project"].unique():
            d = lost[lost["project"] == project]
            out[f"lost_drivers_{_slug(str(project))}"] = driver_bars(
                d,
                metric="lost_output_t",
                scenario=s.name,
                title=f"Drivers of lost_output_t: {s.name}, {project}",
            )
        if mapped and len(lost):
            first = lost[
                (lost["project"] == lost["project"].iloc[0]) & (lost["kind"] == "district")
            ]
            values = {d.name: 0.0 for d in s.districts}
            values.update(zip(first["name"], first["share"], strict=True))
            out["lost_output_map"] = district_map(
                s,
                values,
                label="share of expected lost output [%]",
                title=f"Where output is lost: {s.name}",
                source="colour: share of the expected lost output held in each district, "
                f"{lost['project'].iloc[0]}",
            )
    if drivers is not None and len(drivers):
        drivers = _named(drivers, s)
        projects = list(drivers["project"].unique()) if "project" in drivers else [None]
        for project in projects:
            d = drivers if project is None else drivers[drivers["project"] == project]
            stem = "drivers" if project is None else f"drivers_{_slug(str(project))}"
            title = f"Drivers of delay_days: {s.name}"
            out[stem] = driver_bars(
                d, scenario=s.name, title=title if project is None else f"{title}, {project}"
            )
        first = drivers if projects == [None] else drivers[drivers["project"] == projects[0]]
        shown = first[first["kind"] == "district"] if "kind" in first else first.iloc[:0]
    else:
        projects, shown = [], pd.DataFrame()
    if len(shown):
        # Districts the attribution found nothing in held none of the delay.
        values = {d.name: 0.0 for d in s.districts}
        values.update(zip(shown[_label_column(shown)], shown["share"], strict=True))
        label = "share of expected delay [%]"
        note = "colour: share of the expected delay held in each district" + (
            "" if projects == [None] else f", {projects[0]}"
        )
    else:
        values = attack_shares(s)
        label = "share of modelled attacks [%]"
        note = "colour: each district's long-run attack rate in the scenario (campaigns excluded)"
    if mapped:
        out["district_map"] = district_map(s, values, label=label, source=note)
    for fig in out.values():
        _plain(fig)
    return out


def _plain(fig: Figure) -> None:
    """Drop control characters from every text of ``fig`` (names come from the user's file).

    The fonts have no glyph for them (an escape sequence drew a box and warned);
    ``$`` is already literal (mathtext is off in these figures).
    """
    for artist in fig.findobj(Text):
        text = artist.get_text()
        clean = plain_text(text)
        if clean != text:
            artist.set_text(clean)


def _named(drivers: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    """Driver shares with the scenario's district names (driver_shares gives column slugs)."""
    names = {_slug(d.name): plain_text(d.name) for d in s.districts}
    column = _label_column(drivers)
    return drivers.assign(**{column: [names.get(_slug(str(n)), str(n)) for n in drivers[column]]})


def _slug(name: str) -> str:
    # the key validation keeps unique among projects (riskmc.scenario.schema.name_key)
    return name_key(name)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (Agg canvas)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def write_plots(
    result: SimulationResult, out_dir: str | Path, *, drivers: pd.DataFrame | None = None
) -> list[Path]:
    """Write the plots that apply to a result as PNG files.

    Parameters
    ----------
    result : SimulationResult
    out_dir : str or Path
        Created if needed.
    drivers : DataFrame, optional
        Driver shares (see :func:`driver_bars`) to plot and to colour the map by.

    Returns
    -------
    list of Path
        The files written, ``<name>.png`` for each name of :func:`figures`.

    Examples
    --------
    >>> import tempfile
    >>> from riskmc.engine import simulate
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> paths = write_plots(simulate(tiny, 20, seed=1, workers=1), tempfile.mkdtemp())
    >>> sorted(p.name for p in paths)  # tiny has no coordinates: no map
    ['delay_histogram.png', 'drivers_mine.png', 'exceedance_capex_overrun_usd.png', \
'exceedance_delay_days.png', 'exceedance_npv_loss_usd.png', 'lost_drivers_mine.png', 's_curve.png']
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figures(result, drivers).items():
        path = folder / f"{name}.png"
        data = png_bytes(fig)

        def write(f: IO[bytes], data: bytes = data) -> None:
            f.write(data)

        atomic_write(path, write)  # never half a file
        paths.append(path)
    return paths


@_names_as_text
def dscr_fan_plot(
    years: pd.DataFrame, lockup: float, *, project: str, scenario: str, n: int | None = None
) -> Figure:
    """Fan chart of the DSCR by year: the P5-P95, P10-P90 and P25-P75 bands and the median.

    Parameters
    ----------
    years : DataFrame
        One project's rows of :attr:`riskmc.analysis.lender.LenderView.years`.
    lockup : float
        The lock-up DSCR, drawn beside 1.0.
    """
    fig = _figure()
    ax = fig.add_subplot()
    x = years["year"].to_numpy(dtype=np.float64)
    for lo, hi, alpha in (("p05", "p95", 0.15), ("p10", "p90", 0.25), ("p25", "p75", 0.4)):
        ax.fill_between(
            x, years[f"dscr_{lo}"], years[f"dscr_{hi}"], color="#1f77b4", alpha=alpha,
            linewidth=0, label=f"{lo.upper()}-{hi.upper()}",
        )  # fmt: skip
    ax.plot(x, years["dscr_p50"], color="#1f77b4", marker="o", label="median")
    ax.axhline(1.0, color="#d62728", linewidth=1.0, label="DSCR 1.0 (payment from reserve)")
    ax.axhline(lockup, color="#ff7f0e", linewidth=1.0, linestyle="--",
               label=f"lock-up {lockup:g}")  # fmt: skip
    ax.set_xticks(x)
    ax.set_xticklabels([str(int(v)) for v in x])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("year")
    ax.set_ylabel("DSCR (cash available / debt service)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"DSCR by year: {project}")
    _footer(fig, _scenario_line(scenario, n), "bands: quantiles over the replications")
    return fig


@_names_as_text
def aep_oep_plot(curves: pd.DataFrame, *, project: str, cover: str, scenario: str) -> Figure:
    """AEP and OEP curves of a cover: loss against return period, on a log axis.

    Parameters
    ----------
    curves : DataFrame
        The cover's rows of :attr:`riskmc.analysis.insurer.InsurerView.curves`.
    """
    fig = _figure()
    ax = fig.add_subplot()
    for kind, style in (("AEP", "-"), ("OEP", "--")):
        g = curves[curves["curve"] == kind]
        if len(g):
            what = "annual aggregate" if kind == "AEP" else "annual largest occurrence"
            ax.step(g["return_period_years"], g["loss_usd"] / 1e6, where="post",
                    linestyle=style, label=f"{kind} ({what})")  # fmt: skip
    for t in (10, 25, 50, 100, 250):
        ax.axvline(t, color="0.85", linewidth=0.6, zorder=0)
    ax.set_xscale("log")
    ax.set_xlabel("return period [years]")
    ax.set_ylabel("loss to the cover [million USD]")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Exceedance of the losses of {cover}: {project}")
    _footer(fig, _scenario_line(scenario), "the k-th largest of n simulated years at n / k years")
    return fig
