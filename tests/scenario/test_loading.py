"""Reading YAML and TOML, ``extends:`` merging, and the shipped scenarios."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import riskmc
from riskmc.scenario import (
    Lognormal,
    ScenarioError,
    load_scenario,
    merge,
    read_document,
    resolve_document,
    shipped_scenarios,
)

from ..conftest import DATA


def test_shipped_scenarios_include_default_and_tiny():
    names = set(shipped_scenarios())
    assert {"balochistan.yaml", "tiny.yaml"} <= names


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_loads(name):
    scenario = load_scenario(shipped_scenarios()[name])
    assert scenario.name
    assert scenario.horizon_days > 0


def test_tiny_is_the_fixed_core():
    s = load_scenario(shipped_scenarios()["tiny.yaml"])
    assert s.name == "tiny"
    assert str(s.start_date) == "2026-01-01"
    assert s.horizon_days == 5 * 365.25
    (alpha,) = s.districts
    assert (alpha.name, alpha.attacks_per_year) == ("Alpha", 24.0)
    assert alpha.targets.as_tuple() == (0.5, 0.0, 0.1, 0.4)
    assert s.hazard.closures.road.days == Lognormal(median=1.0, sigma=0.8)
    assert s.hazard.closures.rail.days == 5.0
    (r1,) = s.network.segments
    assert (r1.from_, r1.to, r1.km, r1.kmh) == ("Port", "Mine", 300.0, 40.0)
    (mine,) = s.projects
    assert mine.construction is not None
    assert mine.construction.planned_days == 730.0
    assert mine.costs.price_usd_per_t == 9500.0
    assert s.stress == ()


def test_default_scenario_is_balochistan():
    s = riskmc.default_scenario()
    assert s.name == "balochistan"
    assert [p.name for p in s.projects] == ["Reko Diq", "Saindak"]
    assert s.horizon_years == 10


def test_loading_is_deterministic_across_processes():
    path = shipped_scenarios()["balochistan.yaml"]
    here = load_scenario(path)
    assert load_scenario(path) == here
    code = f"import riskmc; print(riskmc.load_scenario({str(path)!r}).fingerprint())"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == here.fingerprint()


def test_toml_and_yaml_give_the_same_scenario():
    yaml_s = load_scenario(shipped_scenarios()["tiny.yaml"])
    toml_s = load_scenario(DATA / "tiny.toml")
    assert toml_s == yaml_s
    assert toml_s.fingerprint() == yaml_s.fingerprint()


def test_fingerprint_changes_with_content(tiny_doc, write_yaml):
    a = load_scenario(write_yaml(tiny_doc, "a.yaml"))
    tiny_doc["districts"][0]["attacks_per_year"] = 25
    b = load_scenario(write_yaml(tiny_doc, "b.yaml"))
    assert a.fingerprint() != b.fingerprint()


def test_scientific_notation_without_dot_is_a_number(tiny_doc, write_yaml):
    text = write_yaml(tiny_doc).read_text().replace("material_t: 500000", "material_t: 5e5")
    path = write_yaml(text)
    assert "5e5" in path.read_text()
    s = load_scenario(path)
    assert s.projects[0].construction is not None
    assert s.projects[0].construction.material_t == 500000.0


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("name: x\n  bad: [\n", "line 2, column 6: malformed YAML: mapping values are not allowed"),
        ("name: [1, 2\n", "malformed YAML"),
        ("", "the file is empty"),
        ("- a\n- b\n", "must be a mapping of keys to values at the top level"),
        ("name: a\nname: b\n", "line 2, column 1: malformed YAML: duplicate key 'name'"),
        ("name: !!python/object:os.system x\n", "malformed YAML"),
    ],
)
def test_unreadable_yaml(write_yaml, text, rule):
    path = write_yaml(text)
    with pytest.raises(ScenarioError) as info:
        read_document(path)
    assert str(info.value).startswith(f"{path}: ")
    assert rule in str(info.value)
    assert "\n" not in str(info.value)


def test_malformed_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("name = \n")
    with pytest.raises(ScenarioError, match=r"s\.toml: malformed TOML"):
        read_document(path)


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    (tmp_path / "s.json").write_text("{}")
    with pytest.raises(ScenarioError, match="unsupported file type"):
        load_scenario(tmp_path / "s.json")


# ----------------------------------------------------------------------------- extends


def test_merge_rules():
    base = {
        "a": {"x": 1, "y": 2},
        "items": [{"name": "A", "v": 1, "w": 1}, {"name": "B", "v": 2}],
        "plain": [1, 2, 3],
        "d": {"dist": "lognormal", "median": 2, "sigma": 1},
    }
    overlay = {
        "a": {"y": 20},
        "items": [{"name": "B", "v": 20}, {"name": "C", "v": 3}],
        "plain": [9],
        "d": {"dist": "fixed", "value": 3},
    }
    assert merge(base, overlay) == {
        "a": {"x": 1, "y": 20},
        "items": [{"name": "A", "v": 1, "w": 1}, {"name": "B", "v": 20}, {"name": "C", "v": 3}],
        "plain": [9],
        "d": {"dist": "fixed", "value": 3},
    }
    # The same dist merges field by field.
    assert merge(base["d"], {"dist": "lognormal", "sigma": 0.5}) == {
        "dist": "lognormal",
        "median": 2,
        "sigma": 0.5,
    }
    # The base is left untouched.
    assert base["a"] == {"x": 1, "y": 2}


def test_extends_overrides_by_name(tiny_doc, write_yaml):
    write_yaml(tiny_doc, "base.yaml")
    child = write_yaml(
        "extends: base.yaml\n"
        "name: tiny-escorted\n"
        "districts:\n  - {name: Alpha, attacks_per_year: 12}\n"
        "projects:\n  - {name: Mine, construction: {site_buffer_days: 60}}\n",
        "child.yaml",
    )
    s = load_scenario(child)
    assert s.name == "tiny-escorted"
    assert s.districts[0].attacks_per_year == 12.0
    assert s.districts[0].targets.road == 0.5  # inherited
    assert s.projects[0].construction is not None
    assert s.projects[0].construction.site_buffer_days == 60.0
    assert s.projects[0].construction.planned_days == 730.0


def test_extends_a_shipped_scenario_by_name(write_yaml):
    child = write_yaml("extends: tiny.yaml\nname: mine\nhorizon_years: 2\n")
    s = load_scenario(child)
    assert (s.name, s.horizon_years, s.districts[0].name) == ("mine", 2.0, "Alpha")


def test_extends_chain_of_three(tiny_doc, write_yaml):
    write_yaml(tiny_doc, "a.yaml")
    write_yaml("extends: a.yaml\nhorizon_years: 3\n", "b.yaml")
    c = write_yaml("extends: b.yaml\nname: c\n", "c.yaml")
    s = load_scenario(c)
    assert (s.name, s.horizon_years) == ("c", 3.0)
    assert "extends" not in resolve_document(c)


def test_a_problem_is_reported_in_the_file_that_set_the_value(tiny_doc, write_yaml):
    # the base sets a bad rate and an unknown key; the child sets a bad buffer
    tiny_doc["districts"][0]["attacks_per_year"] = -2
    tiny_doc["projects"][0]["costs"]["bribes_usd"] = 1
    base = write_yaml(tiny_doc, "base.yaml")
    child = write_yaml(
        "extends: base.yaml\n"
        "name: child\n"
        "projects:\n  - {name: Mine, construction: {site_buffer_days: -5}}\n",
        "child.yaml",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert sorted(info.value.lines()) == sorted(
        [
            f"{base}: districts[0].attacks_per_year: must be >= 0, got -2",
            f"{base}: projects[0].costs.bribes_usd: unknown key",
            f"{child}: projects[0].construction.site_buffer_days: must be >= 0, got -5",
        ]
    )
    assert info.value.file == str(child)  # the file that was loaded


def test_a_list_the_child_replaces_is_the_childs(tiny_doc, write_yaml):
    tiny_doc["stress"] = [{"kind": "closure", "segment": "R1", "start": "2026-04-10", "days": 70}]
    write_yaml(tiny_doc, "base.yaml")
    child = write_yaml(
        "extends: base.yaml\nstress:\n  - {kind: closure, segment: R1, start: 2026-05-01}\n",
        "child.yaml",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(info.value) == f"{child}: stress[0].days: is required"


def test_a_value_the_child_overrides_is_the_childs(tiny_doc, write_yaml):
    write_yaml(tiny_doc, "base.yaml")
    child = write_yaml(
        "extends: base.yaml\ndistricts:\n  - {name: Alpha, attacks_per_year: -1}\n", "child.yaml"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(info.value) == f"{child}: districts[0].attacks_per_year: must be >= 0, got -1"


def test_extends_loop(write_yaml):
    a = write_yaml("extends: b.yaml\nname: a\n", "a.yaml")
    write_yaml("extends: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    assert str(info.value) == f"{a}: extends: loop: a.yaml -> b.yaml -> a.yaml"


def test_extends_itself(write_yaml):
    a = write_yaml("extends: a.yaml\nname: a\n", "a.yaml")
    with pytest.raises(ScenarioError, match=r"extends: loop: a\.yaml -> a\.yaml$"):
        load_scenario(a)


def test_extends_missing_base(write_yaml):
    a = write_yaml("extends: nowhere.yaml\nname: a\n", "a.yaml")
    with pytest.raises(ScenarioError, match=r"a\.yaml: extends: no such scenario 'nowhere\.yaml'"):
        load_scenario(a)


def test_errors_after_merge_name_the_loaded_file(tiny_doc, write_yaml):
    write_yaml(tiny_doc, "base.yaml")
    child = write_yaml(
        "extends: base.yaml\ndistricts:\n  - {name: Alpha, attacks_per_year: -3}\n", "child.yaml"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(info.value) == f"{child}: districts[0].attacks_per_year: must be >= 0, got -3"


def test_scenario_is_frozen():
    s = load_scenario(shipped_scenarios()["tiny.yaml"])
    with pytest.raises(Exception, match="frozen"):
        s.name = "other"  # type: ignore[misc]


def test_package_ships_no_reference_to_the_shared_folder():
    root = Path(riskmc.__file__).parent
    for path in root.rglob("*.py"):
        assert "../shared" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30"])
def test_impossible_unquoted_date_names_the_field(tiny_doc, write_yaml, bad):
    text = re.sub(r"(?m)^start_date: .*$", f"start_date: {bad}", write_yaml(tiny_doc).read_text())
    path = write_yaml(text)
    assert f"start_date: {bad}\n" in path.read_text()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: start_date: must be a date like 2026-01-01, got '{bad}'"


def test_complex_key_is_malformed_yaml(write_yaml):
    path = write_yaml("? [a, b]\n: 1\nname: x\n")
    with pytest.raises(ScenarioError, match="malformed YAML: a key must be a plain value"):
        read_document(path)


def test_yaml_merge_keys_work(write_yaml):
    path = write_yaml("base: &b {probability: 0.5, days: 5}\nrail:\n  <<: *b\n  days: 7\n")
    assert read_document(path)["rail"] == {"probability": 0.5, "days": 7}


def test_inputs_that_overflowed_the_loader_are_one_line_errors(tmp_path):
    # Found by review: each of these ended in a RecursionError or OverflowError traceback.
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError, match=r"deep.yaml: malformed YAML: nested too deeply$"):
        load_scenario(deep)
    tiny = Path(shipped_scenarios()["tiny.yaml"])
    (tmp_path / "f0.yaml").write_text(f"extends: {tiny}\n")
    for i in range(1, 120):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i - 1}.yaml\n")
    assert load_scenario(tmp_path / "f50.yaml").name == "tiny"
    with pytest.raises(ScenarioError, match=r"extends: more than 100 files deep$"):
        load_scenario(tmp_path / "f119.yaml")
    late = tmp_path / "late.yaml"
    late.write_text(f"extends: {tiny}\nstart_date: 9999-12-01\n")
    with pytest.raises(ScenarioError, match="start_date: must be a date from 1900-01-01 to 2200"):
        load_scenario(late)
    late.write_text(f"extends: {tiny}\nstart_date: 2200-12-01\nhorizon_years: 100\n")
    with pytest.raises(ScenarioError, match="horizon_years: the horizon from 2200-12-01 must end"):
        load_scenario(late)


@pytest.mark.parametrize("value", [None, 3, 2.5, {"name": "x"}, ["a.yaml"]])
def test_load_scenario_refuses_what_is_not_a_path_in_one_line(value):
    with pytest.raises(TypeError, match=r"^path: must be the path of a scenario file, got \w+$"):
        load_scenario(value)


@pytest.mark.parametrize(
    "call",
    [
        lambda v: riskmc.sample_hazard(v, 2),
        lambda v: riskmc.simulate(v, 2, workers=1),
        lambda v: riskmc.analysis.tornado(v),
        lambda v: riskmc.scenario.as_scenario(v),
    ],
)
def test_every_entry_point_refuses_a_non_scenario_with_the_same_line(call):
    line = r"^scenario: must be a Scenario or the path of a scenario file, got NoneType$"
    with pytest.raises(TypeError, match=line):
        call(None)


def test_as_scenario_loads_a_path_or_passes_a_scenario_through(tmp_path):
    path = shipped_scenarios()["tiny.yaml"]
    loaded = riskmc.scenario.as_scenario(Path(path))
    assert loaded.name == "tiny"
    assert riskmc.scenario.as_scenario(loaded) is loaded
