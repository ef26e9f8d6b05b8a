"""Run folders on disk: checkpointed chunks, their manifest, and saved results.

A run folder (``simulate(..., out=DIR)``, ``riskmc run --out DIR``) holds::

    DIR/manifest.json           scenario fingerprint, seed, settings, the chunks done
    DIR/scenario.json           the scenario document, to rebuild the scenario
    DIR/chunks/<first>-<stop>.parquet
                                outcome rows of replications first .. stop - 1
    DIR/outcomes.parquet        all the outcomes, once the run is complete
    DIR/result.json             seed and replication count of the complete result
    DIR/.lock                   held (an advisory lock) while a run writes the folder

A folder with only the last three files is a saved result
(:meth:`SimulationResult.to_parquet <riskmc.engine.SimulationResult.to_parquet>`).

Every file is written atomically: to a temporary file in the same folder,
flushed to disk, then renamed over the final name with :func:`os.replace`.
A run killed at any instant therefore leaves each file either complete or
absent; what it can leave is a temporary file (``.*.tmp``), which
:meth:`RunFolder.open` deletes. A chunk is written before the manifest lists
it, so the manifest never names a chunk that is not on disk; a chunk on disk
that the manifest does not list is simply run again.

One run at a time writes a folder: :meth:`RunFolder.open` takes an exclusive
lock on ``DIR/.lock`` (``flock``, POSIX), which the operating system releases
when the run ends, however it ends (forked workers let go of it at once, so
one that outlives a killed run does not hold it); a second run in the same
folder stops at once with a one-line error instead of deleting the first
one's chunks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from riskmc.engine.outcomes import project_dtype
from riskmc.engine.table import (
    ROW_GROUP,
    cover_year_columns,
    empty_cover_years,
    read_outcomes,
    same_type,
    sparse_cover_years,
    typed_outcomes,
)
from riskmc.scenario import Scenario, ScenarioError, scenario_from_dict
from riskmc.scenario.files import SCENARIO_MAX_BYTES, file_problem

__all__ = [
    "MANIFEST",
    "ExecutionError",
    "Manifest",
    "RunFolder",
    "WriteError",
    "atomic_write",
    "check_result_folder",
    "count_replications",
    "read_manifest",
    "read_result",
    "read_run_scenario",
    "run_key",
    "write_result",
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
_CHUNK_FILE = re.compile(r"^\d{12}-\d{12}\.parquet$|^\.\d{12}-\d{12}\.parquet\..*\.tmp$")
_RUN_FORMAT = "riskmc-run/6"  # 2: lost-output attribution; 3: convoy waits, in-storage cause;
# 4: cargo destroyed in convoy attacks valued (cargo_damage_usd); 5: the manifest's digest and
# each chunk's run key; 6: project a categorical, first_production datetime64[ns] (the chunks'
# Parquet schema changed: a dictionary, timestamps)
#: Parquet metadata key of a chunk's run key (:func:`run_key`).
_CHUNK_KEY = b"riskmc.run"
#: Parquet metadata key of a saved result's scenario fingerprint and seed (JSON): outcomes
#: copied in from another result are refused (:func:`read_result`), not reported as this one.
_RESULT_KEY = b"riskmc.result"
#: 2: project a categorical (dictionary), first_production datetime64[ns] (timestamps), row
#: groups of ROW_GROUP rows. A result of format 1 (text, dates) is still read, with today's types.
#: 3: the per-year cover columns kept out of the outcomes, as ``cover_years.parquet`` (read
#: from the columns of a result of format 1 or 2).
_RESULT_FORMAT = "riskmc-result/3"
_RESULT_FORMATS = ("riskmc-result/1", "riskmc-result/2", _RESULT_FORMAT)


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


def run_key(scenario: str, seed: int, engine: str = "simpy") -> str:
    """The key of a run, recorded in each of its chunks: scenario fingerprint, seed, format,
    engine.

    Resuming refuses a chunk with another key under a name the manifest lists
    (a file copied in from another run), rather than mixing two runs' rows.
    The SimPy engine's key is the one of runs made before the engine was
    recorded (they were all SimPy runs).
    """
    text = f"{_RUN_FORMAT}\n{scenario}\n{int(seed)}"
    if engine != "simpy":
        text += f"\n{engine}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _chunk_key(path: Path) -> str | None:
    """The run key in a chunk file's metadata: "" if it has none, None if it is unreadable
    (a damaged chunk, which :meth:`RunFolder.read` runs again)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return None
    key = meta.get(_CHUNK_KEY)
    return key.decode(errors="replace") if key is not None else ""


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


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


