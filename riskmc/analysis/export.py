"""Exports of a saved result for spreadsheets and GIS: ``riskmc export RESULTS_DIR --to ...``.

- :func:`write_xlsx` writes an Excel workbook (``report.xlsx``) with the sheets
  ``summary``, ``drivers``, ``lender``, ``insurer`` and ``scenario``
  (:func:`workbook_sheets`). Every table is an Excel table (a ListObject, so
  filters, structured references and Power Query work) with its unit in the
  header, or in a ``unit`` column where the rows differ, and a number format.
  ``insurer`` is written only when a project of the scenario has cover
  (SPEC 4b): the summary of the cover columns, then the insurer's view of
  each cover (:func:`riskmc.analysis.insurer.insurer_view`).
- :func:`write_geojson` writes ``districts.geojson`` and ``segments.geojson``
  (:func:`geojson_layers`): RFC 7946 FeatureCollections with the shares of
  expected delay and lost output, one feature per (district or segment,
  project).

Both read the folder with :func:`riskmc.analysis.report.load_results`, with
its checks; write each file at once (a temporary file beside it, then a
rename); and overwrite only a file riskmc wrote: a workbook whose document
properties say riskmc created it and nothing saved it since, or a GeoJSON
file with riskmc's ``"riskmc"`` member.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, get_args
from xml.etree import ElementTree

import numpy as np
import pandas as pd
from pydantic import BaseModel

from riskmc.analysis.curves import shortfall_probability, slip_probability, tail_probabilities
from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.insurer import insurer_view
from riskmc.analysis.lender import lender_view
from riskmc.analysis.plots import plan_dates
from riskmc.analysis.plots.maps import _coordinates
from riskmc.analysis.report import SLIP_DAYS, ReportError, load_results
from riskmc.analysis.report.markup import _describe, _tags
from riskmc.analysis.summary import summarize
from riskmc.analysis.version import riskmc_version
from riskmc.data import sources
from riskmc.engine.checkpoint import ExecutionError, atomic_write
from riskmc.engine.propagate import OUTCOME_COLUMNS, debt_years
from riskmc.engine.simulate import SimulationResult
from riskmc.scenario import param_mean
from riskmc.scenario.distributions import Distribution

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "COVER_COLUMNS",
    "GEOJSON_LAYERS",
    "Block",
    "geojson_layers",
    "metric_unit",
    "workbook_sheets",
    "write_geojson",
    "write_xlsx",
]

#: Outcome columns of political-risk cover (SPEC 4b), summarised on the ``insurer`` sheet.
COVER_COLUMNS = ("cover_recovery_usd", "cover_recovery_pv_usd", "cover_premium_usd")
#: The GeoJSON files :func:`write_geojson` writes, as ``<layer>.geojson``.
GEOJSON_LAYERS = ("districts", "segments")
#: Written in the workbook's document properties (creator and last modified by).
_AUTHOR = "riskmc"
_DESCRIPTION = "Written by riskmc"

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


# -- the workbook ------------------------------------------------------------------------------


def workbook_sheets(result: SimulationResult) -> dict[str, list[Block]]:
    """The sheets of the workbook of a result, each a list of tables.

    - ``summary``: :meth:`SimulationResult.summary` as it is (values in the
      column's own unit, US dollars not scaled) with a ``unit`` column.
    - ``drivers``: the shares of expected delay and of lost output by cause
      and district (:func:`~riskmc.analysis.drivers.driver_shares`).
    - ``lender``: the probability that first production is later than the
      plan and 30 ... 365 days after it, of a debt-service shortfall by year
      (with a ``debt`` block), and the tail (long delays, suspensions, force
      majeure).
    - ``lender`` also gets the DSCR by year, lock-up, reserve and default of
      :func:`riskmc.analysis.lender.lender_view`, with a ``debt`` block.
    - ``insurer``: the summary of the cover columns (:data:`COVER_COLUMNS`),
      each cover's AAL and premiums, and its losses at return periods, only
      when a project has cover.
    - ``scenario``: the run, the districts, places, segments and projects with
      their source notes, every project parameter, the hazard and stress
      settings, and the sources cited.

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    dict of str to list of Block
        In sheet order.
    """
    o = result.outcomes
    sheets = {
        "summary": [_summary_block(result.summary(), "summary")],
        "drivers": [_drivers_block(result)],
        "lender": _lender_blocks(result),
    }
    cover = [c for c in COVER_COLUMNS if c in o.columns]
    if cover and any(p.cover for p in result.scenario.projects):
        view = insurer_view(result.scenario, result.cover_years, result.n_replications)
        sheets["insurer"] = [
            _summary_block(summarize(o, cover), "insurer"),
            Block("insurer_covers", view.covers, _money_formats(view.covers),
                  title="Each cover: annual loss (AAL, its standard error and deviation), share "
                  "of years with a loss, technical premium (AAL + 0.3 x SD) and written "
                  "premium, USD a year (docs/finance.md)"),
            Block("insurer_return_periods", view.return_periods,
                  _money_formats(view.return_periods),
                  title="Losses at return periods (AEP: the year's total; OEP: its largest "
                  "occurrence), USD, with 95 % order-statistic intervals"),
        ]  # fmt: skip
    sheets["scenario"] = _scenario_blocks(result)
    return sheets


def _summary_block(summary: pd.DataFrame, name: str) -> Block:
    frame = summary.copy()
    frame.insert(2, "unit", [metric_unit(str(m)) for m in frame["metric"]])
    per_row = [_unit_format(u) for u in frame["unit"]]
    formats: dict[str, str | Sequence[str]] = dict.fromkeys(("value", "se", "low", "high"), per_row)
    formats["n"] = _INTEGER
    return Block(name, frame, formats, empty="(no project: nothing to summarise)")


def _district_names(result: SimulationResult) -> dict[str, str]:
    """Column slug of each district (``killa_abdullah``) -> its name in the scenario."""
    return {"_".join(d.name.lower().split()): d.name for d in result.scenario.districts}


def _drivers_block(result: SimulationResult) -> Block:
    o, names = result.outcomes, _district_names(result)
    parts = []
    for metric, unit in (("delay_days", "days"), ("lost_output_t", "t")):
        pre = "delay_at_" if metric == "delay_days" else "lost_at_"
        if not any(str(c).startswith(pre) for c in o.columns):
            continue  # a table saved before the attribution
        d = driver_shares(o, metric)
        parts.append(
            pd.DataFrame(
                {
                    "project": d["project"].astype(str),
                    "metric": metric,
                    "kind": d["kind"],
                    "driver": [
                        names.get(n, n) if k == "district" else n
                        for k, n in zip(d["kind"], d["name"], strict=True)
                    ],
                    "share (fraction)": d["share"],
                    "low (fraction)": d["low"],
                    "high (fraction)": d["high"],
                    "se (fraction)": d["se"],
                    "mean held": d["mean"],
                    "unit": unit,
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_DRIVERS)
    formats: dict[str, str | Sequence[str]] = dict.fromkeys(_DRIVERS[4:8], _SHARE)
    formats["mean held"] = [_unit_format(u) for u in frame["unit"]]
    return Block("drivers", frame, formats, empty="(the outcome table has no attribution columns)")


_DRIVERS = ["project", "metric", "kind", "driver", "share (fraction)", "low (fraction)",
            "high (fraction)", "se (fraction)", "mean held", "unit"]  # fmt: skip
# The tables of probabilities: the columns before the probabilities.
_SLIP = ("project", "plan (date)", "date", "days after plan")
_SHORTFALL = ("project", "year")
_TAIL = ("project", "event")
_PROBABILITIES = ("probability (fraction)", "low (fraction)", "high (fraction)")


def _probability_block(
    name: str, first: Sequence[str], counted: str, rows: list[tuple[Any, ...]], **kw: Any
) -> Block:
    """A table of probabilities with their Wilson intervals and the counts they rest on."""
    columns = [*first, *_PROBABILITIES, counted, "replications"]
    formats: dict[str, str | Sequence[str]] = dict.fromkeys(_PROBABILITIES, _PROBABILITY)
    formats |= dict.fromkeys((counted, "replications"), _INTEGER)
    formats |= {"plan (date)": _DATE, "date": _DATE, "days after plan": _INTEGER, "year": "0"}
    return Block(name, pd.DataFrame(rows, columns=columns), formats, **kw)


def _money_formats(frame: pd.DataFrame) -> dict[str, str | Sequence[str]]:
    """Number formats of a view's table: USD as whole dollars, the rest with two decimals."""
    return {
        c: ("#,##0" if c.endswith("_usd") else "#,##0.00")
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c])
    }


