"""Maximum-likelihood fit of a multi-district exponential Hawkes process.

The model is riskmc's ``hawkes`` process with ``spillover: 0``: every
district ``d`` has its own background rate ``mu_d`` [1/day]; every attack
raises its own district's rate by ``(n / tau) exp(-s / tau)`` at a lag ``s``
[days], with a branching ratio ``n`` and a mean delay ``tau`` shared by all
districts. The log-likelihood of event times ``t_1 < ... < t_N`` of one
district over ``[0, T)`` is

``sum_i log(mu + (n / tau) A_i) - mu T - n sum_i (1 - exp(-(T - t_i) / tau))``

with ``A_i = sum_{j < i} exp(-(t_i - t_j) / tau)``, which obeys
``A_i = exp(-(t_i - t_{i-1}) / tau) (1 + A_{i-1})`` (Ozaki 1979), so the
likelihood and its gradient take one pass over the events. Attacks before the
window are not seen; their triggering inside it is absorbed by the background
(a bias of order ``tau / T``).

:func:`fit_hawkes` maximises it over ``log mu_d``, ``logit n`` and
``log tau`` with L-BFGS-B, from the best point of a small grid, and takes
standard errors from the observed information (the Hessian, by differences
of the exact gradient). The long-run mean of district ``d`` is
``mu_d / (1 - n)`` (Hawkes & Oakes 1974).

References
----------
.. [1] T. Ozaki, "Maximum likelihood estimation of Hawkes' self-exciting point
   processes", Annals of the Institute of Statistical Mathematics 31, 145-155
   (1979).
.. [2] A. G. Hawkes and D. Oakes, "A cluster process representation of a
   self-exciting process", Journal of Applied Probability 11, 493-503 (1974).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from riskmc.calibration.sample import MIN_DECAY_DAYS, EventSample

__all__ = ["HawkesFit", "decay_bounds", "fit_hawkes", "hawkes_loglik"]

MAX_BRANCHING = 0.99  # the scenario schema's bound
#: Largest background rate the fit searches [1/day].
MAX_BACKGROUND_PER_DAY = 1e3


def decay_bounds(horizon_days: float) -> tuple[float, float]:
    """The decays [days] the fit searches: from :data:`MIN_DECAY_DAYS` to a quarter of the window.

    >>> decay_bounds(3652.0)
    (0.25, 913.0)
    """
    return MIN_DECAY_DAYS, max(horizon_days / 4.0, 2 * MIN_DECAY_DAYS)


@nb.njit(cache=True, error_model="numpy")
def hawkes_loglik(times, offsets, horizon, mu, n, tau, grad_mu, grad):  # type: ignore[no-untyped-def]
    """Log-likelihood of the multi-district exponential Hawkes process, and its gradient.

    Parameters
    ----------
    times : ndarray of float64, shape (n_events,)
        Event times [days], grouped by district, ascending within each.
    offsets : ndarray of int64, shape (n_districts + 1,)
    horizon : float
        Window length ``T`` [days].
    mu : ndarray of float64, shape (n_districts,)
        Background rates [1/day], > 0 where a district has events.
    n, tau : float
        Branching ratio and mean delay [days].
    grad_mu : ndarray of float64, shape (n_districts,)
        Filled with d logL / d mu_d.
    grad : ndarray of float64, shape (2,)
        Filled with d logL / d n and d logL / d tau.

    Returns
    -------
    float
        The log-likelihood (times in days).
    """
    ll = 0.0
    g_n = 0.0
    g_tau = 0.0
    alpha = n / tau
    for d in range(offsets.shape[0] - 1):
        a = 0.0  # A_i
        b = 0.0  # B_i = sum_j (t_i - t_j) exp(-(t_i - t_j) / tau)
        g_mu = 0.0
        m = mu[d]
        for i in range(offsets[d], offsets[d + 1]):
            if i > offsets[d]:
                dt = times[i] - times[i - 1]
                r = math.exp(-dt / tau)
                b = r * (b + dt * (a + 1.0))
                a = r * (a + 1.0)
            lam = m + alpha * a
            ll += math.log(lam)
            g_mu += 1.0 / lam
            g_n += a / tau / lam
            g_tau += alpha / tau * (b / tau - a) / lam
            rest = horizon - times[i]
            e = math.exp(-rest / tau)
            ll -= n * (1.0 - e)
            g_n -= 1.0 - e
            g_tau += n * e * rest / (tau * tau)
        ll -= m * horizon
        grad_mu[d] = g_mu - horizon
    grad[0] = g_n
    grad[1] = g_tau
    return ll


@dataclass(frozen=True)
class HawkesFit:
    """A fitted Hawkes process.

    Attributes
    ----------
    mu : ndarray of float64, shape (n_districts,)
        Background rates [1/day] (0 for a district without events).
    branching_ratio, decay_days : float
        ``n`` and ``tau`` [days].
    se_logit_n, se_log_tau : float
        Standard errors of ``logit n`` and ``log tau`` (observed information).
    loglik : float
        Maximised log-likelihood.
    n_params : int
        Free parameters (one per district, plus two).
    converged : bool
    """

    mu: NDArray[np.float64]
    branching_ratio: float
    decay_days: float
    se_logit_n: float
    se_log_tau: float
    loglik: float
    n_params: int
    converged: bool

    @property
    def se_branching_ratio(self) -> float:
        """Standard error of ``n`` (delta method)."""
        n = self.branching_ratio
        return n * (1.0 - n) * self.se_logit_n

    @property
    def se_decay_days(self) -> float:
        """Standard error of ``tau`` [days] (delta method)."""
        return self.decay_days * self.se_log_tau

    def long_run_per_year(self) -> NDArray[np.float64]:
        """Long-run mean rate of each district, ``mu / (1 - n)`` [1/yr]."""
        return self.mu / (1.0 - self.branching_ratio) * 365.25


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def fit_hawkes(sample: EventSample) -> HawkesFit:
    """Fit ``mu_d``, ``n`` and ``tau`` by maximum likelihood.

    Parameters
    ----------
    sample : EventSample
        Tie-broken event times (see :mod:`riskmc.calibration.sample`).

    Returns
    -------
    HawkesFit
    """
    times, offsets, horizon = sample.times, sample.offsets, sample.horizon_days
    counts = sample.counts.astype(np.float64)
    active = np.flatnonzero(counts > 0)
    n_d = sample.n_districts
    grad_mu = np.zeros(n_d)
    grad = np.zeros(2)
    tau_lo, tau_hi = decay_bounds(horizon)
    bounds_x = [(math.log(1e-9), math.log(MAX_BACKGROUND_PER_DAY))] * len(active) + [
        (_logit(1e-6), _logit(MAX_BRANCHING)),
        (math.log(tau_lo), math.log(tau_hi)),
    ]

    def unpack(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, float]:
        mu = np.zeros(n_d)
        mu[active] = np.exp(x[: len(active)])
        return mu, _expit(float(x[-2])), math.exp(float(x[-1]))

    def negll(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        mu, n, tau = unpack(x)
        ll = hawkes_loglik(times, offsets, horizon, mu, n, tau, grad_mu, grad)
        g = np.empty_like(x)
        g[: len(active)] = grad_mu[active] * mu[active]
        g[-2] = grad[0] * n * (1.0 - n)
        g[-1] = grad[1] * tau
        return -ll, -g

    # Start from the best point of a coarse grid, with each background set so
    # that the district keeps its observed mean.
    best: tuple[float, NDArray[np.float64]] | None = None
    for n0 in (0.05, 0.2, 0.4, 0.6, 0.8):
        for tau0 in (0.5, 2.0, 7.0, 21.0, 60.0):
            if tau0 >= tau_hi:
                continue
            x0 = np.r_[np.log(counts[active] * (1.0 - n0) / horizon), _logit(n0), math.log(tau0)]
            f = negll(x0)[0]
            if best is None or f < best[0]:
                best = (f, x0)
    if best is None:  # a window shorter than two days
        x0 = np.r_[np.log(counts[active] / horizon), _logit(0.05), math.log(MIN_DECAY_DAYS)]
        best = (negll(x0)[0], x0)
    res = optimize.minimize(
        negll,
        best[1],
        jac=True,
        method="L-BFGS-B",
        bounds=bounds_x,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-7},
    )
    x = res.x
    mu, n, tau = unpack(x)
    cov = _covariance(lambda z: negll(z)[1], x)
    return HawkesFit(
        mu=mu,
        branching_ratio=n,
        decay_days=tau,
        se_logit_n=math.sqrt(max(cov[-2, -2], 0.0)),
        se_log_tau=math.sqrt(max(cov[-1, -1], 0.0)),
        loglik=-float(res.fun),
        n_params=n_d + 2,
        converged=bool(res.success),
    )


def _covariance(grad_of: object, x: NDArray[np.float64], step: float = 1e-5) -> NDArray[np.float64]:
    """Inverse of the Hessian of the negative log-likelihood, by central differences."""
    k = len(x)
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = step
        hess[:, j] = (grad_of(x + e) - grad_of(x - e)) / (2 * step)  # type: ignore[operator]
    hess = 0.5 * (hess + hess.T)
    try:
        return np.asarray(np.linalg.inv(hess), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(hess), dtype=np.float64)
