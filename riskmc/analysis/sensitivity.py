"""Sensitivity: a one-factor-at-a-time tornado and Sobol indices, on common random numbers.

Both work on scenario variants: the scenario's document (the mapping a file
holds, ``extends:`` resolved) is edited at a parameter's path, e.g.
``districts[Quetta].attacks_per_year`` or
``projects[Reko Diq].construction.site_buffer_days``, validated again with
:func:`riskmc.scenario.scenario_from_dict`, and simulated with
:func:`riskmc.simulate` on the same seed as the base. Since riskmc keys its
random streams by (seed, replication, named stream), a variant sees the same
attacks and the same uniforms as the base, so the differences it shows come
from the change, not from sampling noise.

Tornado (:func:`tornado`)
    Each factor is multiplied by its low and its high multiplier (0.5 and 2
    by default), the others staying at the base. The swing is the difference
    between the metric's means at the high and at the low setting, with its
    paired standard error; factors are ranked by the absolute swing.

Sobol indices (:func:`sobol_indices`, :func:`scenario_sobol`)
    Variance-based global sensitivity (Sobol 2001): the first-order index
    ``S1_i = Var(E[Y | X_i]) / Var(Y)`` is the share of the output variance
    that ``X_i`` explains alone, the total index ``ST_i = E[Var(Y | X_~i)] /
    Var(Y)`` the share it has a hand in, interactions included. They are
    estimated from Saltelli's cross-sampled design (Saltelli 2002): two
    independent blocks A and B of a scrambled Sobol' sequence, and for each
    input the block A with that column taken from B, ``N (D + 2)`` runs in
    all (``N (2 D + 2)`` with second-order indices), with the estimators of
    Saltelli et al. (2010) and bootstrap confidence intervals. Sampling and
    analysis are SALib's (``SALib.sample.sobol``, ``SALib.analyze.sobol``);
    riskmc only provides the model function. :func:`sobol_indices` takes any
    function ``f(X) -> y``; the Ishigami function (Ishigami & Homma 1990),
    whose indices are known in closed form, checks the same path in the
    tests.

    For a scenario (:func:`scenario_sobol`), the inputs are the quantile
    levels ``u`` in (0, 1) of its distribution-valued, per-replication
    parameters (those that :class:`~riskmc.hazard.HazardSample` draws once per
    replication; per-event durations and damages stay random). A point of
    the design fixes each of them at its ``u``-quantile, and its output is
    the mean of a metric over ``replications`` replications on the same seed:
    the aleatory part (which attacks, when) is averaged out, on common random
    numbers, so the indices share out the epistemic uncertainty of the mean.

References
----------
Ishigami, T., & Homma, T. (1990). An importance quantification technique in
uncertainty analysis for computer models. *Proc. ISUMA '90*, 398-403.
Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical
models and their Monte Carlo estimates. *Math. Comput. Simul.* 55, 271-280.
Saltelli, A. (2002). Making best use of model evaluations to compute
sensitivity indices. *Comput. Phys. Commun.* 145, 280-297.
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., &
Tarantola, S. (2010). Variance based sensitivity analysis of model output.
*Comput. Phys. Commun.* 181, 259-270.
Herman, J., & Usher, W. (2017). SALib: An open-source Python library for
sensitivity analysis. *J. Open Source Softw.* 2(9), 97.
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.engine.simulate import simulate
from riskmc.hazard.inputs import parameter_spec
from riskmc.network import CorridorNetwork
from riskmc.scenario import Scenario, as_scenario, resolve_document, scenario_from_dict
from riskmc.scenario.distributions import param_quantile
from riskmc.supply.project import exposure_districts

__all__ = [
    "Factor",
    "default_factors",
    "get_path",
    "scale_value",
    "scenario_document",
    "scenario_sobol",
    "set_path",
    "sobol_indices",
    "tornado",
    "uncertain_parameters",
]

_SOBOL_STREAM = 0x736F626C  # "sobl": keeps Sobol' sampling apart from other uses of the seed
_PART = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


# ----------------------------------------------------------------------------- documents


def scenario_document(scenario: Scenario | str | Path) -> dict[str, Any]:
    """The document of a scenario: a file's (``extends:`` resolved) or an object's dump."""
    if isinstance(scenario, Scenario):
        return scenario.model_dump(mode="json", by_alias=True)
    if not isinstance(scenario, str | os.PathLike):
        as_scenario(scenario)  # the one-line TypeError
    return resolve_document(scenario)


def _parts(path: str) -> list[tuple[str, bool]]:
    """``a.b[c].d`` -> [(a, False), (b, False), (c, True), (d, False)]."""
    return [(m[0] or m[1], bool(m[1]) or not m[0]) for m in _PART.findall(path)]


def _step(node: Any, key: str, bracket: bool, path: str) -> Any:
    if isinstance(node, list):
        named = [
            i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == key
        ]
        if named:
            return named[0]
        if key.isdigit() and int(key) < len(node):
            return int(key)
    elif isinstance(node, dict) and (key in node or bracket):
        return key
    raise KeyError(f"{path}: no {key!r} here")


def get_path(doc: Any, path: str) -> Any:
    """The value at ``path`` in a scenario document.

    Paths are those of :attr:`HazardSample.parameters`: dotted keys, list
    items by name (``districts[Quetta]``) or index (``seizures[0]``), mapping
    keys in brackets (``join_probability[default]``).

    Examples
    --------
    >>> doc = {"districts": [{"name": "Alpha", "attacks_per_year": 24}]}
    >>> get_path(doc, "districts[Alpha].attacks_per_year")
    24
    """
    node = doc
    for key, bracket in _parts(path):
        node = node[_step(node, key, bracket, path)]
    return node


def set_path(doc: Any, path: str, value: Any) -> None:
    """Set the value at ``path`` in a scenario document (in place); see :func:`get_path`.

    Examples
    --------
    >>> doc = {"hazard": {"campaigns": {"join_probability": {"default": 0.3}}}}
    >>> set_path(doc, "hazard.campaigns.join_probability[Nushki]", 0.6)
    >>> doc["hazard"]["campaigns"]["join_probability"]
    {'default': 0.3, 'Nushki': 0.6}
    """
    parts = _parts(path)
    node = doc
    for key, bracket in parts[:-1]:
        node = node[_step(node, key, bracket, path)]
    key, bracket = parts[-1]
    if isinstance(node, dict):
        node[key] = value  # a new key is welcome: it sets what the default left out
    else:
        node[_step(node, key, bracket, path)] = value


#: Fields of each distribution that scale with it (a scale family).
_SCALED = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("median",),
    "gamma": ("scale",),
    "beta": ("low", "high"),
}


def scale_value(value: Any, factor: float) -> Any:
    """A number, or a distribution as written in a document, multiplied by ``factor``.

    A distribution is scaled as a random variable: ``factor * X``. So its
    mean and its quantiles scale, and its shape (a lognormal's sigma, a
    gamma's shape) does not.

    Examples
    --------
    >>> scale_value(30, 2.0)
    60.0
    >>> scale_value({"dist": "lognormal", "median": 0.5, "sigma": 1.0}, 0.5)
    {'dist': 'lognormal', 'median': 0.25, 'sigma': 1.0}
    """
    if isinstance(value, dict):
        out = dict(value)
        kind = value.get("dist")
        if kind == "beta":
            out.setdefault("low", 0.0)
            out.setdefault("high", 1.0)
        for key in _SCALED.get(str(kind), ()):
            out[key] = float(out[key]) * factor
        return out
    return float(value) * factor


# ----------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class Factor:
    """A tornado factor: parameters multiplied together by ``low`` and by ``high``.

    Attributes
    ----------
    name : str
        Label in the tornado.
    paths : tuple of str
        Document paths (see :func:`get_path`) scaled together.
    low, high : float
        The two multipliers.
    """

    name: str
    paths: tuple[str, ...]
    low: float = 0.5
    high: float = 2.0

    def apply(self, doc: dict[str, Any], multiplier: float) -> dict[str, Any]:
        """A copy of ``doc`` with every path of the factor multiplied by ``multiplier``."""
        out = copy.deepcopy(doc)
        for path in self.paths:
            set_path(out, path, scale_value(get_path(out, path), multiplier))
        return out


def default_factors(scenario: Scenario) -> list[Factor]:
    """The usual tornado factors of a scenario.

    - ``attacks_per_year`` of each district that a project's site or its
      planned road or export route lies in (the districts that matter);
    - the durations of road, rail and protest closures, of blackouts, and
      of campaign seizures; the rate of protests and of campaigns;
    - per project, the site and consumables buffers, and the stand-down
      after a site attack.

    Factors whose parameters are all zero (nothing to scale) are left out.
    """
    net = CorridorNetwork.from_scenario(scenario)
    names = [d.name for d in scenario.districts]
    exposed: set[int] = set()
    for p in scenario.projects:
        exposed |= exposure_districts(scenario, p, net)
    factors = [
        Factor(f"{names[i]} attacks", (f"districts[{names[i]}].attacks_per_year",))
        for i in sorted(exposed)
    ]
    h = "hazard"
    factors += [
        Factor("road closure days", (f"{h}.closures.road.days",)),
        Factor("rail closure days", (f"{h}.closures.rail.days",)),
        Factor("protest rate", (f"{h}.closures.protests.rate_per_year",)),
        Factor("protest days", (f"{h}.closures.protests.days",)),
        Factor("blackout days", (f"{h}.blackouts.days", f"{h}.blackouts.province_wide.days")),
        Factor("province-wide blackout rate", (f"{h}.blackouts.province_wide.rate_per_year",)),
        Factor("campaign rate", (f"{h}.campaigns.rate_per_year",)),
    ]
    if scenario.hazard.campaigns.seizures:
        factors.append(
            Factor(
                "seizure days",
                tuple(
                    f"{h}.campaigns.seizures[{i}].days"
                    for i in range(len(scenario.hazard.campaigns.seizures))
                ),
            )
        )
    for p in scenario.projects:
        key = f"projects[{p.name}]"
        if p.construction is not None:
            factors.append(
                Factor(f"{p.name} site buffer", (f"{key}.construction.site_buffer_days",))
            )
            factors.append(
                Factor(
                    f"{p.name} site stand-down", (f"{key}.construction.site_attack_standdown_days",)
                )
            )
        factors.append(
            Factor(f"{p.name} consumables buffer", (f"{key}.operations.consumables_buffer_days",))
        )
    doc = scenario_document(scenario)
    return [f for f in factors if any(_nonzero(get_path(doc, path)) for path in f.paths)]


def _nonzero(value: Any) -> bool:
    if isinstance(value, dict):
        return (
            any(float(value.get(k, 0.0)) != 0.0 for k in _SCALED.get(str(value.get("dist")), ()))
            or value.get("dist") == "beta"
        )
    return value is not None and float(value) != 0.0


def _metric_of(outcomes: pd.DataFrame, metric: str, project: str) -> NDArray[np.float64]:
    rows = outcomes[outcomes["project"] == project].sort_values("replication")
    return rows[metric].to_numpy(np.float64)


def tornado(
    scenario: Scenario | str | Path,
    factors: Sequence[Factor] | None = None,
    *,
    metric: str = "delay_days",
    project: str | None = None,
    replications: int = 200,
    seed: int = 0,
    **simulate_kwargs: Any,
) -> pd.DataFrame:
    """One factor at a time, on common random numbers, ranked by swing.

    Parameters
    ----------
    scenario : Scenario, str or Path
        The base (a path is read with ``extends:`` resolved).
    factors : sequence of Factor, optional
        Default: :func:`default_factors`.
    metric : str
        An outcome column, e.g. ``delay_days`` or ``npv_loss_usd``.
    project : str, optional
        Default: the scenario's first project.
    replications, seed
        Of every run (the base and the two runs of each factor).
    **simulate_kwargs
        Passed to :func:`riskmc.simulate` (``workers``, ``chunk_size``, ...).

    Returns
    -------
    DataFrame
        One row per factor, largest absolute swing first: ``factor``,
        ``low_multiplier``, ``high_multiplier``, ``base`` (the metric's mean
        in the base), ``low`` and ``high`` (its mean at each setting),
        ``swing`` (``high - low``), ``swing_se`` (the standard error of the
        paired per-replication differences high - low) and ``rank`` (1 =
        largest).

    Raises
    ------
    ScenarioError
        A factor that makes the scenario invalid (e.g. a probability above 1),
        naming the factor and the field.

    Examples
    --------
    >>> from riskmc.scenario import shipped_scenarios
    >>> tiny = shipped_scenarios()["tiny.yaml"]
    >>> t = tornado(tiny, [Factor("buffer", ("projects[Mine].construction.site_buffer_days",))],
    ...             replications=20, seed=1, workers=1)
    >>> t.loc[0, "factor"], bool(t.loc[0, "high"] <= t.loc[0, "low"])
    ('buffer', True)
    """
    base_scenario = as_scenario(scenario)
    doc = scenario_document(scenario)
    chosen = list(default_factors(base_scenario) if factors is None else factors)
    name = project if project is not None else base_scenario.projects[0].name

    def run(s: Scenario) -> NDArray[np.float64]:
        return _metric_of(
            simulate(s, replications, seed=seed, **simulate_kwargs).outcomes, metric, name
        )

    base = run(base_scenario)
    rows = []
    for f in chosen:
        lo, hi = (
            run(scenario_from_dict(f.apply(doc, m), f"<tornado: {f.name} x{m:g}>"))
            for m in (f.low, f.high)
        )
        d = hi - lo
        se = float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else math.nan
        rows.append(
            (f.name, f.low, f.high, float(base.mean()), float(lo.mean()), float(hi.mean()),
             float(d.mean()), se)
        )  # fmt: skip
    out = pd.DataFrame(
        rows,
        columns=["factor", "low_multiplier", "high_multiplier", "base", "low", "high", "swing",
                 "swing_se"],
    )  # fmt: skip
    out = out.iloc[np.argsort(-out["swing"].abs().to_numpy(), kind="stable")].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


# ----------------------------------------------------------------------------- Sobol


def _sobol_rng(seed: int, purpose: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, _SOBOL_STREAM, purpose]))
    )


def sobol_indices(
    f: Callable[[NDArray[np.float64]], Any],
    problem: dict[str, Any],
    n: int,
    *,
    seed: int = 0,
    calc_second_order: bool = False,
    num_resamples: int = 200,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """First-order and total Sobol indices of ``f`` over ``problem``, through SALib.

    Parameters
    ----------
    f : callable
        ``f(X) -> y``: ``X`` of shape (points, D), ``y`` of shape (points,).
    problem : dict
        A SALib problem: ``num_vars``, ``names``, ``bounds`` (and optionally
        ``dists``).
    n : int
        Base sample size N, a power of 2 (the Sobol' sequence's balance
        properties need it); ``f`` is evaluated at ``N (D + 2)`` points, or
        ``N (2 D + 2)`` with ``calc_second_order``.
    seed : int
        Seeds the scrambling of the Sobol' sequence and the bootstrap of the
        confidence intervals, each with its own :class:`numpy.random.Generator`.
    calc_second_order : bool
        Also estimate second-order indices (``S2`` columns).
    num_resamples, conf_level
        Bootstrap resamples and level of the ``*_conf`` half-widths.

    Returns
    -------
    DataFrame
        Indexed by parameter name: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
        (the ``*_conf`` are half-widths of the ``conf_level`` interval), and
        ``S2[name]`` columns with ``calc_second_order``. ``attrs["n_runs"]``
        holds the number of evaluations.

    Raises
    ------
    ValueError
        ``n`` not a power of 2, or ``f`` returning the wrong shape.

    Examples
    --------
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    >>> s = sobol_indices(lambda X: X[:, 0], problem, 256, seed=1)
    >>> round(float(s.loc["a", "S1"]), 2), round(float(s.loc["b", "ST"]), 2)
    (1.0, 0.0)
    """
    from SALib.analyze import sobol as analyze  # type: ignore[import-untyped]
    from SALib.sample import sobol as sample  # type: ignore[import-untyped]

    if n < 2 or n & (n - 1):
        raise ValueError(f"n: must be a power of 2, got {n}")
    points = sample.sample(
        problem, n, calc_second_order=calc_second_order, scramble=True, seed=_sobol_rng(seed, 0)
    )
    y = np.asarray(f(points), dtype=np.float64)
    if y.shape != (len(points),):
        raise ValueError(
            f"f: must return one number per row of X, shape {(len(points),)}, got {y.shape}"
        )
    # SALib falls back on the global NumPy state when its seed is falsy; a
    # Generator of our own keeps the bootstrap reproducible and local.
    si = analyze.analyze(
        problem,
        y,
        calc_second_order=calc_second_order,
        num_resamples=num_resamples,
        conf_level=conf_level,
        seed=_sobol_rng(seed, 1),
    )
    names = list(problem["names"])
    out = pd.DataFrame(
        {k: np.asarray(si[k], dtype=np.float64) for k in ("S1", "S1_conf", "ST", "ST_conf")},
        index=pd.Index(names, name="parameter"),
    )
    if calc_second_order:
        for j, other in enumerate(names):
            out[f"S2[{other}]"] = np.asarray(si["S2"], dtype=np.float64)[:, j]
    out.attrs["n_runs"] = len(points)
    return out


def uncertain_parameters(scenario: Scenario) -> list[str]:
    """Paths of the distribution-valued parameters drawn once per replication.

    Per-event amounts (the days of each closure, the damage of each attack)
    are not among them: they stay random inside every run.
    """
    spec = parameter_spec(scenario)
    return [p for p, u in zip(spec.paths, spec.uncertain, strict=True) if u]


def _scenario_value(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for key, _ in _parts(path):
        if isinstance(node, tuple):
            named = [x for x in node if getattr(x, "name", None) == key]
            node = named[0] if named else node[int(key)]
        elif isinstance(node, dict):
            node = node[key]
        else:
            node = getattr(node, key)
    return node


def scenario_sobol(
    scenario: Scenario | str | Path,
    *,
    metric: str = "delay_days",
    project: str | None = None,
    parameters: Sequence[str] | None = None,
    n: int = 64,
    replications: int = 50,
    seed: int = 0,
    calc_second_order: bool = False,
    **simulate_kwargs: Any,
) -> pd.DataFrame:
    """Sobol indices of a metric's mean over a scenario's uncertain parameters.

    Parameters
    ----------
    scenario : Scenario, str or Path
    metric : str
        Outcome column whose mean over the replications is the model output.
    project : str, optional
        Default: the scenario's first project.
    parameters : sequence of str, optional
        Paths of distribution-valued parameters; default: every one drawn
        once per replication (:func:`uncertain_parameters`).
    n : int
        Base sample size (a power of 2); the scenario is simulated
        ``n (D + 2)`` times (``n (2 D + 2)`` with second order).
    replications : int
        Replications of each simulation, on the same ``seed``.
    seed : int
        Seed of the simulations, of the Sobol' scrambling and of the bootstrap.
    **simulate_kwargs
        Passed to :func:`riskmc.simulate`.

    Returns
    -------
    DataFrame
        As :func:`sobol_indices`, indexed by parameter path; inputs are the
        parameters' quantile levels, so each index belongs to the parameter
        with its own distribution.

    Raises
    ------
    ValueError
        No uncertain parameter, or a path that is not a distribution.
    """
    base = as_scenario(scenario)
    doc = scenario_document(scenario)
    paths = list(uncertain_parameters(base) if parameters is None else parameters)
    if not paths:
        raise ValueError(f"{base.name}: no distribution-valued parameter to vary")
    known = set(uncertain_parameters(base))
    for p in paths:
        if p not in known:
            raise ValueError(
                f"parameters: {p!r} is not a per-replication distribution of {base.name}"
            )
    dists = [_scenario_value(base, p) for p in paths]
    name = project if project is not None else base.projects[0].name
    problem = {"num_vars": len(paths), "names": paths, "bounds": [[0.0, 1.0]] * len(paths)}

    def model(points: NDArray[np.float64]) -> NDArray[np.float64]:
        y = np.empty(len(points), dtype=np.float64)
        for i, row in enumerate(points):
            point = copy.deepcopy(doc)
            for path, dist, u in zip(paths, dists, row, strict=True):
                # Scrambled Sobol' points lie inside (0, 1); keep off the ends,
                # where a lognormal or gamma quantile is infinite.
                set_path(point, path, param_quantile(dist, min(max(float(u), 1e-12), 1 - 1e-12)))
            s = scenario_from_dict(point, f"<sobol point {i}>")
            y[i] = _metric_of(simulate(s, replications, seed=seed, **simulate_kwargs).outcomes,
                              metric, name).mean()  # fmt: skip
        return y

    return sobol_indices(model, problem, n, seed=seed, calc_second_order=calc_second_order)