def _lender_blocks(result: SimulationResult) -> list[Block]:
    o, s = result.outcomes, result.scenario
    projects = o["project"].astype(str)
    rows: list[tuple[Any, ...]] = []
    for project, when in plan_dates(o).items():
        mine = o[projects == project]
        for days in SLIP_DAYS:
            day = (when + pd.Timedelta(days=days)).date()
            slip = slip_probability(mine, day).iloc[0]
            rows.append((project, when.date(), day, days, *_interval(slip), slip["k"], slip["n"]))
    blocks = [
        _probability_block(
            "lender_slip",
            _SLIP,
            "replications later",
            rows,
            title="First production later than the date (Wilson 95 % interval; an unfinished "
            "construction counts as later; operating mines are left out)",
            empty="(no project under construction)",
        )
    ]
    debts = {p.name: p.debt for p in s.projects if p.debt is not None}
    rows = []
    if debts and "debt_shortfall_mask" in o.columns:
        first = {name: d.first_year for name, d in debts.items()}
        years = {name: debt_years(s, y) for name, y in first.items()}
        for r in shortfall_probability(o, first, years).to_dict("records"):
            rows.append((str(r["project"]), r["year"], *_interval(r), r["k"], r["n"]))
    blocks.append(
        _probability_block(
            "lender_shortfall",
            _SHORTFALL,
            "replications short",
            rows,
            title="Debt-service shortfall by year: export revenue x cash margin below the "
            "year's service (Wilson 95 % interval; whole calendar years of the horizon)",
            empty="(no project has a debt block)",
        )
    )
    if debts and any(c.startswith("dscr_") for c in o.columns):
        view = lender_view(s, o)
        blocks.append(
            Block("lender_dscr", view.years, _money_formats(view.years),
                  title="DSCR by year (quantiles), P(DSCR < 1) and P(DSCR < lock-up), mean "
                  "reserve draw (USD) and P(payment default by the year), 95 % Wilson "
                  "intervals (docs/finance.md)")
        )  # fmt: skip
        if len(view.grace):
            blocks.append(
                Block("lender_grace", view.grace, {"grace_date": _DATE},
                      title="First production after the lenders' grace date")
            )  # fmt: skip
    tail = tail_probabilities(o).to_dict("records")
    rows = [(str(r["project"]), r["event"], *_interval(r), r["k"], r["n"]) for r in tail]
    blocks.append(
        _probability_block(
            "lender_tail",
            _TAIL,
            "replications with it",
            rows,
            title="The tail: long delays past the plan, suspensions and force majeure (Wilson "
            "95 % interval)",
            empty="(no project)",
        )
    )
    return blocks


