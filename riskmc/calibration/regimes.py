"""Escalation regimes fitted: a Markov-modulated Hawkes process (SPEC 1b "Regimes", 6).

The model is riskmc's ``hawkes`` with ``hazard.regimes``: a hidden
province-wide state ``Z(t)`` in ``{0, ..., S-1}``, a continuous-time Markov
chain with generator ``Q`` (off-diagonal rates ``q_ij`` [1/day]), multiplies
every district's background rate, and the Hawkes triggering (branching ratio
``n``, mean delay ``tau``, spillover share ``s`` to adjacent districts, as
:func:`riskmc.calibration.hawkes.spillover_loglik` has it) runs on top::

    lambda_d(t) = m_Z(t) mu_d + g_d(t),
    g_d(t) = (n / tau) sum_{t_j < t} w(d_j -> d) exp(-(t - t_j) / tau).

**Likelihood on a daily grid.** The state is taken as constant within a day
(``Z_k`` on day ``k``) and moves between days by ``P = expm(Q)``. Given the
events before it, the triggered part ``g`` is known, so the likelihood of
day ``k``'s events given ``Z_k = z`` is the point-process likelihood

``e_k(z) = prod_{i in day k} (m_z mu_{d_i} + g_i) exp(-m_z M - G_k)``,

``M = sum_d mu_d`` [1/day] and ``G_k`` the triggered compensator of the day,
which does not depend on ``z``. Same-day events of neighbouring districts
excite each other by the expected kernel of two uniform times in the day,
as in the plain fit (:mod:`riskmc.calibration.hawkes`). The forward algorithm
(Rabiner 1989) sums over the hidden path: ``a_0 = pi e_0``,
``a_k = (a_{k-1} P) e_k``, ``log L = log sum_z a_{K-1}(z)`` with ``pi`` the
chain's stationary law. With one state (``m = 1``) it is exactly the plain
Hawkes likelihood, the nested baseline. The forward probabilities
``a_{K-1} / sum a_{K-1}`` are the state filtered at the end of the file,
written as ``start``.

**Fit and choice.** Two and three states are fitted by L-BFGS-B (scipy) over
``log mu_d``, ``logit n``, ``logit s`` (when spillover was chosen),
``log tau``, ``log m_z`` (``m_0 = 1``) and ``log q_ij``, from a few starting
points around the plain Hawkes fit; the number of states minimises
``BIC = -2 log L + k log N`` (``N`` events). A maintained HMM library such as
hmmlearn was considered: its emissions are independent given the state, so it
cannot carry a Hawkes part whose intensity depends on past events; hence
this forward pass of its own (Numba). Monthly counts alone cannot tell
self-excitation from a regime change (a discarded Poisson HMM of monthly
counts picked two states on Hawkes data without regimes); the event times
can.

**Written.** States are sorted by multiplier, named ``calm``, (``tense``,)
``offensive``; ``mean_days = 1 / q_i``, transitions ``q_ij / q_i`` (three
states), multipliers divided by their stationary mean ``sum_z pi_z m_z`` as
the scenario defines them (so ``attacks_per_year`` stays the long-run mean).

References
----------
.. [1] L. R. Rabiner, "A tutorial on hidden Markov models and selected
   applications in speech recognition", Proc. IEEE 77, 257-286 (1989).
.. [2] W. Fischer and K. Meier-Hellstern, "The Markov-modulated Poisson
   process (MMPP) cookbook", Performance Evaluation 18, 149-171 (1993).
.. [3] G. Schwarz, "Estimating the dimension of a model", Annals of
   Statistics 6, 461-464 (1978).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from riskmc.calibration.hawkes import MAX_BRANCHING, HawkesFit, decay_bounds
from riskmc.calibration.regime_kernels import (
    expm_small,
    regime_forward,
    regime_gradient,
    triggered_parts,
)
from riskmc.calibration.sample import DAYS_PER_YEAR, EventSample

__all__ = [
    "STATE_NAMES",
    "RegimeChoice",
    "RegimeFit",
    "fit_regimes",
]

#: Names of the written states, by number of states, lowest multiplier first.
STATE_NAMES = {2: ("calm", "offensive"), 3: ("calm", "tense", "offensive")}
#: Shortest mean sojourn the fit searches [days]: the grid is a day.
MIN_MEAN_DAYS = 2.0
_EDGE = 1e-6
_log = logging.getLogger(__name__)


def _stationary(q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Stationary law of the generator ``q`` (``pi Q = 0``, ``sum pi = 1``)."""
    s = q.shape[0]
    lhs = np.vstack([q.T, np.ones(s)])
    rhs = np.zeros(s + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    return np.asarray(pi / pi.sum(), dtype=np.float64)


def _generator(rates: NDArray[np.float64], s: int) -> NDArray[np.float64]:
    """The generator with off-diagonal ``rates`` (row by row) [1/day]."""
    q = np.zeros((s, s))
    q[~np.eye(s, dtype=bool)] = rates
    q[np.diag_indices(s)] = -q.sum(axis=1)
    return q


@dataclass(frozen=True)
class RegimeFit:
    """A Markov-modulated Hawkes fit with ``S`` states (``S = 1``: plain Hawkes).

    Attributes
    ----------
    mu : ndarray of float64, shape (n_districts,)
        Background rates at multiplier 1 [1/day], scaled so that the
        multipliers' stationary mean is 1 (the scenario's normalisation).
    multipliers : ndarray of float64, shape (S,)
        Normalised, ascending.
    generator : ndarray of float64, shape (S, S)
        ``Q`` [1/day].
    branching_ratio, spillover, decay_days : float
    loglik : float
    n_params : int
    n_events : int
    filtered : ndarray of float64, shape (K, S)
        Each day's filtered state probabilities.
    converged : bool
    """

    mu: NDArray[np.float64]
    multipliers: NDArray[np.float64]
    generator: NDArray[np.float64]
    branching_ratio: float
    spillover: float
    decay_days: float
    loglik: float
    n_params: int
    n_events: int
    filtered: NDArray[np.float64]
    converged: bool = True

    @property
    def n_states(self) -> int:
        return len(self.multipliers)

    @property
    def bic(self) -> float:
        """``-2 log L + k log N`` (Schwarz 1978), ``N`` the events."""
        return -2.0 * self.loglik + self.n_params * math.log(max(self.n_events, 2))

    @property
    def mean_days(self) -> NDArray[np.float64]:
        """Mean sojourn of each state, ``1 / q_i`` [days] (inf with one state)."""
        out = -1.0 / np.diag(self.generator) if self.n_states > 1 else np.array([np.inf])
        return np.asarray(out, dtype=np.float64)

    @property
    def stationary(self) -> NDArray[np.float64]:
        """Long-run share of time in each state."""
        return _stationary(self.generator) if self.n_states > 1 else np.ones(1)

    @property
    def names(self) -> tuple[str, ...]:
        return STATE_NAMES.get(self.n_states, ("all",))

    @property
    def end_state(self) -> int:
        """The most probable state on the last day, given every event."""
        return int(np.argmax(self.filtered[-1]))

    def transitions(self) -> list[list[float]] | None:
        """Jump probabilities ``q_ij / q_i`` (None with two states, where they are forced)."""
        if self.n_states < 3:
            return None
        q = self.generator
        rows = []
        for i in range(self.n_states):
            off = np.where(np.eye(self.n_states, dtype=bool)[i], 0.0, q[i])
            row = np.round(off / off.sum(), 4)
            j = int(np.argmax(row))
            row[j] = round(1.0 - (row.sum() - row[j]), 4)  # rows sum to 1 exactly
            rows.append([float(v) for v in row])
        return rows

    def block(self) -> dict[str, Any]:
        """``hazard.regimes``, with the filtered end state as ``start``."""
        out: dict[str, Any] = {
            "start": self.names[self.end_state],
            "states": [
                {"name": name, "mean_days": round(float(d), 1), "multiplier": round(float(m), 4)}
                for name, d, m in zip(self.names, self.mean_days, self.multipliers, strict=True)
            ],
        }
        tr = self.transitions()
        if tr is not None:
            out["transitions"] = tr
        return out

    def long_run_per_year(self) -> NDArray[np.float64]:
        """Long-run mean rate of each district, ``mu / (1 - n)`` [1/yr]."""
        return self.mu / (1.0 - self.branching_ratio) * DAYS_PER_YEAR


@dataclass(frozen=True)
class RegimeChoice:
    """Fits with one, two (and three) states, and the one BIC chose."""

    fits: tuple[RegimeFit, ...]
    chosen: int = field(default=1)

    @property
    def fit(self) -> RegimeFit:
        """The chosen fit."""
        return next(f for f in self.fits if f.n_states == self.chosen)

    def report(self) -> list[str]:
        """Lines for the calibration report."""
        lines = ["  regimes (Markov-modulated Hawkes, daily forward algorithm; BIC chooses):"]
        for f in self.fits:
            mark = "  <- chosen" if f.n_states == self.chosen else ""
            lines.append(
                f"    {f.n_states} state(s): logL {f.loglik:12.2f}  params {f.n_params:3d}  "
                f"BIC {f.bic:12.2f}  n {f.branching_ratio:.3f}{mark}"
            )
        if self.chosen > 1:
            f = self.fit
            for name, m, d, p in zip(
                f.names, f.multipliers, f.mean_days, f.filtered[-1], strict=True
            ):
                lines.append(
                    f"    {name:10s} multiplier {m:6.3f}  mean {d:7.1f} days  "
                    f"P(at the end of the file) {p:.3f}"
                )
        else:
            lines.append("    one state: no regimes written")
        return lines


class _Problem:
    """The data of a fit, laid out once: events in time order, days, adjacency."""

    def __init__(
        self, sample: EventSample, neighbours: list[list[int]] | None, with_spillover: bool
    ) -> None:
        n_d = sample.n_districts
        district = np.repeat(np.arange(n_d, dtype=np.int64), sample.counts)
        order = np.argsort(sample.times, kind="stable")
        self.times = np.ascontiguousarray(sample.times[order])
        self.district = np.ascontiguousarray(district[order])
        links = neighbours if neighbours is not None else [[] for _ in range(n_d)]
        self.nb_ptr = np.zeros(n_d + 1, dtype=np.int64)
        self.nb_ptr[1:] = np.cumsum([len(x) for x in links])
        self.nb_idx = np.array([e for x in links for e in x] or [0], dtype=np.int64)
        self.horizon = sample.horizon_days
        k = math.ceil(self.horizon)
        self.day_len = np.minimum(self.horizon - np.arange(k), 1.0).astype(np.float64)
        self.day_ptr = np.searchsorted(np.floor(self.times), np.arange(k + 1), side="left")
        self.day_ptr = self.day_ptr.astype(np.int64)
        self.active = np.flatnonzero(sample.counts > 0)
        self.counts = sample.counts
        self.n_d = n_d
        self.spill = with_spillover
        self.g = np.zeros(len(self.times))
        self._key: tuple[float, float, float] | None = None
        self._comp = 0.0
        self.filtered = np.zeros((k, 1))

    def triggered(self, n: float, s: float, tau: float) -> float:
        key = (n, s, tau)
        if key != self._key:
            self._comp = triggered_parts(
                self.times, self.district, self.nb_ptr, self.nb_idx, self.horizon,
                n, s, tau, self.g,
            )  # fmt: skip
            self._key = key
        return self._comp

    def n_hawkes(self) -> int:
        return 3 if self.spill else 2

    def unpack(self, x: NDArray[np.float64], n_s: int) -> dict[str, Any]:
        na = len(self.active)
        mu = np.zeros(self.n_d)
        mu[self.active] = np.exp(x[:na])
        j = na
        n = _expit(x[j])
        s = _expit(x[j + 1]) if self.spill else 0.0
        j += self.n_hawkes()
        tau = math.exp(x[j - 1])
        mult = np.r_[1.0, np.exp(x[j : j + n_s - 1])]
        rates = np.exp(x[j + n_s - 1 :])
        return {"mu": mu, "n": n, "s": s, "tau": tau, "mult": mult, "rates": rates}

    def _chain(self, p: dict[str, Any], n_s: int) -> tuple[NDArray[np.float64], ...]:
        if n_s == 1:
            return np.ones((1, 1)), np.ones(1)
        q = _generator(p["rates"], n_s)
        return expm_small(q), _stationary(q)

    def negll(self, x: NDArray[np.float64], n_s: int) -> float:
        """``-log L`` at ``x``; :attr:`filtered` holds the filtered states after it."""
        p = self.unpack(x, n_s)
        comp = self.triggered(p["n"], p["s"], p["tau"])
        trans, init = self._chain(p, n_s)
        if self.filtered.shape[1] != n_s:
            self.filtered = np.zeros((len(self.day_len), n_s))
        base = p["mu"][self.district]
        ll = regime_forward(
            self.day_ptr, self.day_len, base, self.g, float(p["mu"].sum()),
            p["mult"], trans, init, self.filtered,
        )  # fmt: skip
        value = -(ll - comp)
        return value if math.isfinite(value) else 1e300

    def negll_grad(
        self, x: NDArray[np.float64], n_s: int, step: float = 1e-6
    ) -> tuple[float, NDArray[np.float64]]:
        """``-log L`` and its gradient: exact in ``log mu`` and ``log m`` (forward-backward),
        by central differences in the Hawkes and chain parameters (a handful)."""
        p = self.unpack(x, n_s)
        comp = self.triggered(p["n"], p["s"], p["tau"])
        trans, init = self._chain(p, n_s)
        filtered = np.zeros((len(self.day_len), n_s))
        g_mu, g_m = np.zeros(self.n_d), np.zeros(n_s)
        ll = regime_gradient(
            self.day_ptr, self.day_len, self.district, p["mu"][self.district], self.g,
            float(p["mu"].sum()), p["mult"], trans, init, filtered, g_mu, g_m,
        )  # fmt: skip
        value = -(ll - comp)
        if not math.isfinite(value):
            return 1e300, np.zeros_like(x)
        grad = np.empty_like(x)
        na = len(self.active)
        grad[:na] = -g_mu[self.active] * p["mu"][self.active]
        j = na + self.n_hawkes()
        grad[j : j + n_s - 1] = -g_m[1:] * p["mult"][1:]
        for i in [*range(na, j), *range(j + n_s - 1, len(x))]:
            e = np.zeros_like(x)
            e[i] = step
            grad[i] = (self.negll(x + e, n_s) - self.negll(x - e, n_s)) / (2.0 * step)
        return value, grad

    def bounds(self, n_s: int) -> list[tuple[float, float]]:
        tau_lo, tau_hi = decay_bounds(self.horizon)
        b = [(math.log(1e-9), math.log(1e3))] * len(self.active)
        b.append((_logit(_EDGE), _logit(MAX_BRANCHING)))
        if self.spill:
            b.append((_logit(_EDGE), -_logit(_EDGE)))
        b.append((math.log(tau_lo), math.log(tau_hi)))
        b += [(math.log(1e-3), math.log(1e3))] * (n_s - 1)
        q_lo = 1.0 / max(self.horizon, 2.0 * MIN_MEAN_DAYS)
        b += [(math.log(q_lo / 2.0), math.log(1.0 / MIN_MEAN_DAYS))] * (n_s * (n_s - 1))
        return b


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _pack(
    mu: NDArray[np.float64],
    n: float,
    s: float | None,
    tau: float,
    mult: NDArray[np.float64],
    rates: NDArray[np.float64],
    prob: _Problem,
) -> NDArray[np.float64]:
    """The optimiser's vector, each entry clipped inside its bound."""
    hawkes = [_logit(min(max(n, 2 * _EDGE), 0.98))]
    if s is not None:
        hawkes.append(_logit(min(max(s, 2 * _EDGE), 1 - 2 * _EDGE)))
    hawkes.append(math.log(tau))
    mu_a = np.maximum(mu[prob.active], 2e-9)
    x = np.r_[np.log(mu_a), hawkes, np.log(mult[1:] / mult[0]), np.log(rates)]
    lo, hi = np.array(prob.bounds(len(mult))).T
    return np.asarray(np.clip(x, lo + 1e-9, hi - 1e-9), dtype=np.float64)


def _optimise(prob: _Problem, x0: NDArray[np.float64], n_s: int) -> optimize.OptimizeResult:
    return optimize.minimize(
        prob.negll_grad,
        x0,
        args=(n_s,),
        jac=True,
        method="L-BFGS-B",
        bounds=prob.bounds(n_s),
        options={"maxiter": 3000, "maxfun": 60000, "ftol": 1e-12, "gtol": 1e-6},
    )


def _result(prob: _Problem, x: NDArray[np.float64], n_s: int, converged: bool) -> RegimeFit:
    """The fit at ``x``: states sorted by multiplier, multipliers normalised."""
    f = prob.negll(x, n_s)
    p = prob.unpack(x, n_s)
    filtered = prob.filtered.copy()
    q = _generator(p["rates"], n_s) if n_s > 1 else np.zeros((1, 1))
    order = np.argsort(p["mult"], kind="stable")
    mult, q, filtered = p["mult"][order], q[np.ix_(order, order)], filtered[:, order]
    pi = _stationary(q) if n_s > 1 else np.ones(1)
    scale = float(pi @ mult)
    k = len(prob.active) + prob.n_hawkes() + (n_s - 1) + n_s * (n_s - 1)
    return RegimeFit(
        mu=p["mu"] * scale,
        multipliers=mult / scale,
        generator=q,
        branching_ratio=p["n"],
        spillover=p["s"],
        decay_days=p["tau"],
        loglik=-f,
        n_params=k,
        n_events=len(prob.times),
        filtered=filtered,
        converged=converged,
    )


def _starts_two(prob: _Problem, plain: HawkesFit) -> list[NDArray[np.float64]]:
    """Starting points with two states around the plain fit.

    The plain fit's ``n`` and spillover absorb the regimes' province-wide
    clustering, so the starts take smaller ones too.
    """
    tau = min(max(plain.decay_days, 0.5), 60.0)
    spills = (plain.spillover, 0.02) if prob.spill else (None,)
    out = []
    for shrink in (0.4, 0.8):
        n = plain.branching_ratio * shrink
        for s in spills:
            for ratio in (2.5, 6.0):
                for means in ((40.0, 20.0), (200.0, 60.0)):
                    pi0 = means[0] / sum(means)
                    mean_mult = pi0 + (1 - pi0) * ratio
                    mu = plain.mu * (1 - n) / (1 - plain.branching_ratio) / mean_mult
                    rates = np.array([1 / means[0], 1 / means[1]])
                    out.append(_pack(mu, n, s, tau, np.array([1.0, ratio]), rates, prob))
    return out


def _starts_three(prob: _Problem, two: RegimeFit) -> list[NDArray[np.float64]]:
    """Starting points with three states: a state added between or above the two-state fit's."""
    s = two.spillover if prob.spill else None
    lo, hi = two.multipliers
    d_lo, d_hi = two.mean_days
    out = []
    for mult, means in (
        ((lo, math.sqrt(lo * hi), hi), (d_lo, 0.5 * (d_lo + d_hi), d_hi)),
        ((lo, hi, 2.0 * hi), (d_lo, d_hi, max(d_hi / 2, 2 * MIN_MEAN_DAYS))),
        ((0.5 * lo, lo, hi), (max(d_lo / 2, 2 * MIN_MEAN_DAYS), d_lo, d_hi)),
    ):
        m = np.array(mult)
        rates = np.repeat(0.5 / np.array(means), 2)
        out.append(_pack(two.mu, two.branching_ratio, s, two.decay_days, m, rates, prob))
    return out


def _best_fit(prob: _Problem, starts: list[NDArray[np.float64]], n_s: int, keep: int) -> RegimeFit:
    """Optimise from the ``keep`` best of ``starts``; the highest likelihood wins."""
    ranked = sorted(starts, key=lambda x: prob.negll(x, n_s))[:keep]
    best = None
    for x0 in ranked:
        res = _optimise(prob, x0, n_s)
        _log.debug("%d states: %d evaluations, -logL %.3f", n_s, res.nfev, res.fun)
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    return _result(prob, best.x, n_s, bool(best.success))


def fit_regimes(
    sample: EventSample,
    plain: HawkesFit,
    neighbours: list[list[int]] | None = None,
    max_states: int = 3,
) -> RegimeChoice:
    """Fit one, two and three regimes under the Hawkes process; choose by BIC.

    Parameters
    ----------
    sample : EventSample
        Tie-broken event times (background events: campaign days set apart).
    plain : HawkesFit
        The plain (one-state) Hawkes fit, with spillover when it was chosen
        (``plain.spillover > 0``): the same triggering is fitted under regimes.
    neighbours : list of list of int, optional
        Each district's adjacent districts (needed with spillover).
    max_states : {1, 2, 3}
        Most states fitted. Three are fitted only when two beat one by BIC.

    Returns
    -------
    RegimeChoice
    """
    spill = plain.spillover > 0 and neighbours is not None
    prob = _Problem(sample, neighbours, spill)
    one_x = _pack(plain.mu, plain.branching_ratio, plain.spillover if spill else None,
                  plain.decay_days, np.ones(1), np.zeros(0), prob)  # fmt: skip
    # one state is the plain fit itself (the same likelihood, already maximised)
    fits = [_result(prob, one_x, 1, plain.converged)]
    if max_states >= 2 and len(prob.times) >= 20:
        fits.append(_best_fit(prob, _starts_two(prob, plain), 2, 2))
        # three states only when two beat one: a third cannot help a chain that is not there
        if max_states >= 3 and fits[1].bic < fits[0].bic:
            fits.append(_best_fit(prob, _starts_three(prob, fits[1]), 3, 2))
    chosen = min(fits, key=lambda f: f.bic).n_states
    return RegimeChoice(tuple(fits), chosen)
