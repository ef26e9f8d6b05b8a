"""The ``riskmc calibrate`` command (registered in :mod:`riskmc.cli`).

Bad input ends with one line on standard error naming the file, the row and
the column, and exit status 2; never a traceback.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.console import Console

from riskmc.calibration.calibrate import calibrate
from riskmc.calibration.errors import EventFileError
from riskmc.calibration.mapping import Gazetteer
from riskmc.calibration.output import write_atomic
from riskmc.calibration.readers import plausible_window
from riskmc.scenario import ScenarioError, load_scenario, shipped_scenarios
from riskmc.scenario.files import SCENARIO_MAX_BYTES, file_problem

__all__ = ["calibrate_command"]

EXIT_BAD_INPUT = 2
DEFAULT_BASE = "balochistan.yaml"
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def non_empty_path(value: str) -> Path:
    """A path option's value; the empty string is refused.

    ``--out ''`` is what an unset shell variable gives (``--out $RESULTS``);
    read as a path it would be the current folder, and riskmc would write its
    files among the user's.
    """
    if isinstance(value, Path):
        return value
    if not str(value).strip():
        raise typer.BadParameter("must not be empty (an unset shell variable?)")
    return Path(value)


def _fail(message: str) -> typer.Exit:
    _err.print(f"error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise _fail(f"{option}: must be a date like 2024-01-31, got {text!r}") from None
    first, last = plausible_window()
    if day < first:
        raise _fail(f"{option}: {day} is before {first}, the start of GTD")
    if day > last:
        raise _fail(
            f"{option}: {day} is after {last} (tomorrow): the window would count days "
            "not yet observed"
        )
    return day


def _real(path: Path) -> Path:
    """``path.resolve()``; a symbolic link loop (a RuntimeError) stays as it is, made
    absolute: reading it later gives the one-line error."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return path.absolute()