def _interval(row: Mapping[Any, Any] | pd.Series[Any]) -> tuple[float, float, float]:
    return float(row["probability"]), float(row["low"]), float(row["high"])


def _noted(note: str | None) -> tuple[str, bool]:
    """A source note, and whether it marks an ESTIMATE."""
    return note or "", note is not None and "ESTIMATE" in note


def _scenario_blocks(result: SimulationResult) -> list[Block]:
    s = result.scenario
    places = s.network.places
    run = [
        ("scenario", s.name),
        ("description", s.description or ""),
        ("start (date)", s.start_date),
        ("horizon (years)", s.horizon_years),
        ("seed", result.seed),
        ("replications", result.n_replications),
        ("hazard process", s.hazard.process),
        ("fingerprint (SHA-256 of the scenario)", s.fingerprint()),
        ("written by", f"riskmc {riskmc_version()}"),
    ]
    blocks = [
        Block(
            "scenario_run",
            pd.DataFrame(run, columns=["field", "value"]),
            {"value": ["@", "@", _DATE, "General", "0", _INTEGER, "@", "@", "@"]},
            title="The run. Source notes marked ESTIMATE are the scenario author's estimates; "
            "their reasoning is in the comments of the scenario file",
        )
    ]
    note = "source note"
    rows: list[tuple[Any, ...]] = [
        (
            d.name,
            param_mean(d.attacks_per_year),
            _describe(d.attacks_per_year),
            d.lat,
            d.lon,
            *_noted(d.source),
        )
        for d in s.districts
    ]
    columns = ["district", "attacks per year (mean)", "attacks per year (as given)",
               "lat (deg N)", "lon (deg E)", note, "ESTIMATE"]  # fmt: skip
    blocks.append(
        Block(
            "scenario_districts",
            pd.DataFrame(rows, columns=columns),
            {columns[1]: "0.0", columns[3]: "0.00##", columns[4]: "0.00##"},
            title="Districts (coordinates: headquarters)",
        )
    )
    rows = [(p.name, p.district or "", p.kind, p.lat, p.lon, *_noted(p.source)) for p in places]
    columns = ["place", "district", "kind", "lat (deg N)", "lon (deg E)", note, "ESTIMATE"]
    blocks.append(
        Block(
            "scenario_places",
            pd.DataFrame(rows, columns=columns),
            {columns[3]: "0.00##", columns[4]: "0.00##"},
            title="Places of the network",
        )
    )
    rows = [
        (
            g.name,
            g.mode,
            g.from_,
            g.to,
            param_mean(g.km),
            param_mean(g.kmh),
            ", ".join(g.districts),
            *_noted(g.source),
        )
        for g in s.network.segments
    ]
    columns = ["segment", "mode", "from", "to", "length (km, mean)", "speed (km/h, mean)",
               "districts", note, "ESTIMATE"]  # fmt: skip
    blocks.append(
        Block(
            "scenario_segments",
            pd.DataFrame(rows, columns=columns),
            {columns[4]: "#,##0", columns[5]: "0"},
            title="Segments of the network (usable both ways)",
            empty="(no segment)",
        )
    )
    phase = {True: "construction", False: "operating"}
    rows = [
        (
            p.name,
            p.site,
            p.port,
            phase[p.construction is not None],
            p.operations.export_mode,
            *_noted(p.source),
        )
        for p in s.projects
    ]
    columns = ["project", "site", "port", "phase", "export mode", note, "ESTIMATE"]
    blocks.append(
        Block(
            "scenario_projects",
            pd.DataFrame(rows, columns=columns),
            title="Projects",
            empty="(no project)",
        )
    )
    rows = [
        (p.name, key, given, mean)
        for p in s.projects
        for part in ("construction", "operations", "logistics", "costs", "debt", "suspension")
        for key, given, mean in _parameters(getattr(p, part), part)
    ]
    columns = ["project", "parameter", "as given", "mean (unit in the parameter's name)"]
    blocks.append(
        Block(
            "scenario_parameters",
            pd.DataFrame(rows, columns=columns),
            {columns[3]: "#,##0.####"},
            title="Project parameters (usd_per_day: US dollars a day; _t: tonnes; a "
            "distribution is drawn per replication, its mean given beside it)",
            empty="(no project)",
        )
    )
    hazard = s.hazard.model_dump(mode="json", exclude_none=True)
    stress = [e.model_dump(mode="json", by_alias=True) for e in s.stress]
    rows = [*_flat_rows(hazard, "hazard"), *_flat_rows(stress, "stress")]
    blocks.append(
        Block(
            "scenario_hazard",
            pd.DataFrame(rows, columns=["setting", "value"]),
            title="Hazard and stress events, as given",
        )
    )
    cited = _tags(
        [d.source for d in s.districts]
        + [p.source for p in s.network.places]
        + [g.source for g in s.network.segments]
        + [p.source for p in s.projects]
    )
    table = sources()
    rows = [(tag, table.get(tag, "(not in the package data)")) for tag in cited]
    blocks.append(
        Block(
            "scenario_sources",
            pd.DataFrame(rows, columns=["tag", "source"]),
            title="Sources cited by the source notes (riskmc/data/balochistan/SOURCES.md)",
            empty="(the scenario cites no source tag)",
        )
    )
    return blocks


