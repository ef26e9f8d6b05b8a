"""Writing a file all at once: a temporary file beside it, then a rename.

A failure at any point (the disk full, the folder read-only, the target a
folder, an interrupt) leaves the target as it was and no temporary file
behind.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from pathlib import Path
from typing import Any

from riskmc.calibration.hawkes import MAX_BRANCHING

__all__ = ["write_atomic"]

# Numbers and distributions as the calibrated scenario writes them (calibrate.py).


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8; or bytes as they are) to ``path``, whole or not at all.

    The text goes to ``.NAME.PID.RANDOM.tmp`` in the same folder, created
    exclusively (so no file of the user's is ever overwritten by it), is
    flushed to disk, and is then renamed over ``path``.

    Parameters
    ----------
    path : str or Path
    text : str or bytes

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
    data = text.encode("utf-8") if isinstance(text, str) else text
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


def _num(x: float) -> float:
    """A float rounded to 6 significant digits, for a readable file."""
    return float(f"{x:.6g}")


def _lognormal(median: float, sigma: float) -> float | dict[str, Any]:
    if not math.isfinite(sigma) or sigma <= 0:
        return _num(median)
    return {"dist": "lognormal", "median": _num(median), "sigma": _num(sigma)}


def _branching(n: float, se: float, high: float = MAX_BRANCHING) -> float | dict[str, Any]:
    """A beta on [0, ``high``] with mean ``n`` and standard deviation ``se``."""
    if not math.isfinite(se) or se <= 0:
        return _num(min(n, high))
    m, v = n / high, (se / high) ** 2
    common = m * (1 - m) / v - 1
    if common > 0:
        a, b = m * common, (1 - m) * common
        return {"dist": "beta", "a": _num(a), "b": _num(b), "low": 0.0, "high": high}
    lo, hi = max(0.0, n - 2 * se), min(high, n + 2 * se)
    return {"dist": "uniform", "low": _num(lo), "high": _num(hi)}
