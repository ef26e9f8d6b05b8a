"""Summary statistics with their Monte Carlo uncertainty.

A result's ``summary()`` and precision stopping (:mod:`riskmc.engine.precision`)
use them, so they live in the engine's stage, below the analysis
(:mod:`riskmc.analysis.summary` gives them under their analysis names too);
:func:`short_number` is how a notebook shows them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "QUANTILES",
    "group_rows",
    "grouped",
    "quantile_interval",
    "short_number",
    "summarize",
]

#: Quantiles reported by :func:`summarize`, as P10 ... P99.
QUANTILES = (0.10, 0.50, 0.80, 0.90, 0.95, 0.99)
_Z95 = 1.959963984540054


def quantile_interval(x: ArrayLike, q: float) -> tuple[float, float, float]:
    """Sample quantile and its distribution-free 95 % confidence interval.

    The interval is ``[x_(l), x_(u)]`` with the order-statistic ranks
    ``n q -/+ 1.96 sqrt(n q (1 - q))`` (the binomial interval for a quantile),
    so it needs no assumption on the distribution. When a rank falls outside
    the sample (a tail quantile of few replications, e.g. P99 of fewer than
    about 500), the sample does not bound the quantile on that side: that end
    is infinite (``-inf`` or ``inf``), rather than the sample's extreme, which
    would cover far less than 95 % (about 55 % for P99 of 100 replications).

    Returns
    -------
    (estimate, low, high) : floats

    Examples
    --------
    >>> est, low, high = quantile_interval(np.arange(100.0), 0.99)
    >>> float(est), float(low), high
    (98.01, 97.0, inf)

    Of four replications, P99's estimate (2.97) lies below the largest value, where the
    ranks' bracket starts; the interval holds it:

    >>> [round(v, 2) for v in quantile_interval([0.0, 1.0, 2.0, 3.0], 0.99)]
    [2.97, 2.97, inf]
    """
    a = np.sort(np.asarray(x, dtype=np.float64))
    n = len(a)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    est = float(np.quantile(a, q))
    half = _Z95 * math.sqrt(n * q * (1 - q))
    lo = math.floor(n * q - half)
    hi = math.ceil(n * q + half)
    low = float(a[lo]) if lo >= 0 else -math.inf
    high = float(a[hi]) if hi <= n - 1 else math.inf
    # With very few replications the interpolated estimate can fall between two order
    # statistics outside the ranks' bracket (P99 of 4: estimate below the largest, the low
    # end): the interval is widened to hold it, never narrowed.
    return est, min(low, est), max(high, est)


def group_rows(frame: pd.DataFrame, by: str) -> list[tuple[object, NDArray[np.intp]]]:
    """The groups of ``frame[by]`` and the positions of their rows, ascending.

    Groups in the order they first appear and rows without a group left out,
    as ``frame.groupby(by, sort=False, observed=True)`` iterates them; but
    nothing of the table is copied (a groupby copies all of it, sorted by
    group, before the first group). Costs two integers a row.

    >>> frame = pd.DataFrame({"project": ["B", "A", "B"], "x": [1.0, 2.0, 3.0]})
    >>> [(g, rows.tolist()) for g, rows in group_rows(frame, "project")]
    [('B', [0, 2]), ('A', [1])]
    """
    codes, uniques = pd.factorize(frame[by], sort=False)
    order = np.argsort(codes, kind="stable")
    start = int(np.count_nonzero(codes < 0))  # no group: sorted first, left out
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    out = []
    for key, count in zip(uniques, counts.tolist(), strict=True):
        out.append((key, order[start : start + count]))
        start += count
    return out


def grouped(
    frame: pd.DataFrame, by: str, columns: Iterable[str]
) -> Iterator[tuple[object, pd.DataFrame]]:
    """``(group, rows)`` as ``frame.groupby(by, sort=False, observed=True)`` gives them,
    with only ``columns`` (those ``frame`` has), each group copied when its turn comes.

    So a statistic of a few columns of a large outcome table copies those
    columns of one group at a time, not the whole table (:func:`group_rows`).
    """
    kept = frame[[c for c in dict.fromkeys(columns) if c in frame.columns]]
    for key, rows in group_rows(frame, by):
        yield key, kept.take(rows)


def summarize(frame: pd.DataFrame, metrics: Sequence[str], by: str = "project") -> pd.DataFrame:
    """Mean and quantiles of each metric per group, each with its standard error.

    Parameters
    ----------
    frame : DataFrame
        One row per replication and group.
    metrics : sequence of str
        Numeric columns to summarise.
    by : str
        Grouping column.

    Returns
    -------
    DataFrame
        One row per (group, metric, statistic): ``value``, ``se`` (for a
        quantile, half the width of its 95 % interval divided by 1.96; infinite
        when the sample does not bound the quantile, see :func:`quantile_interval`),
        ``low`` and ``high`` (95 % interval), and ``n``.
    """
    rows = []
    for group, where in group_rows(frame, by):
        for metric in metrics:
            x = frame[metric].take(where).to_numpy(dtype=np.float64)  # one column of one group
            n = len(x)
            mean = float(x.mean()) if n else math.nan
            se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            rows.append((group, metric, "mean", mean, se, mean - _Z95 * se, mean + _Z95 * se, n))
            for q in QUANTILES:
                est, lo, hi = quantile_interval(x, q)
                rows.append(
                    (group, metric, f"P{round(q * 100)}", est, (hi - lo) / (2 * _Z95), lo, hi, n)
                )
    return pd.DataFrame(
        rows, columns=[by, "metric", "statistic", "value", "se", "low", "high", "n"]
    )


def short_number(x: float) -> str:
    """A number for a notebook table: four significant digits, or whole from 10,000 on.

    Examples
    --------
    >>> short_number(12.3456), short_number(1234567.8)
    ('12.35', '1,234,568')
    """
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