_DISTRIBUTIONS = get_args(Distribution)


def _parameters(model: BaseModel | None, prefix: str) -> Iterator[tuple[str, str, float | None]]:
    """(parameter, as given, mean) of each leaf of a scenario block."""
    if model is None:
        return
    for name, value in model:
        key = f"{prefix}.{name.rstrip('_')}"
        if isinstance(value, _DISTRIBUTIONS):
            yield key, _describe(value), param_mean(value)
        elif isinstance(value, BaseModel):
            yield from _parameters(value, key)
        elif isinstance(value, tuple):
            for k, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _parameters(item, f"{key}.{k}")
                else:
                    yield f"{key}.{k}", str(item), None
        elif isinstance(value, bool) or value is None:
            yield key, str(value).lower() if value is not None else "null", None
        elif isinstance(value, int | float):
            yield key, f"{value:g}", float(value)
        else:
            yield key, str(value), None


def _flat_rows(doc: object, prefix: str) -> Iterator[tuple[str, object]]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _flat_rows(v, f"{prefix}.{k}")
    elif isinstance(doc, list) and doc and all(isinstance(v, dict | list) for v in doc):
        for k, v in enumerate(doc):
            yield from _flat_rows(v, f"{prefix}.{k}")
    elif isinstance(doc, list):
        yield prefix, ", ".join(str(v) for v in doc) if doc else "(none)"
    else:
        yield prefix, doc


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


