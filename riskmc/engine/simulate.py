"""``simulate``: hazard, then each project's supply chain, one row per (replication, project).

The work is done chunk by chunk by :class:`riskmc.engine.propagate.ChunkModel`
(see :data:`~riskmc.engine.propagate.OUTCOME_COLUMNS` for the columns), on the
backend of :mod:`riskmc.engine.execute`, with checkpoints
(:mod:`riskmc.engine.checkpoint`) and precision stopping
(:mod:`riskmc.engine.precision`) when asked for.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from riskmc.calibration.history import resolve_history
from riskmc.engine.checkpoint import (
    MANIFEST,
    ExecutionError,
    Manifest,
    RunFolder,
    check_result_folder,
    count_replications,
    covered,
    read_result,
    write_result,
)
from riskmc.engine.cover import cover_table
from riskmc.engine.execute import (
    Backend,
    DaskBackend,
    InProcess,
    LocalPool,
    _distributed,
    available_cores,
    plan_chunks,
)
from riskmc.engine.precision import next_target, precision_reached
from riskmc.engine.propagate import ENGINES, METRICS, outcome_schema, project_dtype
from riskmc.engine.summary import short_number, summarize
from riskmc.engine.table import (
    OutcomeTable,
    cover_year_columns,
    empty_cover_years,
    sparse_cover_years,
)
from riskmc.scenario import as_scenario
from riskmc.scenario.schema import Scenario, name_key

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ProgressCallback", "SimulationResult", "simulate"]

#: ``progress(done, total)``: replications finished, and replications wanted so
#: far (with ``precision``, ``total`` grows batch by batch).
ProgressCallback = Callable[[int, int], object]
#: The cap of a run with ``precision`` when none is given.
MAX_REPLICATIONS = 1_000_000
_REPLICATION_LIMIT = 2**31 - 1  # replication indices are below it (the hazard's streams)


@dataclass(frozen=True)
class SimulationResult:
    """Outcomes of a simulation: one row per (replication, project).

    ``cover_years`` holds what each cover paid in each simulated year, where it
    paid something (:func:`~riskmc.engine.table.sparse_cover_years`): one row per
    (replication, project, cover key, year 1..n) with ``usd`` (the year's
    payments) and ``max_usd`` (its largest); a year without a row paid 0. Left
    out (a result built by hand): read from the outcomes' per-year cover
    columns (``cover_<key>_y<k>_usd``, ``cover_<key>_y<k>_max_usd``, as a
    chunk holds them), and without them, no payments.
    """

    scenario: Scenario
    seed: int
    outcomes: pd.DataFrame
    cover_years: pd.DataFrame = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.cover_years is None:
            years = cover_year_columns(self.outcomes.columns)
            if years and isinstance(self.outcomes["project"].dtype, pd.CategoricalDtype):
                found = sparse_cover_years(self.outcomes, years)
            else:
                keys = sorted({name_key(c.name) for p in self.scenario.projects for c in p.cover})
                found = empty_cover_years(project_dtype(self.scenario), keys)
            object.__setattr__(self, "cover_years", found)

    def summary(self) -> pd.DataFrame:
        """Mean, P10, P50, P80, P90, P95, P99 of each metric per project, with errors."""
        return summarize(self.outcomes, METRICS)

    @cached_property
    def cover(self) -> pd.DataFrame:
        """What each cover pays and costs per replication (SPEC 4b).

        One row per (replication, project, cover) of the projects' ``cover``
        lists: ``recovery_usd`` (nominal, over the horizon) and ``premium_usd``
        (present value at the scenario's start), as the outcome table's
        ``cover_<name>_recovery_usd`` and ``cover_<name>_premium_usd`` hold them.
        """
        return cover_table(self.scenario, self.outcomes)

    @cached_property
    def n_replications(self) -> int:
        return count_replications(self.outcomes)

    def _repr_html_(self) -> str:
        """A short summary for Jupyter: the run, and four statistics of the main metrics."""
        head = (
            f"<p><b>SimulationResult</b>: scenario {html.escape(self.scenario.name)}, "
            f"{self.n_replications:,} replications, seed {self.seed}</p>"
        )
        s = self.summary()
        shown = s[s["metric"].isin(_SHOWN_METRICS) & s["statistic"].isin(_SHOWN_STATISTICS)]
        if shown.empty:
            return head
        table = shown.pivot_table(
            index=["project", "metric"], columns="statistic", values="value", sort=False
        )[list(_SHOWN_STATISTICS)]
        return head + table.to_html(float_format=short_number)

    def to_parquet(self, folder: str | Path) -> Path:
        """Save the result in a folder (created if needed).

        It holds ``outcomes.parquet``, ``scenario.json`` (the scenario
        document) and ``result.json`` (seed, fingerprint); each file is written
        atomically. :meth:`from_parquet` reads it back exactly.

        Returns
        -------
        Path
            The folder.

        Raises
        ------
        ExecutionError
            The folder is that of a run (``riskmc run --out``, ``out=``):
            its manifest would no longer match; or it holds a file of the
            user's under one of the three names, or the path is empty
            (:func:`~riskmc.engine.checkpoint.check_result_folder`).
        """
        if (Path(folder) / MANIFEST).is_file():
            raise ExecutionError(
                f"{folder}: already holds a result (the run folder of riskmc run --out, with "
                f"its {MANIFEST}); choose an empty or new folder"
            )
        check_result_folder(folder)  # never over a file of the user's, never ''
        return write_result(folder, self.scenario, self.seed, self.outcomes, self.cover_years)

    @classmethod
    def from_parquet(cls, folder: str | Path) -> SimulationResult:
        """Read a result saved by :meth:`to_parquet`, or the folder of a finished run.

        Examples
        --------
        >>> import tempfile
        >>> from riskmc.scenario import load_scenario, shipped_scenarios
        >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
        >>> result = simulate(tiny, 3, seed=1, workers=1)
        >>> again = SimulationResult.from_parquet(result.to_parquet(tempfile.mkdtemp()))
        >>> again.outcomes.equals(result.outcomes), again.scenario == tiny, again.seed
        (True, True, 1)
        """
        scenario, seed, outcomes, cover_years = read_result(folder)
        return cls(scenario=scenario, seed=seed, outcomes=outcomes, cover_years=cover_years)


#: What a result shows in a notebook (``_repr_html_``): the main metrics, four statistics.
_SHOWN_METRICS = ("delay_days", "capex_overrun_usd", "lost_output_t", "npv_loss_usd")
_SHOWN_STATISTICS = ("mean", "P50", "P90", "P99")


def simulate(
    scenario: Scenario | str | Path,
    replications: int = 1000,
    seed: int = 0,
    *,
    workers: int | None = None,
    chunk_size: int | None = None,
    backend: Literal["local", "dask"] | None = None,
    address: str | None = None,
    client: Client | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    precision: float | None = None,
    max_replications: int = MAX_REPLICATIONS,
    progress: ProgressCallback | None = None,
    after: Callable[[SimulationResult], object] | None = None,
    engine: str = "compiled",
) -> SimulationResult:
    """Simulate replications of a scenario, on every core or on a Dask cluster.

    The outcomes depend on the scenario, ``replications`` and ``seed`` only
    (and, with ``precision``, on ``precision`` and ``max_replications``):
    they are bit-identical whatever the workers, the chunk size, the backend,
    and whether the run was interrupted and resumed.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A path is loaded with :func:`riskmc.load_scenario`.
    replications : int
        Number of replications, ``0 .. replications - 1``; with ``precision``,
        the size of the first batch.
    seed : int
        Seed of every random stream.
    workers : int, optional
        Local worker processes; default: every core. With 1 (or a single
        chunk to run) the chunks run in this process, without a pool.
    chunk_size : int, optional
        Replications per unit of work; a chunk's hazard events are held in
        memory only until it is propagated. Default: about eight chunks per
        worker, between 16 and 256 replications each, so that the workers
        finish together.
    backend : {"local", "dask"}, optional
        Default: ``"dask"`` when ``address`` or ``client`` is given, else
        ``"local"``.
    address : str, optional
        Dask scheduler address, e.g. ``"tcp://10.0.0.5:8786"``.
    client : distributed.Client, optional
        An existing Dask client (left open).
    out : str or Path, optional
        Run folder: each finished chunk is checkpointed there, and the
        result is saved there at the end (see :mod:`riskmc.engine.checkpoint`).
    resume : bool
        Take up the run recorded in ``out`` (same scenario and seed): the
        chunks on disk are read back, the others are run.
    precision : float, optional
        Run batches until the standard error of every reported P90 is at
        most ``precision`` times its value (a fraction: 0.01 is 1 %); see
        :mod:`riskmc.engine.precision`.
    max_replications : int
        With ``precision``: stop there even if the precision is not reached.
    progress : callable, optional
        ``progress(done, total)``, called in this process as chunks finish.
    after : callable, optional
        ``after(result)``, called with the result before the run folder
        ``out`` is released: what it writes there (plots, a report) is
        written while no other run can take the folder.
    engine : {"compiled", "simpy"}
        The project model: the compiled state machine (the default), or the
        SimPy model, the readable reference. Both give the same outcomes
        (integers, flags, text and dates identical, amounts within 1e-9
        relative or 1e-6 absolute; SPEC 3c); a run folder is resumed with the
        engine that started it.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ExecutionError
        Settings that cannot be used (a ``ValueError``), with a one-line message.

    Examples
    --------
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> a = simulate(tiny, 6, seed=4, workers=1, chunk_size=4)
    >>> b = simulate(tiny, 6, seed=4, workers=1, chunk_size=5)
    >>> a.outcomes.equals(b.outcomes), a.n_replications
    (True, 6)
    """
    if after is not None and not callable(after):
        raise TypeError(f"after: must be callable, got {type(after).__name__}")
    if engine not in ENGINES:
        raise ExecutionError(f"engine: must be one of {', '.join(ENGINES)}, got {engine!r}")
    scenario = _check_types(scenario, client, out, progress)
    kind = _check(
        replications, seed, workers, chunk_size, backend, address, client, out, resume,
        precision, max_replications,
    )  # fmt: skip
    replications, seed = int(replications), int(seed)  # NumPy integers too
    n_workers = available_cores() if workers is None else int(workers)
    # Connect first: a bad Dask address must not leave a run folder behind.
    runner = _Runner(scenario, kind, n_workers, address, client, engine)
    try:
        folder, table, saved = _open_run(
            out, resume, scenario, seed, replications, precision, max_replications, engine
        )
    except BaseException:
        runner.close()
        raise
    try:
        try:
            target = _run_batches(
                runner, seed, replications, chunk_size, table, folder, progress,
                precision, max_replications, saved,
            )  # fmt: skip
        except BaseException:
            runner.abort()
            raise
        runner.close()
        table.trim(target)  # rows of chunks run beyond the target on an earlier try
        outcomes = table.frame(target)
        cover_years = table.cover_years(target)
        del table
        if folder is not None:
            folder.finish(scenario, seed, outcomes, cover_years)
        result = SimulationResult(
            scenario=scenario, seed=seed, outcomes=outcomes, cover_years=cover_years
        )
        if after is not None:
            after(result)
    finally:
        if folder is not None:
            folder.close()
    return result


def _open_run(
    out: str | Path | None,
    resume: bool,
    scenario: Scenario,
    seed: int,
    replications: int,
    precision: float | None,
    max_replications: int,
    engine: str,
) -> tuple[RunFolder | None, OutcomeTable, int]:
    """The run folder (None without ``out``), the outcome table, and the replications saved.

    A resumed folder's chunks on disk are read into the table, one at a time.
    """
    folder = None
    if out is not None:
        manifest = Manifest(
            scenario=scenario.fingerprint(),
            seed=seed,
            replications=replications,
            precision=precision,
            max_replications=max_replications if precision is not None else None,
            engine=engine,
        )
        folder = RunFolder.open(out, scenario, manifest, resume=resume)
    # The outcome rows, filled in place as chunks arrive: the table is held once.
    table = OutcomeTable(outcome_schema(scenario))
    saved = 0  # replications a resumed folder holds: a resume never ends with fewer
    if folder is not None:  # the chunks on disk, read one at a time into the table
        table.reserve(max([replications, *(b for _, b in folder.done)]))
        folder.load(folder.done, table.add)
        saved = max((b for _, b in folder.done), default=0)
    return folder, table, saved


def _run_batches(
    runner: _Runner,
    seed: int,
    replications: int,
    chunk_size: int | None,
    table: OutcomeTable,
    folder: RunFolder | None,
    progress: ProgressCallback | None,
    precision: float | None,
    max_replications: int,
    saved: int,
) -> int:
    """Run ``replications``, then with ``precision`` batches until it is reached or the cap.

    Returns the replications run (the target), never fewer than those ``saved``.
    """
    target = replications
    while True:
        _run_batch(runner, seed, target, chunk_size, table, folder, progress)
        if precision is None or target >= max_replications:
            break
        # a frame over the table's arrays, dropped before they grow for the next batch
        summary = summarize(table.frame(target, ("project", *METRICS)), METRICS)
        if precision_reached(summary, precision):
            break
        target = next_target(target, summary, precision, max_replications)
    if target < saved:
        # A looser precision stopped before the replications already saved: keep
        # them all (and run any gap among them) rather than shrink the run. With the
        # run's own settings the target always reaches them, so nothing changes.
        target = saved
        _run_batch(runner, seed, target, chunk_size, table, folder, progress)
    return target


def _check_types(scenario: object, client: object, out: object, progress: object) -> Scenario:
    """The scenario (loaded from a path), or a TypeError naming the argument of a wrong type."""
    if not isinstance(scenario, Scenario | str | os.PathLike):
        as_scenario(scenario)  # the one-line TypeError, before anything is loaded
    if client is not None:
        try:
            client_type = _distributed().Client
        except ImportError:
            client_type = None
        if client_type is None or not isinstance(client, client_type):
            raise TypeError(f"client: must be a distributed.Client, got {type(client).__name__}")
    if out is not None and not isinstance(out, str | Path):
        raise TypeError(f"out: must be the path of a folder, got {type(out).__name__}")
    if isinstance(out, str) and not out.strip():
        # Path("") is the current folder: riskmc would write among the user's files
        raise ValueError("out: must be the path of a folder, got '' (an unset variable?)")
    if progress is not None and not callable(progress):
        raise TypeError(
            f"progress: must be callable as progress(done, total), got {type(progress).__name__}"
        )
    # hazard.history names a file: read it here, so that the workers get its events
    return resolve_history(as_scenario(scenario))


def _check(
    replications: int,
    seed: int,
    workers: int | None,
    chunk_size: int | None,
    backend: str | None,
    address: str | None,
    client: object,
    out: str | Path | None,
    resume: bool,
    precision: float | None,
    max_replications: int,
) -> Literal["local", "dask"]:
    def whole(name: str, value: object, least: int) -> None:
        if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
            raise ExecutionError(f"{name}: must be an integer >= {least}, got {value!r}")

    whole("replications", replications, 0)
    if replications >= _REPLICATION_LIMIT:  # a replication index is a 32-bit integer
        raise ExecutionError(
            f"replications: must be < 2**31 - 1 ({_REPLICATION_LIMIT:,}), got {replications:,}"
        )
    whole("seed", seed, 0)
    if chunk_size is not None:
        whole("chunk_size", chunk_size, 1)
    if workers is not None:
        whole("workers", workers, 1)
    if precision is not None:
        if not isinstance(precision, int | float) or not 0 < precision < 1:
            raise ExecutionError(
                f"precision: must be a fraction between 0 and 1 (exclusive), got {precision!r}"
            )
        whole("replications", replications, 1)
        whole("max_replications", max_replications, replications)
        if max_replications >= _REPLICATION_LIMIT:
            raise ExecutionError(
                f"max_replications: must be < 2**31 - 1 ({_REPLICATION_LIMIT:,}), "
                f"got {max_replications:,}"
            )
    if resume and out is None:
        raise ExecutionError("resume: needs out= (--out DIR), the folder of the run to finish")
    dask = address is not None or client is not None
    kind = backend if backend is not None else ("dask" if dask else "local")
    if kind not in ("local", "dask"):
        raise ExecutionError(f"backend: must be 'local' or 'dask', got {kind!r}")
    if kind == "local" and dask:
        raise ExecutionError("backend 'local': address= and client= are for backend 'dask'")
    if kind == "dask" and not dask:
        raise ExecutionError("backend 'dask': needs address= (--dask ADDRESS) or client=")
    if address is not None and client is not None:
        raise ExecutionError("backend 'dask': give address= or client=, not both")
    return "dask" if kind == "dask" else "local"


class _Runner:
    """Opens a backend the first time there is work, and keeps it for later batches."""

    def __init__(
        self,
        scenario: Scenario,
        kind: Literal["local", "dask"],
        workers: int,
        address: str | None,
        client: Client | None,
        engine: str = "compiled",
    ) -> None:
        self.scenario, self.kind, self.local_workers = scenario, kind, workers
        self.address, self.client, self.engine = address, client, engine
        self.backend: Backend | None = None
        if kind == "dask":  # connect now: a bad address fails before any work
            self.backend = DaskBackend(scenario, client=client, address=address, engine=engine)

    @property
    def workers(self) -> int:
        """Chunks that can run at once."""
        if isinstance(self.backend, DaskBackend):
            return self.backend.workers
        return self.local_workers

    def get(self, n_chunks: int) -> Backend:
        if self.backend is None or (isinstance(self.backend, InProcess) and n_chunks > 1):
            if self.kind == "local" and (self.local_workers == 1 or n_chunks == 1):
                if self.backend is None:
                    self.backend = InProcess(self.scenario, self.engine)
            else:
                self.backend = LocalPool(self.scenario, self.local_workers, self.engine)
        return self.backend

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()

    def abort(self) -> None:
        if isinstance(self.backend, LocalPool):
            self.backend.terminate()
        else:
            self.close()


def _run_batch(
    runner: _Runner,
    seed: int,
    target: int,
    chunk_size: int | None,
    table: OutcomeTable,
    folder: RunFolder | None,
    progress: ProgressCallback | None,
) -> None:
    done = sum(min(b, target) - a for a, b in covered(table.done) if a < target)
    if progress is not None:
        progress(done, target)
    if done >= target:
        return
    table.reserve(target)  # room for the batch at once, not chunk by chunk
    size = chunk_size or auto_chunk_size(target - done, runner.workers)
    chunks = plan_chunks(target, size, done=table.done)
    for first, stop, rows in runner.get(len(chunks)).run(chunks, seed):
        if folder is not None:
            folder.add(first, stop, rows)
        table.add(first, stop, rows)  # copied to its place; the chunk's frame is dropped
        done += stop - first
        if progress is not None:
            progress(done, target)


def auto_chunk_size(replications: int, workers: int) -> int:
    """Replications per chunk when none is given: about eight chunks per worker.

    Small enough that the workers end together (a Dask scheduler hands a
    worker its next task before it is free, so the last chunks can wait
    behind one another), within 16 and 256 so that the cost of a chunk (a
    task, its hazard call, its table) stays small.

    >>> auto_chunk_size(20_000, 2), auto_chunk_size(1000, 2), auto_chunk_size(10, 8)
    (256, 63, 16)
    """
    return min(256, max(16, -(-replications // (8 * workers))))
