"""Read ACLED and GTD event exports into one table, and filter it.

Both readers return an :class:`EventTable` whose ``events`` frame has the same
columns whatever the source:

=============== ==============================================================
``row``         the event's row in the file (the header is row 1)
``date``        the event's day (``datetime64``; exports give days, not times)
``region``      first administrative level (ACLED ``admin1``, GTD ``provstate``)
``admin2``      second level, the district (ACLED ``admin2``; empty for GTD)
``location``    place name (ACLED ``location``, GTD ``city``)
``event_type``  ACLED ``event_type``; GTD ``attacktype1_txt``
``sub_event_type`` ACLED ``sub_event_type``; GTD ``targtype1_txt``
``actors``      the named actors, ``"; "``-joined (ACLED actor and associated
                actor columns, GTD ``gname``)
``fatalities``  ACLED ``fatalities``, GTD ``nkill`` (NaN where GTD has none)
``lat``, ``lon`` coordinates [degrees] (NaN where missing)
``text``        every descriptive field, lower case: what the target rule reads
=============== ==============================================================

A file that cannot be read gets an :class:`EventFileError` naming the file,
the row and the column. So does a date outside the plausible window
(:func:`plausible_window`): before 1970-01-01, where GTD begins (ACLED begins
in 1997), or after tomorrow. Rows that can be read but not used (a GTD event whose
day is not known) are kept aside in ``EventTable.excluded`` with the reason,
never dropped silently; so are the rows a filter removes.

References
----------
.. [1] ACLED, "Armed Conflict Location & Event Data (ACLED) Codebook" (2023
   and later editions): the 31 columns of an export, ``event_date`` as
   ``YYYY-MM-DD`` (older exports and the Excel tool write ``16 May 2025``),
   ``time_precision`` 1-3.
.. [2] START, "Global Terrorism Database Codebook" (University of Maryland,
   2021): ``iyear``, ``imonth``, ``iday`` (0 where the month or day is not
   known), ``provstate``, ``city``, ``attacktype1_txt``, ``targtype1_txt``,
   ``nkill``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from riskmc.calibration.csvfile import _frame, _joined, _numbers, _strip
from riskmc.calibration.errors import EventFileError

__all__ = [
    "ACLED_COLUMNS",
    "ACLED_REQUIRED",
    "EARLIEST_EVENT_DATE",
    "EVENT_COLUMNS",
    "FORMATS",
    "GTD_REQUIRED",
    "EventTable",
    "filter_events",
    "plausible_window",
    "read_acled",
    "read_events",
    "read_gtd",
]

#: The 31 columns of an ACLED export, in export order (codebook 2023-).
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
#: The ACLED columns calibration cannot do without; the others are optional.
ACLED_REQUIRED = (
    "event_date",
    "admin1",
    "admin2",
    "event_type",
    "sub_event_type",
    "fatalities",
    "latitude",
    "longitude",
)
#: The GTD columns calibration cannot do without.
GTD_REQUIRED = (
    "iyear",
    "imonth",
    "iday",
    "provstate",
    "city",
    "latitude",
    "longitude",
    "attacktype1_txt",
    "targtype1_txt",
    "nkill",
)
FORMATS = ("acled", "gtd")
EVENT_COLUMNS = (
    "row",
    "date",
    "region",
    "admin2",
    "location",
    "event_type",
    "sub_event_type",
    "actors",
    "fatalities",
    "lat",
    "lon",
    "text",
)
_ACLED_ACTORS = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
_ACLED_TEXT = ("event_type", "sub_event_type", "location", "notes", "tags")
_GTD_TEXT = (
    "attacktype1_txt",
    "targtype1_txt",
    "targsubtype1_txt",
    "corp1",
    "target1",
    "weaptype1_txt",
    "summary",
    "city",
    "location",
)
#: Date formats of ACLED's ``event_date``: the codebook's, then the Excel tool's.
_ACLED_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y")
#: The first day an event may carry: the Global Terrorism Database begins on
#: 1 January 1970, ACLED in 1997 (Pakistan from 2010). An earlier date in an
#: export of either is a typo (1900 for 2000) or a spreadsheet's zero date.
EARLIEST_EVENT_DATE = date(1970, 1, 1)


def plausible_window(today: date | None = None) -> tuple[date, date]:
    """The first and last day an event in an export may carry, inclusive.

    From :data:`EARLIEST_EVENT_DATE` to tomorrow: an event cannot have
    happened after today, and one day of slack lets a file exported where the
    date has already turned (Pakistan is UTC+5) be read on a machine where it
    has not.

    Parameters
    ----------
    today : date, optional
        Default: the machine's date.

    >>> plausible_window(date(2025, 6, 1))
    (datetime.date(1970, 1, 1), datetime.date(2025, 6, 2))
    """
    return EARLIEST_EVENT_DATE, (today or date.today()) + timedelta(days=1)


def _outside_rule(shown: str, *, late: bool) -> str:
    """The rule broken by a date written ``shown``: too early, or (``late``) in the future."""
    first, last = plausible_window()
    if late:
        return f"date {shown!r} is after {last} (tomorrow): an event cannot be in the future"
    return f"date {shown!r} is before {first}, the start of GTD (ACLED starts in 1997)"


@dataclass(frozen=True)
class EventTable:
    """Events read from one export, with the rows set aside and why.

    Attributes
    ----------
    file : str
        The file read.
    format : {'acled', 'gtd'}
    events : DataFrame
        One row per usable event, columns :data:`EVENT_COLUMNS`, by date.
    excluded : DataFrame
        ``row``, ``reason``: rows read but not used, by a reader's rule or a
        filter. Nothing is dropped without a row here.
    window : tuple of date, or None
        The observation window ``(first, last)`` day, inclusive, when a
        filter set it; otherwise the fits use the first and last event's day.
    encoding : str
        The text encoding the file was read with.
    """

    file: str
    format: Literal["acled", "gtd"]
    events: pd.DataFrame
    excluded: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"row": pd.Series(dtype="int64"), "reason": []})
    )
    window: tuple[date, date] | None = None
    encoding: str = "utf-8"

    def observed_window(self) -> tuple[date, date]:
        """The window the events were observed in: the filter's, or first to last event."""
        if self.window is not None:
            return self.window
        dates = self.events["date"]
        return (dates.min().date(), dates.max().date())

    def exclusion_counts(self) -> dict[str, int]:
        """How many rows were set aside for each reason."""
        counts = self.excluded["reason"].value_counts()
        return {str(k): int(v) for k, v in counts.items()}