# -- GeoJSON -----------------------------------------------------------------------------------


def geojson_layers(result: SimulationResult) -> dict[str, dict[str, Any]]:
    """The districts and the segments with their shares, as GeoJSON FeatureCollections.

    One feature per (district, project) and per (segment, project), so that a
    GIS filters by ``project``. Districts are Points at their headquarters (no
    district polygons ship with riskmc); segments are LineStrings drawn
    straight from one end place to the other, not along the road or railway.
    Coordinates are ``[longitude, latitude]`` in degrees (WGS 84, RFC 7946),
    from the scenario, else the package tables of the default region (see
    :func:`riskmc.analysis.plots.district_map`); a feature with no coordinates
    has a ``null`` geometry.

    Properties of a district: ``delay_share`` (and ``_low``, ``_high``: the
    95 % interval), the share of the project's expected delay held in the
    district, and ``delay_days_mean``, the mean days it held; likewise
    ``lost_output_share`` and ``lost_output_t_mean`` [t]; ``on_route``, whether
    the model can attribute anything to it (a segment or a project site lies
    in it). A share is ``null`` when it is not defined: the project has no
    expected delay (an operating mine), or the district is on no route.

    Properties of a segment: ``districts_delay_share`` and
    ``districts_lost_output_share`` (with intervals), the share held in the
    districts the segment passes through. The model attributes delay to
    districts, not to segments, so this counts what a district held however it
    arose (another segment through it, a site in it), and the shares of two
    segments through one district overlap: they do not add up.

    Returns
    -------
    dict
        ``{"districts": FeatureCollection, "segments": FeatureCollection}``.
    """
    s, o = result.scenario, result.outcomes
    coords, origin = _coordinates(s)
    projects = [str(p) for p in pd.unique(o["project"].astype(str))]
    by_metric = {m: _district_shares(o, m) for m in _SHARE_NAMES}
    on_route = {
        str(c)[len("delay_at_") : -len("_days")]
        for c in o.columns
        if str(c).startswith("delay_at_") and str(c).endswith("_days")
    }
    districts = []
    for d in s.districts:
        slug = "_".join(d.name.lower().split())
        where = coords.get(f"district:{d.name}")
        for project in projects:
            props: dict[str, Any] = {"district": d.name, "project": project}
            for metric, prefix in _SHARE_NAMES.items():
                shares = by_metric[metric]
                props |= shares.properties(project, slug, prefix, slug in on_route, metric)
            props["attacks_per_year"] = param_mean(d.attacks_per_year)
            props["on_route"] = slug in on_route
            props["location"] = (
                f"headquarters ({origin.get(d.name, 'scenario')})" if where else None
            )
            districts.append(_feature(f"{d.name} / {project}", _point(where), props))
    segments = []
    by_segment = {m: _segment_shares(result, m) for m in _SHARE_NAMES}
    for k, g in enumerate(s.network.segments):
        start, end = coords.get(g.from_), coords.get(g.to)
        line = (
            {"type": "LineString", "coordinates": [list(start), list(end)]}
            if start is not None and end is not None
            else None
        )
        for project in projects:
            props = {
                "segment": g.name,
                "project": project,
                "mode": g.mode,
                "from": g.from_,
                "to": g.to,
                "km": param_mean(g.km),
                "districts": ", ".join(g.districts),
            }
            for metric, prefix in _SHARE_NAMES.items():
                shares = by_segment[metric]
                props |= shares.properties(project, f"s{k}", f"districts_{prefix}", True)
            segments.append(_feature(f"{g.name} / {project}", line, props))
    unattributed = {
        metric: {
            p: _number(shares.rows.get((p, "unattributed"), (0.0,))[0])
            for p in projects
            if p in shares.positive
        }
        for metric, shares in by_metric.items()
    }
    head = {
        "generator": f"riskmc {riskmc_version()}",
        "scenario": s.name,
        "fingerprint": s.fingerprint(),
        "seed": result.seed,
        "replications": result.n_replications,
    }
    notes: dict[str, dict[str, Any]] = {
        "districts": {
            "geometry": "Point: the district's headquarters (no district polygons ship with "
            "riskmc); null: no coordinates",
            "shares": "share of the project's expected delay (lost output) held in the "
            "district, with its 95 % interval; what no district held is 'unattributed'",
            "unattributed": unattributed,
        },
        "segments": {
            "geometry": "LineString: straight from the segment's first place to its last, "
            "not the road or railway alignment; null: a place without coordinates",
            "shares": "share of the project's expected delay (lost output) held in the "
            "districts the segment passes through; segments through one district overlap, "
            "so their shares do not add up",
        },
    }
    return {
        "districts": _collection("districts", head | notes["districts"], districts),
        "segments": _collection("segments", head | notes["segments"], segments),
    }


