"""One-line errors for event files: ``file: row R, column C: rule``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EventFileError"]


class EventFileError(ValueError):
    """An event file (ACLED or GTD export) that cannot be used.

    ``str(error)`` is one line naming the file, the row and the column where
    they are known, and the rule, e.g.
    ``events.csv: row 7, column event_date: unparseable date '2023-13-45'``.

    Rows are counted as a spreadsheet shows them: the header is row 1, the
    first event row 2, and a quoted field that spans several lines still
    belongs to one row.

    Attributes
    ----------
    file : str
    row : int or None
    column : str or None
    rule : str
    """

    def __init__(
        self, file: str | Path, rule: str, row: int | None = None, column: str | None = None
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.rule = rule
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        at = f"{', '.join(where)}: " if where else ""
        super().__init__(f"{self.file}: {at}{rule}")
