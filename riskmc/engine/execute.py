"""Where chunks run: in this process, in a local process pool, or on Dask.

Every backend runs the same unit of work, :meth:`ChunkModel.run
<riskmc.engine.propagate.ChunkModel.run>` on a range of replications, and
hands back ``(first, stop, rows)`` as chunks finish, in any order. Because a
chunk's rows depend only on (scenario, seed, replication indices), the
caller puts them in replication order and gets the same table whatever ran
them.

Each worker process builds its :class:`ChunkModel` once per scenario (the
network, routes and plans) and keeps it for the chunks that follow.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, InvalidStateError, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from riskmc.engine.checkpoint import ExecutionError
from riskmc.engine.propagate import ChunkModel
from riskmc.scenario import Scenario, scenario_from_dict

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "Backend",
    "DaskBackend",
    "InProcess",
    "LocalPool",
    "available_cores",
    "plan_chunks",
]

Chunk = tuple[int, int]
#: Chunks in flight per worker: enough to keep every worker busy while the
#: caller writes a checkpoint, few enough that finished rows do not pile up.
_IN_FLIGHT_PER_WORKER = 2
#: How many times a local pool whose worker died is replaced within one batch of chunks.
POOL_RESTARTS = 2
#: How long to wait for a Dask scheduler [s].
DASK_CONNECT_TIMEOUT = 10


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def plan_chunks(
    stop: int, chunk_size: int, done: Sequence[Chunk] = (), start: int = 0
) -> list[Chunk]:
    """Chunks that cover replications ``start .. stop - 1`` minus those ``done``.

    Each gap between finished ranges is cut into chunks of ``chunk_size``
    (the last one of a gap may be shorter).

    Examples
    --------
    >>> plan_chunks(10, 4)
    [(0, 4), (4, 8), (8, 10)]
    >>> plan_chunks(10, 4, done=[(2, 5)])
    [(0, 2), (5, 9), (9, 10)]
    """
    chunks: list[Chunk] = []
    at = start
    for a, b in sorted([*done, (stop, stop)]):
        gap_end = min(a, stop)
        chunks.extend((f, min(f + chunk_size, gap_end)) for f in range(at, gap_end, chunk_size))
        at = max(at, b)
        if at >= stop:
            break
    return chunks


class Backend(Protocol):
    """Runs chunks of one scenario and seed; yields them as they finish."""

    @property
    def workers(self) -> int:
        """Chunks that can run at the same time."""
        ...

    def run(self, chunks: Sequence[Chunk], seed: int) -> Iterator[tuple[int, int, pd.DataFrame]]:
        """Yield ``(first, stop, rows)`` for every chunk, in the order they finish."""
        ...

    def close(self) -> None:
        """Release workers and connections that the backend opened."""
        ...


class InProcess:
    """Chunks one after the other in this process: no start-up cost."""

    workers = 1

    def __init__(self, scenario: Scenario, engine: str = "compiled") -> None:
        self.model = ChunkModel(scenario, engine=engine)

    def run(self, chunks: Sequence[Chunk], seed: int) -> Iterator[tuple[int, int, pd.DataFrame]]:
        for first, stop in chunks:
            yield first, stop, self.model.run(seed, first, stop)

    def close(self) -> None:
        pass


# -- local process pool ----------------------------------------------------------------------

_worker_model: ChunkModel | None = None


def _exit_when_parent_ends() -> None:
    """End this process when the process that started it ends (any start method).

    A daemon thread waits on the parent's sentinel; it runs as soon as the
    worker is back in Python between two pieces of compiled work.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - always a child here
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="riskmc-parent-watch", daemon=True).start()


