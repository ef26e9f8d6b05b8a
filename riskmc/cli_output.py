"""What the ``riskmc`` command line prints: its consoles, the progress bar, the tables.

:mod:`riskmc.cli` parses the commands and handles their errors; this module
draws the terminal output of ``riskmc run`` (the scenario's overview before the
work, the progress bar on standard error, the outcomes after) and the one-line
counts of ``riskmc validate``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
)
from rich.table import Table
from rich.text import Text

from riskmc.analysis.text import terminal_text
from riskmc.engine import SimulationResult
from riskmc.engine.precision import p90_errors
from riskmc.scenario import Scenario, param_mean

__all__ = [
    "ProgressBar",
    "counts",
    "err",
    "out",
    "print_overview",
    "print_run_end",
    "print_summary",
]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class _RateColumn(ProgressColumn):
    """Replications per second since the start, and the time left at that rate."""

    def render(self, task: Task) -> Text:
        rate = float(task.fields.get("rate", 0.0))
        if rate <= 0:
            return Text("-- rep/s  ETA --:--", style="progress.data.speed")
        eta = timedelta(seconds=round((task.remaining or 0) / rate))
        return Text(f"{rate:,.0f} rep/s  ETA {eta}", style="progress.data.speed")


class ProgressBar:
    """``simulate``'s progress callback, drawn by rich on standard error.

    It refreshes on each finished chunk rather than from a timer thread, so
    the local pool can fork its workers from a process with a single thread.
    """

    def __init__(self, on_start: Callable[[], object]) -> None:
        self.done = self.total = 0
        self._on_start = on_start
        self._bar = Progress(
            TextColumn("simulating"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            console=err,
            auto_refresh=False,
        )
        self._task: TaskID | None = None
        self._t0, self._done0 = 0.0, 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self._task is None:
            self._on_start()
            self._bar.start()
            self._task = self._bar.add_task("simulating", total=total, completed=done, rate=0.0)
            self._t0, self._done0 = time.perf_counter(), done
        seconds = time.perf_counter() - self._t0
        rate = (done - self._done0) / seconds if seconds > 0 else 0.0
        self._bar.update(self._task, total=total, completed=done, rate=rate)
        self._bar.refresh()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._task is not None:
            self._bar.stop()


def counts(s: Scenario) -> str:
    return (
        f"scenario {s.name!r}: {len(s.districts)} districts, {len(s.network.places)} places, "
        f"{len(s.network.segments)} segments, {len(s.projects)} projects, "
        f"{len(s.stress)} stress events"
    )


def print_summary(result: SimulationResult) -> None:
    if result.outcomes.empty:
        out.print("The scenario has no project: nothing to report.")
        return
    summary = result.summary()
    building = set(result.outcomes.loc[result.outcomes["first_production"].notna(), "project"])
    table = Table(title="Outcomes per project against the plan (95 % interval of P90 in brackets)")
    for col in ("project", "metric", "mean", "P50", "P80", "P90"):
        table.add_column(col, justify="left" if col in ("project", "metric") else "right")
    units = {
        "delay_days": ("delay", 1.0, "{:.1f} d", True),
        "capex_overrun_usd": ("capex overrun", 1e6, "{:.1f} M$", True),
        "lost_output_t": ("lost output", 1e3, "{:.1f} kt", False),
        "lost_revenue_usd": ("lost revenue", 1e6, "{:.0f} M$", False),
        "npv_loss_usd": ("NPV loss", 1e6, "{:.0f} M$", False),
    }
    for project, g in summary.groupby("project", sort=False):
        for metric, (label, scale, fmt, build_only) in units.items():
            rows = g[g["metric"] == metric]
            if rows.empty or (build_only and project not in building):
                continue
            numbers = rows[["value", "low", "high"]].to_numpy(dtype=float) / scale
            stat = {str(k): tuple(v) for k, v in zip(rows["statistic"], numbers, strict=True)}
            _, lo, hi = stat["P90"]
            bare = fmt.split("}")[0] + "}"
            # an end the sample does not bound (a tail quantile of few replications)
            lo_s, hi_s = (
                bare.format(v) if math.isfinite(v) else ("∞" if v > 0 else "-∞") for v in (lo, hi)
            )
            table.add_row(
                terminal_text(project),
                label,
                *(fmt.format(stat[k][0]) for k in ("mean", "P50", "P80")),
                f"{fmt.format(stat['P90'][0])} [{lo_s}-{hi_s}]",
            )
    out.print(table)
    from riskmc.analysis.curves import tail_probabilities

    for project, g in tail_probabilities(result.outcomes).groupby("project", sort=False):
        if not (g["k"] > 0).any() and not g["event"].str.startswith("delay").any():
            continue
        cells = [
            f"P({r.event}) {r.probability:.1%} [{r.low:.1%}-{r.high:.1%}]" for r in g.itertuples()
        ]
        who = terminal_text(project)
        out.print(f"{who}: tail: {'; '.join(cells)}.", soft_wrap=True)
    from riskmc.analysis.drivers import driver_shares

    for metric, what in (("delay_days", "delay"), ("lost_output_t", "lost output")):
        if metric == "lost_output_t" and "lost_other_t" not in result.outcomes.columns:
            continue  # a table saved before lost output was attributed
        shares = driver_shares(result.outcomes, metric)
        for project, g in shares.groupby("project", sort=False):
            parts = []
            for kind in ("district", "cause"):
                # the three largest shares either way: a negative one (concentrate left in
                # storage by the plan) is shown, so that the line adds up
                g_k = g[(g["kind"] == kind) & (g["share"].abs() >= 0.05)]
                top = g_k.loc[g_k["share"].abs().sort_values(ascending=False).index[:3]]
                named = zip(top["name"], top["share"], strict=True)
                nice = (
                    terminal_text(n.replace("_", " ").title() if kind == "district" else n)
                    for n, _ in named
                )
                shares_k = top["share"].tolist()
                parts.append(", ".join(f"{n} {v:.0%}" for n, v in zip(nice, shares_k, strict=True)))
            out.print(
                f"{terminal_text(project)}: {what} held in {parts[0] or 'no district'}; "
                f"by cause: {parts[1]}.",
                soft_wrap=True,
            )


def print_overview(s: Scenario) -> None:
    name, description = terminal_text(s.name), terminal_text(s.description or "")
    out.print(f"[bold]{name}[/bold]: {description}".rstrip(": "))
    out.print(
        f"{s.start_date} + {s.horizon_years:g} years; {counts(s)}; "
        f"hazard process {s.hazard.process}"
    )
    rates = sorted(s.districts, key=lambda d: -param_mean(d.attacks_per_year))
    table = Table(title="Attack rates (long-run mean, campaigns excluded)")
    table.add_column("district")
    table.add_column("attacks / year", justify="right")
    for d in rates:
        table.add_row(terminal_text(d.name), f"{param_mean(d.attacks_per_year):.1f}")
    table.add_row("[bold]total[/bold]", f"{sum(param_mean(d.attacks_per_year) for d in rates):.1f}")
    out.print(table)
    if s.projects:
        plan = Table(title="Projects (plan, no disruption)")
        for col in ("project", "site", "port", "first production", "export"):
            plan.add_column(col)
        for p in s.projects:
            if p.construction is None:
                first = "operating"
            else:
                days = param_mean(p.construction.planned_days)
                first = str(p.construction.start + timedelta(days=days))
            names = (terminal_text(x) for x in (p.name, p.site, p.port))
            plan.add_row(*names, first, p.operations.export_mode)
        out.print(plan)


def print_run_end(
    result: SimulationResult,
    seed: int,
    seconds: float,
    precision: float | None,
    cap: int,
    out_dir: Path | None,
    plots: list[Path],
) -> None:
    """After ``riskmc run``: time taken, precision reached, where the outputs are, outcomes.

    ``cap``: the most replications ``--precision`` allowed.
    """
    used = result.n_replications
    out.print(
        f"\n{used} replications (seed {seed}) simulated in {seconds:.1f} s "
        f"({used / max(seconds, 1e-9):,.0f} replications/s).",
        soft_wrap=True,
    )
    if precision is not None:
        worst = float(p90_errors(result.summary())["relative_se"].max())
        verdict = (
            "reached" if worst <= precision else f"NOT reached at the cap of {cap:,} replications"
        )
        out.print(
            f"Precision {precision:g}: {verdict}; the largest standard error of a P90 is "
            f"{worst:.2%} of its value.",
            soft_wrap=True,
        )
    if out_dir is not None:
        out.print(f"Outcomes saved in {out_dir / 'outcomes.parquet'}", markup=False, soft_wrap=True)
        out.print(f"{len(plots)} plots written in {out_dir / 'plots'}", markup=False)
    print_summary(result)
