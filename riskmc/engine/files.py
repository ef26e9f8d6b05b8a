"""The files of run folders and saved results: their names, written whole, read with care.

Every file is written by :func:`atomic_write` (a temporary file, then a
rename), so that a run killed at any instant leaves each file complete or
absent (:mod:`riskmc.engine.checkpoint`). A setting or file that cannot be
used raises :class:`ExecutionError`, one line.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from riskmc.engine.table import ROW_GROUP
from riskmc.scenario import Scenario, ScenarioError, scenario_from_dict
from riskmc.scenario.files import SCENARIO_MAX_BYTES, file_problem

__all__ = [
    "CHUNKS",
    "COVER_YEARS",
    "LOCK",
    "MANIFEST",
    "MARKER",
    "OUTCOMES",
    "RESULT",
    "SCENARIO",
    "ExecutionError",
    "WriteError",
    "atomic_write",
]

MANIFEST = "manifest.json"
SCENARIO = "scenario.json"
OUTCOMES = "outcomes.parquet"
#: The covers' years of payment of a result, a long table
#: (:func:`~riskmc.engine.table.sparse_cover_years`).
COVER_YEARS = "cover_years.parquet"
RESULT = "result.json"
CHUNKS = "chunks"
LOCK = ".lock"
#: A run folder's mark that riskmc made it: a new run writes only into a folder that is
#: missing, empty, or so marked, never among a user's files.
MARKER = ".riskmc-run"


class ExecutionError(ValueError):
    """Settings of a run that cannot be used; ``str(error)`` is one line.

    It names the setting and the rule, e.g.
    ``precision: must be between 0 and 1 (exclusive), got 0``.
    """


class WriteError(ExecutionError):
    """A file of a run or result could not be written (a full disk, a quota, permissions).

    What was written before stays complete: a run folder can be resumed.
    """


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a file all at once: a temporary file beside it, then a rename.

    Parameters
    ----------
    path : Path
        The final file; its folder must exist.
    write : callable
        Called with a binary file object open for writing.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", lambda f: f.write(b"hello"))
    >>> (folder / "a.txt").read_bytes(), [p.name for p in folder.iterdir()]
    (b'hello', ['a.txt'])
    """
    # A name no other writer uses, created exclusively; unlike mkstemp's, its
    # permissions follow the umask like any other output file.
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        # KeyboardInterrupt included: an interrupted write leaves nothing behind.
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a full disk, a quota, a read-only folder
            raise WriteError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        raise


def _write_json(path: Path, doc: object) -> None:
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()))


def _write_parquet(
    path: Path, frame: pd.DataFrame, metadata: dict[bytes, bytes] | None = None
) -> None:
    """``frame`` as Parquet; ``metadata`` (a chunk's run key, a result's seed and scenario)
    goes into the file's schema metadata.

    Row groups of :data:`~riskmc.engine.table.ROW_GROUP` rows, so that a reader
    converts one at a time (:func:`~riskmc.engine.table.read_outcomes`). Arrow
    takes NumPy columns without copying them: writing costs little memory.
    """
    if metadata is None:
        atomic_write(path, lambda f: frame.to_parquet(f, index=False, row_group_size=ROW_GROUP))
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    atomic_write(path, lambda f: pq.write_table(table, f, row_group_size=ROW_GROUP))


def _scenario_doc(scenario: Scenario) -> dict[str, Any]:
    return scenario.model_dump(mode="json", by_alias=True)


def _read_json(path: Path) -> dict[str, Any]:
    problem = file_problem(path, SCENARIO_MAX_BYTES)  # a FIFO would block, /dev/zero not end
    if problem is not None:
        raise ExecutionError(f"{path}: {problem}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExecutionError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(doc, dict):
        raise ExecutionError(f"{path}: must hold a JSON object")
    return doc


def _read_scenario(path: Path, fingerprint: str) -> Scenario:
    try:
        scenario = scenario_from_dict(_read_json(path), str(path))
    except ScenarioError as exc:
        raise ExecutionError(str(exc)) from None
    if scenario.fingerprint() != fingerprint:
        raise ExecutionError(
            f"{path}: the scenario's fingerprint {scenario.fingerprint()[:12]} differs from "
            f"the recorded {fingerprint[:12]}: the file was edited, or written by a riskmc "
            "whose scenario schema differs from this one"
        )
    return scenario
