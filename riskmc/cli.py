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
from riskmc.hazard import HazardSample, sample_hazard
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
    sample = sample_hazard(scenario, replications, seed=seed)
    seconds = time.perf_counter() - t0
    out.print(
        f"\nHazard: {replications} replications (seed {seed}) sampled in {seconds:.2f} s, "
        f"{sample.n_events:,} events."
    )
    _print_hazard(scenario, sample)
    out.print(
        "\nNot built yet: the supply-chain simulation, so no delay, cost or lost-output "
        "figures; the table above is the disruption each replication would feed it."
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


def _print_hazard(s: Scenario, h: HazardSample) -> None:
    n = len(h.replications)
    years = s.horizon_years
    attacks = h.attacks
    table = Table(title="Disruption per replication (mean over replications)")
    table.add_column("what")
    table.add_column("per year", justify="right")
    table.add_row("attacks", f"{len(attacks) / n / years:.1f}")
    table.add_row(
        "  of them in campaigns", f"{(attacks['kind'] == 'campaign').sum() / n / years:.1f}"
    )
    table.add_row("campaigns", f"{len(h.campaigns) / n / years:.2f}")
    table.add_row("segment closures (merged)", f"{len(h.closures) / n / years:.1f}")
    table.add_row("district blackouts (merged)", f"{len(h.blackouts) / n / years:.1f}")
    out.print(table)
    if len(h.closures):
        c = h.closures
        closed = (c["end"] - c["start"]).groupby(c["segment"], observed=False).sum() / n / years
        top = closed.sort_values(ascending=False).head(8)
        seg = Table(title="Most-closed segments")
        seg.add_column("segment")
        seg.add_column("closed days / year", justify="right")
        for name, days in top.items():
            seg.add_row(str(name), f"{days:.1f}")
        out.print(seg)


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


def main() -> None:
    """Console-script entry point."""
    app()
