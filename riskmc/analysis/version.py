"""riskmc's version, for the files the analysis writes (report, workbook, GeoJSON).

Read from the installed distribution's metadata rather than from the package root
(``riskmc.__version__``): the analysis is a stage below the root, and imports point
one way down the pipeline (STYLE.md). Both come from one number, the
``version`` of ``pyproject.toml``; a test checks they agree.
"""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version

__all__ = ["riskmc_version"]


@functools.cache
def riskmc_version() -> str:
    """The version of the installed riskmc distribution, e.g. ``"0.1.0.dev0"``.

    ``"unknown"`` when riskmc runs from a source tree that was never installed
    (no distribution metadata to read).

    Examples
    --------
    >>> import riskmc
    >>> riskmc_version() == riskmc.__version__
    True
    """
    try:
        return version("riskmc")
    except PackageNotFoundError:
        return "unknown"
