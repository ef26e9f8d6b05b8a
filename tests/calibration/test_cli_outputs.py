"""``riskmc calibrate`` never overwrites its inputs, nor writes a scenario that cannot load."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from riskmc.cli import app
from riskmc.scenario import shipped_scenarios

runner = CliRunner()
TINY = shipped_scenarios()["tiny.yaml"]


@pytest.fixture
def inputs(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("event_date\n2020-01-01\n", encoding="utf-8")
    scenario = tmp_path / "sc.yaml"
    scenario.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    return events, scenario


def _refused(args, *unchanged):
    before = [p.read_bytes() for p in unchanged]
    result = runner.invoke(app, ["calibrate", *args])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert [p.read_bytes() for p in unchanged] == before
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_out_may_not_be_an_input(inputs, tmp_path):
    events, scenario = inputs
    line = _refused([str(events), "--out", str(events)], events)
    assert line == f"error: --out: {events} is the events file; write the scenario elsewhere"
    line = _refused(
        [str(events), "--scenario", str(scenario), "--out", str(tmp_path / "." / "sc.yaml")],
        scenario,
    )
    assert line.startswith("error: --out: ")
    assert "is the --scenario file" in line
    base = tmp_path / "base.yaml"
    base.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    line = _refused([str(events), "--extends", "base.yaml", "--out", str(base)], base)
    assert line == f"error: --out: {base} is the --extends base; write the scenario elsewhere"


def test_extends_must_name_a_scenario_that_exists(inputs, tmp_path):
    events, _ = inputs
    out = tmp_path / "out.yaml"
    line = _refused([str(events), "--extends", "nonexist.yaml", "--out", str(out)])
    assert line.startswith("error: --extends: no such scenario 'nonexist.yaml'")
    assert not out.exists()
