"""Input paths are read only when they are regular files of a sane size.

A FIFO blocks ``read_text`` for ever, ``/dev/zero`` or ``/dev/urandom`` never
end, and a file of gigabytes exhausts memory before the first parse error.
Both kinds of input riskmc reads (scenario files and event exports) go through
:func:`file_problem` first, which looks at the path without opening it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["EVENT_FILE_MAX_BYTES", "SCENARIO_MAX_BYTES", "file_problem"]

#: Largest scenario file read (a scenario is a few kilobytes; 16 MiB leaves room for
#: generated ones with thousands of districts or segments).
SCENARIO_MAX_BYTES = 16 << 20
#: Largest event export read (ACLED's whole world for a year is about 300 MB).
EVENT_FILE_MAX_BYTES = 2 << 30

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_problem(path: str | Path, max_bytes: int) -> str | None:
    """Why ``path`` must not be read, or None for a regular file of at most ``max_bytes``.

    A symbolic link is followed (it names the file it points to); nothing is
    opened, so a FIFO does not block.

    Examples
    --------
    >>> file_problem("/dev/zero", 1 << 20)
    'not a regular file (a character device)'
    >>> file_problem("/no/such/file.yaml", 1 << 20)
    'no such file'
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except (OSError, ValueError) as exc:
        return f"cannot read: {getattr(exc, 'strerror', None) or exc}"
    for test, kind in _KINDS:
        if test(info.st_mode):
            return f"not a regular file ({kind})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > max_bytes:
        cap = f"{max_bytes / (1 << 20):,.0f} MiB"
        return f"larger than the {cap} read at most ({info.st_size:,} bytes)"
    return None
