"""A self-contained HTML report of a saved result: ``riskmc report RESULTS_DIR``.

One HTML file with its CSS inline and its plots embedded as base64 PNG
(``data:`` URIs), so it opens offline, can be mailed as one attachment and
loads nothing from elsewhere. It holds:

- the scenario: name, description, start, horizon, seed, replications;
- the summary: mean, P50, P80 and P90 of every reported metric per project,
  each with its 95 % interval; the contingency (P80 against the plan); the
  lender's view (probability that first production slips past dates after the
  plan); the joint confidence of delay and capex overrun;
- the drivers of delay, when the outcome table has the attribution columns;
- the plots of :func:`riskmc.analysis.plots.figures`;
- the assumptions and their sources: the scenario's districts, projects and
  network with their source notes, and the citation of every source tag
  (``S1`` ... ``S54``) of the package data (:func:`riskmc.data.sources`).

Reading the folder and its checks are in ``report/load.py``
(:func:`load_results`, shared with the exports), the sections in
``report/sections.py`` and ``report/finance.py`` (lender and insurer), the HTML
pieces, CSS and page in ``report/markup.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.report.finance import _insurer_section, _lender_section
from riskmc.analysis.report.load import ReportError, load_results
from riskmc.analysis.report.markup import _CSS, _PAGE, _e
from riskmc.analysis.report.sections import CAPTIONS as CAPTIONS
from riskmc.analysis.report.sections import SLIP_DAYS as SLIP_DAYS
from riskmc.analysis.report.sections import (
    _assumptions_section,
    _decision_section,
    _drivers_section,
    _plots_section,
    _scenario_section,
    _summary_section,
)
from riskmc.analysis.version import riskmc_version
from riskmc.engine.checkpoint import ExecutionError, atomic_write
from riskmc.engine.simulate import SimulationResult

__all__ = ["ReportError", "build_report", "load_results", "write_report"]


def write_report(folder: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of a results folder.

    Parameters
    ----------
    folder : str or Path
        A saved result (see :func:`load_results`).
    output : str or Path, optional
        The HTML file; default ``report.html`` in ``folder``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ReportError
        The folder is not a saved result (:func:`load_results`), or the file
        cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from riskmc.engine import simulate
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> folder = simulate(tiny, 20, seed=1, workers=1).to_parquet(tempfile.mkdtemp())
    >>> path = write_report(folder)
    >>> path.name, "<table id=\\"summary\\"" in path.read_text()
    ('report.html', True)
    """
    result = load_results(folder)
    path = Path(output) if output is not None else Path(folder) / "report.html"
    if path.is_symlink():
        raise ReportError(f"{path}: is a symbolic link; riskmc writes no file through a link")
    if path.exists() and not _a_report(path):
        raise ReportError(
            f"{path}: exists and riskmc did not write it; riskmc overwrites no file of yours: "
            "choose another name"
        )
    text = build_report(result)
    # All at once: a temporary file beside it (a name no other file has), then a rename.
    try:
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    except ExecutionError as exc:
        raise ReportError(str(exc)) from None
    except OSError as exc:  # its folder missing, or a file
        raise ReportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return path


def _a_report(path: Path) -> bool:
    """Whether ``path`` is an HTML report riskmc wrote (its generator tag, or its footer)."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(2048)
            f.seek(max(0, path.stat().st_size - 4096))
            tail = f.read()
    except OSError:
        return False
    return b'<meta name="generator" content="riskmc' in head or b"Written by riskmc" in tail


def build_report(result: SimulationResult, drivers: pd.DataFrame | None = None) -> str:
    """The HTML text of the report of a result.

    Parameters
    ----------
    result : SimulationResult
    drivers : DataFrame, optional
        Driver shares to show (see :func:`riskmc.analysis.plots.driver_bars`);
        default: :func:`~riskmc.analysis.drivers.driver_shares` of the outcome
        table when it has the attribution columns.

    Returns
    -------
    str
    """
    s, o = result.scenario, result.outcomes
    if drivers is None and any(str(c).startswith("delay_at_") for c in o.columns):
        drivers = driver_shares(o)
    sections = [
        _scenario_section(result),
        _summary_section(result),
        _decision_section(result),
    ]
    if any(p.debt is not None for p in s.projects):
        sections.append(_lender_section(result))
    if any(p.cover for p in s.projects):
        sections.append(_insurer_section(result))
    if drivers is not None and len(drivers):
        sections.append(_drivers_section(drivers, s))
    if "lost_other_t" in o.columns:
        lost = driver_shares(o, "lost_output_t")
        if len(lost):
            sections.append(_drivers_section(lost, s, "lost output"))
    sections.append(_plots_section(result, drivers))
    sections.append(_assumptions_section(s))
    title = f"riskmc report: {s.name}"
    return _PAGE.format(
        title=_e(title), css=_CSS, body="\n".join(sections), version=_e(riskmc_version())
    )
