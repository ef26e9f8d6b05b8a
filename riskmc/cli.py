"""The ``riskmc`` command line: a thin shell over the public API.

Bad input ends with one line on standard error naming the file, the field and
the rule, and exit status 2; never a traceback.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from riskmc import __version__
from riskmc.calibration.cli import calibrate_command
from riskmc.engine import SimulationResult, simulate
from riskmc.hazard import sample_hazard
from riskmc.hazard.bench import hazard_throughput
from riskmc.scenario import (
    Scenario,
    ScenarioError,
    default_scenario,
    load_scenario,
    param_mean,
    scenario_json_schema,
)

app = typer.Typer(
    name="riskmc",
    help="Monte Carlo investment-risk simulation of mining projects in conflict zones.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

EXIT_BAD_INPUT = 2


@contextmanager
def _bad_input_exits() -> Iterator[None]:
    try:
        yield
    except ScenarioError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"riskmc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Monte Carlo investment-risk simulation of mining projects in conflict zones."""


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files (.yaml, .yml, .toml).")],
    all_problems: Annotated[
        bool, typer.Option("--all", help="List every problem, not just the first.")
    ] = False,
) -> None:
    """Check scenario files: exit 0 if all are valid, 2 otherwise."""
    failed = False
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            failed = True
            lines = exc.lines() if all_problems else [str(exc)]
            for line in lines:
                err.print(f"error: {line}", markup=False, soft_wrap=True)
            continue
        out.print(f"ok: {path}: {_counts(scenario)}", markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    typer.echo(json.dumps(scenario_json_schema(), indent=2))


@app.command()
def run(
    scenario_file: Annotated[
        Path | None,
        typer.Argument(metavar="[SCENARIO]", help="Scenario file; the default when omitted."),
    ] = None,
    replications: Annotated[
        int, typer.Option("-n", "--replications", min=1, help="Number of replications.")
    ] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of every random stream.")] = 0,
) -> None:
    """Run a scenario (the Balochistan default when none is given)."""
    with _bad_input_exits():
        scenario = default_scenario() if scenario_file is None else load_scenario(scenario_file)
    _print_overview(scenario)
    t0 = time.perf_counter()
    result = simulate(scenario, replications, seed=seed)
    seconds = time.perf_counter() - t0
    out.print(f"\n{replications} replications (seed {seed}) simulated in {seconds:.1f} s.")
    _print_summary(result)
    out.print(
        "\nNot built yet: operations (production, exports, lost output and revenue, NPV), "
        "so operating projects have no row and delays stop at first production; damage and "
        "escorts are not in the capex overrun yet."
    )


@app.command()
def bench(
    replications: Annotated[
        int, typer.Option("-n", "--replications", min=10, help="Replications per timing.")
    ] = 1000,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Threads (default: every core).")
    ] = None,
) -> None:
    """Throughput of the hazard sampler on the default scenario (10-year horizon)."""
    scenario = default_scenario()
    t0 = time.perf_counter()
    sample_hazard(scenario, 2, seed=0, threads=1)
    warm = time.perf_counter() - t0
    out.print(f"kernels ready in {warm:.1f} s (compiled, or loaded from the Numba cache)")
    table = Table(title=f"Hazard sampling, default scenario, {replications} replications")
    for col in ("threads", "replications/s/core", "events/s/core", "ns/event", "x NumPy uniform"):
        table.add_column(col, justify="right")
    for n_threads in sorted({1, threads or os.cpu_count() or 1}):
        r = hazard_throughput(scenario, replications, threads=n_threads)
        table.add_row(
            str(n_threads),
            f"{r.replications_per_s_per_core:,.0f}",
            f"{r.events_per_s_per_core / 1e6:.2f} M",
            f"{r.ns_per_event:.1f}",
            f"{r.numpy_ratio:.1f}",
        )
    out.print(table)
    out.print(
        "x NumPy uniform: sampling time per core over NumPy's time to draw one uniform per "
        "event. Targets: 25 M events/s/core (40 ns an event), within 5x of NumPy."
    )


def _counts(s: Scenario) -> str:
    return (
        f"scenario {s.name!r}: {len(s.districts)} districts, {len(s.network.places)} places, "
        f"{len(s.network.segments)} segments, {len(s.projects)} projects, "
        f"{len(s.stress)} stress events"
    )


def _print_summary(result: SimulationResult) -> None:
    if result.outcomes.empty:
        out.print("No project has a construction phase: nothing to report yet.")
        return
    summary = result.summary()
    table = Table(title="Construction outcomes per project (95 % interval of P90 in brackets)")
    for col in ("project", "metric", "mean", "P50", "P80", "P90"):
        table.add_column(col, justify="left" if col in ("project", "metric") else "right")
    units = {
        "delay_days": ("delay", 1.0, "{:.1f} d"),
        "stall_days": ("stalled", 1.0, "{:.1f} d"),
        "capex_overrun_usd": ("capex overrun", 1e6, "{:.1f} M$"),
    }
    for (project, metric), g in summary.groupby(["project", "metric"], sort=False):
        if metric not in units:
            continue
        label, scale, fmt = units[metric]
        numbers = g[["value", "low", "high"]].to_numpy(dtype=float) / scale
        stat = {str(k): tuple(v) for k, v in zip(g["statistic"], numbers, strict=True)}
        _, lo, hi = stat["P90"]
        table.add_row(
            str(project),
            label,
            *(fmt.format(stat[k][0]) for k in ("mean", "P50", "P80")),
            f"{fmt.format(stat['P90'][0])} [{lo:.1f}-{hi:.1f}]",
        )
    out.print(table)


def _print_overview(s: Scenario) -> None:
    out.print(f"[bold]{s.name}[/bold]: {s.description or ''}".rstrip(": "))
    out.print(
        f"{s.start_date} + {s.horizon_years:g} years; {_counts(s)}; "
        f"hazard process {s.hazard.process}"
    )
    rates = sorted(s.districts, key=lambda d: -param_mean(d.attacks_per_year))
    table = Table(title="Attack rates (long-run mean, campaigns excluded)")
    table.add_column("district")
    table.add_column("attacks / year", justify="right")
    for d in rates:
        table.add_row(d.name, f"{param_mean(d.attacks_per_year):.1f}")
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
            plan.add_row(p.name, p.site, p.port, first, p.operations.export_mode)
        out.print(plan)


# `riskmc calibrate`: the command lives with the calibration code.
app.command("calibrate")(calibrate_command)


def main() -> None:
    """Console-script entry point."""
    app()
