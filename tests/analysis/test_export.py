"""``riskmc export``: the Excel workbook and the GeoJSON layers, read back from real files."""

from __future__ import annotations

import itertools
import json
import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskmc.analysis.export import geojson_layers, workbook_sheets, write_geojson, write_xlsx
from riskmc.analysis.report import ReportError
from riskmc.cli import app
from riskmc.data import sources
from riskmc.engine import SimulationResult, simulate
from riskmc.scenario import scenario_from_dict

DATA = Path(__file__).parents[1] / "data"
runner = CliRunner()


@pytest.fixture(scope="module")
def exported(default_result_dir, tmp_path_factory) -> Path:
    """A copy of the default scenario's results folder (24 replications), both exports in it."""
    folder = tmp_path_factory.mktemp("exported") / "results"
    shutil.copytree(default_result_dir, folder)
    write_xlsx(folder)
    write_geojson(folder)
    return folder


@pytest.fixture(scope="module")
def result(default_result_dir) -> SimulationResult:
    return SimulationResult.from_parquet(default_result_dir)


def _table(book: Any, name: str) -> tuple[list[str], pd.DataFrame]:
    """An Excel table of the workbook by its name: its header and its rows."""
    for ws in book.worksheets:
        if name in ws.tables:
            rows = [[c.value for c in row] for row in ws[ws.tables[name].ref]]
            return rows[0], pd.DataFrame(rows[1:], columns=rows[0])
    raise AssertionError(f"no table {name!r}")


# -- the workbook ------------------------------------------------------------------------------


def test_the_summary_sheet_is_result_summary_to_the_last_digit(exported, result):
    path = exported / "report.xlsx"
    sheets = pd.read_excel(path, sheet_name=None)
    # the default scenario has cover (Reko Diq), hence an insurer sheet
    assert list(sheets) == ["summary", "drivers", "lender", "insurer", "scenario"]
    summary = sheets["summary"]
    assert summary.columns[:4].tolist() == ["project", "metric", "unit", "statistic"]
    # the unbounded ends of quantile intervals are written as the text inf / -inf
    assert np.isinf(summary["high"]).any()
    # openpyxl writes 16 significant digits (Excel shows 15): equal to the last one
    expected = result.summary()
    for column in ("value", "se", "low", "high"):
        expected[column] = [float(f"{x:.16g}") for x in expected[column]]
    pd.testing.assert_frame_equal(
        summary.drop(columns="unit"), expected, check_exact=True, check_dtype=False
    )
    book = openpyxl.load_workbook(path)
    assert book.properties.creator == "riskmc"
    assert book.properties.description.startswith("Written by riskmc ")
    assert [p.name for p in exported.iterdir() if p.name.startswith(".")] == []  # no leftover


