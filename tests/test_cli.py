"""The command line: exit codes, one-line errors, the JSON Schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from riskmc.cli import app
from riskmc.scenario import resolve_document, shipped_scenarios

runner = CliRunner()


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def schema():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_schema_is_valid_json_schema(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "riskmc scenario"
    assert {"name", "start_date", "districts", "hazard", "network"} <= set(schema["required"])


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_shipped_scenarios_validate_against_the_schema(schema, name):
    path = shipped_scenarios()[name]
    doc = _jsonable(resolve_document(path))
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_schema_rejects_what_the_loader_rejects(schema, tiny_doc):
    validator = jsonschema.Draft202012Validator(schema)
    for mutate in (
        lambda d: d["districts"][0].__setitem__("attacks_per_year", -2),
        lambda d: d["projects"][0]["costs"].__setitem__("bribes", 1),
        lambda d: d["hazard"].__setitem__("process", "hawks"),
        lambda d: d["hazard"]["blackouts"].__setitem__("attack_probability", 1.5),
    ):
        doc = _jsonable(json.loads(json.dumps(tiny_doc, default=str)))
        mutate(doc)
        assert not validator.is_valid(doc)


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_validate_shipped(name):
    result = runner.invoke(app, ["validate", str(shipped_scenarios()[name])])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")


def test_validate_bad_file_one_line_no_traceback(tiny_doc, write_yaml):
    tiny_doc["districts"][0]["attacks_per_year"] = -2
    path = write_yaml(tiny_doc)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: districts[0].attacks_per_year: must be >= 0, got -2\n"
    assert "Traceback" not in result.output


def test_validate_all_lists_every_problem(tiny_doc, write_yaml):
    tiny_doc["districts"][0]["attacks_per_year"] = -2
    tiny_doc["horizon_years"] = -1
    path = write_yaml(tiny_doc)
    result = runner.invoke(app, ["validate", "--all", str(path)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 2


def test_validate_many_files_fails_if_any_fails(write_yaml):
    bad = write_yaml("name: [\n", "bad.yaml")
    result = runner.invoke(app, ["validate", str(shipped_scenarios()["tiny.yaml"]), str(bad)])
    assert result.exit_code == 2
    assert "ok: " in result.stdout
    assert "malformed YAML" in result.stderr


def test_run_default_prints_outcomes_and_drivers_per_project(tmp_path):
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", "-n", "10", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "balochistan" in text
    assert "10 replications (seed 0) simulated" in text
    assert "Outcomes per project against the plan" in text
    for label in ("delay", "capex overrun", "lost output", "lost revenue", "NPV loss"):
        assert label in text
    assert "Reko Diq: delay held in" in text
    # Saindak operates: no delay row, but lost output and NPV rows
    assert re.search(r"Saindak\s*\W\s*lost output", result.stdout)
    assert not re.search(r"Saindak\s*\W\s*delay", result.stdout)
    assert (out / "plots" / "delay_histogram.png").stat().st_size > 0


def test_bench_reports_throughput():
    result = runner.invoke(app, ["bench", "-n", "20", "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "events/s/core" in result.stdout


def test_run_bad_file(write_yaml):
    path = write_yaml("name: x\nhorizon_years: 5\n")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: ")
    assert "Traceback" not in result.output


def test_installed_console_script_exits_nonzero_without_traceback(write_yaml):
    # The script installed beside this interpreter by `pip install`.
    script = Path(sys.executable).parent / "riskmc"
    assert script.is_file(), "riskmc is not installed in this environment"
    path = write_yaml("name: x\n  bad: [\n")
    proc = subprocess.run([str(script), "validate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
