"""Censored lognormal fit of how long projects stay suspended after an attack.

A suspension lasts ``T`` days with ``log T ~ Normal(mu, sigma)``. A row whose
end is known contributes the log density of ``T`` at its duration ``t``; a row
still running at its last source (right-censored) contributes the log survival
function ``log P(T > t)`` at the duration known so far. The log-likelihood is

``sum_uncensored [log phi(z_i) - log sigma - log t_i] + sum_censored log(1 - Phi(z_i))``

with ``z_i = (log t_i - mu) / sigma`` (Klein & Moeschberger 2003, sec. 3.5).
:func:`fit_suspension_days` maximises it over ``(mu, log sigma)`` with BFGS
and the exact gradient, from the mean and population standard deviation of
the logs of the uncensored durations; without censoring that start is the
maximum itself.

**Intervals.** The approximate 95% intervals are Wald intervals on
``(mu, log sigma)`` from the observed information: the Hessian of the
negative log-likelihood at the maximum, by central differences of the exact
gradient (a numerical Hessian, not a profile likelihood). They are mapped to
the median ``exp(mu)`` and to ``sigma`` by exponentiation, so both intervals
are asymmetric and positive. With a handful of rows the Wald interval is
optimistic; a profile-likelihood interval would be wider on the long side.

References
----------
.. [1] J. P. Klein and M. L. Moeschberger, *Survival Analysis: Techniques for
   Censored and Truncated Data*, 2nd ed., Springer (2003), sec. 3.5 and 12.
.. [2] J. F. Lawless, *Statistical Models and Methods for Lifetime Data*,
   2nd ed., Wiley (2003), sec. 5.2 (lognormal, censored samples).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

__all__ = ["SuspensionFit", "fit_reference_suspensions", "fit_suspension_days"]

_Z95 = 1.959963984540054  # Normal 0.975 quantile
_HESSIAN_STEP = 1e-5


@dataclass(frozen=True)
class SuspensionFit:
    """A lognormal fitted to suspension durations, some right-censored.

    Attributes
    ----------
    median : float
        Median duration ``exp(mu)`` [days].
    sigma : float
        Standard deviation of ``log T`` [dimensionless, natural log of days].
    n : int
        Number of durations used.
    n_censored : int
        How many of them are lower bounds (still running at the last source).
    log_likelihood : float
        Maximised log-likelihood, with durations in days.
    median_ci : tuple of float
        Approximate 95% interval for ``median`` [days] (Wald on ``mu``).
    sigma_ci : tuple of float
        Approximate 95% interval for ``sigma`` (Wald on ``log sigma``).
    se_log_median : float
        Standard error of ``mu = log median`` from the observed information.
    se_log_sigma : float
        Standard error of ``log sigma`` from the observed information.
    """

    median: float
    sigma: float
    n: int
    n_censored: int
    log_likelihood: float
    median_ci: tuple[float, float]
    sigma_ci: tuple[float, float]
    se_log_median: float
    se_log_sigma: float

    @property
    def mu(self) -> float:
        """Mean of ``log T`` [log days]."""
        return math.log(self.median)


def _negloglik(
    theta: NDArray[np.float64], y: NDArray[np.float64], cens: NDArray[np.bool_]
) -> tuple[float, NDArray[np.float64]]:
    """Negative log-likelihood and its gradient in ``(mu, log sigma)``; ``y = log t``."""
    mu, log_s = float(theta[0]), float(theta[1])
    s = math.exp(log_s)
    z = (y - mu) / s
    zu, zc = z[~cens], z[cens]
    ll = float(np.sum(stats.norm.logpdf(zu) - log_s - y[~cens]))
    ll += float(np.sum(stats.norm.logsf(zc)))
    # d/dz log(1 - Phi(z)) = -h(z), h the normal hazard (inverse Mills ratio).
    h = np.exp(stats.norm.logpdf(zc) - stats.norm.logsf(zc))
    g_mu = float(np.sum(zu) + np.sum(h)) / s
    g_log_s = float(np.sum(zu * zu - 1.0) + np.sum(h * zc))
    return -ll, -np.array([g_mu, g_log_s])


def _validate(
    durations: ArrayLike, censored: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    t = np.asarray(durations, dtype=np.float64)
    c_raw = np.asarray(censored)
    if t.ndim != 1 or c_raw.ndim != 1:
        raise ValueError("durations and censored must be one-dimensional")
    if t.shape != c_raw.shape:
        raise ValueError(f"durations and censored differ in length ({t.size} and {c_raw.size})")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("every duration must be a finite number of days > 0")
    if c_raw.dtype != np.bool_ and not np.all(np.isin(c_raw, [0, 1])):
        raise ValueError("censored must hold booleans (True where the duration is a bound)")
    c = c_raw.astype(np.bool_)
    n_exact = int(np.count_nonzero(~c))
    if n_exact < 2:
        raise ValueError(f"need at least 2 uncensored durations, got {n_exact}")
    if np.ptp(np.log(t[~c])) == 0.0:
        raise ValueError("the uncensored durations are all equal; sigma cannot be fitted")
    return t, c


def fit_suspension_days(durations: ArrayLike, censored: ArrayLike) -> SuspensionFit:
    """Maximum-likelihood lognormal of suspension durations with right-censoring.

    Parameters
    ----------
    durations : array_like of float, shape (n,)
        Durations [days], all > 0: the exact length of a finished suspension,
        or, where ``censored`` is True, the length known so far (a lower bound).
    censored : array_like of bool, shape (n,)
        True where the duration is a lower bound (right-censored).

    Returns
    -------
    SuspensionFit
        Median [days], sigma, their approximate 95% intervals (Wald, from a
        numerical Hessian of the log-likelihood in ``(mu, log sigma)``), the
        maximised log-likelihood and the counts.

    Raises
    ------
    ValueError
        If the arrays differ in length or are not one-dimensional, a duration
        is not a finite positive number, ``censored`` is not boolean, fewer
        than two durations are uncensored, or all uncensored durations are
        equal.

    Notes
    -----
    Uncensored rows contribute ``log f(t)``, censored rows ``log S(t)``
    (Klein & Moeschberger 2003, eq. 3.5.1). Without censoring the maximum is
    the closed form ``mu = mean(log t)``, ``sigma = std(log t)`` (population,
    ``ddof=0``).

    References
    ----------
    .. [1] J. P. Klein and M. L. Moeschberger, *Survival Analysis: Techniques
       for Censored and Truncated Data*, 2nd ed., Springer (2003), sec. 3.5.

    Examples
    --------
    >>> fit = fit_suspension_days([5, 17, 46, 103], [False, False, False, False])
    >>> round(fit.median, 2), fit.n_censored
    (25.19, 0)
    """
    t, cens = _validate(durations, censored)
    y = np.log(t)
    yu = y[~cens]
    start = np.array([float(np.mean(yu)), math.log(float(np.std(yu)))])
    res = optimize.minimize(
        _negloglik,
        start,
        args=(y, cens),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-10, "maxiter": 1000},
    )
    theta = np.asarray(res.x, dtype=np.float64)
    grad_norm = float(np.max(np.abs(_negloglik(theta, y, cens)[1])))
    if not np.all(np.isfinite(theta)) or grad_norm > 1e-4 * max(1.0, float(t.size)):
        raise ValueError(f"the lognormal fit did not converge ({res.message})")

    hess = np.empty((2, 2))
    for j in range(2):
        step = np.zeros(2)
        step[j] = _HESSIAN_STEP
        g_plus = _negloglik(theta + step, y, cens)[1]
        g_minus = _negloglik(theta - step, y, cens)[1]
        hess[:, j] = (g_plus - g_minus) / (2.0 * _HESSIAN_STEP)
    hess = 0.5 * (hess + hess.T)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.nan)
    se_mu = math.sqrt(cov[0, 0]) if cov[0, 0] > 0 else math.nan
    se_log_s = math.sqrt(cov[1, 1]) if cov[1, 1] > 0 else math.nan

    mu, log_s = float(theta[0]), float(theta[1])
    return SuspensionFit(
        median=math.exp(mu),
        sigma=math.exp(log_s),
        n=int(t.size),
        n_censored=int(np.count_nonzero(cens)),
        log_likelihood=-float(res.fun),
        median_ci=(math.exp(mu - _Z95 * se_mu), math.exp(mu + _Z95 * se_mu)),
        sigma_ci=(math.exp(log_s - _Z95 * se_log_s), math.exp(log_s + _Z95 * se_log_s)),
        se_log_median=se_mu,
        se_log_sigma=se_log_s,
    )


def fit_reference_suspensions(countries: Sequence[str] | None = None) -> SuspensionFit:
    """Fit :func:`fit_suspension_days` to the shipped table of real suspensions.

    Parameters
    ----------
    countries : sequence of str, optional
        Keep only these ``country`` values (e.g. ``["Pakistan"]``); all rows
        by default.

    Returns
    -------
    SuspensionFit
        Durations in days from :func:`riskmc.data.reference_suspensions`, with
        its ``censored`` column.

    Notes
    -----
    The table mixes sectors (dams, railways, mines, LNG) and kinds of stop
    (a contractor's work halt, a line closed, force majeure); read the fit as
    a rough prior for how long a stop lasts, not a model of one project. See
    ``riskmc/data/reference/README.md`` for the selection bias.
    """
    from riskmc.data import reference_suspensions

    table = reference_suspensions()
    if countries is not None:
        table = table[table["country"].isin(list(countries))]
    return fit_suspension_days(
        table["duration_days"].to_numpy(dtype=np.float64),
        table["censored"].to_numpy(dtype=np.bool_),
    )
