"""The insurer's view of a project's covers (SPEC 4b): annual losses, AEP, OEP, premiums.

Each replication-year of the horizon is one simulated year of the covered
risk. A cover's *annual loss* in a year is what it pays for the occurrences
that start in that year (``usd`` of the result's ``cover_years``, after
waiting period, deductible and limit, see :mod:`riskmc.engine.cover`); its
*occurrence loss* is the largest single payment of the year (``max_usd``). A
year without a row in ``cover_years`` paid nothing: both are 0.

- Average annual loss (AAL): the mean annual loss, with its standard error.
- AEP (aggregate exceedance probability) curve: the share of years whose annual
  loss reaches a value; OEP (occurrence exceedance probability): the share whose
  largest occurrence does. The loss at return period T is the ``floor(n / T)``-th
  largest of the n simulated years (the loss reached once in T years: of 10
  years, the 1-in-10 loss is the largest).
- Its interval is the distribution-free order-statistic interval: the number of
  years above the true T-year loss is Binomial(n, 1/T), so the ranks at its
  2.5 % and 97.5 % quantiles bound the loss with at least 95 % confidence (an end
  the sample cannot bound is infinite). It narrows as replications grow.
- Technical premium: AAL + loading x the standard deviation of the annual loss
  (the standard deviation principle; the loading is a parameter, 0.3 by
  default), beside the written premium ``premium_rate x limit_usd`` a year.

Years counted: the whole simulated years from the one in which the project's run
starts (a cover is in force from the run's start); a last part year of a horizon
that is not a whole number of years is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom

from riskmc.scenario.schema import DAYS_PER_YEAR, Cover, Scenario, name_key

__all__ = [
    "RETURN_PERIODS",
    "InsurerView",
    "annual_losses",
    "exceedance_curve",
    "insurer_view",
    "return_period_loss",
    "technical_premium",
]

#: Return periods reported [years].
RETURN_PERIODS = (10, 25, 50, 100, 250)
#: Loading on the standard deviation of the annual loss in the technical premium.
LOADING = 0.3


def counted_years(scenario: Scenario, start_day: float) -> range:
    """Simulated years (1-based) counted for a run starting on ``start_day``: whole ones."""
    first = math.floor(start_day / DAYS_PER_YEAR) + 1
    last = math.floor(scenario.horizon_days / DAYS_PER_YEAR + 1e-9)
    return range(first, last + 1)


def annual_losses(
    cover_years: pd.DataFrame,
    replications: int,
    project: str,
    cover: str,
    years: Sequence[int],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A cover's annual losses and largest occurrences, one per replication-year [USD].

    Parameters
    ----------
    cover_years : DataFrame
        The run's years of cover payments (``SimulationResult.cover_years``):
        replications ``0 .. replications - 1``, a row per year that paid.
    replications : int
        Replications of the run.
    project : str
    cover : str
        The cover's name.
    years : sequence of int
        The simulated years counted (:func:`counted_years`).

    Returns
    -------
    (aggregate, occurrence) : arrays of years x replications values, year by year
        (a year without a row is 0)

    Examples
    --------
    >>> t = pd.DataFrame({"replication": [1], "project": ["p"], "cover": ["c"],
    ...                   "year": [2], "usd": [5.0], "max_usd": [3.0]})
    >>> annual_losses(t, 3, "p", "c", [1, 2])[0].tolist()
    [0.0, 0.0, 0.0, 0.0, 5.0, 0.0]
    """
    key = name_key(cover)
    agg = np.zeros((len(years), replications))
    occ = np.zeros((len(years), replications))
    if len(years) == 0:
        return agg.ravel(), occ.ravel()
    t = cover_years
    mine = ((t["project"] == project) & (t["cover"] == key)).to_numpy()
    year = t["year"].to_numpy()[mine].astype(np.int64)
    rep = t["replication"].to_numpy()[mine].astype(np.int64)
    first, last = years[0], years[-1]
    counted = (year >= first) & (year <= last) & (rep < replications)
    if list(years) != list(range(first, last + 1)):
        raise ValueError(f"years: must be consecutive, got {list(years)}")
    row, col = year[counted] - first, rep[counted]
    agg[row, col] = t["usd"].to_numpy()[mine][counted].astype(np.float64)
    occ[row, col] = t["max_usd"].to_numpy()[mine][counted].astype(np.float64)
    return agg.ravel(), occ.ravel()


