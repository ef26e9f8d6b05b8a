"""Stopping on precision: run more replications until every P90 is known well enough.

The rule (``simulate(..., precision=P)``, ``riskmc run --precision P``): the
Monte Carlo standard error of every P90 that :meth:`SimulationResult.summary`
reports (each metric of each project) must be at most ``P`` times the P90's
absolute value.

The standard error of a P90 is the one the summary reports: the half-width of
the distribution-free 95 % interval of the quantile
(:func:`riskmc.engine.summary.quantile_interval`, order statistics at ranks
``n q -/+ 1.96 sqrt(n q (1 - q))``) divided by 1.96. It needs no density
estimate and no assumption on the distribution, and it shrinks like
``1 / sqrt(n)``, which is what :func:`next_target` uses to size the next batch.

Two edge cases follow from it:

- a P90 whose interval is a single value (e.g. a metric that is 0 in more than
  about 95 % of replications) has a standard error of 0, and passes;
- while the interval's upper rank falls past the largest sample (fewer than
  about 60 replications for P90), the interval is cut short and its width
  says nothing: the rule is not met.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["next_target", "p90_errors", "precision_reached"]

_Q = 0.90
_Z95 = 1.959963984540054
#: Batch sizes are rounded up to a multiple of this, so that the replications
#: used depend on the outcomes only, never on the chunk size or the workers.
STEP = 100
_MIN_GROWTH, _MAX_GROWTH, _MARGIN = 1.25, 4.0, 1.1


def _interval_complete(n: int) -> bool:
    return n * _Q + _Z95 * math.sqrt(n * _Q * (1 - _Q)) <= n - 1


def p90_errors(summary: pd.DataFrame) -> pd.DataFrame:
    """The P90 rows of a summary with their relative standard error.

    Parameters
    ----------
    summary : DataFrame
        As returned by :meth:`SimulationResult.summary`.

    Returns
    -------
    DataFrame
        The P90 rows with a column ``relative_se``: ``se / |value|``
        (0 when ``se`` is 0, infinite when only the value is 0, and
        infinite while the interval is cut short). Rows whose value is NaN
        (a metric not defined for a project) are left out.
    """
    p90 = summary[summary["statistic"] == "P90"].dropna(subset=["value"]).copy()
    se = p90["se"].to_numpy(dtype=np.float64)
    value = np.abs(p90["value"].to_numpy(dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(se == 0, 0.0, se / value)
    complete = np.array([_interval_complete(int(n)) for n in p90["n"]], dtype=bool)
    p90["relative_se"] = np.where(complete & ~np.isnan(rel), rel, np.inf)
    return p90


def precision_reached(summary: pd.DataFrame, precision: float) -> bool:
    """Whether every P90's standard error is at most ``precision`` times its value.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from riskmc.engine.summary import summarize
    >>> x = np.random.default_rng(0).exponential(10.0, size=20_000)
    >>> s = summarize(pd.DataFrame({"project": "A", "delay_days": x}), ["delay_days"])
    >>> precision_reached(s, 0.05), precision_reached(s, 0.001)
    (True, False)
    """
    return bool((p90_errors(summary)["relative_se"] <= precision).all())


def next_target(n: int, summary: pd.DataFrame, precision: float, cap: int) -> int:
    """Replications to run in total before the precision is checked again.

    The standard error falls like ``1 / sqrt(n)``, so the worst P90 needs
    about ``n (relative_se / precision)^2`` replications; the next target
    is that with a 10 % margin, at least 1.25 and at most 4 times ``n``,
    rounded up to a multiple of 100, and never beyond ``cap``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"statistic": ["P90"], "value": [10.0], "se": [0.2], "n": [1000]})
    >>> next_target(1000, s, 0.01, cap=1_000_000)  # 2 % now: 4 x (2 / 1)^2 x 1.1 -> capped at 4x
    4000
    >>> next_target(1000, s, 0.015, cap=1_000_000)  # (2 / 1.5)^2 x 1.1 = 1.96
    2000
    """
    worst = float(p90_errors(summary)["relative_se"].max()) if len(summary) else math.inf
    ratio = worst / precision
    growth = (ratio * ratio * _MARGIN) if math.isfinite(ratio) else _MAX_GROWTH
    growth = min(max(growth, _MIN_GROWTH), _MAX_GROWTH)
    target = math.ceil(n * growth / STEP) * STEP
    return int(min(max(target, n + 1), cap))
