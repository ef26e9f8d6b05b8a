"""Plots of outcome tables and of the statistics of :mod:`riskmc.analysis.curves`.

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot``, so no global figure state is touched and the Agg canvas renders it
(``fig.savefig("x.png")``) whatever backend the user's matplotlib is set to.
Each figure carries a title, axis labels with units (read from
:data:`riskmc.engine.propagate.OUTCOME_COLUMNS` at run time), the scenario's
name and, where it applies, what the band means and where the data come from.

:func:`write_plots` writes the plots that apply to a
:class:`~riskmc.engine.SimulationResult` as PNG files.

The plots live by subject, each importable from here too: the outcome table's
distributions, curves and drivers (``plots/outcomes.py``), the district map
(``plots/maps.py``), decisions (``plots/decisions.py``: tornado, paired
differences), the lender's and insurer's views (``plots/finance.py``), and what
they share (``plots/common.py``: figure, footer, axis labels, PNG).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from riskmc.analysis.curves import exceedance, s_curve
from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.plots.common import _label_column, axis_label, png_bytes
from riskmc.analysis.plots.decisions import comparison_plot, tornado_plot
from riskmc.analysis.plots.finance import aep_oep_plot, dscr_fan_plot
from riskmc.analysis.plots.maps import _coordinates, attack_shares, district_map
from riskmc.analysis.plots.outcomes import TAIL_FLOOR as TAIL_FLOOR
from riskmc.analysis.plots.outcomes import driver_bars, exceedance_plot, histogram, s_curve_plot
from riskmc.analysis.summary import group_rows
from riskmc.analysis.text import plain_text
from riskmc.engine.checkpoint import atomic_write
from riskmc.scenario import Scenario
from riskmc.scenario.schema import name_key

if TYPE_CHECKING:
    from riskmc.engine.simulate import SimulationResult

__all__ = [
    "aep_oep_plot",
    "attack_shares",
    "axis_label",
    "comparison_plot",
    "district_map",
    "driver_bars",
    "dscr_fan_plot",
    "exceedance_plot",
    "figures",
    "histogram",
    "plan_dates",
    "png_bytes",
    "s_curve_plot",
    "tornado_plot",
    "write_plots",
]


def plan_dates(outcomes: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Each construction project's planned first production, from first production - delay.

    ``first_production`` is the date in which the work ends (its time of day dropped) and
    ``delay_days`` is exact, so their difference falls in the day before the plan's finish,
    up to it. A plan that ends at midnight (whole planned days from a start date, the usual
    case) is thus the difference rounded up to a whole day, exactly. The median over the
    replications is given (the plan varies when the planned days are uncertain).
    """
    dates = pd.to_datetime(outcomes["first_production"])
    plan = dates - pd.to_timedelta(outcomes["delay_days"], unit="D")
    # a microsecond's slack: a delay off by rounding must not push the plan a day on
    plan = (plan - pd.Timedelta(microseconds=1)).dt.ceil("D")
    out = {}
    for name, g in plan.groupby(outcomes["project"], sort=False):
        if g.notna().any():
            out[str(name)] = g.dropna().median().floor("D")
    return out


