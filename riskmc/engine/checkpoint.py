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

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from riskmc.engine.files import (
    CHUNKS,
    COVER_YEARS,
    LOCK,
    MANIFEST,
    MARKER,
    OUTCOMES,
    RESULT,
    SCENARIO,
    ExecutionError,
    WriteError,
    _read_json,
    _read_scenario,
    _scenario_doc,
    _write_json,
    _write_parquet,
    atomic_write,
)
from riskmc.engine.folder_guard import _check_ours, _lock, _unlock
from riskmc.engine.result_files import (
    check_result_folder,
    count_replications,
    read_result,
    write_result,
)
from riskmc.scenario import Scenario

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

_CHUNK_FILE = re.compile(r"^\d{12}-\d{12}\.parquet$|^\.\d{12}-\d{12}\.parquet\..*\.tmp$")
_RUN_FORMAT = "riskmc-run/6"  # 2: lost-output attribution; 3: convoy waits, in-storage cause;
# 4: cargo destroyed in convoy attacks valued (cargo_damage_usd); 5: the manifest's digest and
# each chunk's run key; 6: project a categorical, first_production datetime64[ns] (the chunks'
# Parquet schema changed: a dictionary, timestamps)
#: Parquet metadata key of a chunk's run key (:func:`run_key`).
_CHUNK_KEY = b"riskmc.run"


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