# -- saved results ---------------------------------------------------------------------------


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


# -- run folders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """What a run folder records about its run.

    Attributes
    ----------
    scenario : str
        Fingerprint of the scenario (:meth:`Scenario.fingerprint`).
    seed : int
    replications : int
        Replications asked for (with ``precision``: the size of the first batch).
    precision : float or None
    max_replications : int or None
        The cap of a run with ``precision``.
    done : tuple of (int, int)
        ``(first, stop)`` of each chunk on disk, in the order they finished.
    complete : bool
        Whether ``outcomes.parquet`` holds the finished run.
    engine : str
        The engine that runs the project models (a manifest that names none was
        written by the SimPy engine, before there were two).
    """

    scenario: str
    seed: int
    replications: int
    precision: float | None = None
    max_replications: int | None = None
    done: tuple[tuple[int, int], ...] = field(default=())
    complete: bool = False
    engine: str = "compiled"

    def to_json(self) -> dict[str, Any]:
        body = {
            "format": _RUN_FORMAT,
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "precision": self.precision,
            "max_replications": self.max_replications,
            "done": [list(c) for c in self.done],
            "complete": self.complete,
        }
        if self.engine != "simpy":  # the manifests of SimPy runs stay as they were
            body["engine"] = self.engine
        return {**body, "digest": _digest(body)}

    @classmethod
    def from_json(cls, doc: dict[str, Any], path: Path) -> Manifest:
        """The manifest, checked: its format, and its digest (a hand edit is refused)."""
        if doc.get("format") != _RUN_FORMAT:
            raise ExecutionError(
                f"{path}: format must be {_RUN_FORMAT!r}, not {doc.get('format')!r} (written "
                "by another riskmc); start the run again in a new folder"
            )
        body = {k: v for k, v in doc.items() if k != "digest"}
        if doc.get("digest") != _digest(body):
            raise ExecutionError(
                f"{path}: digest: does not match the manifest's content (edited by hand?); "
                "riskmc does not trust it: start the run again in a new folder"
            )
        try:
            return cls(
                scenario=str(doc["scenario"]),
                seed=int(doc["seed"]),
                replications=int(doc["replications"]),
                precision=None if doc.get("precision") is None else float(doc["precision"]),
                max_replications=(
                    None if doc.get("max_replications") is None else int(doc["max_replications"])
                ),
                done=tuple((int(a), int(b)) for a, b in doc["done"]),
                complete=bool(doc.get("complete", False)),
                engine=str(doc.get("engine", "simpy")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ExecutionError(f"{path}: malformed manifest ({exc!r})") from None


def read_manifest(folder: str | Path) -> Manifest | None:
    """The manifest of a run folder, or None if the folder holds no run."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    return Manifest.from_json(_read_json(path), path)


def read_run_scenario(folder: str | Path) -> Scenario:
    """The scenario of the run recorded in a folder (to resume it without its file)."""
    manifest = read_manifest(folder)
    if manifest is None:
        raise ExecutionError(f"resume: {folder} holds no run (no {MANIFEST})")
    return _read_scenario(Path(folder) / SCENARIO, manifest.scenario)


#: The run-folder locks this process holds: descriptor -> (device, inode) of the lock file.
_HELD: dict[int, tuple[int, int]] = {}


def _drop_inherited_locks() -> None:
    """In a forked child: let go of the parent's folder locks.

    A ``flock`` belongs to the open file, which a fork shares: a pool worker
    that outlived a killed parent would keep the folder locked. Each
    inherited descriptor is pointed at ``/dev/null`` instead (not closed, so
    that its number stays valid for the copy of the file object it has).
    """
    if not _HELD:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for fd, file_id in _HELD.items():
            try:
                st = os.fstat(fd)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == file_id:  # still the lock file, not a reused number
                os.dup2(null, fd)
    finally:
        os.close(null)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)


