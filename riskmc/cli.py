"""The ``riskmc`` command line: a thin shell over the public API.

Bad input ends with one line on standard error naming the file, the field and
the rule, and exit status 2; never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer
from rich.table import Table
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as _usage
except ImportError:  # pragma: no cover - an older typer, on click itself
    from click import exceptions as _usage  # type: ignore[no-redef]

from riskmc import __version__
from riskmc.analysis.compare import compare_command
from riskmc.calibration.backtest_cli import backtest_command
from riskmc.calibration.cli import calibrate_command, non_empty_path
from riskmc.calibration.errors import EventFileError
from riskmc.calibration.history import resolve_history, with_history
from riskmc.cli_output import (
    ProgressBar,
    counts,
    err,
    out,
    print_overview,
    print_run_end,
)
from riskmc.engine import SimulationResult, simulate
from riskmc.engine.bench import engine_throughput
from riskmc.engine.checkpoint import (
    ExecutionError,
    Manifest,
    WriteError,
    read_manifest,
    read_run_scenario,
)
from riskmc.engine.propagate import ENGINES
from riskmc.engine.simulate import MAX_REPLICATIONS
from riskmc.hazard import sample_hazard
from riskmc.hazard.bench import hazard_throughput
from riskmc.scenario import (
    Scenario,
    ScenarioError,
    default_scenario,
    load_scenario,
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
        out.print(f"ok: {path}: {counts(scenario)}", markup=False, soft_wrap=True)
        chain = extends_chain(path)
        if len(chain) > 1:  # say where every base came from: it may lie outside this folder
            out.print("  read: " + " -> ".join(str(p) for p in chain), markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    typer.echo(json.dumps(scenario_json_schema(), indent=2))


# `riskmc run`'s argument and options: typer reads the names, help and checks from these.
_ScenarioFile = Annotated[
    Path | None,
    typer.Argument(
        metavar="[SCENARIO]",
        help="Scenario file; the default when omitted (with --resume: the run's own).",
    ),
]
_Replications = Annotated[
    int | None,
    typer.Option(
        "-n",
        "--replications",
        min=1,
        help="Number of replications (with --precision: the first batch). "
        "Default: 1000, or the run's with --resume.",
    ),
]
_Seed = Annotated[
    int | None,
    typer.Option(min=0, help="Seed of every random stream. Default: 0, or the run's."),
]
_OutDir = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="DIR",
        parser=non_empty_path,
        help="Folder for checkpoints (one Parquet file per chunk) and the results.",
    ),
]
_Workers = Annotated[
    int | None,
    typer.Option(help="Local worker processes. Default: every core."),
]
_Dask = Annotated[
    str | None,
    typer.Option("--dask", metavar="ADDRESS", help="Run on the Dask scheduler at ADDRESS instead."),
]
_Precision = Annotated[
    float | None,
    typer.Option(
        metavar="P",
        help="Run batches until the standard error of every P90 is at most P times "
        "its value (0.01: 1 %).",
    ),
]
_MaxReplications = Annotated[
    int | None,
    typer.Option(help="With --precision: stop there at the latest. Default: 1,000,000."),
]
_Resume = Annotated[bool, typer.Option("--resume", help="Finish the interrupted run in --out DIR.")]
_ChunkSize = Annotated[
    int | None,
    typer.Option(
        help="Replications per unit of work (default: about 8 chunks per worker, "
        "16 to 256); the outcomes do not depend on it."
    ),
]
_Engine = Annotated[
    str | None,
    typer.Option(
        metavar="ENGINE",
        help="The project model: 'compiled' (the default) or 'simpy' (the readable "
        "reference; same outcomes). --resume uses the engine that started the run.",
    ),
]
_History = Annotated[
    Path | None,
    typer.Option(
        "--history",
        metavar="FILE",
        help="Events before the start (an ACLED or GTD export): under Hawkes their "
        "offspring continue after it (hazard.history).",
    ),
]
_HistoryFormat = Annotated[
    str | None,
    typer.Option("--format", metavar="F", help="With --history: 'acled' (default) or 'gtd'."),
]


@app.command()
def run(
    scenario_file: _ScenarioFile = None,
    replications: _Replications = None,
    seed: _Seed = None,
    out_dir: _OutDir = None,
    workers: _Workers = None,
    dask: _Dask = None,
    precision: _Precision = None,
    max_replications: _MaxReplications = None,
    resume: _Resume = False,
    chunk_size: _ChunkSize = None,
    engine: _Engine = None,
    history: _History = None,
    history_format: _HistoryFormat = None,
) -> None:
    """Run a scenario (the Balochistan default when none is given)."""
    with _run_errors_exit():
        manifest = _manifest_to_resume(out_dir, resume)
        scenario = _run_scenario(scenario_file, manifest, out_dir, history, history_format)
        settings = _run_settings(manifest, engine, replications, seed, precision, max_replications)
    t0 = time.perf_counter()
    # The overview is printed once the settings are checked, before any work.
    bar = ProgressBar(on_start=lambda: print_overview(scenario))
    plots: list[Path] = []
    with _run_errors_exit(), bar, _simulation_errors_exit(bar, out_dir):
        result = simulate(
            scenario,
            settings.n,
            seed=settings.seed,
            workers=workers,
            chunk_size=chunk_size,
            address=dask,
            out=out_dir,
            resume=resume,
            precision=settings.precision,
            max_replications=settings.cap,
            progress=bar,
            after=_plot_writer(out_dir, plots),
            engine=settings.engine,
        )
    seconds = time.perf_counter() - t0
    print_run_end(result, settings.seed, seconds, settings.precision, settings.cap, out_dir, plots)


class _RunSettings(NamedTuple):
    """What ``riskmc run`` passes to :func:`~riskmc.simulate`, defaults filled in."""

    engine: str
    n: int
    seed: int
    precision: float | None
    cap: int  # the most replications under --precision


def _run_settings(
    manifest: Manifest | None,
    engine: str | None,
    replications: int | None,
    seed: int | None,
    precision: float | None,
    max_replications: int | None,
) -> _RunSettings:
    """The options, else the resumed run's settings (``manifest``), else the defaults."""
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
    return _RunSettings(
        engine="compiled" if engine is None else engine,
        n=1000 if replications is None else replications,
        seed=0 if seed is None else seed,
        precision=precision,
        cap=MAX_REPLICATIONS if max_replications is None else max_replications,
    )


def _manifest_to_resume(out_dir: Path | None, resume: bool) -> Manifest | None:
    """The manifest of the run ``--resume`` finishes (None without it); checks ``--out``."""
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
    return manifest


def _run_scenario(
    scenario_file: Path | None,
    manifest: Manifest | None,
    out_dir: Path | None,
    history: Path | None,
    history_format: str | None,
) -> Scenario:
    """The scenario to run: the file, else the resumed run's, else the default; its history read."""
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
    return resolve_history(scenario)


def _plot_writer(out_dir: Path | None, plots: list[Path]) -> Callable[[SimulationResult], None]:
    """``simulate``'s ``after``: the plots, appended to ``plots``."""

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

    return write_plots_locked


@contextmanager
def _simulation_errors_exit(bar: ProgressBar, out_dir: Path | None) -> Iterator[None]:
    """A failed write, Ctrl-C or a dead worker: the bar stopped, one line, the way to finish."""
    try:
        yield
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


EXIT_INTERRUPTED = 130


@contextmanager
def _run_errors_exit() -> Iterator[None]:
    try:
        yield
    except (ScenarioError, ExecutionError, EventFileError) as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


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