def test_each_sheet_has_its_tables_with_units_and_values_computed_by_hand(exported, result):
    book = openpyxl.load_workbook(exported / "report.xlsx")
    o = result.outcomes
    reko = o[o["project"].astype(str) == "Reko Diq"]
    delay = reko["delay_days"].to_numpy()

    header, summary = _table(book, "summary")
    assert header == ["project", "metric", "unit", "statistic", "value", "se", "low", "high", "n"]
    mean = summary[
        (summary["project"] == "Reko Diq")
        & (summary["metric"] == "delay_days")
        & (summary["statistic"] == "mean")
    ].iloc[0]
    assert mean["unit"] == "days"
    assert mean["value"] == pytest.approx(delay.sum() / len(delay), rel=1e-12)
    capex = summary[summary["metric"] == "capex_overrun_usd"]
    assert set(capex["unit"]) == {"USD"}
    ws = book["summary"]
    assert ws["E2"].number_format == "#,##0.0"  # days to a tenth
    assert ws.cell(1 + capex.index[0] + 1, 5).number_format == "#,##0"  # whole dollars

    header, drivers = _table(book, "drivers")
    assert header == ["project", "metric", "kind", "driver", "share (fraction)", "low (fraction)",
                      "high (fraction)", "se (fraction)", "mean held", "unit"]  # fmt: skip
    chagai = drivers[
        (drivers["project"] == "Reko Diq")
        & (drivers["metric"] == "delay_days")
        & (drivers["driver"] == "Chagai")  # the scenario's name, not the column's
    ].iloc[0]
    by_hand = reko["delay_at_chagai_days"].mean() / reko["delay_days"].mean()
    assert chagai["share (fraction)"] == pytest.approx(by_hand, rel=1e-12)
    assert chagai["unit"] == "days"
    assert book["drivers"]["E2"].number_format == "0.0%"

    header, slip = _table(book, "lender_slip")
    assert header == ["project", "plan (date)", "date", "days after plan",
                      "probability (fraction)", "low (fraction)", "high (fraction)",
                      "replications later", "replications"]  # fmt: skip
    assert slip["days after plan"].tolist() == [0, 30, 90, 180, 365]  # Saindak operates: no row
    # the plan: construction from 2026-12-01, 761 planned days
    plan = date(2026, 12, 1) + timedelta(days=761)
    assert slip["plan (date)"].iloc[0] == datetime(plan.year, plan.month, plan.day)
    late = slip.iloc[2]
    when = pd.Timestamp(late["date"])
    first = pd.to_datetime(reko["first_production"])
    k = int(((first > when) | first.isna()).sum())
    assert late["replications later"] == k
    assert late["probability (fraction)"] == pytest.approx(k / len(reko), rel=1e-12)

    header, shortfall = _table(book, "lender_shortfall")
    assert header[:3] == ["project", "year", "probability (fraction)"]
    first_year = 2029  # Reko Diq's debt.first_year in the default scenario
    row = shortfall[shortfall["year"] == 2030].iloc[0]
    bits = (reko["debt_shortfall_mask"].to_numpy() >> (2030 - first_year)) & 1
    assert row["probability (fraction)"] == pytest.approx(bits.mean(), rel=1e-12)

    header, tail = _table(book, "lender_tail")
    assert header[:3] == ["project", "event", "probability (fraction)"]
    row = tail[(tail["project"] == "Reko Diq") & (tail["event"] == "delay > 90 d")].iloc[0]
    assert row["probability (fraction)"] == pytest.approx((delay > 90).mean(), rel=1e-12)

    header, run = _table(book, "scenario_run")
    assert header == ["field", "value"]
    fields = dict(zip(run["field"], run["value"], strict=True))
    assert (fields["scenario"], fields["seed"], fields["replications"]) == ("balochistan", 5, 24)
    header, districts = _table(book, "scenario_districts")
    assert header == ["district", "attacks per year (mean)", "attacks per year (as given)",
                      "lat (deg N)", "lon (deg E)", "source note", "ESTIMATE"]  # fmt: skip
    quetta = districts.set_index("district").loc["Quetta"]
    assert (quetta["attacks per year (mean)"], quetta["lat (deg N)"]) == (17.7, 30.18)
    assert quetta["lon (deg E)"] == 67.0
    assert quetta["source note"] == "S51 approx; rate ESTIMATE, weight 3"
    assert quetta["ESTIMATE"].item() is True  # an Excel TRUE, not text
    header, segments = _table(book, "scenario_segments")
    assert header[:5] == ["segment", "mode", "from", "to", "length (km, mean)"]
    n40q = segments.set_index("segment").loc["N40q"]
    assert (n40q["from"], n40q["to"], n40q["length (km, mean)"]) == ("Quetta", "Nushki", 128)
    header, parameters = _table(book, "scenario_parameters")
    assert header[:3] == ["project", "parameter", "as given"]
    planned = parameters[parameters["parameter"] == "construction.planned_days"].iloc[0]
    assert (planned["project"], planned["as given"]) == ("Reko Diq", "761")
    header, cited = _table(book, "scenario_sources")
    assert header == ["tag", "source"]
    assert dict(zip(cited["tag"], cited["source"], strict=True))["S51"] == sources()["S51"]


def test_the_insurer_sheet_comes_with_cover(tiny_doc, tiny_result, tmp_path):
    # tiny has none: no insurer sheet
    assert "insurer" not in workbook_sheets(tiny_result)
    tiny_doc["projects"][0]["cover"] = [
        {"name": "property", "peril": "damage", "limit_usd": 1e8, "premium_rate": 0.01}
    ]
    tiny_doc["projects"][0]["debt"] = {"service_usd_per_year": 1e8, "first_year": 2028}
    result = simulate(scenario_from_dict(tiny_doc), 20, seed=3, workers=1)
    outcomes = result.outcomes
    book = openpyxl.load_workbook(write_xlsx(result.to_parquet(tmp_path / "covered")))
    assert book.sheetnames == ["summary", "drivers", "lender", "insurer", "scenario"]
    header, insurer = _table(book, "insurer")
    assert header == ["project", "metric", "unit", "statistic", "value", "se", "low", "high", "n"]
    mean = insurer[(insurer["metric"] == "cover_recovery_usd") & (insurer["statistic"] == "mean")]
    assert mean["unit"].iloc[0] == "USD, undiscounted"
    assert mean["value"].iloc[0] == pytest.approx(outcomes["cover_recovery_usd"].mean())
    _, covers = _table(book, "insurer_covers")
    assert covers["aal_usd"].iloc[0] == pytest.approx(outcomes["cover_recovery_usd"].mean() / 5)
    _, rps = _table(book, "insurer_return_periods")
    assert sorted(set(rps["curve"])) == ["AEP", "OEP"]
    _, dscr = _table(book, "lender_dscr")
    assert dscr["year"].tolist() == [2028, 2029, 2030]


