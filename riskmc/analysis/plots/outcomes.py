"""Plots of the outcome table: distributions, exceedance and S-curves, and driver shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from riskmc.analysis.plots.common import (
    _BAND_NOTE,
    _QUANTILE_MARKS,
    _figure,
    _footer,
    _label_column,
    _names_as_text,
    _scenario_line,
    axis_label,
)

__all__ = ["TAIL_FLOOR", "driver_bars", "exceedance_plot", "histogram", "s_curve_plot"]


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
