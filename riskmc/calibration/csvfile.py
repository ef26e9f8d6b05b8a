"""An event export as text, records and checked columns: what both readers share.

:mod:`riskmc.calibration.readers` turns the frame into an
:class:`~riskmc.calibration.readers.EventTable`; here the file is decoded
(UTF-8, else Latin-1 as GTD's CSV distribution), split into records (comma,
semicolon or tab, as the header line shows), checked for its required columns,
and its number columns parsed. Every problem is an :class:`EventFileError`
naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from riskmc.calibration.errors import EventFileError
from riskmc.scenario.files import EVENT_FILE_MAX_BYTES, file_problem


def _decode(path: Path) -> tuple[str, str]:
    problem = file_problem(path, EVENT_FILE_MAX_BYTES)
    if problem is not None:
        raise EventFileError(path, problem)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EventFileError(path, "no such file") from None
    except OSError as exc:
        raise EventFileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # GTD's CSV distribution is Latin-1; every byte decodes in it.
        return raw.decode("latin-1"), "latin-1"


def _records(path: Path) -> tuple[list[str], list[list[str]], list[int], str]:
    """Header, records and each record's row number (header = row 1)."""
    text, encoding = _decode(path)
    if not text.strip():
        raise EventFileError(path, "the file is empty (no header row)", row=1)
    # Exports are comma-separated; a spreadsheet re-save may use ; or tab.
    # The header line (no quoted newlines there) tells which.
    head = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=head.count)
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    rows: list[list[str]] = []
    numbers: list[int] = []
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
        n = 1
        for record in reader:
            n += 1
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            if len(record) != len(header):
                raise EventFileError(
                    path,
                    f"has {len(record)} fields but the header has {len(header)} "
                    "(an unquoted comma or a cut line?)",
                    row=n,
                )
            rows.append(record)
            numbers.append(n)
    except csv.Error as exc:
        raise EventFileError(path, f"malformed CSV: {exc}", row=n + 1) from None
    return header, rows, numbers, encoding


def _frame(path: Path, required: Sequence[str], what: str) -> tuple[pd.DataFrame, str]:
    header, rows, numbers, encoding = _records(path)
    missing = [c for c in required if c not in header]
    if missing:
        raise EventFileError(
            path,
            f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)}; "
            f"{what} needs {', '.join(required)}",
            row=1,
            column=missing[0],
        )
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise EventFileError(path, "duplicate column", row=1, column=dupes[0])
    if not rows:
        raise EventFileError(path, "no events: the file has a header and no rows", row=2)
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    frame.insert(0, "_row", np.asarray(numbers, dtype=np.int64))
    return frame, encoding


def _strip(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=str)
    return frame[column].fillna("").astype(str).str.strip()


def _numbers(
    path: Path,
    frame: pd.DataFrame,
    column: str,
    *,
    blank_ok: bool,
    low: float = -math.inf,
    high: float = math.inf,
    integer: bool = False,
) -> pd.Series:
    text = _strip(frame, column)
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (text != "") & values.isna()
    if not blank_ok:
        bad |= text == ""
    inside = values.isna() | ((values >= low) & (values <= high))
    if integer:
        inside &= values.isna() | (values == np.floor(values))
    bad |= ~inside
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        got = text.iloc[i]
        rule = "must be a number" if not integer else "must be a whole number"
        if math.isfinite(low) or math.isfinite(high):
            rule += f" from {low:g} to {high:g}"
        raise EventFileError(
            path, f"{rule}, got {got!r}", row=int(frame["_row"].iloc[i]), column=column
        )
    return values.astype(np.float64)


def _joined(frame: pd.DataFrame, columns: Iterable[str], sep: str) -> pd.Series:
    parts = [_strip(frame, c) for c in columns if c in frame]
    if not parts:
        return pd.Series([""] * len(frame), index=frame.index, dtype=str)
    stacked = pd.concat(parts, axis=1)
    return stacked.apply(lambda r: sep.join(x for x in r if x), axis=1).astype(str)