def test_names_stay_text_in_the_workbook_and_the_geojson(tiny_doc, tmp_path):
    """A name that looks like a formula is written as text; control characters are dropped."""
    tiny_doc["projects"][0]["name"] = '=HYPERLINK("http://example.org","x")'
    tiny_doc["description"] = "bell\x07 here"
    tiny_doc["districts"][0]["name"] = "=1+1"
    tiny_doc["network"]["places"][0]["district"] = "=1+1"
    tiny_doc["network"]["places"][1]["district"] = "=1+1"
    tiny_doc["network"]["segments"][0]["districts"] = ["=1+1"]
    scenario = scenario_from_dict(tiny_doc)
    folder = simulate(scenario, 4, seed=1, workers=1).to_parquet(tmp_path / "r")
    path = write_xlsx(folder)
    book = openpyxl.load_workbook(path)
    cell = book["summary"]["A2"]
    assert (cell.value, cell.data_type) == (tiny_doc["projects"][0]["name"], "s")
    _, districts = _table(book, "scenario_districts")
    assert districts["district"].tolist() == ["=1+1"]
    _, run = _table(book, "scenario_run")
    assert dict(zip(run["field"], run["value"], strict=True))["description"] == "bell\ufffd here"
    with zipfile.ZipFile(path) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets"))
    # tiny has no coordinates: the features are there, with no geometry
    paths = write_geojson(folder)
    layer = json.loads(paths[0].read_text(encoding="utf-8"))
    jsonschema.validate(layer, _schema())
    [feature] = layer["features"]
    assert feature["geometry"] is None
    assert feature["properties"]["district"] == "=1+1"
    assert feature["properties"]["delay_share"] == pytest.approx(1.0)


# -- GeoJSON -----------------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    return json.loads((DATA / "geojson.schema.json").read_text(encoding="utf-8"))


def _positions(geometry: dict[str, Any] | None) -> list[list[float]]:
    if geometry is None:
        return []
    c = geometry["coordinates"]
    kind = geometry["type"]
    if kind == "Point":
        return [c]
    if kind == "LineString":
        return list(c)
    return [p for ring in c for p in ring]  # Polygon


