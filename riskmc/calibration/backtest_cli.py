"""The ``riskmc backtest`` command (registered in :mod:`riskmc.cli`; SPEC 7).

Bad input ends with one line on standard error and exit status 2. ``--out``
writes the scores (CSV) and, beside it, the fan chart (``NAME.fan.png``) and
the PIT histograms (``NAME.pit.png``), each atomically; riskmc overwrites only
files it wrote (a CSV with its header, PNGs with its metadata).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.console import Console

from riskmc.calibration.backtest import MODELS, SCORE_COLUMNS, Backtest, backtest
from riskmc.calibration.cli import non_empty_path
from riskmc.calibration.errors import EventFileError
from riskmc.calibration.output import write_atomic
from riskmc.scenario import ScenarioError, load_scenario

__all__ = ["backtest_command"]

EXIT_BAD_INPUT = 2
#: PNG metadata that marks a plot as riskmc's (so that it may be overwritten).
PNG_MARK = "riskmc backtest"
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _fail(message: str) -> typer.Exit:
    _err.print(f"error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _ours(path: Path, kind: str) -> bool:
    """Whether ``path`` is absent, or a regular file that riskmc backtest wrote."""
    if not path.exists() and not path.is_symlink():
        return True
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as fh:
        head = fh.read(4096)
    if kind == "csv":
        return head.split(b"\n", 1)[0].strip() == ",".join(SCORE_COLUMNS).encode()
    return PNG_MARK.encode() in head


def _outputs(out: Path) -> tuple[Path, Path, Path]:
    fan = out.with_name(out.stem + ".fan.png")
    pit = out.with_name(out.stem + ".pit.png")
    for path, kind in ((out, "csv"), (fan, "png"), (pit, "png")):
        if path.is_dir():
            raise _fail(f"--out: {path} is a folder; give a file name like scores.csv")
        if not _ours(path, kind):
            raise _fail(f"--out: {path} exists and riskmc did not write it; it is left alone")
    if not out.parent.is_dir():
        raise _fail(f"--out: folder {out.parent} does not exist")
    return out, fan, pit


def _write_figures(result: Backtest, fan: Path, pit: Path) -> None:
    import io

    for path, fig in ((fan, result.fan_chart()), (pit, result.pit_histograms())):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, metadata={"Software": PNG_MARK})
        write_atomic(path, buffer.getvalue())


def backtest_command(
    events: Annotated[Path, typer.Argument(metavar="EVENTS.csv", help="ACLED or GTD export.")],
    format: Annotated[str, typer.Option("--format", help="'acled' or 'gtd'.")] = "acled",
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario", metavar="S", help="Scenario with the districts; default Balochistan."
        ),
    ] = None,
    origins: Annotated[int, typer.Option("--origins", metavar="N", min=1)] = 12,
    lead_months: Annotated[int, typer.Option("--lead-months", metavar="K", min=1, max=24)] = 3,
    replications: Annotated[
        int, typer.Option("-n", "--replications", min=10, help="Draws of each forecast.")
    ] = 1000,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE.csv",
            parser=non_empty_path,
            help="Scores, one row per (model, lead_months, scope); plots beside it.",
        ),
    ] = None,
) -> None:
    """Rolling-origin backtest: forecast skill of poisson, negbin and hawkes on EVENTS.csv."""
    if format not in ("acled", "gtd"):
        raise _fail(f"--format: must be 'acled' or 'gtd', got {format!r}")
    paths = _outputs(out) if out is not None else None
    try:
        base = load_scenario(scenario) if scenario is not None else None
        result = backtest(
            events,
            cast(Literal["acled", "gtd"], format),
            scenario=base,
            origins=origins,
            lead_months=lead_months,
            replications=replications,
            seed=seed,
            models=MODELS,
        )
    except (EventFileError, ScenarioError, ValueError) as exc:
        raise _fail(str(exc)) from None
    table = result.summary()
    _out.print(
        f"{result.events} events in {len(result.districts)} districts "
        f"({result.unmapped} not placed); {result.forecasts['origin'].nunique()} origins, "
        f"{lead_months} month(s) ahead, {replications} draws a forecast. Lower is better.",
        soft_wrap=True,
    )
    _out.print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"), markup=False)
    if paths is not None:
        csv, fan, pit = paths
        try:
            result.write(csv)
            _write_figures(result, fan, pit)
        except OSError as exc:
            raise _fail(f"{csv}: cannot write: {exc.strerror or exc}") from None
        _out.print(
            f"Scores in {csv}; fan chart {fan.name}, PIT histograms {pit.name}", markup=False
        )
