"""The map of the districts and corridors, and the coordinates it is drawn at.

Coordinates come from the scenario, else from the package tables of the
default region (``places.csv``, ``districts.csv``); the GeoJSON export
(:func:`riskmc.analysis.export.geojson_layers`) places its features the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from riskmc.analysis.plots.common import _figure, _footer, _names_as_text
from riskmc.data import load_table
from riskmc.scenario import Scenario, param_mean

__all__ = ["attack_shares", "district_map"]


def attack_shares(scenario: Scenario) -> dict[str, float]:
    """Each district's share of the scenario's long-run attack rate (campaigns excluded).

    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> attack_shares(load_scenario(shipped_scenarios()["tiny.yaml"]))
    {'Alpha': 1.0}
    """
    rates = {d.name: param_mean(d.attacks_per_year) for d in scenario.districts}
    total = sum(rates.values())
    return {k: (v / total if total > 0 else 0.0) for k, v in rates.items()}


def _table_coordinates(table: str, key: str) -> dict[str, tuple[float, float]]:
    """(lon, lat) by name from a package table of the default region."""
    rows = load_table(table).to_dict("records")
    return {str(r[key]): (float(r["lon"]), float(r["lat"])) for r in rows if r["lat"] and r["lon"]}


def _coordinates(scenario: Scenario) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """(lon, lat) of districts and places, and where each came from.

    The scenario's own coordinates first; then the package tables of the
    default region (places.csv, then districts.csv by headquarters); a place
    with neither takes its district's.
    """
    districts: dict[str, tuple[float, float]] = {}
    origin: dict[str, str] = {}
    table = _table_coordinates("districts", "district")
    for d in scenario.districts:
        if d.lat is not None and d.lon is not None:
            districts[d.name] = (d.lon, d.lat)
            origin[d.name] = "scenario"
        elif d.name in table:
            districts[d.name] = table[d.name]
            origin[d.name] = "riskmc data districts.csv"
    places: dict[str, tuple[float, float]] = {}
    ptable = _table_coordinates("places", "place")
    for p in scenario.network.places:
        if p.lat is not None and p.lon is not None:
            places[p.name] = (p.lon, p.lat)
        elif p.name in ptable:
            places[p.name] = ptable[p.name]
        elif p.district is not None and p.district in districts:
            places[p.name] = districts[p.district]
    return {**{f"district:{k}": v for k, v in districts.items()}, **places}, origin


@_names_as_text
def district_map(
    scenario: Scenario,
    values: Mapping[str, float],
    *,
    label: str = "share of modelled attacks [%]",
    title: str | None = None,
    source: str = "",
) -> Figure:
    """Map of the scenario's districts coloured by a value, with its roads and railways.

    Districts are drawn at their coordinates (headquarters), sized and coloured
    by ``values`` (a share, shown in percent); the network's road (solid) and
    rail (dashed) segments are drawn between their places; project sites are
    stars and ports squares. Longitude and latitude in degrees, plotted with
    the x axis stretched by ``1 / cos(latitude)`` so that distances look right.

    Parameters
    ----------
    scenario : Scenario
        Its districts and places need coordinates (from the scenario, or the
        package tables for the default region's names).
    values : mapping of str to float
        District name -> share (a fraction) to colour by; districts not in it are grey.
    label : str
        Colour-bar label.
    title : str, optional
    source : str
        Where ``values`` come from, for the footer.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        When no district has coordinates.
    """
    coords, origin = _coordinates(scenario)
    located = [d.name for d in scenario.districts if f"district:{d.name}" in coords]
    if not located:
        raise ValueError(f"scenario {scenario.name!r}: no district has coordinates (lat, lon)")
    fig = _figure(8.5, 7.0)
    ax = fig.add_subplot()
    drawn = {"road": False, "rail": False}
    for seg in scenario.network.segments:
        if seg.from_ in coords and seg.to in coords:
            (x0, y0), (x1, y1) = coords[seg.from_], coords[seg.to]
            rail = seg.mode == "rail"
            ax.plot(
                [x0, x1],
                [y0, y1],
                color="0.15" if rail else "#de2d26",
                linestyle=(0, (4, 2)) if rail else "-",
                linewidth=1.0 if rail else 1.6,
                alpha=0.75,
                zorder=1,
            )
            drawn[seg.mode] = True
    shown = {k: float(v) for k, v in values.items() if k in located}
    top = max(shown.values(), default=0.0)
    norm = Normalize(0.0, top * 100 if top > 0 else 1.0)
    cmap = colormaps["YlOrRd"]
    for name in located:
        x, y = coords[f"district:{name}"]
        share = shown.get(name)
        colour = cmap(norm(share * 100)) if share is not None else "0.8"
        size = 60 + 900 * (share / top if share is not None and top > 0 else 0.0)
        ax.scatter([x], [y], s=size, color=colour, edgecolor="0.25", linewidth=0.6, zorder=2)
        ax.annotate(name, (x, y), xytext=(0, -11), textcoords="offset points",
                    ha="center", va="top", fontsize=7.5, zorder=4)  # fmt: skip
    sites = {p.site for p in scenario.projects}
    ports = {p.port for p in scenario.projects}
    for name in sorted(sites | ports):
        if name in coords:
            x, y = coords[name]
            site = name in sites
            ax.scatter([x], [y], marker="*" if site else "s", s=170 if site else 60,
                       color="#08519c", edgecolor="white", linewidth=0.6, zorder=3)  # fmt: skip
            ax.annotate(name, (x, y), xytext=(6, 4), textcoords="offset points",
                        fontsize=8.5, fontweight="bold", color="#08519c", zorder=4)  # fmt: skip
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=label, shrink=0.7)
    lats = [coords[f"district:{n}"][1] for n in located]
    ax.set_aspect(1.0 / np.cos(np.radians(float(np.mean(lats)))))
    ax.set_xlabel("longitude [degrees E]")
    ax.set_ylabel("latitude [degrees N]")
    handles = [
        Line2D([], [], color="#de2d26", linewidth=1.6, label="road segment"),
        Line2D([], [], color="0.15", linestyle=(0, (4, 2)), label="rail segment"),
        Line2D([], [], marker="*", color="#08519c", linestyle="", markersize=11, label="site"),
        Line2D([], [], marker="s", color="#08519c", linestyle="", markersize=6, label="port"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.85)
    ax.grid(color="0.92", linewidth=0.6)
    ax.set_title(title or f"Districts and corridors: {scenario.name}")
    tables = sorted({v for v in origin.values() if v != "scenario"})
    coord_note = "coordinates: district headquarters and places from the scenario"
    if tables:
        coord_note += " and " + ", ".join(tables)
    _footer(fig, f"Scenario: {scenario.name}; {coord_note} (straight lines, not road alignments)",
            source)  # fmt: skip
    return fig
