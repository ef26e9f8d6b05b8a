"""The ``riskmc`` command line: a thin shell over the public API.

Bad input ends with one line on standard error naming the file, the field and
the rule, and exit status 2; never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
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
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as _usage
except ImportError:  # pragma: no cover - an older typer, on click itself
    from click import exceptions as _usage  # type: ignore[no-redef]

from riskmc import __version__
from riskmc.analysis.compare import compare_command
from riskmc.analysis.text import terminal_text
from riskmc.calibration.backtest_cli import backtest_command
from riskmc.calibration.cli import calibrate_command, non_empty_path
from riskmc.calibration.errors import EventFileError
from riskmc.calibration.history import resolve_history, with_history
from riskmc.engine import SimulationResult, simulate
from riskmc.engine.bench import engine_throughput
from riskmc.engine.checkpoint import (
    ExecutionError,
    WriteError,
    read_manifest,
    read_run_scenario,
)
from riskmc.engine.precision import p90_errors
from riskmc.engine.propagate import ENGINES
from riskmc.engine.simulate import MAX_REPLICATIONS
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
from riskmc.scenario.loading import extends_chain


class _OneLineUsageErrors(TyperGroup):
    """The root command: a usage error (a bad or missing option or argument) is one line.

    ``error: <message>`` on standard error and exit status 2, instead of the
    framework's usage lines and error box; ``--help`` and the help shown
    without arguments are unchanged.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            # not standalone: an exit (typer.Exit, --help) returns its status
            status = super().main(args, prog_name, complete_var, False, **extra)
        except _usage.NoArgsIsHelpError as exc:
            from typer import rich_utils

            rich_utils.rich_format_error(exc)
            sys.exit(exc.exit_code)
        except _usage.ClickException as exc:
            err.print(f"error: {exc.format_message()}", markup=False, soft_wrap=True)
            sys.exit(EXIT_BAD_INPUT if isinstance(exc, _usage.UsageError) else exc.exit_code)
        except typer.Abort:
            err.print("Aborted!", markup=False)
            sys.exit(1)
        sys.exit(status if isinstance(status, int) else 0)


