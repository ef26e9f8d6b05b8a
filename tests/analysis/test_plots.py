"""Plots: what each draws is read back from the figure and checked against the data."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from riskmc.analysis import exceedance
from riskmc.analysis.plots import (
    attack_shares,
    axis_label,
    comparison_plot,
    district_map,
    driver_bars,
    exceedance_plot,
    figures,
    histogram,
    plan_dates,
    tornado_plot,
    write_plots,
)
from riskmc.scenario import scenario_from_dict

PNG = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _texts(fig: Figure) -> str:
    parts = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        parts.append(fig._suptitle.get_text())
    if fig._supxlabel is not None:
        parts.append(fig._supxlabel.get_text())
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_title("left"), ax.get_xlabel(), ax.get_ylabel()]
    return "\n".join(parts)


def test_axis_labels_carry_the_units_of_the_outcome_columns():
    assert axis_label("delay_days") == ("delay_days [days]", 1.0)
    assert axis_label("lost_output_t") == ("lost_output_t [t]", 1.0)
    assert axis_label("npv_loss_usd") == ("npv_loss_usd [million USD at the scenario start]", 1e6)
    assert axis_label("not_a_column") == ("not_a_column", 1.0)


def test_histogram_marks_the_quantiles_and_counts_every_replication():
    frame = pd.DataFrame(
        {"project": ["A"] * 11 + ["B"] * 4, "delay_days": [*range(11), 1, 1, 1, 9]}
    )
    fig = histogram(frame, scenario="hand", bins=5)
    a, b = fig.axes[:2]
    # P50, P80, P90 of 0..10 are 5, 8 and 9.
    assert [line.get_xdata()[0] for line in a.lines] == [5.0, 8.0, 9.0]
    assert [t.get_text() for t in a.get_legend().get_texts()] == [
        "P50 = 5.0",
        "P80 = 8.0",
        "P90 = 9.0",
    ]
    assert sum(p.get_height() for p in a.patches) == 11
    assert sum(p.get_height() for p in b.patches) == 4
    text = _texts(fig)
    assert "hand" in text
    assert "delay_days [days]" in text


def test_exceedance_plot_draws_the_curve_and_its_band():
    frame = pd.DataFrame({"project": "A", "delay_days": [0.0, 0, 10, 20, 30]})
    curve = exceedance(frame, "delay_days")
    fig = exceedance_plot(curve, scenario="hand")
    ax = fig.axes[0]
    (line,) = ax.lines[:1]
    assert list(line.get_xdata()) == [0, 10, 20, 30]
    assert list(line.get_ydata()) == [0.6, 0.4, 0.2, 0.0]
    assert len(ax.collections) == 1  # the band
    assert ax.get_ylabel() == "P(delay_days > x)"
    # the tail on a log axis down to 1e-3
    assert ax.get_yscale() == "log"
    assert ax.get_ylim()[0] == pytest.approx(1e-3)
    assert "Exceedance of delay_days: hand" in _texts(fig)
    assert "Wilson" in _texts(fig)


def test_driver_bars_draw_each_share_sorted_per_kind():
    shares = pd.DataFrame(
        {
            "kind": ["district", "district", "district", "cause", "cause"],
            "driver": ["Nushki", "Chagai", "Quetta", "attack closure", "blackout"],
            "share": [0.3, 0.5, 0.2, 0.75, 0.25],
            "low": [0.25, 0.45, 0.15, 0.7, 0.2],
            "high": [0.35, 0.55, 0.25, 0.8, 0.3],
        }
    )
    fig = driver_bars(shares, scenario="hand")
    districts, causes = fig.axes
    widths = [p.get_width() for p in districts.patches]
    assert widths == pytest.approx([20.0, 30.0, 50.0])  # ascending: the largest on top
    assert [t.get_text() for t in districts.get_yticklabels()] == ["Quetta", "Nushki", "Chagai"]
    assert [p.get_width() for p in causes.patches] == pytest.approx([25.0, 75.0])
    assert districts.get_title("left") == "by district"
    assert "share of expected delay_days [%]" in _texts(fig)
    # Without kind and intervals: one panel.
    single = driver_bars(shares[["driver", "share"]], scenario="hand")
    assert len(single.axes) == 1
    assert len(single.axes[0].patches) == 5


def test_tornado_bars_run_from_the_base_to_each_setting_widest_on_top():
    frame = pd.DataFrame(
        {"factor": ["a", "b", "c"], "low": [10.0, 18.0, 25.0], "high": [40.0, 24.0, 12.0]}
    )
    fig = tornado_plot(frame, scenario="hand", base=20.0)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c", "a"]  # swing 6, 13, 30
    bars = [(p.get_x(), p.get_x() + p.get_width()) for p in ax.patches]
    low_bars, high_bars = bars[:3], bars[3:]
    assert low_bars == [(20.0, 18.0), (20.0, 25.0), (20.0, 10.0)]
    assert high_bars == [(20.0, 24.0), (20.0, 12.0), (20.0, 40.0)]
    usd = tornado_plot(frame.assign(base=20e6, low=frame.low * 1e6, high=frame.high * 1e6),
                       scenario="hand", metric="capex_overrun_usd")  # fmt: skip
    assert usd.axes[0].patches[0].get_x() == pytest.approx(20.0)  # in millions
    assert "[million USD]" in usd.axes[0].get_xlabel()


def test_comparison_plot_places_each_difference_with_its_interval():
    frame = pd.DataFrame(
        {
            "scenario": ["escorts", "escorts", "buffer", "buffer"],
            "project": ["R", "S", "R", "S"],
            "value": [-5.0, -1.0, -10.0, 0.0],
            "low": [-7.0, -2.0, -14.0, -0.5],
            "high": [-3.0, 0.0, -6.0, 0.5],
        }
    )
    fig = comparison_plot(frame, scenario="base")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["escorts", "buffer"]
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert [list(line.get_xdata()) for line in points] == [[-5.0, -10.0], [-1.0, 0.0]]
    # The error bars of R run from low to high.
    segments = ax.collections[0].get_segments()
    assert [tuple(s[:, 0]) for s in segments] == [(-7.0, -3.0), (-14.0, -6.0)]
    assert "alternative - base" in ax.get_xlabel()


def _mapped(tiny_doc, lat_lon: bool):
    doc = tiny_doc
    doc["districts"][0]["name"] = "Chagai"
    doc["districts"].append(
        {"name": "Nushki", "attacks_per_year": 72, "targets": doc["districts"][0]["targets"]}
    )
    for place in doc["network"]["places"]:
        place["district"] = "Chagai"
    doc["network"]["segments"][0]["districts"] = ["Chagai"]
    doc["network"]["places"][0].update(lat=29.0, lon=66.0)
    doc["network"]["places"][1].update(lat=28.0, lon=63.0)
    doc["network"]["places"].append({"name": "Depot", "district": "Nushki", "kind": "town"})
    doc["network"]["segments"].append(
        {"name": "L2", "mode": "rail", "from": "Port", "to": "Depot", "km": 100, "kmh": 30,
         "districts": ["Nushki"]}
    )  # fmt: skip
    if lat_lon:
        doc["districts"][0].update(lat=28.5, lon=64.5)
    return scenario_from_dict(doc, "hand")


def test_map_draws_districts_segments_and_sites_at_their_coordinates(tiny_doc):
    scenario = _mapped(tiny_doc, lat_lon=True)
    assert attack_shares(scenario) == {"Chagai": 0.25, "Nushki": 0.75}
    fig = district_map(scenario, attack_shares(scenario))
    ax = fig.axes[0]
    lines = {(tuple(line.get_xdata()), tuple(line.get_ydata())) for line in ax.lines}
    # R1 Port-Mine from the scenario's coordinates; L2 Port-Depot, the depot placed at its
    # district's headquarters, Nushki, from the package table (29.55 N, 66.02 E).
    assert ((66.0, 63.0), (29.0, 28.0)) in lines
    assert ((66.0, 66.02), (29.0, 29.55)) in lines
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = [tuple(c.get_offsets()[0]) for c in points]
    assert offsets[:2] == [(64.5, 28.5), (66.02, 29.55)]  # Chagai (scenario), Nushki (table)
    sizes = [float(c.get_sizes()[0]) for c in points[:2]]
    assert sizes == [60 + 900 * 0.25 / 0.75, 960.0]
    assert "Districts and corridors: tiny" in _texts(fig)
    assert "districts.csv" in _texts(fig)
    assert "longitude [degrees E]" in _texts(fig)


def test_map_needs_coordinates(tiny_doc):
    tiny = scenario_from_dict(tiny_doc, "tiny")
    with pytest.raises(ValueError, match="no district has coordinates"):
        district_map(tiny, {"Alpha": 1.0})


def test_write_plots_writes_readable_pngs(tiny_result, tmp_path):
    paths = write_plots(tiny_result, tmp_path / "plots")
    assert sorted(p.name for p in paths) == [
        "delay_histogram.png",
        "drivers_mine.png",
        "exceedance_capex_overrun_usd.png",
        "exceedance_delay_days.png",
        "exceedance_npv_loss_usd.png",
        "lost_drivers_mine.png",
        "s_curve.png",
    ]
    for path in paths:
        width, height = _png_size(path.read_bytes())
        assert width >= 800
        assert height >= 400


def test_write_plots_of_the_default_scenario_has_the_map_and_drivers(default_result_dir, tmp_path):
    from riskmc.engine import SimulationResult

    result = SimulationResult.from_parquet(default_result_dir)
    names = {p.name for p in write_plots(result, tmp_path / "auto")}
    # Drivers of delay from the attribution columns, for Reko Diq only: Saindak operates, no
    # delay; drivers of lost output for both, and a map of them.
    assert {"district_map.png", "drivers_reko_diq.png", "s_curve.png"} <= names
    assert not any("saindak" in n for n in names - {"lost_drivers_saindak.png"})
    assert {"lost_drivers_reko_diq.png", "lost_drivers_saindak.png", "lost_output_map.png"} <= names
    given = pd.DataFrame(
        {"kind": ["district", "district"], "driver": ["Chagai", "Nushki"], "share": [0.6, 0.4]}
    )
    figs = figures(result, drivers=given)
    assert "drivers" in figs
    assert "drivers_reko_diq" not in figs
    sizes = {
        ax_label: float(c.get_sizes()[0])
        for c, ax_label in zip(
            [c for c in figs["district_map"].axes[0].collections if isinstance(c, PathCollection)],
            [d.name for d in result.scenario.districts],
            strict=False,
        )
    }
    # Chagai has the largest share (60 %): the largest marker; Quetta has none: the smallest.
    assert sizes["Chagai"] == 960.0
    assert sizes["Nushki"] == pytest.approx(60 + 900 * 0.4 / 0.6)
    assert sizes["Quetta"] == 60.0


def test_plan_dates_are_the_plans_first_production(tiny_result):
    # Found by review: the median of first production - delay fell half a day before the
    # plan (first_production drops the time of day), and rounded to the day before half the
    # time. tiny's plan finishes at midnight on 2028-01-01 (730 whole days).
    o = tiny_result.outcomes
    assert (o["delay_days"] > 0).mean() > 0.5  # most replications are late, by fractions
    assert plan_dates(o) == {"Mine": pd.Timestamp("2028-01-01")}
    # the late ones alone, and a delay off by rounding, give the same date
    late = o[o["delay_days"] > 0].copy()
    assert plan_dates(late) == {"Mine": pd.Timestamp("2028-01-01")}
    late["delay_days"] -= 1e-9
    assert plan_dates(late) == {"Mine": pd.Timestamp("2028-01-01")}
