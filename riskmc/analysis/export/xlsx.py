"""The Excel workbook written: :func:`write_xlsx`, each sheet's tables as Excel tables.

A workbook is overwritten only when riskmc wrote it and no other program saved
it since (its document properties say so).
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from riskmc.analysis.export.blocks import Block
from riskmc.analysis.export.files import _bytes_writer, _check_target, _write
from riskmc.analysis.export.sheets import workbook_sheets
from riskmc.analysis.report.load import ReportError, load_results  # noqa: F401 (Raises names it)
from riskmc.analysis.version import riskmc_version
from riskmc.engine.simulate import SimulationResult

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["write_xlsx"]


#: Written in the workbook's document properties (creator and last modified by).
_AUTHOR = "riskmc"
_DESCRIPTION = "Written by riskmc"


def write_xlsx(folder: str | Path, output: str | Path | None = None) -> Path:
    """Write the Excel workbook of a results folder.

    Parameters
    ----------
    folder : str or Path
        A saved result (see :func:`~riskmc.analysis.report.load_results`).
    output : str or Path, optional
        The workbook; default ``report.xlsx`` in ``folder``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ReportError
        The folder is not a saved result; ``output`` is a link, or a file
        riskmc did not write (or that was saved since by another program);
        or the file cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from riskmc.engine import simulate
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> folder = simulate(tiny, 20, seed=1, workers=1).to_parquet(tempfile.mkdtemp())
    >>> path = write_xlsx(folder)
    >>> path.name, list(pd.read_excel(path, sheet_name=None))
    ('report.xlsx', ['summary', 'drivers', 'lender', 'scenario'])
    """
    result = load_results(folder)
    path = Path(output) if output is not None else Path(folder) / "report.xlsx"
    _check_target(path, _our_workbook)
    book = _workbook(workbook_sheets(result), result)
    # Zipped in memory first: a zip file left open by a failed write (a full disk) would
    # print a traceback when it is collected.
    buffer = io.BytesIO()
    book.save(buffer)
    _write(path, _bytes_writer(buffer.getvalue()))
    return path


def _workbook(sheets: Mapping[str, Sequence[Block]], result: SimulationResult) -> Any:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.worksheets[0])
    for sheet, blocks in sheets.items():
        _write_sheet(book.create_sheet(sheet), blocks)
    s = result.scenario
    props = book.properties
    props.creator = props.lastModifiedBy = _AUTHOR
    props.title = _text(f"riskmc results: {s.name}")
    props.keywords = "riskmc"
    props.description = _text(
        f"{_DESCRIPTION} {riskmc_version()}: scenario {s.name} (fingerprint "
        f"{s.fingerprint()[:16]}), seed {result.seed}, {result.n_replications} replications."
    )
    return book


def _write_sheet(ws: Worksheet, blocks: Sequence[Block]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    widths: dict[int, int] = {}
    row = 1
    for block in blocks:
        if block.title is not None:
            ws.cell(row, 1, _text(block.title)).font = Font(bold=True)
            row += 1
        frame = block.frame
        if frame.empty:
            ws.cell(row, 1, block.empty).font = Font(italic=True)
            row += 2
            continue
        columns = [str(c) for c in frame.columns]
        for j, header in enumerate(columns, start=1):
            _set(ws, row, j, header)
            widths[j] = max(widths.get(j, 0), len(header))
        for j, column in enumerate(columns, start=1):
            fmt = block.formats.get(column)
            for i, value in enumerate(frame[column].tolist()):
                cell = _set(ws, row + 1 + i, j, value)
                if isinstance(cell.value, str) and cell.value in ("inf", "-inf"):
                    cell.alignment = Alignment(horizontal="right")
                elif fmt is not None and cell.value is not None:
                    cell.number_format = fmt if isinstance(fmt, str) else fmt[i]
                widths[j] = max(widths.get(j, 0), _width(cell.value))
        last = row + len(frame)
        table = Table(displayName=block.name, ref=f"A{row}:{get_column_letter(len(columns))}{last}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
        row = last + 2
    for j, width in widths.items():
        # a little more than the text: room for the filter button of the header
        ws.column_dimensions[get_column_letter(j)].width = width + 4
    if len(blocks) == 1 and blocks[0].title is None:
        ws.freeze_panes = "A2"


def _width(value: object) -> int:
    """About the characters a value shows: text as long as it is (at most 60), numbers 12."""
    if isinstance(value, str):
        return min(len(value), 60)
    return 0 if value is None else 12


def _set(ws: Worksheet, row: int, column: int, value: object) -> Any:
    v: Any = _cell_value(value)
    cell = ws.cell(row, column, v)
    if isinstance(cell.value, str):
        # text is text: a name such as "=HYPERLINK(...)" must not become a formula
        cell.data_type = "s"
    return cell


def _cell_value(value: object) -> object:
    """A value as a cell holds it: NaN empty, an infinity as the text ``inf``."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return None
        if math.isinf(x):  # Excel has no infinite number; pandas.to_numeric reads "inf" back
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, datetime | date):
        return value
    return _text(str(value))


def _text(text: str) -> str:
    """Text a cell can hold: no control characters (XML refuses them), at most 32,767 long."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return str(ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))[:32_767]


def _our_workbook(path: Path) -> bool:
    """Whether ``path`` is a workbook riskmc wrote and no other program saved since.

    Its document properties (``docProps/core.xml``): creator and last modified
    by ``riskmc``, and the description riskmc writes. Excel or LibreOffice
    saving it put the user's name in "last modified by": that file is the
    user's now.
    """
    if not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("docProps/core.xml")
            if info.file_size > 65_536:
                return False
            root = ElementTree.fromstring(z.read(info))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return False
    found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root}
    return (
        found.get("creator") == _AUTHOR
        and found.get("lastModifiedBy") == _AUTHOR
        and found.get("description", "").startswith(_DESCRIPTION + " ")
    )
