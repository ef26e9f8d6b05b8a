"""Compare scenarios on common random numbers: paired differences and cost-benefit.

Every scenario is simulated with the same seed. riskmc keys its random
streams by (seed, replication, named stream): the attacks of a district, the
uniform that decides whether an attack closes a road and the uniform behind
a closure's duration are the same in two scenarios whatever else differs
(a closure probability, a duration, a buffer, an escort). So replication
``r`` of scenario B is replication ``r`` of scenario A with the change
applied, and the difference of an outcome between them is measured
replication by replication: common random numbers. The variance of a paired
difference, ``Var(B - A) = Var(A) + Var(B) - 2 Cov(A, B)``, is much smaller
than that of two independent runs when the outcomes are strongly correlated,
as they are here.

Statistics (:meth:`Comparison.summary`)
    ``difference``: the mean paired difference ``mean(B_r - A_r)`` over the
    replications, its standard error ``sd(B_r - A_r) / sqrt(n)`` (the
    standard deviation of the differences, not of each run) and a 95 %
    Student-t interval.

    ``benefit_per_usd``: the reduction in expected loss per dollar of extra
    expected mitigation cost, a ratio of means,
    ``(mean(loss_A) - mean(loss_B)) / (mean(cost_B) - mean(cost_A))``
    with ``cost = mitigation_cost_usd``. Its interval is a paired percentile
    bootstrap: whole replications are resampled (so each resampled
    replication keeps its pair), the ratio recomputed on each resample, and
    the 2.5 % and 97.5 % quantiles taken; ``se`` is the standard deviation
    of the bootstrap ratios. The resampling uses its own
    :class:`numpy.random.Generator`, seeded from the comparison's seed, so
    the interval is reproducible. The ratio is left empty (NaN) when the
    scenario costs no more than the first one. A ratio above 1 means each
    dollar spent saves more than a dollar of expected loss.

``mitigation_cost_usd`` is a present value at the project's discount rate,
like ``npv_loss_usd``, so the ratio on the NPV loss compares like with like.
``capex_overrun_usd`` is a nominal sum: its ratio weighs undiscounted savings
against a discounted cost.

References
----------
Law, A. M. (2015). *Simulation Modeling and Analysis*, 5th ed., ch. 10-11
(comparing systems; common random numbers).
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
ch. 13 (percentile intervals).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
import typer
from numpy.typing import NDArray
from scipy import stats

from riskmc.analysis.text import short_number, terminal_text
from riskmc.engine.checkpoint import ExecutionError
from riskmc.engine.propagate import METRICS, OUTCOME_COLUMNS
from riskmc.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from riskmc.engine.simulate import SimulationResult

__all__ = [
    "COMPARED",
    "LOSS_METRICS",
    "Comparison",
    "compare",
    "compare_command",
    "paired_difference",
    "print_comparison",
    "ratio_bootstrap",
]

#: Outcome columns compared: the summary metrics, then the convoy counts (what escorts change).
COMPARED = (
    *METRICS,
    *(c for c in ("convoys_delayed", "convoy_wait_days", "convoy_losses") if c in OUTCOME_COLUMNS),
)
#: Losses weighed against ``mitigation_cost_usd`` in the cost-benefit rows.
LOSS_METRICS = ("npv_loss_usd", "capex_overrun_usd")
#: Bootstrap resamples of a cost-benefit ratio.
N_BOOTSTRAP = 2000
_BOOTSTRAP_STREAM = 0x636F6D70  # "comp": keeps the bootstrap apart from other uses of the seed


#: What a comparison shows in a notebook (``_repr_html_``).
_NOTEBOOK_METRICS = ("delay_days", "capex_overrun_usd", "lost_output_t", "npv_loss_usd")


@dataclass(frozen=True)
class Comparison:
    """Simulations of several scenarios on the same seed, the first being the reference.

    Build it with :func:`compare`.

    Attributes
    ----------
    results : tuple of SimulationResult
        One per scenario, in the order given.
    labels : tuple of str
        The scenarios' names, made unique (a repeated name gets ``#2``, ``#3``).
    seed : int
    """

    results: tuple[SimulationResult, ...]
    labels: tuple[str, ...]
    seed: int

    def _repr_html_(self) -> str:
        """A short summary for Jupyter: the mean paired difference of the main metrics."""
        import html

        n = self.results[0].n_replications
        head = (
            f"<p><b>Comparison</b> of {', '.join(html.escape(x) for x in self.labels[1:])} "
            f"against {html.escape(self.labels[0])}: {n:,} replications, seed {self.seed}, "
            "mean differences (scenario minus reference)</p>"
        )
        d = self.differences
        shown = [c for c in _NOTEBOOK_METRICS if c in d.columns]
        if d.empty or not shown:
            return head
        table = d.groupby(["scenario", "project"], sort=False)[shown].mean()
        return head + table.to_html(float_format=short_number)

    @cached_property
    def differences(self) -> pd.DataFrame:
        """Paired differences, scenario minus the first scenario, per replication and project.

        Columns ``replication``, ``project``, ``scenario`` (the label of the
        scenario compared), then every column of
        :data:`COMPARED`. Only the (replication,
        project) pairs found in both runs appear: a project that one scenario
        lacks is left out. The first scenario has no rows of its own.
        """
        base = self.results[0].outcomes
        keys = ["replication", "project"]
        frames = []
        for label, result in zip(self.labels[1:], self.results[1:], strict=True):
            both = base[keys + list(COMPARED)].merge(
                result.outcomes[keys + list(COMPARED)], on=keys, suffixes=("_a", "_b")
            )
            frame = both[keys].copy()
            frame.insert(2, "scenario", label)
            for m in COMPARED:
                frame[m] = both[f"{m}_b"].to_numpy(np.float64) - both[f"{m}_a"].to_numpy(np.float64)
            frames.append(frame)
        columns = [*keys, "scenario", *COMPARED]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns]

    def summary(
        self, losses: Sequence[str] = LOSS_METRICS, n_bootstrap: int = N_BOOTSTRAP
    ) -> pd.DataFrame:
        """Mean paired differences with intervals, and cost-benefit ratios.

        Parameters
        ----------
        losses : sequence of str
            Metrics whose reduction is weighed against the extra
            ``mitigation_cost_usd``.
        n_bootstrap : int
            Resamples of each cost-benefit ratio.

        Returns
        -------
        DataFrame
            One row per (scenario, project, metric, statistic), with
            ``value``, ``se``, ``low``, ``high`` (95 %) and ``n`` (pairs), plus
            ``reference`` and ``compared``: the metric's mean in the first
            scenario and in this one. ``statistic`` is ``difference`` (every
            metric) or ``benefit_per_usd`` (the losses); see the module
            docstring.

        Examples
        --------
        >>> from riskmc.scenario import load_scenario, shipped_scenarios
        >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
        >>> cmp = compare([tiny, tiny], replications=4, seed=1, workers=1)
        >>> s = cmp.summary()
        >>> float(s.loc[s["metric"] == "delay_days", "value"].iloc[0])
        0.0
        """
        base = self.results[0].outcomes
        rows: list[dict[str, Any]] = []
        diffs = self.differences
        keys = ["replication", "project"]
        for k, label in enumerate(self.labels[1:], start=1):
            other = self.results[k].outcomes
            for project, d in diffs[diffs["scenario"] == label].groupby("project", sort=False):
                pairs = d[keys].merge(base, on=keys)
                again = d[keys].merge(other, on=keys)
                for m in COMPARED:
                    est, se, lo, hi = paired_difference(d[m].to_numpy(np.float64))
                    rows.append(
                        _row(label, project, m, "difference", est, se, lo, hi, len(d), pairs, again)
                    )
                for m in losses:
                    gen = _bootstrap_rng(self.seed, k, str(project), m)
                    est, se, lo, hi = ratio_bootstrap(
                        -d[m].to_numpy(np.float64),
                        d["mitigation_cost_usd"].to_numpy(np.float64),
                        gen,
                        n_bootstrap,
                    )
                    rows.append(
                        _row(label, project, m, "benefit_per_usd", est, se, lo, hi, len(d), pairs,
                             again)
                    )  # fmt: skip
        columns = ["scenario", "project", "metric", "statistic", "value", "se", "low", "high", "n",
                   "reference", "compared"]  # fmt: skip
        return pd.DataFrame(rows, columns=columns)


def _row(
    label: str,
    project: object,
    metric: str,
    statistic: str,
    est: float,
    se: float,
    lo: float,
    hi: float,
    n: int,
    base: pd.DataFrame,
    other: pd.DataFrame,
) -> dict[str, Any]:
    return {
        "scenario": label,
        "project": project,
        "metric": metric,
        "statistic": statistic,
        "value": est,
        "se": se,
        "low": lo,
        "high": hi,
        "n": n,
        "reference": float(base[metric].mean()),
        "compared": float(other[metric].mean()),
    }


def paired_difference(d: NDArray[np.float64]) -> tuple[float, float, float, float]:
    """Mean of paired differences, its standard error and 95 % Student-t interval.

    Parameters
    ----------
    d : ndarray of float64, shape (n,)
        Differences ``B_r - A_r``, one per replication.

    Returns
    -------
    (mean, se, low, high) : floats
        ``se = sd(d) / sqrt(n)``; NaN where ``n < 2`` leaves it undefined.

    Examples
    --------
    >>> mean, se, low, high = paired_difference(np.array([1.0, 2.0, 3.0]))
    >>> mean, round(se, 6), round(low, 4), round(high, 4)
    (2.0, 0.57735, -0.4841, 4.4841)
    """
    n = len(d)
    if n == 0:
        return (math.nan,) * 4
    mean = float(d.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(d.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.975, n - 1)) * se
    return mean, se, mean - half, mean + half


def ratio_bootstrap(
    benefit: NDArray[np.float64],
    cost: NDArray[np.float64],
    rng: np.random.Generator,
    n_bootstrap: int = N_BOOTSTRAP,
) -> tuple[float, float, float, float]:
    """Ratio of means ``mean(benefit) / mean(cost)`` with a paired percentile bootstrap.

    Parameters
    ----------
    benefit, cost : ndarray of float64, shape (n,)
        Per replication (paired: entry ``r`` of both comes from replication ``r``).
    rng : numpy.random.Generator
        Draws the resampled replication indices.
    n_bootstrap : int
        Number of resamples.

    Returns
    -------
    (ratio, se, low, high) : floats
        ``se`` is the standard deviation of the bootstrap ratios and
        ``[low, high]`` their 2.5 % and 97.5 % quantiles. All NaN when
        ``mean(cost) <= 0`` (nothing was spent), or when there are fewer
        than two replications (no interval).

    Examples
    --------
    >>> gen = np.random.default_rng(1)
    >>> ratio_bootstrap(np.array([2.0, 4.0]), np.array([1.0, 1.0]), gen)[0]
    3.0
    """
    n = len(benefit)
    if n == 0 or not float(cost.mean()) > 0:
        return (math.nan,) * 4
    ratio = float(benefit.mean() / cost.mean())
    if n < 2:
        return ratio, math.nan, math.nan, math.nan
    boot = np.empty(n_bootstrap, dtype=np.float64)
    block = max(1, 2_000_000 // n)  # resamples per batch: bounded memory for long runs
    for start in range(0, n_bootstrap, block):
        stop = min(n_bootstrap, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        with np.errstate(divide="ignore", invalid="ignore"):
            boot[start:stop] = benefit[idx].mean(axis=1) / cost[idx].mean(axis=1)
    boot = boot[np.isfinite(boot)]
    if len(boot) < 2:
        return ratio, math.nan, math.nan, math.nan
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return ratio, float(boot.std(ddof=1)), float(lo), float(hi)


def _bootstrap_rng(seed: int, k: int, project: str, metric: str) -> np.random.Generator:
    # One generator per ratio, keyed by what it is for, so that adding a
    # scenario or a metric does not change the intervals of the others.
    key = [seed, _BOOTSTRAP_STREAM, k, *(project + "|" + metric).encode()]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return tuple(out)


def compare(
    scenarios: Sequence[Scenario | str | Path],
    replications: int = 1000,
    seed: int = 0,
    **simulate_kwargs: Any,
) -> Comparison:
    """Simulate scenarios on common random numbers and compare them with the first.

    Parameters
    ----------
    scenarios : sequence of Scenario, str or Path
        At least two; a path is loaded with :func:`riskmc.load_scenario`.
        The first is the reference.
    replications : int
        Replications of each scenario (the same indices for all).
    seed : int
        The one seed of every run, hence common random numbers.
    **simulate_kwargs
        Passed to :func:`riskmc.simulate` (``workers``, ``chunk_size``,
        ``backend``, ...). ``precision`` and ``out`` are refused: a
        comparison needs the same replications in every run.

    Returns
    -------
    Comparison

    Raises
    ------
    ScenarioError
        A scenario file that cannot be loaded.
    TypeError
        ``scenarios`` not a list, or an item neither a Scenario nor a path.
    ExecutionError
        Fewer than two scenarios, or ``precision``/``out`` given (a
        ``ValueError``).

    Examples
    --------
    >>> import riskmc
    >>> from riskmc.scenario import shipped_scenarios
    >>> tiny = riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> cmp = riskmc.compare([tiny, tiny], replications=3, seed=2, workers=1)
    >>> cmp.labels, float(cmp.differences["delay_days"].abs().max())
    (('tiny', 'tiny#2'), 0.0)
    """
    if isinstance(scenarios, Scenario | str | Path) or not isinstance(scenarios, Sequence):
        raise TypeError(
            "scenarios: must be a list of Scenario objects or scenario paths, got "
            f"{type(scenarios).__name__}"
        )
    for s in scenarios:
        if not isinstance(s, Scenario | str | Path):
            raise TypeError(
                f"scenarios: each must be a Scenario or the path of a scenario file, got "
                f"{type(s).__name__}"
            )
    if len(scenarios) < 2:
        raise ExecutionError(f"scenarios: need at least two to compare, got {len(scenarios)}")
    for key in ("precision", "out", "resume"):
        if simulate_kwargs.get(key):
            raise ExecutionError(f"{key}: not available in a comparison (every run needs the same "
                             "replications)")  # fmt: skip
    # Imported here: riskmc.engine imports riskmc.analysis (summaries), so a
    # module-level import would be circular once riskmc.analysis exports this.
    from riskmc.engine.simulate import simulate

    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    results = tuple(simulate(s, replications, seed=seed, **simulate_kwargs) for s in loaded)
    return Comparison(results=results, labels=_unique(s.name for s in loaded), seed=seed)


# ----------------------------------------------------------------------------- command line

#: What ``riskmc compare`` prints: metric, label, scale and format.
_SHOWN = (
    ("delay_days", "delay [d]", 1.0, "{:,.2f}"),
    ("stall_days", "stalled [d]", 1.0, "{:,.2f}"),
    ("capex_overrun_usd", "capex overrun [M$]", 1e6, "{:,.2f}"),
    ("npv_loss_usd", "NPV loss [M$]", 1e6, "{:,.2f}"),
    ("lost_output_t", "lost output [kt]", 1e3, "{:,.2f}"),
    ("site_isolated_days", "site isolated [d]", 1.0, "{:,.2f}"),
    ("convoys_delayed", "convoys delayed", 1.0, "{:,.1f}"),
    ("convoy_wait_days", "convoy waits [d]", 1.0, "{:,.1f}"),
    ("mitigation_cost_usd", "mitigation cost [M$]", 1e6, "{:,.2f}"),
)


def print_comparison(cmp: Comparison, console: Any) -> None:
    """Print the paired differences and cost-benefit ratios of a comparison (rich tables)."""
    from rich.table import Table

    s = cmp.summary()
    n = cmp.results[0].n_replications
    first = terminal_text(cmp.labels[0])  # a name is shown as text (markup escaped)
    table = Table(
        title=f"Paired differences against '{first}' ({n} replications, seed "
        f"{cmp.seed}, common random numbers; 95 % interval)"
    )
    for col in ("scenario", "project", "metric", first, "mean", "difference",
                "95 % interval"):  # fmt: skip
        table.add_column(
            col, justify="left" if col in ("scenario", "project", "metric") else "right"
        )
    rows = s[s["statistic"] == "difference"].to_dict("records")
    diff = {(r["scenario"], r["project"], r["metric"]): r for r in rows}
    for label, project in dict.fromkeys((r["scenario"], r["project"]) for r in rows):
        for metric, name, scale, fmt in _SHOWN:
            r = diff.get((label, project, metric))
            if r is None:
                continue
            table.add_row(
                terminal_text(label),
                terminal_text(project),
                name,
                fmt.format(r["reference"] / scale),
                fmt.format(r["compared"] / scale),
                fmt.format(r["value"] / scale),
                f"[{fmt.format(r['low'] / scale)}, {fmt.format(r['high'] / scale)}]",
            )
    console.print(table)
    cb = s[(s["statistic"] == "benefit_per_usd") & s["value"].notna()]
    if cb.empty:
        console.print("No scenario costs more than the first: no cost-benefit ratio.")
        return
    ratios = Table(
        title="Reduction in expected loss per dollar of expected mitigation cost "
        "(95 % paired bootstrap interval)"
    )
    for col in ("scenario", "project", "loss", "saved per USD", "95 % interval"):
        ratios.add_column(
            col, justify="left" if col in ("scenario", "project", "loss") else "right"
        )
    for c in cb.to_dict("records"):
        ratios.add_row(
            terminal_text(c["scenario"]), terminal_text(c["project"]), str(c["metric"]),
            f"{c['value']:,.3f}",
            f"[{c['low']:,.3f}, {c['high']:,.3f}]",
        )  # fmt: skip
    console.print(ratios)


def compare_command(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            metavar="A B ...", help="Scenario files; the first is the reference (at least two)."
        ),
    ],
    replications: Annotated[
        int, typer.Option("-n", "--replications", min=2, help="Replications of each scenario.")
    ] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="The seed of every run.")] = 0,
    workers: Annotated[
        int | None, typer.Option(help="Local worker processes. Default: every core.")
    ] = None,
) -> None:
    """Compare scenarios on common random numbers: paired differences and cost-benefit."""
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    try:
        if len(scenarios) < 2:
            raise ExecutionError(
                f"compare: needs at least two scenario files, got {len(scenarios)}"
            )
        loaded = [load_scenario(path) for path in scenarios]
        first = {p.name for p in loaded[0].projects}
        for path, s in zip(scenarios[1:], loaded[1:], strict=True):
            if not first & {p.name for p in s.projects}:
                raise ExecutionError(
                    f"compare: {path} has no project in common with {scenarios[0]} (projects "
                    "are paired by name): nothing to compare"
                )
        cmp = compare(loaded, replications, seed, workers=workers)
    except (ScenarioError, ExecutionError) as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    print_comparison(cmp, Console(highlight=False))
