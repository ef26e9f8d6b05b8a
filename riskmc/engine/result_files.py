"""Saved results: ``outcomes.parquet``, ``cover_years.parquet``, ``scenario.json``,
``result.json``.

:meth:`SimulationResult.to_parquet <riskmc.engine.SimulationResult.to_parquet>`
writes them with :func:`write_result`, and a finished run beside its chunks
(:mod:`riskmc.engine.checkpoint`); :func:`read_result` reads either back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from riskmc.engine.files import (
    COVER_YEARS,
    OUTCOMES,
    RESULT,
    SCENARIO,
    ExecutionError,
    _read_json,
    _read_scenario,
    _scenario_doc,
    _write_json,
    _write_parquet,
)
from riskmc.engine.outcomes import project_dtype
from riskmc.engine.table import (
    cover_year_columns,
    empty_cover_years,
    read_outcomes,
    same_type,
    sparse_cover_years,
    typed_outcomes,
)
from riskmc.scenario import Scenario
from riskmc.scenario.files import SCENARIO_MAX_BYTES, file_problem

__all__ = ["check_result_folder", "count_replications", "read_result", "write_result"]

#: Parquet metadata key of a saved result's scenario fingerprint and seed (JSON): outcomes
#: copied in from another result are refused (:func:`read_result`), not reported as this one.
_RESULT_KEY = b"riskmc.result"
#: 2: project a categorical (dictionary), first_production datetime64[ns] (timestamps), row
#: groups of ROW_GROUP rows. A result of format 1 (text, dates) is still read, with today's types.
#: 3: the per-year cover columns kept out of the outcomes, as ``cover_years.parquet`` (read
#: from the columns of a result of format 1 or 2).
_RESULT_FORMAT = "riskmc-result/3"
_RESULT_FORMATS = ("riskmc-result/1", "riskmc-result/2", _RESULT_FORMAT)


def write_result(
    folder: str | Path,
    scenario: Scenario,
    seed: int,
    outcomes: pd.DataFrame,
    cover_years: pd.DataFrame,
) -> Path:
    """Save a result: ``outcomes.parquet``, ``cover_years.parquet``, ``scenario.json`` and
    ``result.json``.

    Returns the folder, created if needed.
    """
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    _write_json(path / SCENARIO, _scenario_doc(scenario))
    identity = {_RESULT_KEY: json.dumps({"scenario": scenario.fingerprint(), "seed": int(seed)})}
    metadata = {k: v.encode() for k, v in identity.items()}
    _write_parquet(path / OUTCOMES, outcomes, metadata)
    _write_parquet(path / COVER_YEARS, cover_years, metadata)
    n = count_replications(outcomes)
    _write_json(
        path / RESULT,
        {
            "format": _RESULT_FORMAT,
            "scenario": scenario.fingerprint(),
            "seed": int(seed),
            "replications": n,
        },
    )
    return path


def check_result_folder(folder: str | Path) -> None:
    """Refuse to save a result where it would replace a file riskmc did not write.

    The folder may be missing, or hold anything but the three names of a result
    (``outcomes.parquet``, ``scenario.json``, ``result.json``); where it holds one
    of them, it must be a result saved before (its ``result.json`` riskmc's),
    and none of them a link.

    Raises
    ------
    ExecutionError
        An empty path (an unset variable would write into the current folder),
        a file in the way, or one of the three names taken by a file or link of
        the user's.
    """
    if not str(folder).strip():
        raise ExecutionError("folder: must be the path of a folder, got '' (an unset variable?)")
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise ExecutionError(f"{path}: is a file, not a folder")
    names = [path / n for n in (OUTCOMES, COVER_YEARS, SCENARIO, RESULT)]
    for file in names:
        if file.is_symlink():
            raise ExecutionError(
                f"{file}: is a symbolic link; riskmc writes no file through a link"
            )
    if any(f.exists() for f in names) and not _a_result(path / RESULT):
        taken = next(f for f in names if f.exists())
        raise ExecutionError(
            f"{taken}: exists and riskmc did not write it (no saved result's {RESULT} beside "
            "it); riskmc overwrites no file of yours: choose an empty or new folder"
        )


def _a_result(path: Path) -> bool:
    """Whether ``path`` is the ``result.json`` of a result riskmc saved."""
    if file_problem(path, SCENARIO_MAX_BYTES) is not None:
        return False
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") in _RESULT_FORMATS


def count_replications(outcomes: pd.DataFrame) -> int:
    """Distinct replications of an outcome table (without a hash table when they ascend)."""
    reps = outcomes["replication"]
    if len(reps) == 0:
        return 0
    if reps.is_monotonic_increasing:
        values = reps.to_numpy()
        return 1 + int(np.count_nonzero(values[1:] != values[:-1]))
    return int(reps.nunique())


def read_result(folder: str | Path) -> tuple[Scenario, int, pd.DataFrame, pd.DataFrame]:
    """Read a result saved by :func:`write_result`: ``(scenario, seed, outcomes, cover_years)``.

    A result of an earlier format (``project`` as text, ``first_production``
    as dates) is read with today's types (:func:`~riskmc.engine.table.typed_outcomes`);
    one with the per-year cover columns in its outcomes (format 1 or 2) has
    them moved to ``cover_years`` (:func:`~riskmc.engine.table.sparse_cover_years`).
    """
    path = Path(folder)
    meta = _read_json(path / RESULT)
    if meta.get("format") not in _RESULT_FORMATS:
        raise ExecutionError(f"{path / RESULT}: format must be {_RESULT_FORMAT!r}")
    try:
        fingerprint, seed = str(meta["scenario"]), int(meta["seed"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ExecutionError(f"{path / RESULT}: malformed ({exc!r})") from None
    scenario = _read_scenario(path / SCENARIO, fingerprint)
    _check_outcomes_identity(path, fingerprint, seed)
    try:
        outcomes = read_outcomes(path / OUTCOMES, project_dtype(scenario))
    except FileNotFoundError:
        raise ExecutionError(f"{path / OUTCOMES}: no such file") from None
    except (OSError, ValueError) as exc:  # a damaged or empty Parquet file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExecutionError(f"{path / OUTCOMES}: cannot be read ({first})") from None
    years = cover_year_columns(outcomes.columns)
    if meta.get("format") != _RESULT_FORMAT:  # the per-year columns in the outcomes
        held = [n for pair in years.values() for col in pair for n in col]
        cover_years = sparse_cover_years(outcomes, years)
        return scenario, seed, outcomes.drop(columns=held), cover_years
    return scenario, seed, outcomes, _read_cover_years(path, scenario, seed)


def _read_cover_years(path: Path, scenario: Scenario, seed: int) -> pd.DataFrame:
    """``cover_years.parquet`` of a result, its ``project`` with the scenario's categories."""
    file = path / COVER_YEARS
    _check_outcomes_identity(path, scenario.fingerprint(), seed, COVER_YEARS)
    try:
        frame = pd.read_parquet(file)
    except FileNotFoundError:
        raise ExecutionError(f"{file}: no such file") from None
    except (OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExecutionError(f"{file}: cannot be read ({first})") from None
    want = list(empty_cover_years(project_dtype(scenario)).columns)
    if list(frame.columns) != want:
        raise ExecutionError(f"{file}: columns must be {want}, got {list(frame.columns)}")
    frame = typed_outcomes(frame, project_dtype(scenario))
    if not same_type(frame["project"].dtype, project_dtype(scenario)):
        raise ExecutionError(f"{file}: project: must be one of the scenario's projects")
    return frame


def _check_outcomes_identity(path: Path, fingerprint: str, seed: int, name: str = OUTCOMES) -> None:
    """Refuse ``outcomes.parquet`` (or ``cover_years.parquet``) of another result than
    ``result.json``'s.

    The outcomes record the scenario and seed they were simulated with (a table
    saved before they did records nothing and is read as it is).
    """
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path / name).metadata or {}
        found = json.loads(meta[_RESULT_KEY]) if _RESULT_KEY in meta else None
    except (OSError, ValueError):  # missing or damaged: read_outcomes names it
        return
    if not isinstance(found, dict):
        return
    if found.get("seed") != seed or found.get("scenario") != fingerprint:
        raise ExecutionError(
            f"{path / name}: the outcomes of seed {found.get('seed')}, scenario "
            f"{str(found.get('scenario'))[:12]}, but {path / RESULT} records seed {seed}, "
            f"scenario {fingerprint[:12]}: the files are from two runs"
        )
