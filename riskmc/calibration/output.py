"""Writing a file all at once: a temporary file beside it, then a rename.

A failure at any point (the disk full, the folder read-only, the target a
folder, an interrupt) leaves the target as it was and no temporary file
behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, whole or not at all.

    The text goes to ``.NAME.PID.RANDOM.tmp`` in the same folder, created
    exclusively (so no file of the user's is ever overwritten by it), is
    flushed to disk, and is then renamed over ``path``.

    Parameters
    ----------
    path : str or Path
    text : str

    Returns
    -------
    Path

    Raises
    ------
    OSError
        As the system gave it; the temporary file is gone by then.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = write_atomic(folder / "a.yaml", "hazard: {}\\n")
    >>> [p.name for p in folder.iterdir()]
    ['a.yaml']
    """
    path = Path(path)
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        # KeyboardInterrupt included: an interrupted write leaves nothing behind.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path