def figures(result: SimulationResult, drivers: pd.DataFrame | None = None) -> dict[str, Figure]:
    """The plots that apply to a result, by file stem.

    - ``delay_histogram``, ``s_curve``: when a project has a construction phase;
    - ``exceedance_<metric>`` for delay, capex overrun and NPV loss: for the
      projects where the metric varies;
    - ``drivers_<project>`` (``drivers`` without a project column): the
      shares of expected delay by cause and by district, from ``drivers`` or
      else from :func:`riskmc.analysis.drivers.driver_shares` of the outcome
      table, for each project with a delay;
    - ``district_map``: when the districts have coordinates, coloured by the
      district shares of delay of the first such project, or, without
      attribution, by each district's share of the modelled attacks;
    - ``lost_drivers_<project>`` and ``lost_output_map``: the same for lost
      output, when the outcome table has its attribution columns.
    """
    o, s = result.outcomes, result.scenario
    out: dict[str, Figure] = {}
    dated = pd.to_datetime(o["first_production"]).notna().to_numpy(dtype=bool)
    building = [str(p) for p in dict.fromkeys(o["project"].to_numpy()[dated])]
    if building:
        out["delay_histogram"] = histogram(
            o, "delay_days", scenario=s.name, projects=building, seed=result.seed
        )
        out["s_curve"] = s_curve_plot(
            s_curve(o), scenario=s.name, plan=plan_dates(o), seed=result.seed
        )
    for metric in ("delay_days", "capex_overrun_usd", "npv_loss_usd"):
        if metric not in o:
            continue
        column = o[metric]
        varies = [str(p) for p, rows in group_rows(o, "project") if column.take(rows).nunique() > 1]
        if varies:  # the two columns of those projects' rows, not the whole table
            curve = exceedance(o.loc[o["project"].isin(varies), ["project", metric]], metric)
            out[f"exceedance_{metric}"] = exceedance_plot(curve, scenario=s.name, seed=result.seed)
    if drivers is None and any(str(c).startswith("delay_at_") for c in o.columns):
        drivers = driver_shares(o)
    coords, _ = _coordinates(s)
    mapped = any(f"district:{d.name}" in coords for d in s.districts)
    if "lost_other_t" in o.columns:
        lost = _named(driver_shares(o, "lost_output_t"), s)
        for project in lost["project"].unique():
            d = lost[lost["project"] == project]
            out[f"lost_drivers_{_slug(str(project))}"] = driver_bars(
                d,
                metric="lost_output_t",
                scenario=s.name,
                title=f"Drivers of lost_output_t: {s.name}, {project}",
            )
        if mapped and len(lost):
            first = lost[
                (lost["project"] == lost["project"].iloc[0]) & (lost["kind"] == "district")
            ]
            values = {d.name: 0.0 for d in s.districts}
            values.update(zip(first["name"], first["share"], strict=True))
            out["lost_output_map"] = district_map(
                s,
                values,
                label="share of expected lost output [%]",
                title=f"Where output is lost: {s.name}",
                source="colour: share of the expected lost output held in each district, "
                f"{lost['project'].iloc[0]}",
            )
    if drivers is not None and len(drivers):
        drivers = _named(drivers, s)
        projects = list(drivers["project"].unique()) if "project" in drivers else [None]
        for project in projects:
            d = drivers if project is None else drivers[drivers["project"] == project]
            stem = "drivers" if project is None else f"drivers_{_slug(str(project))}"
            title = f"Drivers of delay_days: {s.name}"
            out[stem] = driver_bars(
                d, scenario=s.name, title=title if project is None else f"{title}, {project}"
            )
        first = drivers if projects == [None] else drivers[drivers["project"] == projects[0]]
        shown = first[first["kind"] == "district"] if "kind" in first else first.iloc[:0]
    else:
        projects, shown = [], pd.DataFrame()
    if len(shown):
        # Districts the attribution found nothing in held none of the delay.
        values = {d.name: 0.0 for d in s.districts}
        values.update(zip(shown[_label_column(shown)], shown["share"], strict=True))
        label = "share of expected delay [%]"
        note = "colour: share of the expected delay held in each district" + (
            "" if projects == [None] else f", {projects[0]}"
        )
    else:
        values = attack_shares(s)
        label = "share of modelled attacks [%]"
        note = "colour: each district's long-run attack rate in the scenario (campaigns excluded)"
    if mapped:
        out["district_map"] = district_map(s, values, label=label, source=note)
    for fig in out.values():
        _plain(fig)
    return out


def _plain(fig: Figure) -> None:
    """Drop control characters from every text of ``fig`` (names come from the user's file).

    The fonts have no glyph for them (an escape sequence drew a box and warned);
    ``$`` is already literal (mathtext is off in these figures).
    """
    for artist in fig.findobj(Text):
        text = artist.get_text()
        clean = plain_text(text)
        if clean != text:
            artist.set_text(clean)


def _named(drivers: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    """Driver shares with the scenario's district names (driver_shares gives column slugs)."""
    names = {_slug(d.name): plain_text(d.name) for d in s.districts}
    column = _label_column(drivers)
    return drivers.assign(**{column: [names.get(_slug(str(n)), str(n)) for n in drivers[column]]})


def _slug(name: str) -> str:
    # the key validation keeps unique among projects (riskmc.scenario.schema.name_key)
    return name_key(name)


def write_plots(
    result: SimulationResult, out_dir: str | Path, *, drivers: pd.DataFrame | None = None
) -> list[Path]:
    """Write the plots that apply to a result as PNG files.

    Parameters
    ----------
    result : SimulationResult
    out_dir : str or Path
        Created if needed.
    drivers : DataFrame, optional
        Driver shares (see :func:`driver_bars`) to plot and to colour the map by.

    Returns
    -------
    list of Path
        The files written, ``<name>.png`` for each name of :func:`figures`.

    Examples
    --------
    >>> import tempfile
    >>> from riskmc.engine import simulate
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> paths = write_plots(simulate(tiny, 20, seed=1, workers=1), tempfile.mkdtemp())
    >>> sorted(p.name for p in paths)  # tiny has no coordinates: no map
    ['delay_histogram.png', 'drivers_mine.png', 'exceedance_capex_overrun_usd.png', \
'exceedance_delay_days.png', 'exceedance_npv_loss_usd.png', 'lost_drivers_mine.png', 's_curve.png']
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figures(result, drivers).items():
        path = folder / f"{name}.png"
        data = png_bytes(fig)

        def write(f: IO[bytes], data: bytes = data) -> None:
            f.write(data)

        atomic_write(path, write)  # never half a file
        paths.append(path)
    return paths