# ----------------------------------------------------------------------------- reading
# (the file's text, records and columns: riskmc.calibration.csvfile)


def _acled_dates(path: Path, frame: pd.DataFrame) -> pd.Series:
    text = _strip(frame, "event_date")
    # Seconds, not nanoseconds: 0001-01-01 and 2999-01-01 parse, and are then
    # refused as implausible instead of overflowing.
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")
    for fmt in _ACLED_DATE_FORMATS:
        todo = out.isna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce").astype("datetime64[s]")
    first, last = plausible_window()
    day = out.dt.date
    outside = out.notna() & ((day < first) | (day > last))
    bad = (out.isna() | outside).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if pd.isna(out.iloc[i]):
            rule = f"unparseable date {text.iloc[i]!r}; expected like 2023-02-16 or 16 May 2025"
        else:
            rule = _outside_rule(text.iloc[i], late=day.iloc[i] > last)
        raise EventFileError(path, rule, row=int(frame["_row"].iloc[i]), column="event_date")
    return out.astype("datetime64[ns]")


def _table(
    path: Path,
    fmt: Literal["acled", "gtd"],
    frame: pd.DataFrame,
    columns: dict[str, pd.Series],
    excluded: pd.DataFrame,
    encoding: str,
) -> EventTable:
    events = pd.DataFrame({"row": frame["_row"].to_numpy(), **columns})
    events = events[list(EVENT_COLUMNS)].sort_values(["date", "row"], kind="stable")
    return EventTable(
        file=str(path),
        format=fmt,
        events=events.reset_index(drop=True),
        excluded=excluded.reset_index(drop=True),
        encoding=encoding,
    )