def _signed_area(ring: list[list[float]]) -> float:
    """Shoelace sum: positive when the ring runs counterclockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def test_geojson_validates_and_follows_rfc_7946(exported):
    validator = jsonschema.Draft7Validator(_schema())
    for name in ("districts", "segments"):
        layer = json.loads((exported / f"{name}.geojson").read_text(encoding="utf-8"))
        validator.validate(layer)
        assert "crs" not in layer  # RFC 7946: WGS 84 longitude, latitude only
        assert layer["riskmc"]["replications"] == 24
        ids = [f["id"] for f in layer["features"]]
        assert len(ids) == len(set(ids))
        for feature in layer["features"]:
            geometry = feature["geometry"]
            assert geometry is not None, feature["id"]  # the default scenario has coordinates
            for lon, lat in _positions(geometry):
                assert -180 <= lon <= 180
                assert -90 <= lat <= 90
            if geometry["type"] == "Polygon":  # none today; the right-hand rule if one comes
                outer, *holes = geometry["coordinates"]
                assert outer[0] == outer[-1]
                assert _signed_area(outer) > 0
                assert all(_signed_area(h) < 0 for h in holes)
    districts = json.loads((exported / "districts.geojson").read_text(encoding="utf-8"))
    assert len(districts["features"]) == 20 * 2  # every district, for each project
    quetta = next(f for f in districts["features"] if f["id"] == "Quetta / Reko Diq")
    assert quetta["geometry"]["type"] == "Point"
    lon, lat = quetta["geometry"]["coordinates"]
    assert lon == pytest.approx(66.99, abs=0.1)  # Quetta: 66.99 E, 30.18 N: lon first
    assert lat == pytest.approx(30.18, abs=0.1)
    segments = json.loads((exported / "segments.geojson").read_text(encoding="utf-8"))
    n40q = next(f for f in segments["features"] if f["id"] == "N40q / Reko Diq")
    assert n40q["geometry"]["type"] == "LineString"
    start, end = n40q["geometry"]["coordinates"]  # Quetta (the city) to Nushki
    assert start == pytest.approx([67.00, 30.18])
    assert end == pytest.approx([66.02, 29.55])


def test_geojson_shares_are_those_of_the_outcome_columns(exported, result):
    o = result.outcomes
    reko = o[o["project"].astype(str) == "Reko Diq"]
    districts = json.loads((exported / "districts.geojson").read_text(encoding="utf-8"))
    props = {f["id"]: f["properties"] for f in districts["features"]}
    chagai = props["Chagai / Reko Diq"]
    delay = reko["delay_days"].mean()
    assert chagai["delay_share"] == pytest.approx(reko["delay_at_chagai_days"].mean() / delay)
    assert chagai["delay_share_low"] <= chagai["delay_share"] <= chagai["delay_share_high"]
    lost = reko["lost_output_t"].mean()
    assert chagai["lost_output_share"] == pytest.approx(reko["lost_at_chagai_t"].mean() / lost)
    assert chagai["lost_output_t_mean"] == pytest.approx(reko["lost_at_chagai_t"].mean())
    # Saindak operates: no expected delay, so no share of it; Pishin is on no route
    assert props["Chagai / Saindak"]["delay_share"] is None
    assert props["Chagai / Saindak"]["lost_output_share"] is not None
    assert props["Pishin / Reko Diq"]["on_route"] is False
    assert props["Pishin / Reko Diq"]["lost_output_share"] is None
    # the districts' shares and what no district held add up to 1
    held = sum(p["lost_output_share"] or 0.0 for k, p in props.items() if k.endswith("Reko Diq"))
    rest = districts["riskmc"]["unattributed"]["lost_output_t"]["Reko Diq"]
    assert held + rest == pytest.approx(1.0)
    # a segment: what its districts held (Quetta, Mastung, Nushki), replication by replication
    segments = json.loads((exported / "segments.geojson").read_text(encoding="utf-8"))
    n40q = next(f for f in segments["features"] if f["id"] == "N40q / Reko Diq")["properties"]
    assert n40q["districts"] == "Quetta, Mastung, Nushki"
    columns = ["lost_at_quetta_t", "lost_at_mastung_t", "lost_at_nushki_t"]
    by_hand = reko[columns].sum(axis=1).mean() / lost
    assert n40q["districts_lost_output_share"] == pytest.approx(by_hand)


def test_geopandas_reads_the_layers(exported):
    geopandas = pytest.importorskip("geopandas")
    districts = geopandas.read_file(exported / "districts.geojson")
    assert districts.crs.to_epsg() == 4326
    assert len(districts) == 40
    quetta = districts[(districts["district"] == "Quetta") & (districts["project"] == "Reko Diq")]
    assert quetta.geometry.x.iloc[0] == pytest.approx(67.0)
    segments = geopandas.read_file(exported / "segments.geojson")
    assert set(segments.geom_type) == {"LineString"}


def test_exports_are_the_same_with_a_categorical_project_and_datetime_dates(result):
    """The outcome table may hold ``project`` as a Categorical and ``first_production`` as
    datetime64 rather than text and dates: the exports do not change."""
    o = result.outcomes.assign(
        project=result.outcomes["project"].astype("category"),
        first_production=pd.to_datetime(result.outcomes["first_production"]),
    )
    other = SimulationResult(result.scenario, result.seed, o, result.cover_years)
    sheets, again = workbook_sheets(result), workbook_sheets(other)
    assert list(sheets) == list(again)
    for name, blocks in sheets.items():
        for block, same in zip(blocks, again[name], strict=True):
            pd.testing.assert_frame_equal(
                block.frame.astype(str), same.frame.astype(str), obj=block.name
            )
    assert json.dumps(geojson_layers(result)) == json.dumps(geojson_layers(other))


# -- the command line --------------------------------------------------------------------------


def _bad(args: list[str]) -> str:
    """Run the command, expecting bad input: exit 2 and one line on standard error."""
    out = runner.invoke(app, args)
    assert out.exit_code == 2, out.output
    assert isinstance(out.exception, SystemExit)  # not an error raised from deep inside
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_cli_export_writes_and_rewrites_its_own_files(default_result_dir, tmp_path):
    folder = tmp_path / "results"
    shutil.copytree(default_result_dir, folder)
    for _ in range(2):  # the second time over its own files
        out = runner.invoke(app, ["export", str(folder), "--to", "xlsx"])
        assert out.exit_code == 0, out.output
        assert f"Written: {folder / 'report.xlsx'}" in out.output
        out = runner.invoke(app, ["export", str(folder), "--to", "geojson"])
        assert out.exit_code == 0, out.output
        assert f"Written: {folder / 'segments.geojson'}" in out.output
    other = tmp_path / "balochistan.xlsx"
    assert (
        runner.invoke(app, ["export", str(folder), "--to", "xlsx", "-o", str(other)]).exit_code == 0
    )
    assert pd.read_excel(other, sheet_name="summary").shape[0] > 0
    gis = tmp_path / "gis"
    gis.mkdir()
    assert (
        runner.invoke(app, ["export", str(folder), "--to", "geojson", "-o", str(gis)]).exit_code
        == 0
    )
    assert sorted(p.name for p in gis.iterdir()) == ["districts.geojson", "segments.geojson"]
    assert [p.name for p in tmp_path.rglob(".*")] == []


def test_cli_export_bad_input_is_one_line_and_exit_2(default_result_dir, tmp_path):
    missing = tmp_path / "missing"
    assert _bad(["export", str(missing), "--to", "xlsx"]) == (
        f"error: {missing}: no such folder (RESULTS_DIR must be a saved result)"
    )
    (tmp_path / "empty").mkdir()
    line = _bad(["export", str(tmp_path / "empty"), "--to", "geojson"])
    assert line.startswith(f"error: {tmp_path / 'empty'}: not a results folder")
    assert _bad(["export", str(default_result_dir), "--to", "csv"]) == (
        "error: --to: must be xlsx or geojson, got 'csv'"
    )
    assert _bad(["export", str(default_result_dir)]) == "error: Missing option '--to'."
    assert "not a folder" in _bad(
        ["export", str(default_result_dir), "--to", "geojson", "-o", str(DATA / "tiny.toml")]
    )
    assert "cannot be written" in _bad(
        ["export", str(default_result_dir), "--to", "xlsx", "-o", str(tmp_path / "no" / "r.xlsx")]
    )


def _foreign_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "my numbers"
    book.save(path)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.write_text("not a workbook"), id="text"),
        pytest.param(_foreign_workbook, id="workbook-of-someone-else"),
    ],
)
def test_cli_export_overwrites_no_file_of_yours(default_result_dir, tmp_path, make):
    mine = tmp_path / "mine.xlsx"
    make(mine)
    before = mine.read_bytes()
    line = _bad(["export", str(default_result_dir), "--to", "xlsx", "-o", str(mine)])
    assert line == (
        f"error: {mine}: exists and riskmc did not write it; riskmc overwrites no file of "
        "yours: choose another name"
    )
    assert mine.read_bytes() == before


def test_a_workbook_saved_by_another_program_is_the_users(default_result_dir, tmp_path):
    path = write_xlsx(default_result_dir, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(path)
    book.properties.lastModifiedBy = "An Analyst"  # as Excel does on saving it
    book.save(path)
    with pytest.raises(ReportError, match="exists and riskmc did not write it"):
        write_xlsx(default_result_dir, path)


def test_geojson_refuses_a_foreign_file_and_writes_neither(default_result_dir, tmp_path):
    (tmp_path / "segments.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    line = _bad(["export", str(default_result_dir), "--to", "geojson", "-o", str(tmp_path)])
    assert line.startswith(f"error: {tmp_path / 'segments.geojson'}: exists and riskmc did not")
    assert not (tmp_path / "districts.geojson").exists()
    (tmp_path / "segments.geojson").unlink()
    (tmp_path / "districts.geojson").symlink_to(tmp_path / "elsewhere.geojson")
    line = _bad(["export", str(default_result_dir), "--to", "geojson", "-o", str(tmp_path)])
    assert line.endswith("is a symbolic link; riskmc writes no file through a link")
    assert not (tmp_path / "elsewhere.geojson").exists()
