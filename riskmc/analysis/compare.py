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

Cover as a mitigation (SPEC 4b)
    ``net_loss_usd`` = ``npv_loss_usd`` - ``cover_recovery_pv_usd`` +
    ``cover_premium_usd``: the loss left to the project once its covers have
    paid, premiums included, all present values at the project's discount
    rate; without cover it is ``npv_loss_usd``. It is compared like every
    metric, and :meth:`Comparison.net_loss_tail` gives, per scenario, its mean
    and its P90 and P99 with their order-statistic intervals: what a cover
    costs on average against what it takes off the tail.

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
import typer
from numpy.typing import NDArray

from riskmc.analysis.paired import N_BOOTSTRAP, bootstrap_rng, paired_difference, ratio_bootstrap
from riskmc.analysis.text import short_number, terminal_text
from riskmc.engine.checkpoint import ExecutionError
from riskmc.engine.propagate import METRICS, OUTCOME_COLUMNS
from riskmc.engine.simulate import simulate
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

#: The loss net of cover, premiums included (module docstring); computed, not an outcome column.
NET_LOSS = "net_loss_usd"
#: Outcome columns compared: the summary metrics, the convoy counts (what escorts change),
#: then the net loss.
COMPARED = (
    *METRICS,
    *(c for c in ("convoys_delayed", "convoy_wait_days", "convoy_losses") if c in OUTCOME_COLUMNS),
    NET_LOSS,
)
#: Quantiles of the net loss's tail (:meth:`Comparison.net_loss_tail`).
TAIL_QUANTILES = (0.9, 0.99)


def net_loss(outcomes: pd.DataFrame) -> NDArray[np.float64]:
    """``npv_loss_usd - cover_recovery_pv_usd + cover_premium_usd`` per row [USD, present value].

    >>> frame = pd.DataFrame({"npv_loss_usd": [10.0], "cover_recovery_pv_usd": [4.0],
    ...                       "cover_premium_usd": [1.0]})
    >>> net_loss(frame).tolist()
    [7.0]
    """
    net: NDArray[np.float64] = (
        outcomes["npv_loss_usd"].to_numpy(np.float64)
        - outcomes["cover_recovery_pv_usd"].to_numpy(np.float64)
        + outcomes["cover_premium_usd"].to_numpy(np.float64)
    )
    return net


def _compared(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The keys and the :data:`COMPARED` columns of an outcome table, the net loss computed."""
    plain = [c for c in COMPARED if c != NET_LOSS]
    frame = outcomes[["replication", "project", *plain]].copy()
    frame[NET_LOSS] = net_loss(outcomes)
    return frame


#: Losses weighed against ``mitigation_cost_usd`` in the cost-benefit rows.
LOSS_METRICS = ("npv_loss_usd", "capex_overrun_usd")
#: Bootstrap resamples of a cost-benefit ratio.


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
            both = _compared(base).merge(_compared(result.outcomes), on=keys, suffixes=("_a", "_b"))
            frame = both[keys].copy()
            frame.insert(2, "scenario", label)
            for m in COMPARED:
                frame[m] = both[f"{m}_b"].to_numpy(np.float64) - both[f"{m}_a"].to_numpy(np.float64)
            frames.append(frame)
        columns = [*keys, "scenario", *COMPARED]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns]

    def net_loss_tail(self) -> pd.DataFrame:
        """Per scenario and project: the net loss's mean, P90 and P99 with 95 % intervals.

        Columns ``scenario``, ``project``, ``premium_usd`` and ``recovery_pv_usd``
        (means), ``mean_usd`` with ``mean_low``/``mean_high`` (Student t), and per
        quantile ``p90_usd``, ``p90_low``, ``p90_high`` (and ``p99_*``), the
        order-statistic intervals of :func:`riskmc.analysis.summary.quantile_interval`.
        """
        from riskmc.analysis.summary import quantile_interval

        rows = []
        for label, result in zip(self.labels, self.results, strict=True):
            o = result.outcomes
            net = net_loss(o)
            for project in o["project"].cat.categories:
                here = (o["project"] == project).to_numpy()
                x = net[here]
                if len(x) == 0:
                    continue
                _, _, lo, hi = paired_difference(x)
                row: dict[str, Any] = {
                    "scenario": label,
                    "project": project,
                    "premium_usd": float(o["cover_premium_usd"].to_numpy()[here].mean()),
                    "recovery_pv_usd": float(o["cover_recovery_pv_usd"].to_numpy()[here].mean()),
                    "mean_usd": float(x.mean()),
                    "mean_low": lo,
                    "mean_high": hi,
                }
                for q in TAIL_QUANTILES:
                    name = f"p{round(q * 100)}"
                    row[f"{name}_usd"], row[f"{name}_low"], row[f"{name}_high"] = quantile_interval(
                        x, q
                    )
                rows.append(row)
        return pd.DataFrame(rows)

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
        base = _compared(self.results[0].outcomes)
        rows: list[dict[str, Any]] = []
        diffs = self.differences
        keys = ["replication", "project"]
        for k, label in enumerate(self.labels[1:], start=1):
            other = _compared(self.results[k].outcomes)
            for project, d in diffs[diffs["scenario"] == label].groupby("project", sort=False):
                pairs = d[keys].merge(base, on=keys)
                again = d[keys].merge(other, on=keys)
                for m in COMPARED:
                    est, se, lo, hi = paired_difference(d[m].to_numpy(np.float64))
                    rows.append(
                        _row(label, project, m, "difference", est, se, lo, hi, len(d), pairs, again)
                    )
                for m in losses:
                    gen = bootstrap_rng(self.seed, k, str(project), m)
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
    (NET_LOSS, "net loss with cover [M$]", 1e6, "{:,.2f}"),
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
    if any(p.cover for r in cmp.results for p in r.scenario.projects):
        _print_net_tail(cmp, console)
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


def _print_net_tail(cmp: Comparison, console: Any) -> None:
    """The net loss with and without cover: mean and tail, premiums included."""
    from rich.table import Table

    table = Table(
        title="Cover as a mitigation: NPV loss - cover recoveries (PV) + premiums (PV), "
        "[M$] (95 % interval)"
    )
    for col in ("scenario", "project", "premium", "recovered", "mean", "P90", "P99"):
        table.add_column(col, justify="left" if col in ("scenario", "project") else "right")

    def cell(v: float, lo: float, hi: float) -> str:
        return f"{v / 1e6:,.1f} [{lo / 1e6:,.1f}, {hi / 1e6:,.1f}]"

    for r in cmp.net_loss_tail().to_dict("records"):
        table.add_row(
            terminal_text(r["scenario"]), terminal_text(r["project"]),
            f"{r['premium_usd'] / 1e6:,.1f}", f"{r['recovery_pv_usd'] / 1e6:,.1f}",
            cell(r["mean_usd"], r["mean_low"], r["mean_high"]),
            cell(r["p90_usd"], r["p90_low"], r["p90_high"]),
            cell(r["p99_usd"], r["p99_low"], r["p99_high"]),
        )  # fmt: skip
    console.print(table)


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
