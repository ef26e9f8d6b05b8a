"""Guarding a run folder: one run at a time, and never among a user's files.

:meth:`RunFolder.open <riskmc.engine.checkpoint.RunFolder.open>` refuses a
folder that riskmc did not make (:func:`_check_ours`: no :data:`MARKER`), then
takes an exclusive lock on ``DIR/.lock`` (``flock``, POSIX), which the
operating system releases when the run ends, however it ends; forked workers
let go of it at once (:func:`_drop_inherited_locks`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path
from typing import IO

from riskmc.engine.files import LOCK, MANIFEST, MARKER, SCENARIO, ExecutionError

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
