"""Curves and probabilities read off an outcome table, each with its Monte Carlo interval.

Every function here is pure: it takes ``SimulationResult.outcomes`` (one row
per replication and project) and returns a small DataFrame, one row per
project (and per point of a curve). Probabilities are proportions of
replications, so their uncertainty is that of a binomial proportion, given by
:func:`binomial_interval`; quantiles carry the distribution-free interval of
:func:`riskmc.analysis.summary.quantile_interval`.

The intervals are *pointwise*: each point of a curve has 95 % coverage on its
own; the whole curve lies inside its band less often than that.

``first_production`` holds a date for a project with construction and is empty
(``None`` or ``NaT``) for a mine already operating. A project with no date in
any row has no S-curve and no slip probability. In a project that has dates, a
row without one is a construction that never finished: it counts as later than
any date.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from riskmc.analysis.intervals import Method, binomial_interval
from riskmc.analysis.summary import grouped, quantile_interval

__all__ = [
    "AGAINST_PLAN",
    "binomial_interval",
    "contingency",
    "exceedance",
    "joint_confidence",
    "s_curve",
    "shortfall_probability",
    "slip_probability",
    "tail_probabilities",
]

#: Delays [days] at which :func:`tail_probabilities` gives the exceedance.
TAIL_DAYS = (90, 180, 365)

#: Outcome columns measured against the plan (the same model with no hazard),
#: so their plan value is 0; :func:`contingency` reports those present by default.
AGAINST_PLAN = (
    "delay_days",
    "stall_days",
    "capex_overrun_usd",
    "lost_output_t",
    "lost_revenue_usd",
    "npv_loss_usd",
    "standby_usd",
    "delay_carry_usd",
    "detour_transport_usd",
    "damage_usd",
    "cargo_damage_usd",
    "opex_extra_usd",
)


def exceedance(
    outcomes: pd.DataFrame,
    metric: str,
    thresholds: ArrayLike | None = None,
    *,
    by: str = "project",
    points: int = 200,
    confidence: float = 0.95,
    method: Method = "wilson",
) -> pd.DataFrame:
    """Exceedance curve: the probability that a metric is above each threshold.

    ``P(metric > x)`` is estimated by the share of replications above x, with a
    pointwise binomial interval (:func:`binomial_interval`, Wilson's by default).

    Parameters
    ----------
    outcomes : DataFrame
        An outcome table (``SimulationResult.outcomes``).
    metric : str
        A numeric column, e.g. ``"delay_days"`` [days] or ``"npv_loss_usd"`` [USD].
    thresholds : array_like of float, optional
        The x values, in the metric's unit. Default, per group: the distinct
        values of the metric (where the empirical curve steps down), or, when
        there are more than ``points``, its quantiles at ``points`` evenly
        spaced levels from 0 to 1.
    by : str
        Grouping column.
    points : int
        Most thresholds per group when none are given.
    confidence : float
        Level of the interval.
    method : {"wilson", "clopper-pearson"}

    Returns
    -------
    DataFrame
        Columns ``by``, ``metric``, ``threshold``, ``probability``, ``low``,
        ``high``, ``k`` (replications above) and ``n``, one row per group and
        threshold, thresholds increasing.

    Examples
    --------
    >>> frame = pd.DataFrame({"project": "A", "delay_days": [0.0, 0, 10, 20, 30]})
    >>> curve = exceedance(frame, "delay_days", [0, 15, 30])
    >>> curve[["threshold", "k", "n", "probability"]].to_numpy().tolist()
    [[0.0, 3.0, 5.0, 0.6], [15.0, 2.0, 5.0, 0.4], [30.0, 0.0, 5.0, 0.0]]
    """
    parts = []
    for group, g in grouped(outcomes, by, [metric]):
        x = np.sort(g[metric].to_numpy(dtype=np.float64))
        x = x[~np.isnan(x)]
        n = len(x)
        if thresholds is not None:
            t = np.sort(np.asarray(thresholds, dtype=np.float64).ravel())
        else:
            t = np.unique(x)
            if len(t) > points:
                t = np.unique(np.quantile(x, np.linspace(0.0, 1.0, points)))
        k = n - np.searchsorted(x, t, side="right")
        low, high = binomial_interval(k, n, confidence, method)
        parts.append(
            pd.DataFrame(
                {
                    by: group,
                    "metric": metric,
                    "threshold": t,
                    "probability": k / n if n else np.full(len(t), np.nan),
                    "low": low,
                    "high": high,
                    "k": k.astype(np.int64),
                    "n": n,
                }
            )
        )
    return _concat(parts, [by, "metric", "threshold", "probability", "low", "high", "k", "n"])


def s_curve(
    outcomes: pd.DataFrame,
    *,
    by: str = "project",
    confidence: float = 0.95,
    method: Method = "wilson",
) -> pd.DataFrame:
    """S-curve of first production: the probability of having produced by each date.

    The empirical distribution function of ``first_production`` per project, at
    each date some replication reaches first production, with a pointwise
    binomial interval. Projects without dates (operating mines) are left out;
    in the others, a replication without a date counts as never producing,
    so the curve then ends below 1 (see the module notes).

    Parameters
    ----------
    outcomes : DataFrame
        An outcome table with a ``first_production`` column of dates.
    by : str
        Grouping column.
    confidence : float
    method : {"wilson", "clopper-pearson"}

    Returns
    -------
    DataFrame
        Columns ``by``, ``date`` (datetime64), ``probability`` (share of
        replications with first production on or before the date), ``low``,
        ``high``, ``k`` and ``n``.

    Examples
    --------
    >>> from datetime import date
    >>> frame = pd.DataFrame({
    ...     "project": ["A", "A", "A", "A", "Op", "Op"],
    ...     "first_production": [date(2029, 1, 5), date(2029, 1, 1), date(2029, 1, 5),
    ...                          date(2029, 3, 1), None, None],
    ... })
    >>> curve = s_curve(frame)
    >>> [(str(d.date()), p) for d, p in zip(curve["date"], curve["probability"])]
    [('2029-01-01', 0.25), ('2029-01-05', 0.75), ('2029-03-01', 1.0)]
    """
    parts = []
    for group, g in grouped(outcomes, by, ["first_production"]):
        dates = _dates(g["first_production"])
        known = np.sort(dates[~np.isnat(dates)])
        if len(known) == 0:
            continue
        n = len(dates)
        t = np.unique(known)
        k = np.searchsorted(known, t, side="right")
        low, high = binomial_interval(k, n, confidence, method)
        parts.append(
            pd.DataFrame(
                {
                    by: group,
                    "date": pd.to_datetime(t),
                    "probability": k / n,
                    "low": low,
                    "high": high,
                    "k": k.astype(np.int64),
                    "n": n,
                }
            )
        )
    return _concat(parts, [by, "date", "probability", "low", "high", "k", "n"])


def slip_probability(
    outcomes: pd.DataFrame,
    when: date | str,
    *,
    by: str = "project",
    confidence: float = 0.95,
    method: Method = "wilson",
) -> pd.DataFrame:
    """The lender's view: probability that first production is later than a date.

    For example the end of a loan's grace period. A replication whose
    construction never finished counts as later; projects without any date
    (operating mines) are left out.

    Parameters
    ----------
    outcomes : DataFrame
        An outcome table with a ``first_production`` column of dates.
    when : date or str
        The date (``"2029-06-30"`` or a ``datetime.date``); "later" is strictly after it.
    by : str
    confidence : float
    method : {"wilson", "clopper-pearson"}

    Returns
    -------
    DataFrame
        Columns ``by``, ``date``, ``probability``, ``low``, ``high``, ``k``
        (replications later than the date) and ``n``, one row per project.

    Examples
    --------
    >>> from datetime import date
    >>> frame = pd.DataFrame({
    ...     "project": ["A", "A", "A", "A"],
    ...     "first_production": [date(2029, 1, 1), date(2029, 2, 1), date(2029, 7, 1), None],
    ... })
    >>> row = slip_probability(frame, "2029-01-31").iloc[0]
    >>> int(row["k"]), int(row["n"]), float(row["probability"])
    (3, 4, 0.75)
    """
    limit = np.datetime64(pd.Timestamp(when).date(), "D")
    rows = []
    for group, g in grouped(outcomes, by, ["first_production"]):
        dates = _dates(g["first_production"])
        missing = np.isnat(dates)
        if missing.all():
            continue
        n = len(dates)
        k = int(np.count_nonzero(missing | (dates > limit)))
        low, high = binomial_interval(k, n, confidence, method)
        rows.append((group, pd.Timestamp(limit), k / n, float(low), float(high), k, n))
    return pd.DataFrame(rows, columns=[by, "date", "probability", "low", "high", "k", "n"])


def tail_probabilities(
    outcomes: pd.DataFrame,
    days: tuple[float, ...] = TAIL_DAYS,
    *,
    by: str = "project",
    confidence: float = 0.95,
    method: Method = "wilson",
) -> pd.DataFrame:
    """The tail a lender or an underwriter reads first, per project, with intervals.

    ``P(delay_days > d)`` for each ``d`` (projects under construction only; a
    construction unfinished at the horizon counts as longer), the probability
    of force majeure (a suspension at least ``force_majeure_days`` long), and
    of at least one suspension, each the share of replications with a
    binomial interval (:func:`binomial_interval`).

    Parameters
    ----------
    outcomes : DataFrame
        An outcome table (``SimulationResult.outcomes``).
    days : tuple of float
        Delay thresholds [days].
    by, confidence, method
        As for :func:`exceedance`.

    Returns
    -------
    DataFrame
        Columns ``by``, ``event`` (``"delay > 90 d"``, ..., ``"force majeure"``,
        ``"suspension"``), ``probability``, ``low``, ``high``, ``k`` and ``n``.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "project": "A",
    ...     "first_production": pd.to_datetime(["2029-01-01"] * 3 + [None]),
    ...     "delay_days": [0.0, 100.0, 200.0, np.nan],
    ...     "suspensions": [0, 1, 1, 2],
    ...     "force_majeure": [False, False, True, True],
    ... })
    >>> t = tail_probabilities(frame, days=(90, 180))
    >>> t[["event", "k", "n"]].to_numpy().tolist()
    [['delay > 90 d', 3, 4], ['delay > 180 d', 2, 4], ['force majeure', 2, 4], ['suspension', 3, 4]]
    """
    rows = []
    used = ["first_production", "delay_days", "force_majeure", "suspensions"]
    for group, g in grouped(outcomes, by, used):
        n = len(g)
        events: list[tuple[str, int]] = []
        if "first_production" in g and "delay_days" in g:
            dates = _dates(g["first_production"])
            if not np.isnat(dates).all():
                delay = g["delay_days"].to_numpy(dtype=np.float64)
                for d in days:
                    k = int(np.count_nonzero(np.isnat(dates) | np.isnan(delay) | (delay > d)))
                    events.append((f"delay > {d:g} d", k))
        if "force_majeure" in g:
            events.append(("force majeure", int(g["force_majeure"].astype(bool).sum())))
        if "suspensions" in g:
            events.append(("suspension", int((g["suspensions"] > 0).sum())))
        for name, k in events:
            low, high = binomial_interval(k, n, confidence, method)
            rows.append((group, name, k / n if n else np.nan, float(low), float(high), k, n))
    return pd.DataFrame(rows, columns=[by, "event", "probability", "low", "high", "k", "n"])


def shortfall_probability(
    outcomes: pd.DataFrame,
    first_year: Mapping[str, int],
    years: Mapping[str, Sequence[int]],
    *,
    by: str = "project",
    confidence: float = 0.95,
    method: Method = "wilson",
) -> pd.DataFrame:
    """The lender's view: probability of a debt-service shortfall in each year.

    Read from ``debt_shortfall_mask``, whose bit ``k`` marks a shortfall (the
    year's export revenue x cash margin below the year's debt service) in year
    ``first_year + k``.

    Parameters
    ----------
    outcomes : DataFrame
        An outcome table with a ``debt_shortfall_mask`` column.
    first_year : mapping of str to int
        Each project's ``debt.first_year`` (the year of bit 0).
    years : mapping of str to sequence of int
        Each project's years to report: those the simulation checked, i.e. the
        whole calendar years of the horizon from ``first_year`` on
        (:func:`riskmc.engine.propagate.debt_years`). A project missing from
        either mapping is left out.
    by : str
    confidence : float
    method : {"wilson", "clopper-pearson"}

    Returns
    -------
    DataFrame
        Columns ``by``, ``year``, ``probability``, ``low``, ``high``, ``k``
        (replications short that year) and ``n``, one row per project and year.

    Examples
    --------
    >>> frame = pd.DataFrame({"project": "A", "debt_shortfall_mask": [0b01, 0b11, 0, 0]})
    >>> table = shortfall_probability(frame, {"A": 2030}, {"A": [2030, 2031]})
    >>> [(int(r.year), int(r.k), float(r.probability)) for r in table.itertuples()]
    [(2030, 2, 0.5), (2031, 1, 0.25)]
    """
    rows = []
    for group, g in grouped(outcomes, by, ["debt_shortfall_mask"]):
        name = str(group)
        if name not in first_year or name not in years:
            continue
        mask = g["debt_shortfall_mask"].to_numpy(dtype=np.int64)
        n = len(mask)
        for year in years[name]:
            bit = year - first_year[name]
            if not 0 <= bit < 63:
                raise ValueError(f"years: {year} is not within 63 years from {first_year[name]}")
            k = int(np.count_nonzero((mask >> bit) & 1))
            low, high = binomial_interval(k, n, confidence, method)
            rows.append((group, int(year), k / n, float(low), float(high), k, n))
    return pd.DataFrame(rows, columns=[by, "year", "probability", "low", "high", "k", "n"])


def joint_confidence(
    outcomes: pd.DataFrame,
    limits: Mapping[str, float],
    *,
    by: str = "project",
    confidence: float = 0.95,
    method: Method = "wilson",
) -> pd.DataFrame:
    """Probability that every given metric is within its limit in the same replication.

    E.g. ``{"delay_days": 90, "capex_overrun_usd": 250e6}``: the confidence of
    finishing within 90 days of the plan *and* within 250 million USD of
    overrun. "Within" is ``<=``. Because both are read from the same
    replication, their dependence (a long delay comes with a large overrun) is
    taken into account; the product of the two marginal probabilities would
    ignore it.

    Parameters
    ----------
    outcomes : DataFrame
    limits : mapping of str to float
        Column -> largest acceptable value, in the column's unit.
    by : str
    confidence : float
    method : {"wilson", "clopper-pearson"}

    Returns
    -------
    DataFrame
        Columns ``by``, ``probability``, ``low``, ``high``, ``k`` (replications
        within every limit), ``n``, then one column per marginal probability,
        ``P(<metric> <= limit)``.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "project": "A",
    ...     "delay_days": [0.0, 5, 10, 40, 50],
    ...     "capex_overrun_usd": [0.0, 9e6, 1e6, 2e6, 9e6],
    ... })
    >>> row = joint_confidence(frame, {"delay_days": 30, "capex_overrun_usd": 5e6}).iloc[0]
    >>> int(row["k"]), float(row["probability"]), float(row["P(delay_days <= 30)"])
    (2, 0.4, 0.6)
    """
    if not limits:
        raise ValueError("limits: give at least one column and its limit")
    rows = []
    for group, g in grouped(outcomes, by, list(limits)):
        n = len(g)
        within = np.ones(n, dtype=bool)
        marginals = []
        for column, limit in limits.items():
            ok = g[column].to_numpy(dtype=np.float64) <= limit
            within &= ok
            marginals.append(float(ok.mean()) if n else math.nan)
        k = int(within.sum())
        low, high = binomial_interval(k, n, confidence, method)
        p = k / n if n else math.nan
        rows.append((group, p, float(low), float(high), k, n, *marginals))
    names = [f"P({c} <= {_number(v)})" for c, v in limits.items()]
    return pd.DataFrame(rows, columns=[by, "probability", "low", "high", "k", "n", *names])


def contingency(
    outcomes: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    level: float = 0.80,
    plan: Mapping[str, float] | None = None,
    by: str = "project",
) -> pd.DataFrame:
    """Contingency: a quantile of each metric (P80 by default) minus the plan's value.

    The outcome columns of :data:`AGAINST_PLAN` are already differences from
    the plan (the same model run with no hazard), so their plan value is 0 and
    the contingency is the P80 itself: the amount of schedule or money to set
    aside so that it suffices in 80 % of the replications. The interval is the
    distribution-free 95 % interval of the quantile
    (:func:`~riskmc.analysis.summary.quantile_interval`), shifted by the plan.

    Parameters
    ----------
    outcomes : DataFrame
    metrics : sequence of str, optional
        Default: the columns of :data:`AGAINST_PLAN` present in ``outcomes``.
    level : float
        The quantile, 0.80 for P80.
    plan : mapping of str to float, optional
        Plan values of metrics that are not measured against the plan
        (default 0 for every metric).
    by : str

    Returns
    -------
    DataFrame
        Columns ``by``, ``metric``, ``plan``, ``quantile`` (the P80),
        ``contingency``, ``low`` and ``high`` (95 % interval of the
        contingency) and ``n``.

    Examples
    --------
    >>> frame = pd.DataFrame({"project": "A", "delay_days": np.arange(11.0)})
    >>> row = contingency(frame, ["delay_days"]).iloc[0]
    >>> float(row["quantile"]), float(row["contingency"])
    (8.0, 8.0)
    """
    if not 0 < level < 1:
        raise ValueError(f"level: must be between 0 and 1 (exclusive), got {level!r}")
    if metrics is None:
        metrics = [m for m in AGAINST_PLAN if m in outcomes.columns]
    plan = plan or {}
    rows = []
    for group, g in grouped(outcomes, by, metrics):
        for metric in metrics:
            x = g[metric].to_numpy(dtype=np.float64)
            est, lo, hi = quantile_interval(x[~np.isnan(x)], level)
            base = float(plan.get(metric, 0.0))
            rows.append((group, metric, base, est, est - base, lo - base, hi - base, len(x)))
    return pd.DataFrame(
        rows, columns=[by, "metric", "plan", "quantile", "contingency", "low", "high", "n"]
    )


def _dates(column: pd.Series) -> NDArray[np.datetime64]:
    """A column of dates (``date``, ``Timestamp`` or text; ``None`` for none) as datetime64[D]."""
    return pd.to_datetime(column, errors="raise").to_numpy(dtype="datetime64[D]")


def _number(value: float) -> str:
    return f"{value:g}"


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
