"""Poisson rates, negative-binomial dispersion, campaign days and model choice.

All three attack models are compared on the same data, the tie-broken event
times of :class:`~riskmc.calibration.sample.EventSample`, so their
log-likelihoods are comparable:

- **Poisson**: a constant rate ``lam_d`` per district; log-likelihood
  ``sum_d N_d log lam_d - lam_d T``.
- **Negative binomial**: a Cox process whose rate in calendar month ``m`` is
  ``r_d`` times a Gamma(k, 1/k) multiplier, one per district and month. Given
  a month's count the times in it are uniform, so the time likelihood is the
  negative-binomial likelihood of the monthly counts times
  ``prod y! / L^y`` (``L`` the month's days in the window), the same factor
  that turns the Poisson count likelihood into the Poisson time likelihood.
  ``r_d`` and a shared ``k`` are fitted by maximum likelihood.
- **Hawkes**: :mod:`riskmc.calibration.hawkes`.

**Model choice.** Poisson is nested in both others (``k -> inf``, ``n = 0``).
A richer model is a candidate only if its likelihood-ratio test against
Poisson rejects at level ``alpha`` (default 1 %); the null distribution is
taken as ``0.5 chi2_0 + 0.5 chi2_1``, because the null value lies on the
boundary of the parameter space (Self & Liang 1987). For Hawkes this is
approximate: with ``n = 0`` the decay is not identified (Davies 1987), which
makes the test somewhat liberal; the 1 % level leaves room for that. Among
Poisson and the candidates, the lowest AIC wins. AIC for every model is
reported.

**Campaign days** are days on which many districts are hit. With daily hit
probabilities ``p_d = 1 - exp(-N_d / D)`` (``D`` days observed) and districts
independent, the number of districts hit on a day is Poisson-binomial; the
threshold is the smallest ``h >= 3`` for which fewer than 0.05 such days are
expected by chance over the window. Campaign days with at most one quiet day
between them form one campaign. Their attacks are fitted as campaigns, not as background.

References
----------
.. [1] S. G. Self and K.-Y. Liang, "Asymptotic properties of maximum
   likelihood estimators and likelihood ratio tests under nonstandard
   conditions", JASA 82, 605-610 (1987).
.. [2] R. B. Davies, "Hypothesis testing when a nuisance parameter is present
   only under the alternative", Biometrika 74, 33-43 (1987).
.. [3] H. Akaike, "A new look at the statistical model identification", IEEE
   Transactions on Automatic Control 19, 716-723 (1974).
.. [4] H. Jeffreys, *Theory of Probability*, 3rd ed. (1961): the prior
   ``lam^-1/2`` behind the gamma posterior ``Gamma(N + 1/2, 1/T)``.
.. [5] L. D. Brown, T. T. Cai and A. DasGupta, "Interval estimation for a
   binomial proportion", Statistical Science 16, 101-133 (2001): the
   Jeffreys interval's lower end set to 0 at a zero count.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize, special, stats

from riskmc.calibration.hawkes import HawkesFit, fit_hawkes
from riskmc.calibration.sample import DAYS_PER_YEAR, EventSample

__all__ = [
    "MIN_DISPERSION",
    "CampaignFit",
    "ModelChoice",
    "ModelFit",
    "NegbinFit",
    "choose_model",
    "count_posterior",
    "detect_campaigns",
    "fit_negbin",
    "fit_poisson",
    "poisson_rates",
    "rate_interval",
]

MAX_DISPERSION = 1e6
#: Smallest negative-binomial ``k`` the fit searches.
MIN_DISPERSION = 1e-3


@dataclass(frozen=True)
class ModelFit:
    """One attack model's fit: its maximised log-likelihood and parameter count."""

    name: str
    loglik: float
    n_params: int

    @property
    def aic(self) -> float:
        """Akaike's information criterion, ``2 k - 2 logL``."""
        return 2.0 * self.n_params - 2.0 * self.loglik