def read_acled(path: str | Path) -> EventTable:
    """Read an ACLED CSV export.

    Needs the columns :data:`ACLED_REQUIRED` (any order; the other columns of
    the 31-column export are optional and extra ones are ignored).
    ``event_date`` may be ``2023-02-16`` or ``16 May 2025``, row by row.

    Raises
    ------
    EventFileError
        An empty file, missing columns, a row with the wrong number of
        fields, an unparseable date or number, coordinates out of range.
    """
    path = Path(path)
    frame, encoding = _frame(path, ACLED_REQUIRED, "an ACLED export")
    columns = {
        "date": _acled_dates(path, frame),
        "region": _strip(frame, "admin1"),
        "admin2": _strip(frame, "admin2"),
        "location": _strip(frame, "location"),
        "event_type": _strip(frame, "event_type"),
        "sub_event_type": _strip(frame, "sub_event_type"),
        "actors": _joined(frame, _ACLED_ACTORS, "; "),
        "fatalities": _numbers(
            path, frame, "fatalities", blank_ok=False, low=0, high=1e6, integer=True
        ),
        "lat": _numbers(path, frame, "latitude", blank_ok=True, low=-90, high=90),
        "lon": _numbers(path, frame, "longitude", blank_ok=True, low=-180, high=180),
        "text": _joined(frame, _ACLED_TEXT, " | ").str.lower(),
    }
    empty = pd.DataFrame({"row": pd.Series(dtype="int64"), "reason": pd.Series(dtype=str)})
    return _table(path, "acled", frame, columns, empty, encoding)


def read_gtd(path: str | Path) -> EventTable:
    """Read a Global Terrorism Database export saved as CSV.

    Needs the columns :data:`GTD_REQUIRED`; ``gname`` (the perpetrator
    group), ``targsubtype1_txt``, ``corp1``, ``target1`` and ``summary`` are
    read where present. GTD codes an unknown month or day as 0: such events
    cannot be placed on a day, so they go to ``excluded`` with that reason.
    """
    path = Path(path)
    frame, encoding = _frame(path, GTD_REQUIRED, "a GTD export")
    year = _numbers(path, frame, "iyear", blank_ok=False, integer=True)
    month = _numbers(path, frame, "imonth", blank_ok=False, low=0, high=12, integer=True)
    day = _numbers(path, frame, "iday", blank_ok=False, low=0, high=31, integer=True)
    known = (month > 0) & (day > 0)
    _gtd_window(path, frame, year, month, day)
    stamp = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month.where(known, 1), "day": day.where(known, 1)}),
        errors="coerce",
    )
    bad = known & stamp.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise EventFileError(
            path,
            f"no such date {int(year.iloc[i])}-{int(month.iloc[i]):02d}-{int(day.iloc[i]):02d}",
            row=int(frame["_row"].iloc[i]),
            column="iday",
        )
    columns = {
        "date": stamp,
        "region": _strip(frame, "provstate"),
        "admin2": pd.Series([""] * len(frame), index=frame.index, dtype=str),
        "location": _strip(frame, "city"),
        "event_type": _strip(frame, "attacktype1_txt"),
        "sub_event_type": _strip(frame, "targtype1_txt"),
        "actors": _joined(frame, ("gname", "gname2"), "; "),
        "fatalities": _numbers(path, frame, "nkill", blank_ok=True, low=0, high=1e6),
        "lat": _numbers(path, frame, "latitude", blank_ok=True, low=-90, high=90),
        "lon": _numbers(path, frame, "longitude", blank_ok=True, low=-180, high=180),
        "text": _joined(frame, _GTD_TEXT, " | ").str.lower(),
    }
    excluded = pd.DataFrame(
        {"row": frame.loc[~known, "_row"].to_numpy(), "reason": "GTD month or day unknown (0)"}
    )
    keep = known.to_numpy()
    frame = frame[keep]
    columns = {k: v[keep] for k, v in columns.items()}
    if frame.empty:
        raise EventFileError(path, "no events with a known day (every iday or imonth is 0)")
    return _table(path, "gtd", frame, columns, excluded, encoding)


