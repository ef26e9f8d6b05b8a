"""``riskmc calibrate``: the round trip through a scenario, and one-line errors."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from riskmc.calibration import write_synthetic_acled
from riskmc.cli import app
from riskmc.scenario import load_scenario, resolve_document, scenario_from_dict, shipped_scenarios

from .conftest import acled_row, gtd_row

runner = CliRunner()


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    """Five synthetic years of the default districts: Hawkes, with one-day campaigns.

    The campaigns are like Operation Herof phase 1: one day, most districts hit.
    """
    doc = copy.deepcopy(resolve_document(shipped_scenarios()["balochistan.yaml"]))
    doc["start_date"] = "2020-01-01"
    doc["horizon_years"] = 5
    doc["projects"] = []  # the hazard alone: the projects start after this window
    doc["hazard"].update(spillover=0.0, rate_multiplier=1.0)
    doc["hazard"]["campaigns"].update(
        rate_per_year=1.0,
        duration_days=1.0,
        attacks_per_district=3,
        join_probability={"default": 0.7},
    )
    path = tmp_path_factory.mktemp("events") / "synthetic.csv"
    write_synthetic_acled(scenario_from_dict(doc), path, seed=2, spellings={"Nushki": "Noshki"})
    return path


def test_round_trip_validate_and_run(events, tmp_path):
    out = tmp_path / "calibrated.yaml"
    result = runner.invoke(app, ["calibrate", str(events), "--format", "acled", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Model choice:" in result.stdout
    assert f"wrote {out}" in result.stdout

    # The file is a whole scenario (extends: balochistan.yaml) ...
    assert yaml.safe_load(out.read_text())["extends"] == "balochistan.yaml"
    check = runner.invoke(app, ["validate", str(out)])
    assert check.exit_code == 0, check.output

    # ... and a user's scenario can extend it in turn.
    mine = tmp_path / "mine.yaml"
    mine.write_text("extends: calibrated.yaml\nname: my calibrated study\n", encoding="utf-8")
    scenario = load_scenario(mine)
    assert scenario.hazard.rate_multiplier == 1.0
    assert scenario.district("Nushki").source.startswith("riskmc calibrate: ")
    assert scenario.hazard.campaigns.rate_per_year.dist == "gamma"  # type: ignore[union-attr]

    run = runner.invoke(app, ["run", str(mine), "-n", "20"])
    assert run.exit_code == 0, run.output


def test_bare_block_merges_into_the_tiny_scenario(events, tmp_path):
    result = runner.invoke(app, ["calibrate", str(events), "--bare"])
    assert result.exit_code == 0, result.output
    block = yaml.safe_load(result.stdout)  # the block on stdout, the report on stderr
    assert set(block) == {"districts", "hazard"}
    assert "Model choice:" in result.stderr
    doc = {"extends": str(shipped_scenarios()["tiny.yaml"]), **block}
    path = tmp_path / "tiny_calibrated.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    check = runner.invoke(app, ["validate", str(path)])
    assert check.exit_code == 0, check.output
    scenario = load_scenario(path)
    assert len(scenario.districts) == 21  # Alpha, and the 20 calibrated ones appended


def test_campaigns_are_found_and_written(events):
    result = runner.invoke(app, ["calibrate", str(events), "--bare"])
    camp = yaml.safe_load(result.stdout)["hazard"]["campaigns"]
    assert camp["rate_per_year"]["dist"] == "gamma"
    # Campaigns at 1 a year over 5 years: the posterior's shape is count + 1/2.
    assert camp["rate_per_year"]["shape"] >= 1.5
    assert "join_probability" in camp


def test_unknown_districts_reported_in_the_fit_report(write_acled, tmp_path):
    rows = [
        acled_row(event_date=f"2023-0{m}-1{d}", admin2="Quetta")
        for m in range(1, 8)
        for d in range(3)
    ]
    rows.append(acled_row(admin2="Zhob", location="Zhob"))
    path = write_acled(rows)
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "o.yaml")])
    assert result.exit_code == 0, result.output
    assert "not mapped to a district: 1 events" in result.stdout
    assert "1 x district 'Zhob' is not in the scenario (rows 23)" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty.csv: row 1: the file is empty (no header row)"),
        ("a,b\n1,2\n", "empty.csv: row 1, column event_date: missing columns event_date, "),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["calibrate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {tmp_path}/{message}")
    assert "Traceback" not in result.output


def test_bad_options_exit_2(events):
    for args, text in (
        (["--format", "csv"], "--format: must be acled or gtd"),
        (["--start", "2020-31-01"], "--start: must be a date"),
        (["--alias", "nonsense"], "--alias: must be NAME=DISTRICT"),
        (["--alias", "Zhob=Atlantis"], "alias to unknown district 'Atlantis'"),
        (["--region", "Sindh"], "no events left after the filters"),
    ):
        result = runner.invoke(app, ["calibrate", str(events), *args])
        assert result.exit_code == 2, args
        assert text in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_gtd_export_end_to_end(write_gtd, tmp_path):
    rows = [
        gtd_row(imonth=str(m), iday=str(d), city=city, latitude="", longitude="")
        for m in range(1, 13)
        for d, city in ((3, "Quetta"), (17, "Turbat"), (25, "Dalbandin"))
    ]
    rows.append(gtd_row(iday="0"))
    rows.append(
        gtd_row(
            city="Unknown",
            latitude="28.9",
            longitude="64.3",
            targtype1_txt="Transportation",
            targsubtype1_txt="Train/Train Tracks/Trolley",
        )
    )
    path = write_gtd(rows)
    out = tmp_path / "gtd.yaml"
    result = runner.invoke(app, ["calibrate", str(path), "--format", "gtd", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "set aside: 1 rows, GTD month or day unknown (0)" in result.stdout
    assert "Unknown -> Chagai: 1 events" in result.stdout
    districts = {d["name"]: d for d in yaml.safe_load(out.read_text())["districts"]}
    # 12 events in Chagai by name (Dalbandin) and 1 by coordinates, over 2015.
    assert districts["Chagai"]["attacks_per_year"]["shape"] == pytest.approx(13.5, rel=1e-3)
    assert districts["Chagai"]["targets"]["rail"] == pytest.approx(1.5 / 15, abs=1e-3)
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