def rate_interval(
    events: NDArray[np.integer[Any]],
    shape: NDArray[np.float64],
    scale: NDArray[np.float64] | float,
    level: float = 0.9,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Central ``level`` interval of a gamma posterior, from 0 where no event was seen.

    The central interval of ``Gamma(1/2, 1/T)`` after no event starts above
    0, so it would not hold the estimate ``0 / T``; as Brown, Cai and DasGupta
    do for the Jeffreys interval of a zero count, its lower end is set to 0.
    From one event on, the lower end lies below ``N / T``.

    >>> lo, hi = rate_interval(np.array([0, 1]), np.array([0.5, 1.5]), 1.0)
    >>> lo.round(3).tolist(), hi.round(3).tolist()
    ([0.0, 0.176], [1.921, 3.907])
    """
    q = (1.0 - level) / 2.0
    low = np.where(np.asarray(events) == 0, 0.0, stats.gamma.ppf(q, shape, scale=scale))
    high = np.asarray(stats.gamma.ppf(1.0 - q, shape, scale=scale), dtype=np.float64)
    return low.astype(np.float64), high


def poisson_rates(sample: EventSample, level: float = 0.9) -> pd.DataFrame:
    """Per-district rates with their Jeffreys gamma posterior.

    The posterior of a Poisson rate after ``N`` events in ``T`` years, from
    the prior ``lam^-1/2``, is Gamma(shape ``N + 1/2``, scale ``1 / T``).
    The interval is :func:`rate_interval`'s: it always holds ``N / T``.

    Returns
    -------
    DataFrame
        ``district``, ``events``, ``rate`` (``N / T``), ``shape``,
        ``scale``, ``low``, ``high`` (central ``level`` interval) [1/yr].

    Examples
    --------
    >>> from datetime import date
    >>> import numpy as np
    >>> s = EventSample.from_days(["A"], np.zeros(41, dtype=np.int64),
    ...                           np.arange(0, 3650, 91), date(2015, 1, 1), 3652)
    >>> r = poisson_rates(s).iloc[0]
    >>> int(r.events), round(float(r.rate), 2), round(float(r.low), 2), round(float(r.high), 2)
    (41, 4.1, 3.15, 5.26)
    """
    n = sample.counts.astype(np.float64)
    shape = n + 0.5
    scale = 1.0 / sample.years
    low, high = rate_interval(sample.counts, shape, scale, level)
    return pd.DataFrame(
        {
            "district": list(sample.districts),
            "events": sample.counts,
            "rate": n / sample.years,
            "shape": shape,
            "scale": scale,
            "low": low,
            "high": high,
        }
    )


def fit_poisson(sample: EventSample) -> ModelFit:
    """Maximised time log-likelihood of constant per-district rates."""
    n = sample.counts.astype(np.float64)
    t = sample.horizon_days
    pos = n > 0
    ll = float(np.sum(n[pos] * np.log(n[pos] / t)) - n.sum())
    return ModelFit("poisson", ll, sample.n_districts)


@dataclass(frozen=True)
class NegbinFit:
    """Negative-binomial fit of monthly counts.

    Attributes
    ----------
    rates : ndarray of float64, shape (n_districts,)
        ``r_d`` [1/day].
    dispersion : float
        Gamma shape ``k`` (variance of a month's count ``mu + mu^2 / k``).
    se_log_dispersion : float
        Standard error of ``log k`` (observed information).
    model : ModelFit
        The time log-likelihood, comparable with Poisson and Hawkes.
    """

    rates: NDArray[np.float64]
    dispersion: float
    se_log_dispersion: float
    model: ModelFit


def _nb_terms(
    y: NDArray[np.float64], mean: NDArray[np.float64], k: float
) -> tuple[float, NDArray[np.float64], float]:
    """Log-likelihood, d/d mean (per cell) and d/dk of NB counts."""
    ll = (
        special.gammaln(y + k)
        - special.gammaln(k)
        - special.gammaln(y + 1.0)
        + k * np.log(k / (k + mean))
        + special.xlogy(y, mean / (k + mean))
    )
    d_mean = k * (y - mean) / (mean * (k + mean))
    d_k = special.digamma(y + k) - special.digamma(k) + np.log(k / (k + mean))
    d_k += (mean - y) / (k + mean)
    return float(ll.sum()), d_mean, float(d_k.sum())


def fit_negbin(sample: EventSample) -> NegbinFit:
    """Fit ``r_d`` and a shared ``k`` to the monthly counts by maximum likelihood."""
    counts, exposure = sample.monthly_counts()
    y_all = counts.astype(np.float64)
    active = np.flatnonzero(sample.counts > 0)
    y = y_all[active]
    const = float(np.sum(special.gammaln(y + 1.0) - special.xlogy(y, exposure[None, :])))

    def negll(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        r = np.exp(x[:-1])
        k = math.exp(float(x[-1]))
        mean = r[:, None] * exposure[None, :]
        ll, d_mean, d_k = _nb_terms(y, mean, k)
        g = np.empty_like(x)
        g[:-1] = (d_mean * mean).sum(axis=1)
        g[-1] = d_k * k
        return -ll, -g

    r0 = sample.counts[active] / sample.horizon_days
    # Moments of the monthly counts give a starting k.
    mean_m = y.mean(axis=1, keepdims=True) if len(y) else np.zeros((0, 1))
    excess = float(np.mean((y - mean_m) ** 2 - mean_m)) if len(y) else 0.0
    m2 = float(np.mean(mean_m**2)) if len(y) else 0.0
    k0 = m2 / excess if excess > 0 else 100.0
    k0 = min(max(k0, 0.05), 1e4)
    x0 = np.r_[np.log(r0), math.log(k0)]
    bounds = [(math.log(1e-9), math.log(1e3))] * len(active) + [
        (math.log(MIN_DISPERSION), math.log(MAX_DISPERSION))
    ]
    if len(active):
        res = optimize.minimize(negll, x0, jac=True, method="L-BFGS-B", bounds=bounds)
        x = res.x
        ll = -float(res.fun) + const
    else:
        x = x0
        ll = 0.0
    rates = np.zeros(sample.n_districts)
    rates[active] = np.exp(x[:-1])
    k = math.exp(float(x[-1]))
    se = math.nan
    if len(active) and k < 0.999 * MAX_DISPERSION:
        step = 1e-5
        e = np.zeros_like(x)
        e[-1] = step
        # Profile curvature in log k, holding the rates at their optimum: the
        # rates are nearly orthogonal to k (they fit the means).
        curv = (negll(x + e)[1][-1] - negll(x - e)[1][-1]) / (2 * step)
        se = 1.0 / math.sqrt(curv) if curv > 0 else math.nan
    # The rate of an eventless district is fitted as 0 and counts as a
    # parameter in every model alike.
    return NegbinFit(rates, k, se, ModelFit("negbin", ll, sample.n_districts + 1))


@dataclass(frozen=True)
class ModelChoice:
    """The attack models compared, and the one chosen.

    Attributes
    ----------
    fits : dict of str to ModelFit
    chosen : str
    lr_tests : DataFrame
        ``model``, ``lr`` (2 x log-likelihood gain over Poisson), ``df``,
        ``p_value``, ``candidate`` (test rejects Poisson at ``alpha``).
    alpha : float
    """

    fits: dict[str, ModelFit]
    chosen: str
    lr_tests: pd.DataFrame
    alpha: float

    def table(self) -> pd.DataFrame:
        """``model``, ``loglik``, ``params``, ``aic``, ``delta_aic``, ``chosen``."""
        rows = [(f.name, f.loglik, f.n_params, f.aic) for f in self.fits.values()]
        frame = pd.DataFrame(rows, columns=["model", "loglik", "params", "aic"])
        frame["delta_aic"] = frame["aic"] - frame["aic"].min()
        frame["chosen"] = frame["model"] == self.chosen
        return frame


def choose_model(
    fits: dict[str, ModelFit], alpha: float = 0.01, allowed: Collection[str] | None = None
) -> ModelChoice:
    """Pick Poisson unless a richer model beats it by test, then by AIC (module docstring).

    Parameters
    ----------
    fits : dict of str to ModelFit
        Must hold ``'poisson'``.
    alpha : float
        Level of the likelihood-ratio tests.
    allowed : collection of str, optional
        Models that may be chosen (Poisson always may); the others are
        tested and listed but never chosen. Default: all.
    """
    base = fits["poisson"]
    rows = []
    candidates = ["poisson"]
    for name, fit in fits.items():
        if name == "poisson":
            continue
        lr = max(0.0, 2.0 * (fit.loglik - base.loglik))
        df = fit.n_params - base.n_params
        p = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
        rows.append((name, lr, df, p, p < alpha))
        if p < alpha and (allowed is None or name in allowed):
            candidates.append(name)
    chosen = min(candidates, key=lambda m: fits[m].aic)
    tests = pd.DataFrame(rows, columns=["model", "lr", "df", "p_value", "candidate"])
    return ModelChoice(dict(fits), chosen, tests, alpha)


# ----------------------------------------------------------------------------- campaigns


@dataclass(frozen=True)
class CampaignFit:
    """Campaign days found in the events.

    Attributes
    ----------
    threshold : int
        Fewest districts hit on one day for it to count as a campaign day.
    expected_by_chance : float
        Days expected at or above the threshold if districts were independent.
    campaigns : DataFrame
        One row per campaign: ``start``, ``end`` (dates, inclusive),
        ``days``, ``districts`` (number hit), ``attacks``, ``names``
        (districts hit, ``", "``-joined).
    campaign_event : ndarray of bool, shape (n_events,)
        Which events (in the order given) fall in a campaign.
    years : float
        Length of the window [years].
    n_districts : int
    """

    threshold: int
    expected_by_chance: float
    campaigns: pd.DataFrame
    campaign_event: NDArray[np.bool_]
    years: float
    n_districts: int
    join_counts: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.campaigns)


def _tail_at_least(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """P(at least h successes), h = 0..len(p), of independent Bernoulli(p) (Poisson-binomial)."""
    dist = np.zeros(len(p) + 1)
    dist[0] = 1.0
    for q in p:
        dist[1:] = dist[1:] * (1 - q) + dist[:-1] * q
        dist[0] *= 1 - q
    return np.asarray(np.cumsum(dist[::-1])[::-1], dtype=np.float64)


def detect_campaigns(
    district: NDArray[np.integer[Any]],
    day: NDArray[np.integer[Any]],
    districts: tuple[str, ...] | list[str],
    start: date,
    horizon_days: int,
    *,
    threshold: int | None = None,
    false_days: float = 0.05,
) -> CampaignFit:
    """Find days with many districts hit and group them into campaigns.

    Parameters
    ----------
    district, day : ndarray of int64, shape (n_events,)
        District index and day (from ``start``) of each event.
    districts : sequence of str
    start : date
    horizon_days : int
        Days in the window.
    threshold : int, optional
        Fewest districts hit for a campaign day; by default the smallest
        ``h >= 3`` with fewer than ``false_days`` chance days expected.
    false_days : float
        Chance campaign days tolerated over the window (default 0.05).
    """
    n_d = len(districts)
    counts = np.bincount(district, minlength=n_d).astype(np.float64)
    p = 1.0 - np.exp(-counts / max(horizon_days, 1))
    tail = _tail_at_least(p) * horizon_days
    if threshold is None:
        h = 3
        while h < n_d and tail[h] >= false_days:
            h += 1
        threshold = h
    expected = float(tail[threshold]) if threshold <= n_d else 0.0
    # Distinct districts hit per day.
    pairs = np.unique(np.stack([day, district]), axis=1) if len(day) else np.zeros((2, 0))
    hit = np.bincount(pairs[0].astype(np.int64), minlength=horizon_days)
    camp_days = np.flatnonzero(hit >= threshold) if threshold <= n_d else np.zeros(0, int)
    rows = []
    in_campaign = np.zeros(len(day), dtype=bool)
    joins: dict[str, int] = {}
    if len(camp_days):
        breaks = np.flatnonzero(np.diff(camp_days) > 2) + 1
        for run in np.split(camp_days, breaks):
            first, last = int(run[0]), int(run[-1])
            inside = (day >= first) & (day <= last)
            in_campaign |= inside
            hit_names = sorted({districts[i] for i in np.unique(district[inside])})
            for name in hit_names:
                joins[name] = joins.get(name, 0) + 1
            rows.append(
                (
                    start + timedelta(days=first),
                    start + timedelta(days=last),
                    last - first + 1,
                    len(hit_names),
                    int(inside.sum()),
                    ", ".join(hit_names),
                )
            )
    frame = pd.DataFrame(rows, columns=["start", "end", "days", "districts", "attacks", "names"])
    return CampaignFit(
        threshold=int(threshold),
        expected_by_chance=expected,
        campaigns=frame,
        campaign_event=in_campaign,
        years=horizon_days / DAYS_PER_YEAR,
        n_districts=n_d,
        join_counts=joins,
    )


def fit_models(sample: EventSample) -> tuple[ModelFit, NegbinFit, HawkesFit]:
    """The three fits of one sample."""
    return fit_poisson(sample), fit_negbin(sample), fit_hawkes(sample)


def count_posterior(events: int, ratio: float, years: float) -> tuple[float, float]:
    """Gamma (shape, scale) for a district's long-run rate [1/yr].

    With no overdispersion (``ratio`` 1) this is the Jeffreys posterior
    ``Gamma(N + 1/2, 1/T)``, exactly. Otherwise the count over the window is
    taken as negative binomial with mean ``m T`` and variance-to-mean ratio
    ``ratio``; the posterior of ``m`` under the prior ``m^-1/2`` is computed
    on a grid and a gamma of the same mean and variance is returned. (A
    gamma that simply divides the Poisson shape by the ratio is too narrow
    on the high side when a clustered district happened to see few events.)

    >>> count_posterior(40, 1.0, 10.0)
    (40.5, 0.1)
    """
    if ratio <= 1.0 + 1e-9:
        return float(events + 0.5), 1.0 / years
    hi = (events + 10.0 * math.sqrt(ratio * (events + 1.0)) + 10.0) * ratio / years
    m = np.exp(np.linspace(math.log(1e-6 * hi), math.log(hi), 4000))
    r = m * years / (ratio - 1.0)
    logp = -0.5 * np.log(m) + special.gammaln(events + r) - special.gammaln(r) - r * math.log(ratio)
    w = np.exp(logp - logp.max()) * m  # the grid is even in log m
    w /= w.sum()
    mean = float((w * m).sum())
    var = float((w * (m - mean) ** 2).sum())
    shape = mean * mean / var
    return shape, mean / shape