#: The metrics whose shares the layers carry, and the prefix of their properties.
_SHARE_NAMES = {"delay_days": "delay_share", "lost_output_t": "lost_output_share"}


@dataclass(frozen=True)
class _Shares:
    """Shares of one metric: (project, name) -> (share, low, high, mean held)."""

    rows: dict[tuple[str, str], tuple[float, float, float, float]]
    positive: set[str]  # the projects whose mean is positive: the shares are defined

    def properties(
        self, project: str, name: str, prefix: str, held: bool, mean: str | None = None
    ) -> dict[str, float | None]:
        """``prefix``, ``prefix_low``, ``prefix_high`` (and the mean held, as ``mean``).

        ``null`` when the share is not defined: the project's mean is not
        positive, or nothing can be held there (``held`` false); 0 when the
        column holds nothing.
        """
        values: tuple[float | None, ...] = self.rows.get((project, name), (0.0, 0.0, 0.0, 0.0))
        if project not in self.positive or not held:
            values = (None, None, None, None)
        keys = [prefix, f"{prefix}_low", f"{prefix}_high"]
        if mean is not None:  # delay_days -> delay_days_mean
            keys.append(f"{mean}_mean")
        return {k: _number(v) for k, v in zip(keys, values, strict=False)}


def _shares(outcomes: pd.DataFrame, metric: str) -> _Shares:
    if metric not in outcomes.columns or outcomes.empty:
        return _Shares({}, set())
    d = driver_shares(outcomes, metric)
    d = d[d["kind"] == "district"]
    rows = {
        (str(r["project"]), str(r["name"])): (r["share"], r["low"], r["high"], r["mean"])
        for r in d.to_dict("records")
    }
    means = outcomes.groupby(outcomes["project"].astype(str), sort=False)[metric].mean()
    return _Shares(rows, {str(p) for p, m in means.items() if m > 0})


def _district_shares(outcomes: pd.DataFrame, metric: str) -> _Shares:
    pre = "delay_at_" if metric == "delay_days" else "lost_at_"
    if not any(str(c).startswith(pre) for c in outcomes.columns):
        return _Shares({}, set())
    return _shares(outcomes, metric)


