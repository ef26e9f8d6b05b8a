"""Reading a saved result for the report and the exports, refusing what is not one.

:func:`load_results` reads what :meth:`~riskmc.engine.SimulationResult.to_parquet`
wrote and checks that its files tell one story; anything else is a
:class:`ReportError` with one line naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskmc.engine.checkpoint import (
    MANIFEST,
    OUTCOMES,
    RESULT,
    SCENARIO,
    ExecutionError,
    read_manifest,
)
from riskmc.engine.propagate import METRICS
from riskmc.engine.simulate import SimulationResult

__all__ = ["ReportError", "load_results"]


class ReportError(ValueError):
    """A folder that is not a saved result; ``str(error)`` is one line naming it."""


def load_results(folder: str | Path) -> SimulationResult:
    """Read a results folder, refusing with one line what is not one.

    Parameters
    ----------
    folder : str or Path
        What :meth:`SimulationResult.to_parquet` (or ``riskmc run --out``) wrote.

    Raises
    ------
    ReportError
        The folder is missing, is not a folder, lacks ``outcomes.parquet``,
        ``scenario.json`` or ``result.json``, or one of them cannot be read,
        or the outcomes lack a column the report needs or hold it with the
        wrong type.
    """
    path = Path(folder)
    if not path.exists():
        raise ReportError(f"{path}: no such folder (RESULTS_DIR must be a saved result)")
    if not path.is_dir():
        raise ReportError(f"{path}: not a folder (RESULTS_DIR must be a saved result)")
    missing = [name for name in (RESULT, SCENARIO, OUTCOMES) if not (path / name).is_file()]
    if missing:
        raise ReportError(
            f"{path}: not a results folder: {', '.join(missing)} missing (write one with "
            "SimulationResult.to_parquet or riskmc run --out DIR)"
        )
    try:
        result = SimulationResult.from_parquet(path)
    except ExecutionError as exc:
        raise ReportError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a damaged Parquet file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReportError(f"{path / OUTCOMES}: cannot be read ({first})") from None
    outcomes = result.outcomes
    for column in ("replication", "project", "first_production", *METRICS):
        if column not in outcomes.columns:
            raise ReportError(f"{path / OUTCOMES}: column {column!r} missing")
        dtype = outcomes[column].dtype
        if outcomes.empty:  # no project: the columns of an empty table have no type
            continue
        if column == "replication" and not pd.api.types.is_integer_dtype(dtype):
            raise ReportError(
                f"{path / OUTCOMES}: column {column!r} must hold integers, not {dtype}"
            )
        if column in METRICS and not (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        ):
            raise ReportError(
                f"{path / OUTCOMES}: column {column!r} must hold numbers, not {dtype}"
            )
    _check_consistent(path, result)
    return result


def _check_consistent(path: Path, result: SimulationResult) -> None:
    """The outcomes, ``result.json`` and the run's manifest tell one story.

    Each replication ``0 .. n - 1`` has one row per project, ``n`` being the
    replications ``result.json`` records; the numbers are not all missing; a
    run folder's manifest is complete and names the same scenario and seed.
    Anything else (files from two runs, a table edited or cut) is refused with
    what is wrong, rather than reported.
    """
    outcomes = result.outcomes
    if outcomes.empty:
        return
    where = path / OUTCOMES
    recorded = _recorded_result(path)
    reps = outcomes["replication"].to_numpy()
    twice = outcomes.duplicated(["replication", "project"])
    if twice.any():
        row = outcomes[twice].iloc[0]
        raise ReportError(
            f"{where}: replication {row['replication']} appears twice for project "
            f"{row['project']!r}"
        )
    n = int(recorded["replications"])
    held = set(np.unique(reps).tolist())
    if held != set(range(n)):
        missing = sorted(set(range(n)) - held)[:1]
        extra = sorted(held - set(range(n)))[:1]
        what = f"replication {missing[0]} is missing" if missing else f"holds {extra[0]}"
        raise ReportError(f"{where}: {what}; {path / RESULT} records replications 0 .. {n - 1}")
    projects = outcomes["project"].nunique()
    if len(outcomes) != n * projects:
        raise ReportError(f"{where}: {len(outcomes)} rows, not {n} replications x {projects}")
    numbers = outcomes[[c for c in METRICS if c in outcomes.columns]]
    if numbers.isna().all().all():
        raise ReportError(f"{where}: every metric is missing in every row")
    for column in numbers.columns:  # a simulated outcome is always a finite number
        values = numbers[column].to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = outcomes.iloc[int(np.argmax(bad))]
            raise ReportError(
                f"{where}: column {column!r} is {values[bad][0]} for replication "
                f"{row['replication']}, project {row['project']!r}: a simulated outcome is a "
                "finite number (the table was edited, or not written by riskmc)"
            )
    manifest_file = path / MANIFEST
    if manifest_file.is_file():
        try:
            manifest = read_manifest(path)
        except ExecutionError as exc:
            raise ReportError(str(exc)) from None
        if manifest is not None:
            if not manifest.complete:
                raise ReportError(
                    f"{manifest_file}: the run is not finished; finish it with "
                    f"riskmc run --out {path} --resume"
                )
            if manifest.seed != result.seed:
                raise ReportError(
                    f"{manifest_file}: seed {manifest.seed}, but {path / RESULT} has "
                    f"{result.seed}: the files are from two runs"
                )
            if manifest.scenario != result.scenario.fingerprint():
                raise ReportError(
                    f"{manifest_file}: another scenario than {path / SCENARIO}: the files are "
                    "from two runs"
                )


def _recorded_result(path: Path) -> dict[str, Any]:
    """``result.json`` as recorded (its replications are checked against the outcomes)."""
    import json

    try:
        doc = json.loads((path / RESULT).read_text(encoding="utf-8"))
        int(doc["replications"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{path / RESULT}: malformed ({exc!r})") from None
    if not isinstance(doc, dict):
        raise ReportError(f"{path / RESULT}: must hold a JSON object")
    return doc
