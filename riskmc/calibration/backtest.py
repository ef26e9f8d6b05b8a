"""Forecast skill on the user's own events: rolling-origin backtests (SPEC 7).

At each origin (the first day of a month), every model is fitted on the
events before it as ``riskmc calibrate`` fits them (:mod:`riskmc.calibration.fits`,
:mod:`riskmc.calibration.hawkes`, :mod:`riskmc.calibration.regimes`), riskmc's own
sampler simulates the next ``K`` months from that fit (Hawkes from that history too:
:mod:`riskmc.hazard.history`; under regimes, each draw's first state from the law
filtered at the origin), and the predictive distributions of monthly
counts, per district and for the province, are scored against what happened.

Scores, lower is better: ``crps``, the continuous ranked probability score of
the sample (``scoringrules.crps_ensemble``, Gneiting and Raftery 2007), and
``log_score``, ``-log p(y)`` with ``p(y)`` estimated from ``M`` draws as
``(c + 1/2) / (M + 1)`` (``c`` draws equal to ``y``): never zero, since ``M``
draws cannot tell probabilities below about ``1 / M``. Calibration: the
randomised PIT of a count, ``F(y - 1) + V (F(y) - F(y - 1))`` with ``V``
uniform (Czado, Gneiting and Held 2009), is uniform under the true model;
``coverage_50`` and ``coverage_90`` are the shares of PITs in the central
50 % and 90 % of (0, 1), i.e. of outcomes in the central predictive
intervals, ties at the interval's ends split at random (a count's interval
cannot hold exactly 90 %). The baseline, ``baseline``, is the last 12 months'
rate of each district as a Poisson forecast, scored from ``M`` draws like the
others.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from riskmc.calibration.calibrate import ATTACK_EVENT_TYPES
from riskmc.calibration.errors import EventFileError
from riskmc.calibration.fits import fit_negbin
from riskmc.calibration.hawkes import HawkesFit, fit_hawkes, spillover_test
from riskmc.calibration.mapping import Gazetteer, map_districts
from riskmc.calibration.output import write_atomic
from riskmc.calibration.readers import filter_events, read_events
from riskmc.calibration.regimes import fit_regimes
from riskmc.calibration.sample import DAYS_PER_YEAR, EventSample
from riskmc.hazard import sample_hazard
from riskmc.hazard.history import HistoryEvents
from riskmc.hazard.inputs import adjacency
from riskmc.scenario.loading import scenario_from_dict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from riskmc.scenario.schema import Scenario

__all__ = ["MODELS", "SCORE_COLUMNS", "Backtest", "backtest", "sample_scores"]

#: The models fitted and simulated at each origin, then the baseline. ``hawkes_regimes``
#: (:mod:`riskmc.calibration.regimes`, two states at most) is scored only when BIC chose
#: regimes at one origin at least; at an origin where it chose one state, its forecast is
#: ``hawkes``'s.
MODELS = ("poisson", "negbin", "hawkes", "hawkes_regimes")
REGIMES = "hawkes_regimes"
BASELINE = "baseline"
#: Columns of the ``--out`` table (SPEC 7).
SCORE_COLUMNS = (
    "model",
    "lead_months",
    "scope",
    "n_forecasts",
    "crps",
    "log_score",
    "coverage_50",
    "coverage_90",
)
PROVINCE = "province"
#: Months of past needed before the first origin (the baseline's window).
MIN_PAST_MONTHS = 12


def _add_months(d: date, k: int) -> date:
    y, m = divmod(d.month - 1 + k, 12)
    return date(d.year + y, m + 1, 1)


def sample_scores(
    draws: NDArray[np.int64], observed: NDArray[np.int64], rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    """CRPS, log score and randomised PIT of count forecasts given as draws.

    Parameters
    ----------
    draws : ndarray of int, shape (M, ...)
        ``M`` draws of each forecast.
    observed : ndarray of int, shape (...)
        What happened.
    rng : numpy.random.Generator
        For the PIT's randomisation.

    Returns
    -------
    dict
        ``crps``, ``log_score``, ``pit``, each of ``observed``'s shape.
    """
    import scoringrules as sr  # type: ignore[import-untyped]

    m = draws.shape[0]
    obs = observed.astype(np.float64)
    # "qd" (quantile decomposition) is the CRPS of the sample's own distribution,
    # E|X - y| - E|X - X'| / 2; named, since the default changed between releases
    # (0.8: "pwm", a fair estimator that is 0 for draws {0, 1, 2} and y = 1).
    fct = np.moveaxis(draws.astype(np.float64), 0, -1)
    crps = np.asarray(sr.crps_ensemble(obs, fct, estimator="qd"))
    equal = (draws == observed).sum(axis=0)
    below = (draws < observed).sum(axis=0)
    log_score = -np.log((equal + 0.5) / (m + 1.0))
    pit = (below + rng.uniform(size=observed.shape) * equal) / m
    return {"crps": crps, "log_score": log_score, "pit": pit}


@dataclass(frozen=True)
class Backtest:
    """A backtest's forecasts and scores.

    Attributes
    ----------
    forecasts : DataFrame
        One row per (model, origin, lead_months, scope): ``month`` (the month
        forecast), ``observed``, the predictive ``mean`` and quantiles
        ``q05, q25, q50, q75, q95``, ``crps``, ``log_score``, ``pit``.
    districts : tuple of str
    events : int
        Events used (mapped to a district).
    unmapped : int
        Events of the file no district took.
    fits : DataFrame
        Each origin's fitted parameters (``origin``, ``model``, ``parameter``, ``value``).
    """

    forecasts: pd.DataFrame
    districts: tuple[str, ...]
    events: int
    unmapped: int
    fits: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def scores(self) -> pd.DataFrame:
        """One row per (model, lead_months, scope), the columns of :data:`SCORE_COLUMNS`."""
        f = self.forecasts
        g = f.groupby(["model", "lead_months", "scope"], sort=False)
        out = g.agg(
            n_forecasts=("crps", "size"),
            crps=("crps", "mean"),
            log_score=("log_score", "mean"),
            coverage_50=("pit", lambda p: float(np.mean((p >= 0.25) & (p <= 0.75)))),
            coverage_90=("pit", lambda p: float(np.mean((p >= 0.05) & (p <= 0.95)))),
        ).reset_index()
        return out[list(SCORE_COLUMNS)]

    def summary(self) -> pd.DataFrame:
        """Per model and scope kind (``province``, ``districts``), scores over every lead."""
        f = self.forecasts.assign(
            kind=np.where(self.forecasts["scope"] == PROVINCE, PROVINCE, "districts")
        )
        return (
            f.groupby(["kind", "model"], sort=False)
            .agg(
                n_forecasts=("crps", "size"),
                crps=("crps", "mean"),
                log_score=("log_score", "mean"),
                coverage_50=("pit", lambda p: float(np.mean((p >= 0.25) & (p <= 0.75)))),
                coverage_90=("pit", lambda p: float(np.mean((p >= 0.05) & (p <= 0.95)))),
            )
            .reset_index()
        )

    def pit_test(self, model: str, bins: int = 10, scope: str = "districts") -> tuple[float, float]:
        """Chi-square test of a flat PIT histogram: ``(statistic, p-value)``.

        ``scope``: ``districts`` (every district's forecasts), ``province``
        or a district. Forecasts of one origin are not independent, so with
        many districts the test is approximate (it rejects too often when
        districts move together).
        """
        f = self.forecasts[self.forecasts["model"] == model]
        f = f[f["scope"] != PROVINCE] if scope == "districts" else f[f["scope"] == scope]
        counts = np.histogram(f["pit"], bins=bins, range=(0.0, 1.0))[0]
        res = stats.chisquare(counts)
        return float(res.statistic), float(res.pvalue)

    def write(self, path: str | Path) -> Path:
        """Write :attr:`scores` as CSV, atomically."""
        return write_atomic(path, self.scores.to_csv(index=False, float_format="%.6g"))

    def fan_chart(self, model: str | None = None, lead_months: int = 1) -> Figure:
        """Province counts against the forecasts of ``lead_months``: 50 % and 90 % bands."""
        from matplotlib.figure import Figure

        f = self.forecasts
        f = f[(f["scope"] == PROVINCE) & (f["lead_months"] == lead_months)]
        models = [model] if model is not None else list(f["model"].unique())
        fig = Figure(figsize=(9, 2.4 * len(models)), layout="constrained")
        axes = fig.subplots(len(models), 1, sharex=True, squeeze=False)[:, 0]
        for ax, name in zip(axes, models, strict=True):
            g = f[f["model"] == name].sort_values("month")
            x = pd.to_datetime(g["month"])
            ax.fill_between(x, g["q05"], g["q95"], step="mid", alpha=0.25, label="90 %")
            ax.fill_between(x, g["q25"], g["q75"], step="mid", alpha=0.45, label="50 %")
            ax.step(x, g["q50"], where="mid", lw=1, label="median")
            ax.plot(x, g["observed"], "k.", ms=5, label="observed")
            ax.set_ylabel("attacks a month")
            ax.set_title(f"{name}: province, {lead_months} month(s) ahead", fontsize=9)
        axes[0].legend(fontsize=7, ncols=4, loc="upper left")
        return fig

    def pit_histograms(self, bins: int = 10) -> Figure:
        """The PIT histogram of each model (every district forecast, every lead)."""
        from matplotlib.figure import Figure

        f = self.forecasts[self.forecasts["scope"] != PROVINCE]
        models = list(f["model"].unique())
        fig = Figure(figsize=(2.4 * len(models), 2.4), layout="constrained")
        axes = fig.subplots(1, len(models), sharey=True, squeeze=False)[0]
        for ax, name in zip(axes, models, strict=True):
            p = f.loc[f["model"] == name, "pit"]
            ax.hist(p, bins=bins, range=(0, 1), density=True, edgecolor="white")
            ax.axhline(1.0, color="k", lw=0.8, ls="--")
            _, pv = self.pit_test(name, bins)
            ax.set_title(f"{name} (chi2 p {pv:.2g})", fontsize=9)
            ax.set_xlabel("PIT")
        axes[0].set_ylabel("density")
        return fig


def _observed_months(
    district: NDArray[np.integer[Any]], when: pd.Series, n_d: int, months: list[date]
) -> NDArray[np.int64]:
    """Counts per district and month (``months``: month starts, and the end)."""
    edges = np.array([np.datetime64(m, "D") for m in months])
    idx = np.searchsorted(edges, when.to_numpy().astype("datetime64[D]"), side="right") - 1
    ok = (idx >= 0) & (idx < len(months) - 1)
    out = np.zeros((n_d, len(months) - 1), dtype=np.int64)
    np.add.at(out, (district[ok], idx[ok]), 1)
    return out


def _forecast_doc(base: dict[str, Any], origin: date, days: int) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    doc["start_date"] = origin.isoformat()
    doc["horizon_years"] = days / DAYS_PER_YEAR
    doc["projects"] = []
    doc["stress"] = []
    h = doc["hazard"]
    h.update(
        process="poisson",
        dispersion=None,
        branching_ratio=None,
        decay_days=None,
        spillover=0.0,
        rate_multiplier=1.0,
        regimes=None,
        history=None,
    )
    h["campaigns"]["rate_per_year"] = 0.0
    return doc


def _simulated_months(
    scenario: Scenario,
    replications: list[int],
    seed: int,
    edges: NDArray[np.float64],
    history: HistoryEvents | None,
) -> NDArray[np.int64]:
    """Draws of monthly counts, shape (len(replications), districts, months)."""
    h = sample_hazard(scenario, replications, seed=seed, threads=1, history=history)
    raw, offsets = h.raw("attacks")
    m = len(replications)
    rep = np.repeat(np.arange(m), np.diff(offsets))
    month = np.searchsorted(edges, raw["day"], side="right") - 1
    n_d, k = len(scenario.districts), len(edges) - 1
    ok = (month >= 0) & (month < k)
    flat = (rep[ok] * n_d + raw["district"][ok].astype(np.int64)) * k + month[ok]
    return np.bincount(flat, minlength=m * n_d * k).reshape(m, n_d, k)


def _mixed_months(
    variants: list[tuple[Scenario, float]],
    replications: int,
    seed: int,
    edges: NDArray[np.float64],
    history: HistoryEvents | None,
) -> NDArray[np.int64]:
    """Draws from scenarios that differ in their start state, in proportion to their shares.

    Replications ``0 .. M - 1`` are dealt out in order (largest remainders), so each keeps
    its own random streams whichever variant draws it.
    """
    shares = np.array([w for _, w in variants], dtype=np.float64)
    raw = shares / shares.sum() * replications
    count = np.floor(raw).astype(np.int64)
    count[np.argsort(count - raw, kind="stable")[: replications - count.sum()]] += 1
    parts, first = [], 0
    for (scenario, _), c in zip(variants, count, strict=True):
        if c > 0:
            reps = list(range(first, first + int(c)))
            parts.append(_simulated_months(scenario, reps, seed, edges, history))
            first += int(c)
    return np.concatenate(parts, axis=0)


def backtest(
    path: str | Path,
    format: Literal["acled", "gtd"] = "acled",
    *,
    scenario: Scenario | None = None,
    origins: int = 12,
    lead_months: int = 3,
    replications: int = 1000,
    seed: int = 0,
    models: Sequence[str] = MODELS,
) -> Backtest:
    """Rolling-origin backtest of riskmc's attack models on an event export.

    Parameters
    ----------
    path : str or Path
        An ACLED or GTD export (CSV), read, filtered and mapped as
        :func:`~riskmc.calibration.calibrate` does by default.
    format : {'acled', 'gtd'}
    scenario : Scenario, optional
        Supplies the districts (and their neighbours); default the shipped
        Balochistan scenario.
    origins : int
        Number of origins: the last ``origins`` month starts with at least
        12 months of events before them and ``lead_months`` after.
    lead_months : int
        Months forecast from each origin.
    replications : int
        Draws of each forecast.
    seed : int
        Seed of the sampler (and the PIT's randomisation).
    models : sequence of str
        Among :data:`MODELS`; the baseline is always scored.

    Returns
    -------
    Backtest

    Raises
    ------
    EventFileError
        A file that cannot be read, maps no event, or is too short for one origin.
    ValueError
        Bad ``origins``, ``lead_months``, ``replications`` or ``models``.
    """
    from riskmc.scenario.loading import default_scenario

    if origins < 1 or lead_months < 1 or replications < 10:
        raise ValueError("origins and lead_months must be >= 1 and replications >= 10")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"models: unknown {unknown[0]!r} (one of {', '.join(MODELS)})")
    base = scenario if scenario is not None else default_scenario()
    table = read_events(path, format)
    table = filter_events(table, event_types=ATTACK_EVENT_TYPES[format] or None)
    if table.events.empty:
        raise EventFileError(path, "no events of the attack types")
    names = tuple(d.name for d in base.districts)
    mapped = map_districts(table.events, Gazetteer.from_scenario(base))
    used = mapped.mapped
    if used.empty:
        reason = mapped.unmapped["reason"].iloc[0]
        raise EventFileError(
            path, f"no event could be placed in a district (first reason: {reason})"
        )
    index = {n: i for i, n in enumerate(names)}
    district = used["district"].map(index).to_numpy(dtype=np.int64)
    when = used["date"].reset_index(drop=True)
    first, last = table.observed_window()
    end = last.toordinal() + 1  # the day after the last observed
    month0 = date(first.year, first.month, 1)
    starts = [month0]
    while starts[-1].toordinal() < end:
        starts.append(_add_months(starts[-1], 1))
    candidates = [
        o
        for o in starts
        if o >= _add_months(month0, MIN_PAST_MONTHS)
        and o > first
        and _add_months(o, lead_months).toordinal() <= end
    ]
    if not candidates:
        raise EventFileError(
            path,
            f"{first} to {last} is too short for a backtest: it needs {MIN_PAST_MONTHS} months "
            f"before the first origin and {lead_months} after the last",
        )
    chosen = candidates[-origins:]
    observed_all = _observed_months(district, when, len(names), starts)
    base_doc = base.model_dump(mode="json", by_alias=True)
    links = adjacency(base)
    rng = np.random.default_rng([seed, 2107])
    # the PITs of hawkes_regimes from a stream of their own: the other models' are as before it
    rng_regimes = np.random.default_rng([seed, 2107, 21])
    day_all = (when - pd.Timestamp(first)).dt.days.to_numpy(dtype=np.int64)
    rows: list[pd.DataFrame] = []
    fit_rows: list[dict[str, Any]] = []
    for o in chosen:
        o_day = (o - first).days
        past = day_all < o_day
        sample = EventSample.from_days(names, district[past], day_all[past], first, o_day)
        months = [_add_months(o, k) for k in range(lead_months + 1)]
        edges = np.array([(m - o).days for m in months], dtype=np.float64)
        j0 = starts.index(o)
        obs = observed_all[:, j0 : j0 + lead_months]
        doc = _forecast_doc(base_doc, o, int(edges[-1]))
        draws: dict[str, NDArray[np.int64]] = {}
        plain: dict[str, HawkesFit] = {}  # the origin's Hawkes fit, shared by both Hawkes models
        for model in models:
            variants, history = _fitted(model, doc, sample, district[past], day_all[past] - o_day,
                                        (first - o).days, fit_rows, o, links, plain)  # fmt: skip
            draws[model] = _mixed_months(variants, replications, seed, edges, history)
        # The baseline: each district's last 12 months as a Poisson rate per day.
        lo = starts[j0 - MIN_PAST_MONTHS]
        days12 = (o - lo).days
        recent = observed_all[:, j0 - MIN_PAST_MONTHS : j0].sum(axis=1) / days12
        lam = recent[None, :, None] * np.diff(edges)[None, None, :]
        draws[BASELINE] = rng.poisson(np.broadcast_to(lam, (replications, *lam.shape[1:])))
        for model, d in draws.items():
            full = np.concatenate([d, d.sum(axis=1, keepdims=True)], axis=1)
            y = np.concatenate([obs, obs.sum(axis=0, keepdims=True)], axis=0)
            own = rng_regimes if model == REGIMES else rng
            rows.append(_forecast_rows(model, o, months, names, full, y, own))
    forecasts = pd.concat(rows, ignore_index=True)
    fits = pd.DataFrame(fit_rows)
    if REGIMES in models:
        states = fits.loc[(fits["model"] == REGIMES) & (fits["parameter"] == "n_states"), "value"]
        if not (states > 1).any():  # never fitted: the same forecasts as hawkes, left out
            forecasts = forecasts[forecasts["model"] != REGIMES].reset_index(drop=True)
    return Backtest(forecasts, names, len(used), len(mapped.unmapped), fits)


def _fitted(
    model: str,
    doc: dict[str, Any],
    sample: EventSample,
    district: NDArray[np.integer[Any]],
    day: NDArray[np.integer[Any]],
    window_start: int,
    fit_rows: list[dict[str, Any]],
    origin: date,
    links: list[list[int]],
    plain: dict[str, HawkesFit],
) -> tuple[list[tuple[Scenario, float]], HistoryEvents | None]:
    """The forecast scenario of ``model`` fitted on ``sample``, and its history.

    ``plain`` keeps the origin's Hawkes fit (key ``"fit"``) for the other Hawkes model.
    Under regimes, one scenario per start state with its filtered probability at the
    origin (the forecast's law of the first state); else one, with share 1.
    """
    doc = copy.deepcopy(doc)
    h = doc["hazard"]
    history = None
    params: dict[str, float] = {}
    starts: dict[str, float] = {}
    if model == "poisson":
        rates = sample.counts / sample.horizon_days
    elif model == "negbin":
        nb = fit_negbin(sample)
        rates = nb.rates
        h.update(process="negbin", dispersion=float(nb.dispersion))
        params["dispersion"] = float(nb.dispersion)
    else:
        if "fit" not in plain:
            hk = fit_hawkes(sample)
            spill = spillover_test(sample, links, hk)
            plain["fit"] = spill.fit if spill is not None and spill.chosen else hk
        hk = plain["fit"]
        n, tau, s = hk.branching_ratio, hk.decay_days, hk.spillover
        # the sampler's background is attacks_per_year x (1 - n)
        rates = hk.mu / (1.0 - n)
        if model == REGIMES:
            choice = fit_regimes(sample, hk, links if s > 0 else None, max_states=2)
            params["n_states"] = choice.chosen
            if choice.chosen > 1:  # mu is at the multipliers' stationary mean, 1
                rg = choice.fit
                n, tau, s = rg.branching_ratio, rg.decay_days, rg.spillover
                rates = rg.mu / (1.0 - n)
                h["regimes"] = rg.block()
                starts = dict(zip(rg.names, rg.filtered[-1], strict=True))
                params.update(
                    {f"multiplier_{k}": m for k, m in zip(rg.names, rg.multipliers, strict=True)}
                )
                params.update(
                    {f"mean_days_{k}": d for k, d in zip(rg.names, rg.mean_days, strict=True)}
                )
        h.update(
            process="hawkes", branching_ratio=float(n), decay_days=float(tau), spillover=float(s)
        )
        params.update(branching_ratio=n, decay_days=tau, spillover=s)
        history = HistoryEvents.from_days(district, day, float(window_start))
    for d, r in zip(doc["districts"], rates, strict=True):
        d["attacks_per_year"] = float(r) * DAYS_PER_YEAR
    params["attacks_per_year"] = float(np.sum(rates)) * DAYS_PER_YEAR
    params.update({f"start_{k}": p for k, p in starts.items()})
    fit_rows += [
        {"origin": origin, "model": model, "parameter": k, "value": float(v)}
        for k, v in params.items()
    ]
    variants = []
    for name, p in starts.items() or [(None, 1.0)]:
        if name is not None:
            h["regimes"]["start"] = name
        variants.append((scenario_from_dict(doc, "<backtest>"), float(p)))
    return variants, history


def _forecast_rows(
    model: str,
    origin: date,
    months: list[date],
    names: tuple[str, ...],
    draws: NDArray[np.int64],
    observed: NDArray[np.int64],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Long rows of one model and origin: draws (M, scopes, leads), observed (scopes, leads)."""
    s = sample_scores(draws, observed, rng)
    q = np.quantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    n_s, k = observed.shape
    scopes = np.repeat(np.array([*names, PROVINCE], dtype=object), k)
    lead = np.tile(np.arange(1, k + 1), n_s)
    return pd.DataFrame(
        {
            "model": model,
            "origin": origin,
            "lead_months": lead,
            "scope": scopes,
            "month": np.tile(np.array(months[:-1], dtype=object), n_s),
            "observed": observed.ravel(),
            "mean": draws.mean(axis=0).ravel(),
            "q05": q[0].ravel(),
            "q25": q[1].ravel(),
            "q50": q[2].ravel(),
            "q75": q[3].ravel(),
            "q95": q[4].ravel(),
            "crps": s["crps"].ravel(),
            "log_score": s["log_score"].ravel(),
            "pit": s["pit"].ravel(),
        }
    )
