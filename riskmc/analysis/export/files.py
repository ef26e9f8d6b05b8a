"""Writing an export: the target checked first, then the file written all at once.

No file is written through a link, nor over a file riskmc did not write; a file
is written to a temporary file beside it, then renamed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

from riskmc.analysis.report.load import ReportError
from riskmc.engine.checkpoint import ExecutionError, atomic_write


def _bytes_writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda f: f.write(data)


def _check_target(path: Path, ours: Callable[[Path], bool]) -> None:
    if path.is_symlink():
        raise ReportError(f"{path}: is a symbolic link; riskmc writes no file through a link")
    if path.exists() and not ours(path):
        raise ReportError(
            f"{path}: exists and riskmc did not write it; riskmc overwrites no file of yours: "
            "choose another name"
        )


def _write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """All at once: a temporary file beside it (a name no other file has), then a rename."""
    try:
        atomic_write(path, write)
    except ExecutionError as exc:
        raise ReportError(str(exc)) from None
    except OSError as exc:  # its folder missing, or a file
        raise ReportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