def _written_by_calibrate(path: Path) -> bool:
    """Whether ``path`` is a regular file that an earlier ``riskmc calibrate`` wrote."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(200)
    except OSError:
        return False
    return head.startswith(b"# Calibrated by `riskmc calibrate`")


def _aliases(items: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in items:
        raw, sep, district = item.partition("=")
        if not sep or not raw.strip():
            raise _fail(f"--alias: must be NAME=DISTRICT (or NAME= to exclude), got {item!r}")
        out[raw.strip()] = district.strip() or None
    return out


def _check_base(base: str, out: Path | None) -> None:
    """Refuse an ``extends:`` base that does not exist, or that is the output file itself."""
    # As the loader finds it: beside the output file (standard output: here), or shipped.
    path = _real((out.parent if out is not None else Path.cwd()) / base)
    if out is not None and path == _real(out):
        raise _fail(f"--out: {out} is the --extends base; write the scenario elsewhere")
    shipped = shipped_scenarios()
    if not path.is_file() and base not in shipped and f"{base}.yaml" not in shipped:
        raise _fail(
            f"--extends: no such scenario {base!r} (a path relative to the folder of --out, "
            f"or one of {', '.join(shipped)})"
        )


def calibrate_command(
    events: Annotated[
        Path, typer.Argument(metavar="EVENTS.csv", help="Event export, CSV (ACLED or GTD).")
    ],
    format: Annotated[
        str, typer.Option("--format", "-f", help="Export format: acled or gtd.")
    ] = "acled",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            parser=non_empty_path,
            help="Write the districts and hazard block here (YAML); without it the block "
            "goes to standard output and the report to standard error.",
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(help="Map to this scenario's districts (default: the shipped Balochistan)."),
    ] = None,
    extends: Annotated[
        str | None,
        typer.Option(
            help="Base scenario written as `extends:` (default: the --scenario file, or "
            "balochistan.yaml), so the output is a whole scenario.",
        ),
    ] = None,
    bare: Annotated[bool, typer.Option(help="Write the block alone, without `extends:`.")] = False,
    region: Annotated[
        str | None,
        typer.Option(
            help="Keep events of this admin1/provstate ('all': every region). Default: "
            "Balochistan with the shipped districts, every region with --scenario."
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First day kept and observed (YYYY-MM-DD).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day kept and observed (YYYY-MM-DD).")
    ] = None,
    event_type: Annotated[
        list[str] | None,
        typer.Option(
            help="Event type to keep (repeat). Default: ACLED's Battles, Explosions/Remote "
            "violence, Violence against civilians; every GTD type."
        ),
    ] = None,
    all_types: Annotated[bool, typer.Option(help="Keep every event type.")] = False,
    sub_event_type: Annotated[
        list[str] | None, typer.Option(help="Sub-event type to keep (repeat).")
    ] = None,
    actor: Annotated[
        list[str] | None, typer.Option(help="Keep events naming this actor (repeat).")
    ] = None,
    map_by: Annotated[
        str, typer.Option(help="District mapping: auto, name or coordinates.")
    ] = "auto",
    max_km: Annotated[
        float, typer.Option(min=0, help="Furthest from a centroid to map by coordinates [km].")
    ] = 150.0,
    alias: Annotated[
        list[str] | None,
        typer.Option(help="Extra name: NAME=DISTRICT, or NAME= to exclude it (repeat)."),
    ] = None,
    campaign_districts: Annotated[
        int | None,
        typer.Option(min=2, help="Districts hit on one day for a campaign day (default: auto)."),
    ] = None,
    alpha: Annotated[
        float, typer.Option(min=1e-9, max=0.5, help="Level of the model-choice LR tests.")
    ] = 0.01,
    regimes: Annotated[
        int, typer.Option(min=1, max=3, help="Most regimes fitted under Hawkes (BIC; 1: none).")
    ] = 3,
) -> None:
    """Fit the hazard to an ACLED or GTD export; write a districts and hazard block."""
    if format not in ("acled", "gtd"):
        raise _fail(f"--format: must be acled or gtd, got {format!r}")
    if map_by not in ("auto", "name", "coordinates"):
        raise _fail(f"--map-by: must be auto, name or coordinates, got {map_by!r}")
    first, last = _day(start, "--start"), _day(end, "--end")
    if first is not None and last is not None and first > last:
        raise _fail(f"--start: {first} is after --end {last}")
    # The output must not overwrite an input, and must load: its base exists.
    if out is not None:
        if out.is_dir():
            raise _fail(f"--out: {out} is a folder; give the name of the file to write")
        for what, path in (("the events file", events), ("the --scenario file", scenario)):
            if path is not None and _real(path) == _real(out):
                raise _fail(f"--out: {out} is {what}; write the scenario elsewhere")
    if scenario is not None and (problem := file_problem(scenario, SCENARIO_MAX_BYTES)):
        raise _fail(f"--scenario: {scenario}: {problem}")  # before it is taken as the base
    base: str | None = None
    if not bare:
        if extends is not None:
            base = extends
        elif scenario is not None:
            folder = _real(out.parent if out is not None else Path.cwd())
            base = os.path.relpath(_real(scenario), folder)
        else:
            base = DEFAULT_BASE
        _check_base(base, out)
    if out is not None and (out.exists() or out.is_symlink()) and not _written_by_calibrate(out):
        raise _fail(
            f"--out: {out} exists and riskmc calibrate did not write it; riskmc "
            "overwrites no file of yours: choose another name"
        )
    try:
        gaz = Gazetteer.from_scenario(load_scenario(scenario)) if scenario else None
        gazetteer = gaz if gaz is not None else Gazetteer.balochistan()
        if region is None:
            region = None if scenario is not None else "Balochistan"
        result = calibrate(
            events,
            cast(Literal["acled", "gtd"], format),
            region=None if region in (None, "all") else region,
            start=first,
            end=last,
            event_types=() if all_types else event_type,
            sub_event_types=sub_event_type,
            actors=actor,
            gazetteer=gazetteer,
            map_by=cast(Literal["auto", "name", "coordinates"], map_by),
            max_km=max_km,
            aliases=_aliases(alias or []),
            campaign_districts=campaign_districts,
            alpha=alpha,
            max_states=regimes,
        )
    except (EventFileError, ScenarioError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:  # an option the data cannot honour, e.g. an alias
        raise _fail(f"{events}: {exc}") from None

    text = result.to_yaml(base)
    report = result.report()
    if out is None:
        _err.print(report, markup=False, soft_wrap=True)
        typer.echo(text, nl=False)
        return
    try:
        write_atomic(out, text)
    except OSError as exc:
        raise _fail(f"{out}: cannot write: {exc.strerror or exc}") from None
    _out.print(report, markup=False, soft_wrap=True)
    what = "" if result.trust.rates else " (no parameters: see the warning)"
    _out.print(f"\nwrote {out}{what}", markup=False, soft_wrap=True)
