"""The tables of the workbook (:class:`Block`), their number formats and units."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from riskmc.engine.propagate import OUTCOME_COLUMNS

__all__ = ["Block", "metric_unit"]


# Units go in parentheses, not the brackets of riskmc's docstrings and plots: brackets are
# special in Excel's structured references (summary[value] would need escaping).
_SHARE = "0.0%"
_PROBABILITY = "0.0%"
_DATE = "yyyy-mm-dd"
_INTEGER = "#,##0"


def metric_unit(metric: str) -> str:
    """The unit of an outcome column, as its description in ``OUTCOME_COLUMNS`` gives it.

    Examples
    --------
    >>> metric_unit("delay_days"), metric_unit("npv_loss_usd"), metric_unit("attacks")
    ('days', 'USD at the scenario start', 'count')
    >>> metric_unit("cover_recovery_usd")  # nominal: each payment as paid
    'USD, undiscounted'
    """
    found = re.search(r"\[([^\]]+)\]", OUTCOME_COLUMNS.get(metric, ""))
    if found:
        return found.group(1)
    for suffix, unit in (("_usd", "USD"), ("_days", "days"), ("_t", "t")):
        if metric.endswith(suffix):
            return unit
    return "count"


def _unit_format(unit: str) -> str:
    """Number format of an amount in ``unit``: dollars and tonnes whole, days to a tenth."""
    if unit.startswith(("USD", "t")):
        return _INTEGER
    if unit.startswith("days"):
        return "#,##0.0"
    return "#,##0.00"


@dataclass(frozen=True)
class Block:
    """One Excel table of a sheet.

    Attributes
    ----------
    name : str
        The table's name (unique in the workbook; Excel's Name Manager lists it).
    frame : DataFrame
        The rows, with the headers as written (units in parentheses).
    formats : mapping of str to str or sequence of str
        Number format of a column, or one per row (a column whose unit
        differs by row).
    title : str, optional
        A bold line above the table (sheets of several tables).
    empty : str
        What is written instead of the table when ``frame`` has no row
        (an Excel table needs one).
    """

    name: str
    frame: pd.DataFrame
    formats: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    title: str | None = None
    empty: str = "(no rows)"
