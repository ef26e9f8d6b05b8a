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

The workbook's tables are built in ``export/sheets.py`` and ``export/scenario.py``
(on :class:`Block` of ``export/blocks.py``) and written by ``export/xlsx.py``; the
GeoJSON layers are in ``export/geojson.py``; both write through ``export/files.py``.
"""

from riskmc.analysis.export.blocks import Block, metric_unit
from riskmc.analysis.export.geojson import GEOJSON_LAYERS, geojson_layers, write_geojson
from riskmc.analysis.export.sheets import COVER_COLUMNS, workbook_sheets
from riskmc.analysis.export.xlsx import write_xlsx

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
