"""Bad scenarios: one problem, one line naming the file, the field path and the rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from riskmc.scenario import ScenarioError, load_scenario, scenario_from_dict

Doc = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """Mutator that sets ``a.b[0].c`` in a document."""

    def mutate(doc: Doc) -> None:
        keys: list[Any] = []
        for part in path.replace("]", "").split("."):
            name, *idx = part.split("[")
            keys.append(name)
            keys.extend(int(i) for i in idx)
        node = doc
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return mutate


CASES = [
    # (mutation, field path, rule) -- the rule is the exact message.
    (
        _set("districts[0].attacks_per_year", -2),
        "districts[0].attacks_per_year",
        "must be >= 0, got -2",
    ),
    (
        _set("districts[0].attacks_per_year", "many"),
        "districts[0].attacks_per_year",
        "must be a number, got 'many'",
    ),
    (_set("horizon_years", "5"), "horizon_years", "must be a number, got '5'"),
    (
        _set("hazard.blackouts.attack_probability", 1.5),
        "hazard.blackouts.attack_probability",
        "must be <= 1, got 1.5",
    ),
    (
        _set("hazard.closures.rail.probability", {"dist": "uniform", "low": 0.5, "high": 1.5}),
        "hazard.closures.rail.probability",
        "must be <= 1, but this uniform distribution reaches 1.5",
    ),
    (
        _set("hazard.closures.road.days", {"dist": "weibull", "k": 2}),
        "hazard.closures.road.days",
        "unknown distribution 'weibull'; expected one of fixed, uniform, triangular, lognormal, "
        "gamma, beta",
    ),
    (
        _set("hazard.closures.road.days", {"median": 2, "sigma": 1}),
        "hazard.closures.road.days",
        "a distribution needs a 'dist' key, one of fixed, uniform, triangular, lognormal, gamma, "
        "beta",
    ),
    (
        _set("hazard.closures.road.days", {"dist": "lognormal", "median": -1, "sigma": 1}),
        "hazard.closures.road.days.median",
        "must be > 0, got -1",
    ),
    (_set("projects[0].costs.bribes_usd", 10), "projects[0].costs.bribes_usd", "unknown key"),
    (
        _set("network.segments[0].districts", ["Alpha", "Omega"]),
        "network.segments[0].districts[1]",
        "unknown district 'Omega'",
    ),
    (
        _set("network.segments[0].to", "Port"),
        "network.segments[0]",
        "connects nothing: 'from' and 'to' are both 'Port'",
    ),
    (
        _set("network.segments[0].from", "Harbour"),
        "network.segments[0].from",
        "unknown place 'Harbour'",
    ),
    (
        _set("network.places[1].district", "Omega"),
        "network.places[1].district",
        "unknown district 'Omega'",
    ),
    (_set("districts[0].targets.road", 0.4), "districts[0].targets", "must sum to 1, got 0.9"),
    (
        _set("hazard.process", "hawks"),
        "hazard.process",
        "must be one of 'poisson', 'negbin' or 'hawkes', got 'hawks'",
    ),
    (
        _set("hazard.process", "hawkes"),
        "hazard.branching_ratio",
        "is required when process is hawkes",
    ),
    (_set("hazard.branching_ratio", 1.0), "hazard.branching_ratio", "must be <= 0.99, got 1"),
    (_set("start_date", 2026), "start_date", "must be a date like 2026-01-01, got 2026"),
    (
        _set("projects[0].logistics.dispatch_needs_comms", "yes"),
        "projects[0].logistics.dispatch_needs_comms",
        "must be true or false, got 'yes'",
    ),
    (
        _set("projects[0].port", "Mine"),
        "projects[0].port",
        "must differ from the site, got 'Mine' for both",
    ),
    (
        _set("projects[0].operations.export_mode", "rail"),
        "projects[0].operations.export_mode",
        "'Mine' cannot reach port 'Port' by rail",
    ),
    (
        _set("hazard.campaigns.join_probability", {"default": 0.3, "Omega": 0.5}),
        "hazard.campaigns.join_probability.Omega",
        "unknown district 'Omega' (use a district name or 'default')",
    ),
    (
        _set("hazard.campaigns.seizures", [{"place": "Town", "probability": 0.5, "days": 3}]),
        "hazard.campaigns.seizures[0].place",
        "unknown place 'Town'",
    ),
    (
        _set("stress", [{"kind": "closure", "segment": "R9", "start": "2026-03-01", "days": 4}]),
        "stress[0].segment",
        "unknown segment 'R9'",
    ),
    (
        _set("stress", [{"kind": "flood", "start": "2026-03-01"}]),
        "stress[0]",
        "unknown kind 'flood'; expected one of closure, blackout, seizure, attack",
    ),
    (
        _set("stress", [{"kind": "blackout", "district": "all", "start": "2035-03-01", "days": 4}]),
        "stress[0].start",
        "must fall within the horizon 2026-01-01 to 2031-01-01, got 2035-03-01",
    ),
    (_set("districts", {"name": "Alpha"}), "districts", "must be a list, got a mapping"),
    (
        _set("projects[0].operations.surge_trains_per_day", 0.5),
        "projects[0].operations.surge_trains_per_day",
        "must be at least trains_per_day (1), got 0.5",
    ),
    (
        _set(
            "projects[0].operations.surge_trains_per_day",
            {"dist": "uniform", "low": 0.5, "high": 3},
        ),
        "projects[0].operations.surge_trains_per_day",
        "must be at least trains_per_day (1), got 0.5",
    ),
    # Found by review: values that validated and then broke the simulation (a division by
    # zero, an infinite finish, an array of 1e308 events, a float overflow).
    (
        _set("projects[0].operations.output_t_per_day", 0),
        "projects[0].operations.output_t_per_day",
        "must be > 0, got 0",
    ),
    (
        _set("projects[0].operations.storage_days", 0),
        "projects[0].operations.storage_days",
        "must be >= 0.1, got 0",
    ),
    (
        _set("districts[0].attacks_per_year", 1e308),
        "districts[0].attacks_per_year",
        "must be <= 10000, got 1e+308",
    ),
    (
        _set("districts[0].attacks_per_year", {"dist": "lognormal", "median": 24, "sigma": 4.5}),
        "districts[0].attacks_per_year",
        "the mean must be <= 10000, but this lognormal distribution's is 599022",
    ),
    (
        _set("districts[0].attacks_per_year", {"dist": "lognormal", "median": 24, "sigma": 1000}),
        "districts[0].attacks_per_year.sigma",
        "must be <= 5, got 1000",
    ),
    (
        _set("projects[0].logistics.convoy_t", {"dist": "gamma", "shape": 2, "scale": 300}),
        "projects[0].logistics.convoy_t",
        "must be >= 1, but this gamma distribution reaches 0",
    ),
    (
        _set("projects[0].construction.site_buffer_days", 1e308),
        "projects[0].construction.site_buffer_days",
        "must be <= 100000, got 1e+308",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "rule"), CASES)
def test_one_line_names_field_and_rule(tiny_doc, write_yaml, mutate, path, rule):
    mutate(tiny_doc)
    file = write_yaml(tiny_doc)
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    message = str(info.value)
    assert message == f"{file}: {path}: {rule}"
    assert "\n" not in message


def test_missing_block_is_required(tiny_doc):
    del tiny_doc["hazard"]
    with pytest.raises(ScenarioError, match=r"^<memory>: hazard: is required$"):
        scenario_from_dict(tiny_doc)


def test_disconnected_site(tiny_doc):
    tiny_doc["network"]["places"].append({"name": "Far", "district": "Alpha", "kind": "mine"})
    tiny_doc["projects"][0]["site"] = "Far"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_doc, "tiny.yaml")
    assert str(info.value) == (
        "tiny.yaml: projects[0].site: 'Far' cannot reach port 'Port' by road (inbound convoys)"
    )


def test_duplicate_names(tiny_doc):
    tiny_doc["network"]["segments"].append(dict(tiny_doc["network"]["segments"][0]))
    with pytest.raises(ScenarioError, match=r"network\.segments\[1\]\.name: duplicate segment"):
        scenario_from_dict(tiny_doc)


def test_every_problem_is_kept_and_counted(tiny_doc):
    tiny_doc["districts"][0]["attacks_per_year"] = -1
    tiny_doc["horizon_years"] = 0
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_doc, "x.yaml")
    err = info.value
    assert [p for p, _ in err.problems] == ["horizon_years", "districts[0].attacks_per_year"]
    assert str(err).endswith("(and 1 more problem)")
    assert err.lines()[1] == "x.yaml: districts[0].attacks_per_year: must be >= 0, got -1"


def test_valid_variants_pass(tiny_doc):
    tiny_doc["hazard"].update(
        process="negbin", dispersion={"dist": "gamma", "shape": 2, "scale": 1}
    )
    tiny_doc["projects"] = []
    s = scenario_from_dict(tiny_doc)
    assert s.hazard.process == "negbin"
    assert s.projects == ()


@pytest.mark.parametrize(
    ("mutate", "path", "rule"),
    [
        (
            _set("stress", [{"segment": "R1", "start": "2026-03-01", "days": 4}]),
            "stress[0]",
            "needs a 'kind' key, one of closure, blackout, seizure, attack",
        ),
        (
            _set("hazard.branching_ratio", 0.995),
            "hazard.branching_ratio",
            "must be <= 0.99, got 0.995",
        ),
        (
            _set("districts[0].neighbours", ["Alpha"]),
            "districts[0].neighbours[0]",
            "a district is not its own neighbour",
        ),
        (
            _set("districts[0].name", "all"),
            "districts[0].name",
            "'all' is reserved (join_probability, stress)",
        ),
    ],
)
def test_more_rules(tiny_doc, mutate, path, rule):
    if path == "districts[0].name":
        tiny_doc["network"]["places"][0]["district"] = "all"
        tiny_doc["network"]["places"][1]["district"] = "all"
        tiny_doc["network"]["segments"][0]["districts"] = ["all"]
    mutate(tiny_doc)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(tiny_doc, "t.yaml")
    assert str(info.value) == f"t.yaml: {path}: {rule}"
