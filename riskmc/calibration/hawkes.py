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

__all__ = [
    "HawkesFit",
    "SpilloverTest",
    "decay_bounds",
    "fit_hawkes",
    "fit_hawkes_spillover",
    "hawkes_loglik",
    "spillover_loglik",
    "spillover_test",
]

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


@nb.njit(cache=True, error_model="numpy", inline="always")
def _decay_to(p, q, bp, bq, last, e, t, tau):  # type: ignore[no-untyped-def]
    """District ``e``'s sums, decayed from ``last[e]`` to time ``t`` (``t >= last[e]``)."""
    dt = t - last[e]
    r = math.exp(-dt / tau)
    bp[e] = r * (bp[e] + dt * p[e])
    bq[e] = r * (bq[e] + dt * q[e])
    p[e] *= r
    q[e] *= r
    last[e] = t


@nb.njit(cache=True, error_model="numpy")
def spillover_loglik(  # type: ignore[no-untyped-def]
    times, district, nb_ptr, nb_idx, horizon, mu, n, s, tau, grad_mu, grad
):
    """Log-likelihood of Hawkes with spillover to adjacent districts, and its gradient.

    riskmc's sampler: an attack in ``d`` has Poisson(n) children after Exp(tau)
    delays, a share ``s`` of them in a random adjacent district (none if ``d``
    has no neighbour). So district ``e``'s intensity is
    ``mu_e + (n / tau) sum_j w(d_j -> e) k(t - t_j)``, ``k(u) = exp(-u / tau)``
    for ``u > 0``, with ``w(d -> d) = 1 - s`` (1 without neighbours) and
    ``w(d -> e) = s / deg d`` for a neighbour ``e``. The weights of an event
    sum to 1, so the compensator is that of :func:`hawkes_loglik`.

    **Days.** Times are days with ties spread (:mod:`riskmc.calibration.sample`):
    within a district the order of a day's events is kept, but between two
    districts it is not known, and a child in a neighbour on its parent's day
    would be lost to the background (at 7 days' decay, one in eight). So a
    pair of events of one day in different districts excites with the
    expected kernel of two independent uniform times in the day,
    ``c = E[1{U < V} exp(-(V - U) / tau)] = tau - tau^2 (1 - exp(-1 / tau))``
    (about 1/2), and from the next day on at the spread times' lag.

    Each district keeps ``A = P + s Q`` (``P`` the weights' parts without
    ``s``, ``Q`` those multiplied by it) and ``B = sum lag k(lag)`` of each,
    decayed lazily to the time of its next use: one pass, O(N x degree).

    Parameters
    ----------
    times : ndarray of float64, shape (N,)
        Event times [days], ascending over all districts.
    district : ndarray of int64, shape (N,)
    nb_ptr, nb_idx : ndarray of int64
        Adjacency (CSR), as :func:`riskmc.hazard.inputs.adjacency`.
    horizon : float
        Window length ``T`` [days].
    mu : ndarray of float64, shape (D,)
        Background rates [1/day].
    n, s, tau : float
        Branching ratio, spillover share and mean delay [days].
    grad_mu : ndarray of float64, shape (D,)
        Filled with d logL / d mu.
    grad : ndarray of float64, shape (3,)
        Filled with d logL / d n, d s and d tau.
    """
    n_d = mu.shape[0]
    p = np.zeros(n_d)
    q = np.zeros(n_d)
    bp = np.zeros(n_d)
    bq = np.zeros(n_d)
    last = np.zeros(n_d)
    same = np.zeros(n_d)  # sum of 1 / deg over this day's events of the neighbours
    ex = math.exp(-1.0 / tau)
    c = tau - tau * tau * (1.0 - ex)
    dc = 1.0 - 2.0 * tau * (1.0 - ex) + ex  # dc / dtau
    for e in range(n_d):
        grad_mu[e] = -horizon
    ll = -horizon * mu.sum()
    g_n = 0.0
    g_s = 0.0
    g_tau = 0.0
    m = times.shape[0]
    i = 0
    while i < m:
        day = math.floor(times[i])
        k = i
        while k < m and math.floor(times[k]) == day:
            k += 1
        for j in range(i, k):
            d = district[j]
            deg = nb_ptr[d + 1] - nb_ptr[d]
            for z in range(nb_ptr[d], nb_ptr[d + 1]):
                same[nb_idx[z]] += 1.0 / deg
        # Evaluate the day's events in time order; each excites its own district at once.
        for j in range(i, k):
            d = district[j]
            t = times[j]
            _decay_to(p, q, bp, bq, last, d, t, tau)
            a = p[d] + s * q[d]
            b = bp[d] + s * bq[d]
            h = same[d]
            lam = mu[d] + n / tau * (a + c * s * h)
            ll += math.log(lam)
            grad_mu[d] += 1.0 / lam
            g_n += (a + c * s * h) / tau / lam
            g_s += n / tau * (q[d] + c * h) / lam
            g_tau += (
                n / (tau * tau) * (b / tau - a) + n * s * h * (dc / tau - c / (tau * tau))
            ) / lam
            rest = horizon - t
            ee = math.exp(-rest / tau)
            ll -= n * (1.0 - ee)
            g_n -= 1.0 - ee
            g_tau += n * ee * rest / (tau * tau)
            p[d] += 1.0
            if nb_ptr[d + 1] > nb_ptr[d]:
                q[d] -= 1.0
        # Then the day's events excite the neighbours, at their lags from the next day on.
        for j in range(i, k):
            d = district[j]
            t = times[j]
            deg = nb_ptr[d + 1] - nb_ptr[d]
            for z in range(nb_ptr[d], nb_ptr[d + 1]):
                e = nb_idx[z]
                same[e] = 0.0
                if last[e] <= t:
                    _decay_to(p, q, bp, bq, last, e, t, tau)
                    q[e] += 1.0 / deg
                else:
                    lag = last[e] - t
                    r = math.exp(-lag / tau)
                    q[e] += r / deg
                    bq[e] += lag * r / deg
        i = k
    grad[0] = g_n
    grad[1] = g_s
    grad[2] = g_tau
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
    #: Share of triggered attacks in adjacent districts (0 unless fitted with spillover).
    spillover: float = 0.0
    #: Standard error of ``logit spillover`` (nan unless fitted).
    se_logit_s: float = math.nan

    @property
    def se_spillover(self) -> float:
        """Standard error of the spillover share (delta method; nan unless fitted)."""
        return self.spillover * (1.0 - self.spillover) * self.se_logit_s

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