def _die_with(parent: int) -> None:
    """Have the kernel end this process when ``parent`` dies (Linux; elsewhere, or 0, nothing)."""
    if parent == 0:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Hold Ctrl-C back while the pool may start processes (they inherit the mask).

    A worker killed by Ctrl-C before its initializer ignores SIGINT breaks the
    pool, and Python's pool manager thread then prints a traceback of its own
    (an InvalidStateError on the cancelled futures). The parent's own Ctrl-C
    is only deferred to the end of the block.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _leave_ctrl_c_to_parent() -> None:
    """In a child: ignore SIGINT, then unblock it (the parent forked with it blocked)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _warm_quietly(model: ChunkModel) -> None:
    """The supply kernels compiled in a helper process, which leaves Ctrl-C to its parent."""
    _leave_ctrl_c_to_parent()
    model.warm_supply()


def _start_worker(model: ChunkModel | tuple[Scenario, str], parent: int) -> None:
    """Initializer of a pool process: the model, with its kernels loaded."""
    global _worker_model  # one model per worker process, built once
    # Ctrl-C reaches the whole process group; the parent alone decides what to do. The
    # parent forks with SIGINT blocked (_sigint_blocked), so that a Ctrl-C before this
    # line waits, blocked, instead of killing a worker still starting: ignore, then unblock.
    _leave_ctrl_c_to_parent()
    # SIGTERM ends a worker, whatever handler the parent's application installed.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A worker outliving a killed parent would wait for work forever: forked workers get
    # a signal from the kernel when the parent dies; every worker also watches for it.
    _die_with(parent)
    _exit_when_parent_ends()
    if isinstance(model, ChunkModel):  # forked: the parent's model, already warm
        _worker_model = model
    else:
        scenario, engine = model
        _worker_model = ChunkModel(scenario, engine=engine)
        _worker_model.run(0, 0, 1)  # kernels from the Numba cache before any timing counts
    _worker_model.threads = 1  # the pool has a process per core: one thread each


def _pool_chunk(seed: int, first: int, stop: int) -> tuple[int, int, pd.DataFrame]:
    if _worker_model is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("pool worker started without its model")
    return first, stop, _worker_model.run(seed, first, stop)


def _context() -> multiprocessing.context.BaseContext:
    # fork when this process runs no other thread: workers start at once, with
    # the kernels already loaded, and scripts need no ``if __name__ ==
    # "__main__"`` guard. With other threads alive (a Dask client, Jupyter),
    # forking could copy a lock held by one of them, so workers fork from a
    # clean server process instead, which imports riskmc once for all of them.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["riskmc.engine.execute"])
        return ctx
    return multiprocessing.get_context("spawn")


class LocalPool:
    """A pool of worker processes on this machine, one chunk at a time each.

    This process builds the model and runs one replication first, which
    compiles every kernel of a chunk into the Numba cache (or loads it from
    there). Forked workers then inherit the warm model as it is; workers
    started otherwise build their own and load the kernels from the cache,
    instead of each compiling them.

    A worker that dies (killed, or out of memory) breaks the pool: the pool
    is replaced and the chunks that were in flight run again, up to
    :data:`POOL_RESTARTS` times per batch; a chunk's rows do not depend on
    which worker runs it, so the outcomes do not change. After that the
    :class:`~concurrent.futures.process.BrokenProcessPool` error is raised.
    """

    def __init__(self, scenario: Scenario, workers: int, engine: str = "compiled") -> None:
        self.workers = workers
        model = ChunkModel(scenario, engine=engine)
        ctx = _context()
        if workers > 1 and ctx.get_start_method() == "fork":
            # Compile on two cores: a child compiles (or loads) the supply kernels into the
            # Numba cache while this process compiles the hazard kernels; the warm-up
            # replication below then finds every kernel compiled or cached.
            child = multiprocessing.get_context("fork").Process(target=_warm_quietly, args=(model,))
            with _sigint_blocked():
                child.start()
            try:
                model.warm_hazard()
            except BaseException:  # Ctrl-C: the helper would go on compiling
                child.terminate()
                raise
            finally:
                child.join()
        model.run(0, 0, 1)
        # fork passes the initializer's argument by memory; the other methods pickle it
        self._start: ChunkModel | tuple[Scenario, str] = (
            model if ctx.get_start_method() == "fork" else (scenario, engine)
        )
        self._ctx = ctx
        self._pool = self._new_pool()
        #: Pools replaced after a worker died, over the pool's life.
        self.restarts = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._ctx,
            initializer=_start_worker,
            # forked workers are this process's children: they end with it
            initargs=(self._start, os.getpid() if isinstance(self._start, ChunkModel) else 0),
        )

    def run(self, chunks: Sequence[Chunk], seed: int) -> Iterator[tuple[int, int, pd.DataFrame]]:
        todo = list(reversed(chunks))
        running: dict[Future[tuple[int, int, pd.DataFrame]], Chunk] = {}
        restarts = 0

        def replace_pool(lost: list[Chunk]) -> None:
            # the pool is gone with every chunk in it: a new pool runs them again
            nonlocal restarts
            if restarts >= POOL_RESTARTS:
                raise BrokenProcessPool("a worker process died; the pool was replaced twice")
            restarts += 1
            self.restarts += 1
            todo.extend([*running.values(), *lost])
            running.clear()
            # wait for the broken pool's threads to end before forking again:
            # a fork must not copy a lock that one of them holds
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = self._new_pool()

        try:
            while todo or running:
                while todo and len(running) < _IN_FLIGHT_PER_WORKER * self.workers:
                    chunk = todo.pop()
                    try:  # a pool can break while this generator waits for its caller
                        with _sigint_blocked():  # a submit may start the workers
                            fut = self._pool.submit(_pool_chunk, seed, *chunk)
                        running[fut] = chunk
                    except BrokenProcessPool:
                        replace_pool([chunk])
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    chunk = running.pop(fut)
                    try:
                        rows = fut.result()
                    except BrokenProcessPool:
                        replace_pool([chunk])
                        break
                    yield rows
        finally:
            for fut in running:
                fut.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def terminate(self) -> None:
        """Stop now: kill the workers, whatever they are doing (after Ctrl-C)."""
        # ProcessPoolExecutor has no public way to stop a running task before
        # Python 3.14 (terminate_workers); its process table is the only handle.
        processes: dict[int, Any] = dict(getattr(self._pool, "_processes", None) or {})
        # Python 3.11's pool manager thread, seeing its workers gone, sets an error on
        # every future it still holds, including those run() cancelled, which raises
        # InvalidStateError in that thread: a traceback after the run's own message.
        # Nothing is lost (the run is being stopped); the hook keeps it quiet.
        hook = threading.excepthook

        def quiet(args: threading.ExceptHookArgs) -> None:
            if args.exc_type is not InvalidStateError:
                hook(args)

        threading.excepthook = quiet
        try:
            self._kill(processes)
        finally:
            threading.excepthook = hook

    def _kill(self, processes: dict[int, Any]) -> None:
        for proc in processes.values():
            proc.terminate()
        for proc in processes.values():
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        # With its workers gone the pool's manager thread ends at once; wait for it.
        # Left running, it could close its wake-up pipe while Python exits and the
        # exit hook of concurrent.futures writes to it ("OSError: [Errno 9] Bad file
        # descriptor" after the run's own message). shutdown(wait=False) would drop
        # the pool's reference to the thread, so it is not called first.
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- Dask ------------------------------------------------------------------------------------

_dask_models: dict[tuple[str, str], ChunkModel] = {}


def _dask_chunk(
    fingerprint: str, document: dict[str, Any], seed: int, first: int, stop: int, engine: str
) -> pd.DataFrame:
    """A chunk on a Dask worker, with the worker's model for this scenario and engine."""
    model = _dask_models.get((fingerprint, engine))
    if model is None:
        # A worker keeps the models of the last few scenarios it has run.
        while len(_dask_models) >= 4:
            _dask_models.pop(next(iter(_dask_models)))
        model = _dask_models[fingerprint, engine] = ChunkModel(
            scenario_from_dict(document), threads=1, engine=engine
        )
    return model.run(seed, first, stop)


