"""Plots of decisions: the tornado of one factor at a time, and paired differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskmc.analysis.plots.common import _figure, _footer, _names_as_text, axis_label

__all__ = ["comparison_plot", "tornado_plot"]


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
