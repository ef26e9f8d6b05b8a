"""The ``riskmc`` command's entry point: Ctrl-C at any moment ends it quietly, status 130.

Kept apart from :mod:`riskmc.cli` on purpose: importing the command line takes
a second or more (NumPy, Numba, pandas, Dask), and an interrupt during that
import would otherwise print a traceback. This module and the package's
``__init__`` import nothing heavy, so the handler below is in place first.
"""

from __future__ import annotations

import sys

#: Exit status of a command interrupted by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def main() -> None:
    """Run the command line; an interrupt anywhere is one line and status 130."""
    try:
        from riskmc.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