def _profiler(dask_worker: Any, run: bool) -> bool:
    """Stop (``run=False``) or start a Dask worker's statistical profiler.

    Returns whether it was running before. Called by ``Client.run``, in the
    worker's event loop.
    """
    callback = dask_worker.periodic_callbacks.get("profile")
    if callback is None:
        return False
    was = bool(callback.is_running())
    if run and not was:
        callback.start()
    elif not run and was:
        callback.stop()
    return was


def _distributed() -> Any:
    # Imported on use: the local backends do not need it. Typed as Any because
    # much of distributed's API is unannotated, which strict mypy rejects.
    import distributed

    return distributed


def connect(address: str, timeout: float | None = None) -> Client:
    """A client of the Dask scheduler at ``address``, or an :class:`ExecutionError`.

    ``timeout`` [s] defaults to :data:`DASK_CONNECT_TIMEOUT`.
    """
    wait_s = DASK_CONNECT_TIMEOUT if timeout is None else timeout
    try:
        client: Client = _distributed().Client(address, timeout=wait_s)
        return client
    except (OSError, ValueError, TypeError) as exc:
        if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
            reason = f"no Dask scheduler answered within {wait_s:g} s"
        else:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExecutionError(f"dask address {address!r}: {reason}") from None


class DaskBackend:
    """Chunks as tasks on a Dask cluster.

    The scheduler retries the tasks of a worker that dies, on another worker;
    a retried chunk gives the same rows, so the outcomes do not change.

    While it runs, the backend stops the statistical profiler of the workers
    it finds (``distributed.worker.profile``, on by default), and starts it
    again in :meth:`close` on those where it was running: sampling the task's
    stack every 10 ms took about a sixth of the throughput of the supply
    models, which are Python (measured, 1,000 replications of the default
    scenario on a LocalCluster of 2: 178-190 against 221-230 replications/s).

    Parameters
    ----------
    scenario : Scenario
    client : distributed.Client, optional
        Used as it is and left open.
    address : str, optional
        Scheduler address, when no client is given; the backend then opens a
        client and closes it in :meth:`close`.
    engine : {"compiled", "simpy"}
        The project model (:data:`riskmc.engine.propagate.ENGINES`).
    """

    def __init__(
        self,
        scenario: Scenario,
        client: Client | None = None,
        address: str | None = None,
        engine: str = "compiled",
    ) -> None:
        self.engine = engine
        if client is None:
            if address is None:
                raise ExecutionError("backend 'dask': needs address= or client=")
            client = connect(address)
            self._owned = True
        else:
            self._owned = False
        self.client: Any = client
        self.fingerprint = scenario.fingerprint()
        self.document = scenario.model_dump(mode="json", by_alias=True)
        self._profiled: list[str] = []  # workers whose profiler this backend stopped

    def _pause_profilers(self) -> None:
        # For speed only: a cluster that cannot be asked runs the chunks as it is.
        try:
            stopped = self.client.run(_profiler, run=False, on_error="ignore")
        except Exception:  # best effort: the run itself reports a lost cluster
            return
        self._profiled += [w for w, was in stopped.items() if was is True]

    def _restart_profilers(self) -> None:
        workers, self._profiled = self._profiled, []
        if not workers or self.client.status != "running":
            return
        try:
            # Only workers still there: the scheduler would wait out its connect
            # timeout (30 s by default) on the address of a worker that died.
            alive = self.client.scheduler_info().get("workers", {})
            workers = [w for w in workers if w in alive]
            if workers:
                self.client.run(_profiler, run=True, workers=workers, on_error="ignore")
        except Exception:  # best effort: never hides the run's own error
            return

    @property
    def workers(self) -> int:
        return max(1, int(sum(self.client.nthreads().values())))

    def run(self, chunks: Sequence[Chunk], seed: int) -> Iterator[tuple[int, int, pd.DataFrame]]:
        todo = list(reversed(chunks))
        window = _IN_FLIGHT_PER_WORKER * self.workers
        pending: dict[str, tuple[Chunk, Any]] = {}
        self._pause_profilers()

        def submit() -> Any:
            first, stop = todo.pop()
            # A key named by its content: the same chunk asked twice is one task.
            key = f"riskmc-chunk-{self.fingerprint[:16]}-{self.engine}-{seed}-{first}-{stop}"
            fut = self.client.submit(
                _dask_chunk, self.fingerprint, self.document, seed, first, stop, self.engine,
                key=key,
            )  # fmt: skip
            pending[key] = ((first, stop), fut)
            return fut

        futures = _distributed().as_completed([submit() for _ in range(min(window, len(todo)))])
        try:
            for fut in futures:
                (first, stop), _ = pending.pop(fut.key)
                rows = fut.result()
                fut.release()
                if todo:
                    futures.add(submit())
                yield first, stop, rows
        finally:
            if pending:
                self.client.cancel([f for _, f in pending.values()])

    def close(self) -> None:
        try:
            self._restart_profilers()
        finally:
            if self._owned:
                self.client.close()
