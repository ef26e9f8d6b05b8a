"""The fatalities law of attacks, fitted from the events' ``fatalities`` (SPEC 6).

riskmc draws an attack's deaths from ``hazard.fatalities``, a continuous law
rounded to the nearest integer >= 0 (``P(F <= k) = G(k + 1/2)``,
:mod:`riskmc.hazard.severity`). The fit is that law's likelihood on the
observed counts,

``P(F = 0) = G(1/2)``, ``P(F = k) = G(k + 1/2) - G(k - 1/2)`` for ``k >= 1``,

maximised for each candidate of the scenario's distributions that can carry
a heavy tail (``lognormal``: median and sigma; ``gamma``: shape and scale),
and the candidate of the larger likelihood (both have two parameters, so the
lower AIC) is written. Counts of conflict deaths are heavy-tailed (Clauset,
Young and Gleditsch 2007 for terrorism); the lognormal is the heaviest the
schema offers, and the report shows how well each reproduces the share of
attacks without deaths and the tail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

__all__ = ["MIN_FATALITY_EVENTS", "FatalitiesFit", "fit_fatalities"]

#: Fewest events with known fatalities for a law to be written.
MIN_FATALITY_EVENTS = 30


@dataclass(frozen=True)
class FatalitiesFit:
    """A rounded continuous law of deaths per attack.

    Attributes
    ----------
    law : {'lognormal', 'gamma'}
        The candidate chosen (larger likelihood).
    params : dict of str to float
        ``median``, ``sigma`` (lognormal) or ``shape``, ``scale`` (gamma).
    loglik : dict of str to float
        Maximised log-likelihood of each candidate.
    n : int
        Events with known fatalities.
    observed : dict of str to float
        ``zero`` (share without deaths), ``ten`` (share with 10 or more), ``mean``.
    fitted : dict of str to float
        ``zero`` and ``ten`` under the chosen law.
    """

    law: str
    params: dict[str, float]
    loglik: dict[str, float]
    n: int
    observed: dict[str, float]
    fitted: dict[str, float]

    def report(self) -> str:
        """One line for the fit report: the law, both likelihoods, shares observed and fitted."""
        shown = ", ".join(f"{k} {v:.3g}" for k, v in self.params.items())
        return (
            f"Fatalities per attack ({self.n} events): rounded {self.law} ({shown}); "
            f"log-likelihood lognormal {self.loglik['lognormal']:.1f}, gamma "
            f"{self.loglik['gamma']:.1f}; without deaths {self.observed['zero']:.1%} "
            f"observed, {self.fitted['zero']:.1%} fitted; 10 or more "
            f"{self.observed['ten']:.1%} observed, {self.fitted['ten']:.1%} fitted"
        )

    def block(self) -> dict[str, Any]:
        """``hazard.fatalities`` as a scenario writes it."""
        return {"dist": self.law, **{k: float(f"{v:.6g}") for k, v in self.params.items()}}


def _cdf(law: str, x: NDArray[np.float64], a: float, b: float) -> NDArray[np.float64]:
    if law == "lognormal":  # a = log median, b = sigma
        with np.errstate(divide="ignore"):
            z = (np.log(x) - a) / b
        return np.asarray(special.ndtr(z))
    return np.asarray(special.gammainc(a, x / b))  # a = shape, b = scale


def _loglik(
    law: str, values: NDArray[np.int64], counts: NDArray[np.int64], a: float, b: float
) -> float:
    v = values.astype(np.float64)
    hi = _cdf(law, v + 0.5, a, b)
    lo = np.where(v > 0, _cdf(law, np.maximum(v - 0.5, 1e-300), a, b), 0.0)
    p = np.maximum(hi - lo, 1e-300)
    return float(np.sum(counts * np.log(p)))


def _fit(
    law: str, values: NDArray[np.int64], counts: NDArray[np.int64], x: NDArray[np.float64]
) -> tuple[float, float, float]:
    """Maximum likelihood over (log median, log sigma) or (log shape, log scale)."""

    def unpack(z: NDArray[np.float64]) -> tuple[float, float]:
        if law == "lognormal":
            return float(z[0]), math.exp(float(z[1]))
        return math.exp(float(z[0])), math.exp(float(z[1]))

    def negll(z: NDArray[np.float64]) -> float:
        a, b = unpack(z)
        return -_loglik(law, values, counts, a, b)

    mean = max(float(np.mean(x)), 0.1)
    starts = (
        [np.array([math.log(m), math.log(s)]) for m in (0.3, 1.0, 3.0) for s in (0.5, 1.5, 3.0)]
        if law == "lognormal"
        else [np.array([math.log(k), math.log(mean / k)]) for k in (0.1, 0.3, 1.0, 3.0)]
    )
    best = min(starts, key=negll)
    res = optimize.minimize(
        negll, best, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000}
    )
    a, b = unpack(res.x)
    return a, b, -float(res.fun)


def fit_fatalities(fatalities: NDArray[np.floating[Any]] | list[float]) -> FatalitiesFit | None:
    """Fit the rounded lognormal and gamma laws to deaths per attack; None if too few.

    Parameters
    ----------
    fatalities : array of float
        Deaths per event; NaN (unknown, GTD) is left out.

    Returns
    -------
    FatalitiesFit or None
        None with fewer than :data:`MIN_FATALITY_EVENTS` known counts, or all zero.
    """
    x = np.asarray(fatalities, dtype=np.float64)
    x = np.rint(x[np.isfinite(x) & (x >= 0)])
    if len(x) < MIN_FATALITY_EVENTS or not np.any(x > 0):
        return None
    values, counts = np.unique(x.astype(np.int64), return_counts=True)
    fits = {law: _fit(law, values, counts, x) for law in ("lognormal", "gamma")}
    law = max(fits, key=lambda k: fits[k][2])
    a, b, _ = fits[law]
    params = {"median": math.exp(a), "sigma": b} if law == "lognormal" else {"shape": a, "scale": b}
    zero = float(_cdf(law, np.array([0.5]), a, b)[0])
    ten = 1.0 - float(_cdf(law, np.array([9.5]), a, b)[0])
    return FatalitiesFit(
        law=law,
        params=params,
        loglik={k: v[2] for k, v in fits.items()},
        n=len(x),
        observed={
            "zero": float(np.mean(x == 0)),
            "ten": float(np.mean(x >= 10)),
            "mean": float(np.mean(x)),
        },
        fitted={"zero": zero, "ten": ten},
    )