def fit_hawkes_spillover(
    sample: EventSample, neighbours: list[list[int]], start: HawkesFit | None = None
) -> HawkesFit:
    """Fit ``mu_d``, ``n``, the spillover share ``s`` and ``tau`` by maximum likelihood.

    The model of :func:`spillover_loglik` (riskmc's ``hawkes`` with
    ``spillover``); without it, offspring that land in a neighbour pass for
    background there and the branching ratio comes out low.

    Parameters
    ----------
    sample : EventSample
    neighbours : list of list of int
        Each district's adjacent districts (:func:`riskmc.hazard.inputs.adjacency`).
    start : HawkesFit, optional
        The fit without spillover, to start from (fitted when not given).

    Returns
    -------
    HawkesFit
        With ``spillover`` and ``se_logit_s``; ``n_params`` counts ``s``.
    """
    base = start if start is not None else fit_hawkes(sample)
    horizon = sample.horizon_days
    n_d = sample.n_districts
    district = np.repeat(np.arange(n_d, dtype=np.int64), sample.counts)
    order = np.argsort(sample.times, kind="stable")
    times = np.ascontiguousarray(sample.times[order])
    district = np.ascontiguousarray(district[order])
    nb_ptr = np.zeros(n_d + 1, dtype=np.int64)
    nb_ptr[1:] = np.cumsum([len(x) for x in neighbours])
    nb_idx = np.array([e for x in neighbours for e in x] or [0], dtype=np.int64)
    active = np.flatnonzero(sample.counts > 0)
    grad_mu = np.zeros(n_d)
    grad = np.zeros(3)
    tau_lo, tau_hi = decay_bounds(horizon)
    edge = _logit(1e-6)
    bounds_x = [(math.log(1e-9), math.log(MAX_BACKGROUND_PER_DAY))] * len(active) + [
        (edge, _logit(MAX_BRANCHING)),
        (edge, -edge),
        (math.log(tau_lo), math.log(tau_hi)),
    ]

    def unpack(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, float, float]:
        mu = np.zeros(n_d)
        mu[active] = np.exp(x[: len(active)])
        return mu, _expit(float(x[-3])), _expit(float(x[-2])), math.exp(float(x[-1]))

    def negll(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        mu, n, s, tau = unpack(x)
        ll = spillover_loglik(
            times, district, nb_ptr, nb_idx, horizon, mu, n, s, tau, grad_mu, grad
        )
        g = np.empty_like(x)
        g[: len(active)] = grad_mu[active] * mu[active]
        g[-3] = grad[0] * n * (1.0 - n)
        g[-2] = grad[1] * s * (1.0 - s)
        g[-1] = grad[2] * tau
        return -ll, -g

    n0 = min(max(base.branching_ratio, 0.02), 0.95)
    tau0 = min(max(base.decay_days, tau_lo * 1.01), tau_hi * 0.99)
    best: tuple[float, NDArray[np.float64]] | None = None
    for s0 in (0.02, 0.1, 0.25, 0.5, 0.75):
        for grow in (1.0, 1.25, 1.5):
            n1 = min(n0 * grow, 0.95)
            mu0 = np.maximum(sample.counts[active] * (1.0 - n1) / horizon, 1e-9)
            x0 = np.r_[np.log(mu0), _logit(n1), _logit(s0), math.log(tau0)]
            f = negll(x0)[0]
            if best is None or f < best[0]:
                best = (f, x0)
    assert best is not None
    res = optimize.minimize(
        negll,
        best[1],
        jac=True,
        method="L-BFGS-B",
        bounds=bounds_x,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-7},
    )
    mu, n, s, tau = unpack(res.x)
    cov = _covariance(lambda z: negll(z)[1], res.x)
    return HawkesFit(
        mu=mu,
        branching_ratio=n,
        decay_days=tau,
        se_logit_n=math.sqrt(max(cov[-3, -3], 0.0)),
        se_log_tau=math.sqrt(max(cov[-1, -1], 0.0)),
        loglik=-float(res.fun),
        n_params=n_d + 3,
        converged=bool(res.success),
        spillover=s,
        se_logit_s=math.sqrt(max(cov[-2, -2], 0.0)),
    )


