"""Public fact tables shipped with riskmc, each row with its source tag and confidence.

The Balochistan tables (``districts``, ``places``, ``segments``, ``projects``,
``security_stats``, ``disruptions``) are copies of the researched tables the
default scenario is built from; ``SOURCES.md`` beside them expands every source
tag (S1 ... S54). They are read from the installed package, never from the
repository.

``reference/suspensions.csv`` is a table of real suspensions of projects after
militant attacks, in Pakistan and elsewhere, each row with the web pages it
rests on; :func:`reference_suspensions` reads it with typed columns and
``reference/README.md`` defines its durations and censoring.
"""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd

__all__ = ["TABLES", "load_table", "reference_suspensions", "sources"]

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


_SUSPENSION_DATES = ("trigger_date", "start", "end")


def reference_suspensions() -> pd.DataFrame:
    """Real suspensions of projects after militant attacks, with typed columns.

    One row per suspension (``reference/suspensions.csv``; its README defines
    every column). Types: ``trigger_date``, ``start`` and ``end`` are
    ``datetime64`` (``end`` is ``NaT`` when the suspension was still running,
    or its end unknown, at the last source); ``duration_days`` is ``int64``
    [days], the exact ``end - start`` when ``censored`` is False and a lower
    bound when it is True; ``censored`` is ``bool``; ``fatalities`` is the
    nullable ``Int64`` (missing where the sources give no count);
    ``force_majeure`` stays text (``"yes"``, ``"no"`` or ``"unknown"``), as do
    the other columns.

    Returns
    -------
    pandas.DataFrame
        The table, in file order.
    """
    path = resources.files("riskmc.data") / "reference" / "suspensions.csv"
    with path.open("rb") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    for column in _SUSPENSION_DATES:
        table[column] = pd.to_datetime(
            table[column].replace("", None), format="%Y-%m-%d", errors="raise"
        )
    table["duration_days"] = table["duration_days"].astype("int64")
    table["fatalities"] = pd.to_numeric(table["fatalities"].replace("", None)).astype("Int64")
    flags = table["censored"].str.lower()
    if not flags.isin(["yes", "no"]).all():
        raise ValueError("suspensions.csv: censored must be yes or no")
    table["censored"] = flags == "yes"
    return table
