"""Which parameters are drawn per replication, and which per event."""

from __future__ import annotations

import riskmc
from riskmc.hazard.inputs import build_inputs, parameter_spec
from riskmc.scenario import shipped_scenarios

from .conftest import build


def test_per_event_distributions_are_not_per_replication_columns():
    for name in ("tiny.yaml", "balochistan.yaml"):
        spec = parameter_spec(riskmc.load_scenario(shipped_scenarios()[name]))
        for path in spec.paths:
            assert not path.endswith("site_attack_damage_usd"), path
            assert not path.endswith(".days"), path
            assert "duration_days" not in path
            assert "blackout_days" not in path


def test_uncertain_default_join_probability_is_one_shared_draw(quiet):
    quiet["districts"].append({"name": "Beta", "attacks_per_year": 0, "targets": {"other": 1.0}})
    quiet["districts"].append({"name": "Gamma", "attacks_per_year": 0, "targets": {"other": 1.0}})
    quiet["hazard"]["campaigns"]["join_probability"] = {
        "default": {"dist": "uniform", "low": 0.1, "high": 0.9},
        "Gamma": 0.5,
    }
    s = build(quiet)
    arrays, _, spec = build_inputs(s)
    default = spec.column("hazard.campaigns.join_probability[default]")
    gamma = spec.column("hazard.campaigns.join_probability[Gamma]")
    assert list(arrays.col_join) == [default, default, gamma]
    draws = riskmc.sample_hazard(s, 5, seed=1).parameter_draws
    assert "hazard.campaigns.join_probability[default]" in draws.columns
    assert "hazard.campaigns.join_probability[Alpha]" not in draws.columns


def test_default_scenario_parameter_draws():
    spec = parameter_spec(riskmc.default_scenario())
    uncertain = {p for p, u in zip(spec.paths, spec.uncertain, strict=True) if u}
    assert uncertain == {
        "hazard.rate_multiplier",
        "hazard.branching_ratio",
        "hazard.decay_days",
        "hazard.campaigns.rate_per_year",
        "hazard.blackouts.province_wide.rate_per_year",
        "projects[Reko Diq].costs.interest_usd_per_day",
    }