@dataclass(frozen=True)
class SpilloverTest:
    """The likelihood-ratio test of spillover against none (``s = 0``, a boundary).

    Attributes
    ----------
    fit : HawkesFit
        The fit with spillover.
    statistic : float
        ``2 (logL with - logL without)``.
    p_value : float
        Under the boundary null ``0.5 chi2_0 + 0.5 chi2_1`` (Self and Liang 1987).
    chosen : bool
        Whether the spillover fit is used: the test rejects at ``alpha`` and
        the fit is inside its bounds with finite standard errors.
    """

    fit: HawkesFit
    statistic: float
    p_value: float
    chosen: bool


def spillover_test(
    sample: EventSample, neighbours: list[list[int]], plain: HawkesFit, alpha: float = 0.01
) -> SpilloverTest | None:
    """Fit spillover and test it against ``plain`` (None when no district has a neighbour)."""
    if not any(neighbours) or len(sample.times) < 2:
        return None
    from scipy import stats

    fit = fit_hawkes_spillover(sample, neighbours, plain)
    lr = max(2.0 * (fit.loglik - plain.loglik), 0.0)
    p = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
    inside = 1e-4 < fit.spillover < 1.0 - 1e-4 and fit.branching_ratio < MAX_BRANCHING - 1e-4
    finite = all(
        math.isfinite(v) and v > 0 for v in (fit.se_logit_s, fit.se_logit_n, fit.se_log_tau)
    )
    return SpilloverTest(fit, lr, p, bool(p < alpha and inside and finite and fit.converged))


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