def _lock(path: Path) -> IO[str] | None:
    """Take the folder's lock for this run; None where ``flock`` does not exist."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    # Never through a link, never a FIFO or a device: the lock file is truncated below, and
    # a ``.lock`` that is a link to a user's file must not empty that file.
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path / LOCK, flags, 0o644)
    except OSError:
        if (path / LOCK).is_symlink():
            raise ExecutionError(
                f"out: {path / LOCK} is a symbolic link; riskmc follows no link inside a run folder"
            ) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ExecutionError(f"out: {path / LOCK} is not a regular file; riskmc's lock is one")
    f = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.seek(0)
        holder = f.read().strip() or "another process"
        f.close()
        raise ExecutionError(
            f"out: {path} is in use by another run (process {holder}); wait for it to end "
            "or choose another folder"
        ) from None
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    st = os.fstat(f.fileno())
    _HELD[f.fileno()] = (st.st_dev, st.st_ino)
    return f


def _unlock(f: IO[str] | None) -> None:
    if f is None:
        return
    if f.closed:  # closed some other way: forget its descriptor, which may be reused
        for fd, file_id in list(_HELD.items()):
            with contextlib.suppress(OSError):
                st = os.fstat(fd)
                if (st.st_dev, st.st_ino) == file_id:
                    continue
            del _HELD[fd]
        return
    import fcntl

    _HELD.pop(f.fileno(), None)
    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    f.close()


def _check_ours(path: Path) -> None:
    """Refuse a folder that holds files riskmc did not write (before anything is written).

    A folder is riskmc's when it is missing or empty, carries :data:`MARKER`,
    or holds the manifest and scenario of a run made before the marker existed.
    """
    if not path.is_dir():
        return
    if (path / MARKER).is_file() and not (path / MARKER).is_symlink():
        return
    entries = [e.name for e in path.iterdir()]
    if not entries or (entries == [LOCK] and _our_lock(path / LOCK)):
        return  # empty, or left so by a run that stopped before it wrote anything
    if (path / MANIFEST).is_file() and (path / SCENARIO).is_file():
        return  # a run folder of an earlier riskmc
    raise ExecutionError(
        f"out: {path} is not empty and riskmc did not make it (no {MARKER}); "
        "choose an empty or new folder"
    )


def _our_lock(path: Path) -> bool:
    """Whether ``path`` looks like riskmc's lock: a regular file, empty or a process id."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > 32:
            return False
        return re.fullmatch(r"\d*\n?", path.read_text(encoding="ascii")) is not None
    except (OSError, ValueError):
        return False


def _chunk_name(first: int, stop: int) -> str:
    return f"{first:012d}-{stop:012d}.parquet"