def _gtd_window(
    path: Path, frame: pd.DataFrame, year: pd.Series, month: pd.Series, day: pd.Series
) -> None:
    """Refuse the first row dated outside :func:`plausible_window`, naming its column.

    The year is checked on every row, the month where it is known, the day
    where both are: a row of 1900 with an unknown day is refused, not set aside.
    """
    first, last = plausible_window()
    # Years far out of range are clipped so that the keys below cannot overflow.
    y, m, d = (s.to_numpy(dtype=np.int64) for s in (year.clip(-1, 10_000), month, day))
    # Compare (year, month, day) as one number; an unknown month or day (0)
    # compares as early as possible within what is known.
    key = y * 10_000 + m * 100 + d
    lo = first.year * 10_000 + first.month * 100 + first.day
    hi = last.year * 10_000 + last.month * 100 + last.day
    # An unknown field (0) may be anything: the latest it could be is the end of what is known.
    key_hi = y * 10_000 + np.where(m > 0, m, 12) * 100 + np.where(d > 0, d, 31)
    bad = (key_hi < lo) | (key > hi)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    shown = f"{int(year.iloc[i])}-{m[i]:02d}-{d[i]:02d}"
    late = bool(key_hi[i] >= lo)
    column = "iyear"
    if late and y[i] == last.year:
        column = "imonth" if m[i] > last.month else "iday"
    rule = _outside_rule(shown, late=late)
    raise EventFileError(path, rule, row=int(frame["_row"].iloc[i]), column=column)


_READERS = {"acled": read_acled, "gtd": read_gtd}


def read_events(path: str | Path, format: Literal["acled", "gtd"] = "acled") -> EventTable:
    """Read an event export in ``format`` (``'acled'`` or ``'gtd'``)."""
    if format not in _READERS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    return _READERS[format](path)


# ----------------------------------------------------------------------------- filters


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


#: Spellings of first-level regions that mean the same place.
REGION_ALIASES = {"baluchistan": "balochistan"}


def _region_key(text: str) -> str:
    key = _norm(text)
    return REGION_ALIASES.get(key, key)


def filter_events(
    table: EventTable,
    *,
    region: str | Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    event_types: Sequence[str] | None = None,
    sub_event_types: Sequence[str] | None = None,
    actors: Sequence[str] | None = None,
) -> EventTable:
    """Keep the events that pass every filter given; the others go to ``excluded``.

    Parameters
    ----------
    region : str or sequence of str, optional
        First-level regions to keep (ACLED ``admin1``, GTD ``provstate``),
        matched without regard to case and punctuation; ``Baluchistan``
        matches ``Balochistan``.
    start, end : date, optional
        First and last day kept, inclusive. Together they also set the
        observation window of the fits (a district with no event in it still
        had the whole window to have one).
    event_types, sub_event_types : sequence of str, optional
        Types to keep (case-insensitive, exact).
    actors : sequence of str, optional
        Keep an event if any of its actors contains any of these, ignoring
        case (``"BLA"`` matches ``"BLA: Baloch Liberation Army"``).
    """
    ev = table.events
    keep = pd.Series(True, index=ev.index)
    reasons: list[pd.DataFrame] = []

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal keep
        out = keep & ~mask
        if out.any():
            reasons.append(pd.DataFrame({"row": ev.loc[out, "row"].to_numpy(), "reason": reason}))
        keep &= mask

    if region is not None:
        wanted = [region] if isinstance(region, str) else list(region)
        keys = {_region_key(r) for r in wanted}
        drop(ev["region"].map(_region_key).isin(keys), f"outside region {', '.join(wanted)}")
    day = ev["date"].dt.date
    if start is not None:
        drop(day >= start, f"before {start}")
    if end is not None:
        drop(day <= end, f"after {end}")
    if event_types is not None:
        types = {t.strip().lower() for t in event_types}
        drop(ev["event_type"].str.lower().isin(types), "event type not selected")
    if sub_event_types is not None:
        subs = {t.strip().lower() for t in sub_event_types}
        drop(ev["sub_event_type"].str.lower().isin(subs), "sub-event type not selected")
    if actors is not None:
        names = [a.strip().lower() for a in actors if a.strip()]
        low = ev["actors"].str.lower()
        drop(low.apply(lambda s: any(n in s for n in names)), "actor not selected")

    window = table.window
    if start is not None or end is not None:
        first, last = table.observed_window() if len(ev) else (start, end)
        window = (start or first, end or last)  # type: ignore[assignment]
    return replace(
        table,
        events=ev[keep].reset_index(drop=True),
        excluded=pd.concat([table.excluded, *reasons], ignore_index=True),
        window=window,
    )