def return_period_loss(
    losses: ArrayLike, period: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """The loss at return period ``period`` and its order-statistic interval (module docstring).

    Examples
    --------
    Ten years' losses: the 1-in-10 loss is the largest, 1-in-5 the second.

    >>> x = [0, 0, 5, 0, 7, 0, 0, 2, 0, 9]
    >>> return_period_loss(x, 10)[0], return_period_loss(x, 5)[0]
    (9.0, 7.0)
    """
    a = np.sort(np.asarray(losses, dtype=np.float64))[::-1]  # largest first
    n = len(a)
    k = math.floor(n / period + 1e-9)
    if k < 1:
        return math.nan, math.nan, math.nan
    tail = (1 - confidence) / 2
    q = 1.0 / period
    upper_rank = int(binom.ppf(tail, n, q))  # rank of the upper end (largest first)
    lower_rank = int(binom.ppf(1 - tail, n, q)) + 1
    high = float(a[upper_rank - 1]) if upper_rank >= 1 else math.inf
    low = float(a[lower_rank - 1]) if lower_rank <= n else float(a[-1])
    return float(a[k - 1]), low, high


def exceedance_curve(losses: ArrayLike, points: int = 400) -> pd.DataFrame:
    """Return period and loss of the ranked years: the k-th largest loss of n has n / k.

    At most ``points`` ranks, spaced evenly in log return period, and only
    years with a loss above zero.
    """
    a = np.sort(np.asarray(losses, dtype=np.float64))[::-1]
    n = len(a)
    positive = int(np.count_nonzero(a > 0))
    if positive == 0:
        return pd.DataFrame({"return_period_years": [], "loss_usd": []})
    ranks = np.unique(np.geomspace(1, positive, num=min(points, positive)).round().astype(int))
    return pd.DataFrame({"return_period_years": n / ranks, "loss_usd": a[ranks - 1]})


def technical_premium(losses: ArrayLike, loading: float = LOADING) -> float:
    """Expected annual loss plus ``loading`` x its standard deviation [USD a year].

    >>> technical_premium([0.0, 0.0, 0.0, 4.0], loading=0.5)  # mean 1, sample sd 2
    2.0
    """
    a = np.asarray(losses, dtype=np.float64)
    return float(a.mean() + loading * a.std(ddof=1)) if len(a) > 1 else math.nan


@dataclass(frozen=True)
class InsurerView:
    """The insurer's tables of a run (module docstring)."""

    #: Per (project, cover): peril, years, AAL and its standard error, standard deviation,
    #: share of years with a loss, technical and written premium.
    covers: pd.DataFrame
    #: Per (project, cover, curve AEP or OEP, return period): loss, low, high.
    return_periods: pd.DataFrame
    #: Per (project, cover, curve): the exceedance curve (return period, loss).
    curves: pd.DataFrame


def _cover_row(
    project: str, c: Cover, agg: NDArray[np.float64], loading: float, n_years: int
) -> dict[str, object]:
    n = len(agg)
    sd = float(agg.std(ddof=1)) if n > 1 else math.nan
    return {
        "project": project,
        "cover": c.name,
        "peril": c.peril,
        "years": n,
        "years_per_replication": n_years,
        "aal_usd": float(agg.mean()),
        "aal_se_usd": sd / math.sqrt(n) if n > 1 else math.nan,
        "sd_usd": sd,
        "p_loss_year": float(np.count_nonzero(agg > 0)) / n,
        "technical_premium_usd": technical_premium(agg, loading),
        "written_premium_usd": c.premium_rate * c.limit_usd,
        "limit_usd": c.limit_usd,
    }


def insurer_view(
    scenario: Scenario,
    cover_years: pd.DataFrame,
    replications: int,
    loading: float = LOADING,
    periods: Sequence[float] = RETURN_PERIODS,
) -> InsurerView:
    """The insurer's tables of every cover of every project (module docstring).

    ``cover_years`` is the years of cover payments of a run of ``scenario``
    of ``replications`` replications (``result.cover_years``,
    ``result.n_replications``).
    """
    covers, rps, curves = [], [], []
    for p in scenario.projects:
        start = scenario.day_of(p.construction.start) if p.construction else 0.0
        years = counted_years(scenario, start)
        for c in p.cover:
            agg, occ = annual_losses(cover_years, replications, p.name, c.name, years)
            if len(agg) == 0:
                continue
            covers.append(_cover_row(p.name, c, agg, loading, len(years)))
            for kind, losses in (("AEP", agg), ("OEP", occ)):
                for t in periods:
                    loss, low, high = return_period_loss(losses, t)
                    rps.append(
                        {
                            "project": p.name,
                            "cover": c.name,
                            "curve": kind,
                            "return_period_years": t,
                            "loss_usd": loss,
                            "low_usd": low,
                            "high_usd": high,
                        }
                    )
                curve = exceedance_curve(losses)
                curve.insert(0, "curve", kind)
                curve.insert(0, "cover", c.name)
                curve.insert(0, "project", p.name)
                curves.append(curve)
    return InsurerView(
        covers=pd.DataFrame(covers),
        return_periods=pd.DataFrame(rps),
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
    )