app = typer.Typer(
    cls=_OneLineUsageErrors,
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
        chain = extends_chain(path)
        if len(chain) > 1:  # say where every base came from: it may lie outside this folder
            out.print("  read: " + " -> ".join(str(p) for p in chain), markup=False, soft_wrap=True)
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
        typer.Argument(
            metavar="[SCENARIO]",
            help="Scenario file; the default when omitted (with --resume: the run's own).",
        ),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--replications",
            min=1,
            help="Number of replications (with --precision: the first batch). "
            "Default: 1000, or the run's with --resume.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Seed of every random stream. Default: 0, or the run's."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            parser=non_empty_path,
            help="Folder for checkpoints (one Parquet file per chunk) and the results.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Local worker processes. Default: every core."),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask", metavar="ADDRESS", help="Run on the Dask scheduler at ADDRESS instead."
        ),
    ] = None,
    precision: Annotated[
        float | None,
        typer.Option(
            metavar="P",
            help="Run batches until the standard error of every P90 is at most P times "
            "its value (0.01: 1 %).",
        ),
    ] = None,
    max_replications: Annotated[
        int | None,
        typer.Option(help="With --precision: stop there at the latest. Default: 1,000,000."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish the interrupted run in --out DIR.")
    ] = False,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            help="Replications per unit of work (default: about 8 chunks per worker, "
            "16 to 256); the outcomes do not depend on it."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            metavar="ENGINE",
            help="The project model: 'compiled' (the default) or 'simpy' (the readable "
            "reference; same outcomes). --resume uses the engine that started the run.",
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            metavar="FILE",
            help="Events before the start (an ACLED or GTD export): under Hawkes their "
            "offspring continue after it (hazard.history).",
        ),
    ] = None,
    history_format: Annotated[
        str | None,
        typer.Option("--format", metavar="F", help="With --history: 'acled' (default) or 'gtd'."),
    ] = None,
) -> None:
    """Run a scenario (the Balochistan default when none is given)."""
    with _run_errors_exit():
        if resume and out_dir is None:
            raise ExecutionError("--resume: needs --out DIR, the folder of the run to finish")
        manifest = read_manifest(out_dir) if resume and out_dir is not None else None
        if resume and manifest is None:
            raise ExecutionError(f"--resume: {out_dir} holds no run to finish (no manifest.json)")
        plots_dir = out_dir / "plots" if out_dir is not None else None
        if plots_dir is not None and plots_dir.is_symlink():
            raise ExecutionError(
                f"out: {plots_dir} is a symbolic link; riskmc follows no link inside a run folder"
            )
        if plots_dir is not None and plots_dir.exists() and not plots_dir.is_dir():
            raise ExecutionError(f"out: {plots_dir} is a file, not the folder of the plots")
        if scenario_file is not None:
            scenario = load_scenario(scenario_file)
        elif manifest is not None and out_dir is not None:
            scenario = read_run_scenario(out_dir)
        else:
            scenario = default_scenario()
        if history_format is not None and history is None:
            raise ExecutionError("--format: only with --history FILE (the history's form)")
        if history is not None:
            scenario = with_history(scenario, history, history_format or "acled")
        scenario = resolve_history(scenario)
        if engine is not None and engine not in ENGINES:
            raise ExecutionError(f"--engine: must be one of {', '.join(ENGINES)}, got {engine!r}")
        if manifest is not None:
            engine = manifest.engine if engine is None else engine
            replications = manifest.replications if replications is None else replications
            seed = manifest.seed if seed is None else seed
            precision = manifest.precision if precision is None else precision
            if max_replications is None:
                max_replications = manifest.max_replications
        if max_replications is not None and precision is None:
            raise ExecutionError(
                "--max-replications: only with --precision (it caps the batches run until "
                "the precision is reached); without it, -n sets the replications"
            )
    n = 1000 if replications is None else replications
    seed = 0 if seed is None else seed
    cap = MAX_REPLICATIONS if max_replications is None else max_replications
    t0 = time.perf_counter()
    # The overview is printed once the settings are checked, before any work.
    bar = _ProgressBar(on_start=lambda: _print_overview(scenario))
    plots: list[Path] = []

    def write_plots_locked(result: SimulationResult) -> None:
        """The plots, written while the run folder is still this run's (locked)."""
        if out_dir is None:
            return
        from riskmc.analysis.plots import write_plots

        try:
            plots.extend(write_plots(result, out_dir / "plots"))
        except OSError as exc:
            raise WriteError(
                f"{out_dir / 'plots'}: cannot be written ({exc.strerror or exc})"
            ) from None

    with _run_errors_exit(), bar:
        try:
            result = simulate(
                scenario,
                n,
                seed=seed,
                workers=workers,
                chunk_size=chunk_size,
                address=dask,
                out=out_dir,
                resume=resume,
                precision=precision,
                max_replications=cap,
                progress=bar,
                after=write_plots_locked,
                engine="compiled" if engine is None else engine,
            )
        except WriteError as exc:
            bar.stop()
            kept = read_manifest(out_dir) if out_dir is not None else None
            again = (
                f"; the finished chunks are kept: finish with: riskmc run --out {out_dir} --resume"
                if kept is not None and not kept.complete
                else ""
            )
            err.print(f"error: {exc}{again}", markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            bar.stop()
            kept = read_manifest(out_dir) if out_dir is not None else None
            n_saved = sum(b - a for a, b in kept.done) if kept is not None else 0
            saved = f"{n_saved} of {bar.total} replications are saved in {out_dir}; "
            again = f"finish with: riskmc run --out {out_dir} --resume"
            err.print(
                "interrupted: " + (saved + again if out_dir else "nothing saved (use --out DIR)"),
                markup=False,
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenProcessPool:
            bar.stop()
            again = f"; finish with: riskmc run --out {out_dir} --resume" if out_dir else ""
            err.print(
                "error: a worker process died (killed, or out of memory?)" + again,
                markup=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None
    seconds = time.perf_counter() - t0
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
    _print_summary(result)


EXIT_INTERRUPTED = 130


@contextmanager
def _run_errors_exit() -> Iterator[None]:
    try:
        yield
    except (ScenarioError, ExecutionError, EventFileError) as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


class _RateColumn(ProgressColumn):
    """Replications per second since the start, and the time left at that rate."""

    def render(self, task: Task) -> Text:
        rate = float(task.fields.get("rate", 0.0))
        if rate <= 0:
            return Text("-- rep/s  ETA --:--", style="progress.data.speed")
        eta = timedelta(seconds=round((task.remaining or 0) / rate))
        return Text(f"{rate:,.0f} rep/s  ETA {eta}", style="progress.data.speed")


class _ProgressBar:
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

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._task is not None:
            self._bar.stop()


@app.command()
def bench(
    replications: Annotated[
        int, typer.Option("-n", "--replications", min=10, help="Replications per timing.")
    ] = 1000,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Threads (default: every core).")
    ] = None,
) -> None:
    """Throughput of the hazard sampler and of both engines on the default scenario."""
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
    e = engine_throughput(scenario, replications)
    table = Table(title="Project models, default scenario, hazard included, one core")
    for col in ("engine", "replications", "replications/s/core", "x SimPy"):
        table.add_column(col, justify="right")
    table.add_row(
        "compiled", f"{e.compiled_replications:,}", f"{e.compiled_per_s:,.0f}", f"{e.ratio:.1f}"
    )
    table.add_row("simpy", f"{e.simpy_replications:,}", f"{e.simpy_per_s:,.0f}", "1.0")
    out.print(table)
    out.print(
        f"both engines ready in {e.warm_s:.1f} s; timed one after the other in this run. "
        "Target: the compiled engine at least 30x the SimPy engine."
    )


def _counts(s: Scenario) -> str:
    return (
        f"scenario {s.name!r}: {len(s.districts)} districts, {len(s.network.places)} places, "
        f"{len(s.network.segments)} segments, {len(s.projects)} projects, "
        f"{len(s.stress)} stress events"
    )


def _print_summary(result: SimulationResult) -> None:
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


def _print_overview(s: Scenario) -> None:
    name, description = terminal_text(s.name), terminal_text(s.description or "")
    out.print(f"[bold]{name}[/bold]: {description}".rstrip(": "))
    out.print(
        f"{s.start_date} + {s.horizon_years:g} years; {_counts(s)}; "
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


# `riskmc calibrate`: the command lives with the calibration code.
app.command("calibrate")(calibrate_command)
app.command("backtest")(backtest_command)
# `riskmc compare`: the command lives with the comparison code.
app.command("compare")(compare_command)


@app.command()
def report(
    results_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS_DIR",
            help="A saved result: the folder of `riskmc run --out DIR` or of "
            "SimulationResult.to_parquet.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            parser=non_empty_path,
            help="The HTML file (RESULTS_DIR/report.html).",
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report (summary tables, plots, sources) of a saved result."""
    from riskmc.analysis.report import ReportError, write_report  # matplotlib: load on use

    try:
        path = write_report(results_dir, output)
    except ReportError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(f"Report written to {path}", markup=False, soft_wrap=True)


@app.command()
def export(
    results_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS_DIR",
            help="A saved result: the folder of `riskmc run --out DIR` or of "
            "SimulationResult.to_parquet.",
        ),
    ],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="xlsx|geojson",
            help="xlsx: an Excel workbook (summary, drivers, lender, scenario); geojson: "
            "the districts and segments with their shares of delay and lost output.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="PATH",
            parser=non_empty_path,
            help="xlsx: the workbook (RESULTS_DIR/report.xlsx); geojson: the folder of "
            "districts.geojson and segments.geojson (RESULTS_DIR).",
        ),
    ] = None,
) -> None:
    """Export a saved result for spreadsheets (xlsx) or GIS (geojson)."""
    from riskmc.analysis.export import write_geojson, write_xlsx  # openpyxl: load on use
    from riskmc.analysis.report import ReportError

    try:
        if to == "xlsx":
            paths = [write_xlsx(results_dir, output)]
        elif to == "geojson":
            paths = write_geojson(results_dir, output)
        else:
            raise ReportError(f"--to: must be xlsx or geojson, got {to!r}")
    except ReportError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for path in paths:
        out.print(f"Written: {path}", markup=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    app()
