"""Severity and escalation inputs: the fatalities law of an attack, the regime chain.

Both are turned into small arrays once per scenario (:func:`fatalities_table`,
:func:`regime_arrays`); the kernels then only look values up.

Fatalities (SPEC.md 1b)
    Deaths per attack are drawn per attack from a number or a distribution,
    a continuous draw rounded to the nearest integer >= 0: ``P(F <= k) =
    G(k + 1/2)`` for the distribution's CDF ``G``. The kernel inverts that
    discrete CDF at the attack's uniform with a guide table (Chen and Asau
    1974; Devroye 1986, section III.2.4) of :data:`GUIDE` cells: the cell of
    ``u`` brackets the answer, and the bracket is bisected (most cells hold
    one or two counts; the few of the long tail hold many).
    The table runs until ``G`` is within :data:`TAIL` of 1 (at most
    :data:`MAX_TABLE` entries); the law is truncated there, a change of
    probability below 1e-12.

Regimes (SPEC.md 1b)
    A continuous-time Markov chain with exponential sojourns of mean
    ``mean_days`` in state ``i`` and jump probabilities ``P``. Its
    stationary shares are ``pi_i ∝ nu_i mean_i`` with ``nu`` the stationary
    law of the jump chain ``P`` (Norris 1997, theorem 3.5.5). Multipliers are
    divided by ``sum_i pi_i m_i``, so the rate's long-run mean is unchanged.

References
----------
.. [1] Chen, H.-C. and Asau, Y. (1974). On generating random variates from an
   empirical distribution. AIIE Transactions 6(2), 163-166.
.. [2] Devroye, L. (1986). Non-Uniform Random Variate Generation. Springer.
.. [3] Norris, J. R. (1997). Markov Chains. Cambridge University Press.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from riskmc.scenario.distributions import (
    Beta,
    Fixed,
    Gamma,
    Lognormal,
    Param,
    Triangular,
    Uniform,
)
from riskmc.scenario.schema import Regimes

__all__ = [
    "GUIDE",
    "MAX_TABLE",
    "TAIL",
    "RegimeArrays",
    "fatalities_cdf",
    "fatalities_table",
    "regime_arrays",
    "stationary_shares",
    "two_state_count_moments",
]

#: The fatalities table ends where the law is within this of 1.
TAIL = 1e-12
#: Most entries of a fatalities table (deaths 0 .. MAX_TABLE - 1).
MAX_TABLE = 1 << 20
#: Cells of a fatalities law's guide table (the kernel's ``GUIDE``): 1 KiB of int32. The
#: deaths of a replication's ~110 watched attacks are drawn after its attacks are written,
#: which evicts the tables; each draw then misses the cache once per line it reads. With 256
#: cells the draws of a default replication read about 24 distinct lines (guide and CDF),
#: against 112 with 16,384 cells, at 0.14 bisection steps a draw instead of 0.01 (session 13,
#: counted by replaying the lookups); the results are the same numbers whatever the cells.
GUIDE = 256


def _cdf(value: Param, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """CDF of a number or distribution at ``x``."""
    from scipy import stats

    if isinstance(value, float | int | Fixed):
        # P(X < x), not <=: a fixed k + 1/2 rounds half up, to k + 1
        v = float(value) if isinstance(value, float | int) else value.value
        return np.where(x > v, 1.0, 0.0)
    if isinstance(value, Uniform):
        return np.asarray(stats.uniform(value.low, value.high - value.low).cdf(x))
    if isinstance(value, Triangular):
        lo, hi = value.low, value.high
        if hi == lo:
            return np.where(x > lo, 1.0, 0.0)
        c = (value.mode - lo) / (hi - lo)
        return np.asarray(stats.triang(c, loc=lo, scale=hi - lo).cdf(x))
    if isinstance(value, Lognormal):
        if value.sigma == 0:
            return np.where(x > value.median, 1.0, 0.0)
        return np.asarray(stats.lognorm(value.sigma, scale=value.median).cdf(x))
    if isinstance(value, Gamma):
        return np.asarray(stats.gamma(value.shape, scale=value.scale).cdf(x))
    if isinstance(value, Beta):
        return np.asarray(
            stats.beta(value.a, value.b, loc=value.low, scale=value.high - value.low).cdf(x)
        )
    raise TypeError(f"not a number or distribution: {value!r}")


def fatalities_cdf(value: Param) -> NDArray[np.float64]:
    """``P(F <= k)`` for ``k = 0, 1, ...`` of the rounded law, ending at exactly 1.

    Examples
    --------
    >>> fatalities_cdf(2.4).tolist()
    [0.0, 0.0, 1.0]
    >>> fatalities_cdf(1.5).tolist()  # halves round up
    [0.0, 0.0, 1.0]
    >>> from riskmc.scenario.distributions import Uniform
    >>> fatalities_cdf(Uniform(low=0.0, high=2.0)).tolist()
    [0.25, 0.75, 1.0]
    """
    n = 64
    while True:
        cdf = _cdf(value, np.arange(n, dtype=np.float64) + 0.5)
        if cdf[-1] >= 1.0 - TAIL or n >= MAX_TABLE:
            break
        n *= 4
    n = min(n, MAX_TABLE)
    cdf = cdf[:n]
    last = int(np.searchsorted(cdf, 1.0 - TAIL, side="left"))
    cdf = cdf[: min(last + 1, n)].copy()
    cdf[-1] = 1.0
    return cdf


def fatalities_table(value: Param) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """The discrete CDF of :func:`fatalities_cdf` and its guide table.

    ``guide`` has ``GUIDE + 1`` entries: ``guide[i]`` is the least ``k`` with
    ``cdf[k] > i / GUIDE`` (the last is the table's last index), so the count
    for a uniform ``u`` in cell ``i = floor(u GUIDE)`` lies in
    ``[guide[i], guide[i + 1]]``. A small guide stays in the processor's
    cache, where one cell per table entry would not for a long-tailed law.
    """
    cdf = fatalities_cdf(value)
    cells = np.arange(GUIDE + 1, dtype=np.float64) / GUIDE
    guide = np.minimum(np.searchsorted(cdf, cells, side="right"), len(cdf) - 1)
    return cdf, guide.astype(np.int32)


def stationary_shares(regimes: Regimes) -> NDArray[np.float64]:
    """Long-run share of time in each state of the chain."""
    n = len(regimes.states)
    jump = _jumps(regimes)
    # stationary law of the jump chain: nu P = nu, sum nu = 1
    lhs = np.vstack([jump.T - np.eye(n), np.ones(n)])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    nu = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    w = nu * np.array([s.mean_days for s in regimes.states])
    return np.asarray(w / w.sum(), dtype=np.float64)


def _jumps(regimes: Regimes) -> NDArray[np.float64]:
    n = len(regimes.states)
    if regimes.transitions is not None:
        return np.array(regimes.transitions, dtype=np.float64)
    return (np.ones((n, n)) - np.eye(n)) / (n - 1)


class RegimeArrays(NamedTuple):
    """The chain as the kernel reads it (no regimes: ``n`` is 0)."""

    n: int
    start: int  # a state's index, or -1: drawn from the stationary shares
    mean_days: NDArray[np.float64]
    multiplier: NDArray[np.float64]  # normalised: stationary mean 1
    jump_cum: NDArray[np.float64]  # (n, n) cumulative jump probabilities by row
    stationary_cum: NDArray[np.float64]


def regime_arrays(regimes: Regimes | None) -> RegimeArrays:
    """Arrays of the chain, multipliers normalised to a stationary mean of 1."""
    if regimes is None:
        z = np.zeros(1)
        return RegimeArrays(0, -1, z, z, np.zeros((1, 1)), z)
    names = [s.name for s in regimes.states]
    pi = stationary_shares(regimes)
    mult = np.array([s.multiplier for s in regimes.states], dtype=np.float64)
    mean_mult = float(pi @ mult)
    jump_cum = np.cumsum(_jumps(regimes), axis=1)
    jump_cum[:, -1] = 1.0
    # a row's last positive entry closes it exactly, so that no uniform falls past it
    for i in range(len(names)):
        row = _jumps(regimes)[i]
        last = int(np.flatnonzero(row > 0)[-1]) if np.any(row > 0) else i
        jump_cum[i, last:] = 1.0
    st_cum = np.cumsum(pi)
    st_cum[-1] = 1.0
    return RegimeArrays(
        n=len(names),
        start=-1 if regimes.start == "stationary" else names.index(regimes.start),
        mean_days=np.array([s.mean_days for s in regimes.states], dtype=np.float64),
        multiplier=mult / mean_mult if math.isfinite(mean_mult) and mean_mult > 0 else mult,
        jump_cum=jump_cum,
        stationary_cum=st_cum,
    )


def two_state_count_moments(
    rate: float, window: float, regimes: Regimes, start: str | None = None
) -> tuple[float, float]:
    """Mean and variance of a two-state Markov-modulated Poisson count over ``[0, window]``.

    ``rate`` is the long-run mean rate [1/day]; the state rates are ``rate``
    times the normalised multipliers. Started from the stationary law
    (``start`` None or ``"stationary"``) the variance is the closed form of
    Fischer and Meier-Hellstern (1993)::

        Var N(T) = r T + 2 pi_1 pi_2 (l_1 - l_2)^2 (T / q - (1 - exp(-q T)) / q^2)

    with ``q = 1 / mean_1 + 1 / mean_2``. Started in state ``i`` the mean is
    ``r T + (l_i - r)(1 - exp(-q T)) / q`` and the variance is not returned
    (NaN).

    References
    ----------
    .. [1] Fischer, W. and Meier-Hellstern, K. (1993). The Markov-modulated
       Poisson process (MMPP) cookbook. Performance Evaluation 18(2), 149-171.
    """
    if len(regimes.states) != 2:
        raise ValueError("the closed form is for two states")
    arr = regime_arrays(regimes)
    pi = stationary_shares(regimes)
    lam = rate * arr.multiplier
    q = float((1.0 / arr.mean_days).sum())
    if start in (None, "stationary"):
        bracket = window / q - (1.0 - math.exp(-q * window)) / q**2
        var = rate * window + 2.0 * pi[0] * pi[1] * (lam[0] - lam[1]) ** 2 * bracket
        return rate * window, float(var)
    i = [s.name for s in regimes.states].index(str(start))
    mean = rate * window + (lam[i] - rate) * (1.0 - math.exp(-q * window)) / q
    return float(mean), math.nan