class RunFolder:
    """The checkpoints of one run: chunk files and a manifest kept in step.

    Use :meth:`open`; then :meth:`add` each finished chunk and
    :meth:`finish` with the whole result; :meth:`close` (or the end of the
    process) releases the folder for another run.
    """

    def __init__(
        self, path: Path, manifest: Manifest, lock: IO[str] | None = None, projects: int = 0
    ) -> None:
        self.path = path
        self.manifest = manifest
        self._lock = lock
        self.projects = projects  # rows of a replication in a chunk: one per project

    def close(self) -> None:
        """Release the folder's lock (idempotent)."""
        _unlock(self._lock)

    @classmethod
    def open(
        cls,
        folder: str | Path,
        scenario: Scenario,
        manifest: Manifest,
        *,
        resume: bool,
    ) -> RunFolder:
        """Start a run in ``folder``, or take up the one recorded there.

        Parameters
        ----------
        folder : str or Path
            Created if missing. Without ``resume`` it must hold no run.
        scenario : Scenario
        manifest : Manifest
            The settings of this run (its ``done`` is ignored).
        resume : bool
            Take up the run recorded in the folder, which must be for the
            same scenario and seed; its finished chunks are kept.

        Raises
        ------
        ExecutionError
            A run already in the folder without ``resume``, or one for
            another scenario or seed with it, or another run writing it now.
        """
        path = Path(folder)
        if path.exists() and not path.is_dir():
            raise ExecutionError(f"out: {path} is a file, not a folder")
        _check_ours(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            lock = _lock(path)
        except OSError as exc:  # a file on the way, a read-only or virtual file system
            raise ExecutionError(
                f"out: {path}: cannot be written ({exc.strerror or exc})"
            ) from None
        try:
            return cls._open(path, scenario, manifest, resume, lock)
        except BaseException:
            _unlock(lock)
            raise

    @classmethod
    def _open(
        cls, path: Path, scenario: Scenario, manifest: Manifest, resume: bool, lock: IO[str] | None
    ) -> RunFolder:
        old = read_manifest(path)
        if old is None and not resume and path.is_dir() and (path / OUTCOMES).exists():
            raise ExecutionError(
                f"out: {path} already holds a result; choose an empty or new folder"
            )
        if old is not None and not resume:
            raise ExecutionError(
                f"out: {path} already holds a run ({MANIFEST}); pass resume (--resume) to "
                "finish it, or choose an empty or new folder"
            )
        if old is not None:
            if old.scenario != manifest.scenario:
                raise ExecutionError(
                    f"resume: {path / MANIFEST} is for scenario {old.scenario[:12]}, not "
                    f"{manifest.scenario[:12]}: the scenario must be the one of the run"
                )
            if old.engine != manifest.engine:
                raise ExecutionError(
                    f"resume: the run in {path} was made by the {old.engine} engine, not the "
                    f"{manifest.engine} one: resume it with engine={old.engine!r} "
                    f"(--engine {old.engine})"
                )
            if old.seed != manifest.seed:
                raise ExecutionError(
                    f"resume: {path / MANIFEST} is for seed {old.seed}, not {manifest.seed}: "
                    "the seed must be the one of the run"
                )
            if (
                manifest.precision is None
                and old.precision is None
                and manifest.replications < old.replications
            ):
                raise ExecutionError(
                    f"resume: the run in {path} has {old.replications} replications; "
                    f"{manifest.replications} would shrink it (its saved outcomes would be "
                    f"replaced by fewer): ask for {old.replications} or more"
                )
            saved = max((b for _, b in old.done), default=0)
            limit = (
                manifest.replications if manifest.precision is None else manifest.max_replications
            )
            if limit is not None and limit < saved:
                option = "replications" if manifest.precision is None else "max_replications"
                raise ExecutionError(
                    f"resume: the run in {path} has saved replications 0 .. {saved - 1}; "
                    f"{option}={limit} would shrink it (its saved outcomes would be replaced by "
                    f"fewer): ask for {saved} or more"
                )
        chunks = path / CHUNKS
        if chunks.is_symlink():
            raise ExecutionError(
                f"out: {chunks} is a symbolic link; riskmc follows no link inside a run folder"
            )
        if chunks.exists() and not chunks.is_dir():
            raise ExecutionError(f"out: {chunks} is a file, not the folder of the chunks")
        if old is not None:
            key = run_key(manifest.scenario, manifest.seed, manifest.engine)
            for c in old.done:
                file = chunks / _chunk_name(*c)
                if not file.is_file() or file.is_symlink():
                    continue
                found = _chunk_key(file)
                if found and found != key:  # another run's (one without a key runs again)
                    raise ExecutionError(
                        f"resume: {file} is not a chunk of this run (its run key differs: "
                        "another scenario or seed); riskmc does not mix runs: remove the file "
                        "to run its replications again, or start in a new folder"
                    )
        if not (path / MARKER).is_file():
            atomic_write(path / MARKER, lambda f: f.write(b"made by riskmc; do not remove\n"))
        chunks.mkdir(parents=True, exist_ok=True)
        kept = () if old is None else old.done
        listed = {_chunk_name(a, b) for a, b in kept}
        # Leftovers of a killed run: temporary files, and chunks finished after
        # the last manifest update (they are run again, with the same rows).
        ours = [
            f
            for name in (MANIFEST, SCENARIO, OUTCOMES, COVER_YEARS, RESULT)
            for f in path.glob(f".{name}.*.tmp")
        ]
        # only riskmc's own chunk files, never a link, a folder or another file
        mine = [f for f in chunks.iterdir() if _CHUNK_FILE.match(f.name)]
        for leftover in [*ours, *mine]:
            if leftover.name not in listed and leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
        kept = tuple(c for c in kept if (chunks / _chunk_name(*c)).is_file())
        folder_ = cls(
            path, replace(manifest, done=kept, complete=False), lock, len(scenario.projects)
        )
        if old is None or not (path / SCENARIO).is_file():
            _write_json(path / SCENARIO, _scenario_doc(scenario))
        folder_._save()
        return folder_

    def _save(self) -> None:
        _write_json(self.path / MANIFEST, self.manifest.to_json())

    @property
    def done(self) -> tuple[tuple[int, int], ...]:
        return self.manifest.done

    def read(self, chunks: Iterable[tuple[int, int]]) -> dict[tuple[int, int], pd.DataFrame]:
        """Outcome rows of finished chunks, read back from disk (all held at once).

        A chunk file that cannot be read (damaged), that lacks this run's key
        (:func:`run_key`: rewritten by another program), or whose replications
        are not exactly its range (one row per project each: a file copied
        over another), is deleted and dropped from the manifest, so that it
        runs again; it is left out of what is returned. (A chunk with another
        run's key is refused before, by :meth:`open`.) :meth:`load` hands
        them over one at a time instead.
        """
        frames = {}

        def keep(first: int, stop: int, rows: pd.DataFrame) -> None:
            held = np.sort(rows["replication"].to_numpy())
            if not np.array_equal(held, np.repeat(np.arange(first, stop), self.projects)):
                raise ValueError(f"chunk {first}-{stop}: its replications are not the range")
            frames[(first, stop)] = rows

        self.load(chunks, keep)
        return frames

    def load(
        self, chunks: Iterable[tuple[int, int]], add: Callable[[int, int, pd.DataFrame], object]
    ) -> None:
        """Read finished chunks back from disk one at a time: ``add(first, stop, rows)`` each.

        ``add`` raises ValueError to refuse a chunk (rows that are not its
        range, columns or types that are not the run's); a refused chunk, and
        one that cannot be read or lacks this run's key, is deleted and
        dropped from the manifest, as :meth:`read` says, so that it runs again.
        """
        bad = []
        key = run_key(self.manifest.scenario, self.manifest.seed, self.manifest.engine)
        for c in chunks:
            file = self.path / CHUNKS / _chunk_name(*c)
            if _chunk_key(file) != key:  # damaged, or rewritten by something else than riskmc
                bad.append(c)
                continue
            try:
                add(*c, pd.read_parquet(file))
            except (OSError, ValueError, KeyError):
                bad.append(c)
        if bad:
            for c in bad:
                (self.path / CHUNKS / _chunk_name(*c)).unlink(missing_ok=True)
            done = tuple(c for c in self.manifest.done if c not in bad)
            self.manifest = replace(self.manifest, done=done)
            self._save()

    def add(self, first: int, stop: int, rows: pd.DataFrame) -> None:
        """Checkpoint a finished chunk: its file first, then the manifest."""
        key = run_key(self.manifest.scenario, self.manifest.seed, self.manifest.engine)
        _write_parquet(
            self.path / CHUNKS / _chunk_name(first, stop), rows, {_CHUNK_KEY: key.encode()}
        )
        self.manifest = replace(self.manifest, done=(*self.manifest.done, (first, stop)))
        self._save()

    def finish(
        self, scenario: Scenario, seed: int, outcomes: pd.DataFrame, cover_years: pd.DataFrame
    ) -> None:
        """Write the whole result beside the chunks and mark the run complete."""
        write_result(self.path, scenario, seed, outcomes, cover_years)
        self.manifest = replace(self.manifest, complete=True)
        self._save()


def covered(done: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge ``(first, stop)`` ranges into disjoint ascending ones.

    >>> covered([(5, 8), (0, 3), (3, 5), (10, 12)])
    [(0, 8), (10, 12)]
    """
    merged: list[tuple[int, int]] = []
    for a, b in sorted(done):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
