"""Plots of the lender's and the insurer's views: the DSCR fan and the AEP and OEP curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskmc.analysis.plots.common import _figure, _footer, _names_as_text, _scenario_line

__all__ = ["aep_oep_plot", "dscr_fan_plot"]


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