def _segment_shares(result: SimulationResult, metric: str) -> _Shares:
    """Share held in each segment's districts, with the ratio interval of driver_shares.

    Each segment's amount is the sum of its districts' columns, replication by
    replication; the columns are named ``<pre>s<k><post>`` for segment ``k``
    (names cannot collide), and ``driver_shares`` does the rest.
    """
    o, s = result.outcomes, result.scenario
    pre, post = ("delay_at_", "_days") if metric == "delay_days" else ("lost_at_", "_t")
    if not any(str(c).startswith(pre) for c in o.columns):
        return _Shares({}, set())
    columns: dict[str, Any] = {"project": o["project"].astype(str), metric: o[metric]}
    for k, g in enumerate(s.network.segments):
        held = [f"{pre}{'_'.join(d.lower().split())}{post}" for d in g.districts]
        held = [c for c in held if c in o.columns]
        columns[f"{pre}s{k}{post}"] = o[held].sum(axis=1) if held else 0.0
    return _shares(pd.DataFrame(columns, index=o.index), metric)


def _number(x: float | None) -> float | None:
    """A JSON number: NaN (an interval of one replication) and infinities are null."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def _point(where: tuple[float, float] | None) -> dict[str, Any] | None:
    return None if where is None else {"type": "Point", "coordinates": list(where)}


def _feature(fid: str, geometry: dict[str, Any] | None, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}


def _collection(name: str, head: dict[str, Any], features: list[Any]) -> dict[str, Any]:
    # "riskmc" (a foreign member, RFC 7946 section 6.1) comes first: it marks the file as
    # riskmc's in its first bytes. "name" is the layer name GDAL (QGIS) shows.
    return {"type": "FeatureCollection", "riskmc": head, "name": name, "features": features}


def write_geojson(folder: str | Path, output: str | Path | None = None) -> list[Path]:
    """Write ``districts.geojson`` and ``segments.geojson`` of a results folder.

    Parameters
    ----------
    folder : str or Path
        A saved result (see :func:`~riskmc.analysis.report.load_results`).
    output : str or Path, optional
        The folder of the two files (it must exist); default ``folder``.

    Returns
    -------
    list of Path
        The files written (see :func:`geojson_layers` for what they hold).

    Raises
    ------
    ReportError
        The folder is not a saved result; ``output`` is not a folder; one of
        the files is a link or a file riskmc did not write; or it cannot be
        written. Nothing is written then.

    Examples
    --------
    >>> import json, tempfile
    >>> from riskmc.engine import simulate
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> folder = simulate(tiny, 20, seed=1, workers=1).to_parquet(tempfile.mkdtemp())
    >>> [p.name for p in write_geojson(folder)]
    ['districts.geojson', 'segments.geojson']
    """
    result = load_results(folder)
    target = Path(output) if output is not None else Path(folder)
    if not target.exists():
        raise ReportError(f"{target}: no such folder (the GeoJSON files go into a folder)")
    if not target.is_dir():
        raise ReportError(f"{target}: not a folder (the GeoJSON files go into a folder)")
    paths = [target / f"{layer}.geojson" for layer in GEOJSON_LAYERS]
    for path in paths:  # all checked before either is written
        _check_target(path, _our_geojson)
    layers = geojson_layers(result)
    for path, layer in zip(paths, GEOJSON_LAYERS, strict=True):
        text = json.dumps(layers[layer], indent=1, ensure_ascii=False, allow_nan=False) + "\n"
        _write(path, _bytes_writer(text.encode("utf-8")))
    return paths


def _bytes_writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda f: f.write(data)


def _our_geojson(path: Path) -> bool:
    """Whether ``path`` is a GeoJSON file riskmc wrote: its ``riskmc`` member, first."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return False
    return head.startswith(b'{\n "type": "FeatureCollection",\n "riskmc": {\n  "generator": '
                           b'"riskmc ')  # fmt: skip


# -- writing -----------------------------------------------------------------------------------


def _check_target(path: Path, ours: Callable[[Path], bool]) -> None:
    if path.is_symlink():
        raise ReportError(f"{path}: is a symbolic link; riskmc writes no file through a link")
    if path.exists() and not ours(path):
        raise ReportError(
            f"{path}: exists and riskmc did not write it; riskmc overwrites no file of yours: "
            "choose another name"
        )


def _write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """All at once: a temporary file beside it (a name no other file has), then a rename."""
    try:
        atomic_write(path, write)
    except ExecutionError as exc:
        raise ReportError(str(exc)) from None
    except OSError as exc:  # its folder missing, or a file
        raise ReportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
