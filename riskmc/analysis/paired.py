"""Statistics of paired runs: differences with Student-t intervals, ratios by bootstrap.

Both serve :func:`riskmc.analysis.compare.compare`, which runs scenarios on common
random numbers, so that replication ``r`` of each run is a pair (Law 2015, section 10.2).

References
----------
Law, A. M. (2015). *Simulation Modeling and Analysis*, 5th ed. McGraw-Hill.
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, chapter 13.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = ["N_BOOTSTRAP", "bootstrap_rng", "paired_difference", "ratio_bootstrap"]

#: Bootstrap resamples of a ratio.
N_BOOTSTRAP = 2000
_BOOTSTRAP_STREAM = 0x636F6D70  # "comp": keeps the bootstrap apart from other uses of the seed


def paired_difference(d: NDArray[np.float64]) -> tuple[float, float, float, float]:
    """Mean of paired differences, its standard error and 95 % Student-t interval.

    Parameters
    ----------
    d : ndarray of float64, shape (n,)
        Differences ``B_r - A_r``, one per replication.

    Returns
    -------
    (mean, se, low, high) : floats
        ``se = sd(d) / sqrt(n)``; NaN where ``n < 2`` leaves it undefined.

    Examples
    --------
    >>> mean, se, low, high = paired_difference(np.array([1.0, 2.0, 3.0]))
    >>> mean, round(se, 6), round(low, 4), round(high, 4)
    (2.0, 0.57735, -0.4841, 4.4841)
    """
    n = len(d)
    if n == 0:
        return (math.nan,) * 4
    mean = float(d.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(d.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.975, n - 1)) * se
    return mean, se, mean - half, mean + half


def ratio_bootstrap(
    benefit: NDArray[np.float64],
    cost: NDArray[np.float64],
    rng: np.random.Generator,
    n_bootstrap: int = N_BOOTSTRAP,
) -> tuple[float, float, float, float]:
    """Ratio of means ``mean(benefit) / mean(cost)`` with a paired percentile bootstrap.

    Parameters
    ----------
    benefit, cost : ndarray of float64, shape (n,)
        Per replication (paired: entry ``r`` of both comes from replication ``r``).
    rng : numpy.random.Generator
        Draws the resampled replication indices.
    n_bootstrap : int
        Number of resamples.

    Returns
    -------
    (ratio, se, low, high) : floats
        ``se`` is the standard deviation of the bootstrap ratios and
        ``[low, high]`` their 2.5 % and 97.5 % quantiles. All NaN when
        ``mean(cost) <= 0`` (nothing was spent), or when there are fewer
        than two replications (no interval).

    Examples
    --------
    >>> gen = np.random.default_rng(1)
    >>> ratio_bootstrap(np.array([2.0, 4.0]), np.array([1.0, 1.0]), gen)[0]
    3.0
    """
    n = len(benefit)
    if n == 0 or not float(cost.mean()) > 0:
        return (math.nan,) * 4
    ratio = float(benefit.mean() / cost.mean())
    if n < 2:
        return ratio, math.nan, math.nan, math.nan
    boot = np.empty(n_bootstrap, dtype=np.float64)
    block = max(1, 2_000_000 // n)  # resamples per batch: bounded memory for long runs
    for start in range(0, n_bootstrap, block):
        stop = min(n_bootstrap, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        with np.errstate(divide="ignore", invalid="ignore"):
            boot[start:stop] = benefit[idx].mean(axis=1) / cost[idx].mean(axis=1)
    boot = boot[np.isfinite(boot)]
    if len(boot) < 2:
        return ratio, math.nan, math.nan, math.nan
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return ratio, float(boot.std(ddof=1)), float(lo), float(hi)


def bootstrap_rng(seed: int, k: int, project: str, metric: str) -> np.random.Generator:
    """The generator of one ratio's bootstrap, keyed by what it is for.

    Adding a scenario or a metric to a comparison thus changes no other interval.
    """
    key = [seed, _BOOTSTRAP_STREAM, k, *(project + "|" + metric).encode()]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))
