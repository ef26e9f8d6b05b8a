"""Public fact tables shipped with riskmc, each row with its source tag and confidence.

The Balochistan tables (``districts``, ``places``, ``segments``, ``projects``,
``security_stats``, ``disruptions``) are copies of the researched tables the
default scenario is built from; ``SOURCES.md`` beside them expands every source
tag (S1 ... S54). They are read from the installed package, never from the
repository.
"""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd

__all__ = ["TABLES", "load_table", "sources"]

TABLES = ("districts", "places", "segments", "projects", "security_stats", "disruptions")


def load_table(name: str, region: str = "balochistan") -> pd.DataFrame:
    """One fact table as a DataFrame, every column read as text.

    Values stay text because the tables hold ranges ("290-340") and qualified
    figures ("9+", "~70") exactly as published.

    Parameters
    ----------
    name : str
        One of :data:`TABLES`.
    region : str
        The folder of tables; only ``"balochistan"`` ships today.
    """
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
    with (resources.files("riskmc.data") / region / f"{name}.csv").open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def sources(region: str = "balochistan") -> dict[str, str]:
    """Source tag (``"S16"``) -> citation, from the region's ``SOURCES.md``."""
    text = (resources.files("riskmc.data") / region / "SOURCES.md").read_text("utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^- (S\d+) (.*)$", line)
        if match:
            tag, rest = match.groups()
            out[tag] = rest
            # Sub-tags (S1b, S18c) are cited inline after a semicolon.
            for sub in re.finditer(r"(S\d+[a-z]) ([^;]+)", rest):
                out[sub.group(1)] = sub.group(2).strip()
    return out
