"""Sensitivity: document paths, the tornado on common random numbers, Sobol indices."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import riskmc
from riskmc.analysis.sensitivity import (
    Factor,
    default_factors,
    get_path,
    scale_value,
    scenario_sobol,
    set_path,
    sobol_indices,
    tornado,
    uncertain_parameters,
)
from riskmc.scenario import ScenarioError, read_document, scenario_from_dict, shipped_scenarios

TINY = shipped_scenarios()["tiny.yaml"]


# ----------------------------------------------------------------------------- paths


def test_paths_reach_named_items_indices_and_mapping_keys():
    doc = read_document(shipped_scenarios()["balochistan.yaml"])
    assert get_path(doc, "districts[Chagai].attacks_per_year") == 8.9
    assert get_path(doc, "hazard.campaigns.join_probability[Nushki]") == 0.6
    assert get_path(doc, "hazard.campaigns.seizures[0].place") == "Nushki"
    assert get_path(doc, "projects[Reko Diq].construction.site_buffer_days") == 30
    set_path(doc, "projects[Saindak].costs.mitigation_usd", 1.0)
    assert doc["projects"][1]["costs"]["mitigation_usd"] == 1.0
    with pytest.raises(KeyError, match="Atlantis"):
        get_path(doc, "districts[Atlantis].attacks_per_year")


def test_scale_value_scales_the_random_variable():
    assert scale_value(3, 2.0) == 6.0
    lognormal = {"dist": "lognormal", "median": 0.5, "sigma": 1.0}
    assert scale_value(lognormal, 2.0) == {"dist": "lognormal", "median": 1.0, "sigma": 1.0}
    assert scale_value({"dist": "triangular", "low": 1, "mode": 2, "high": 7}, 0.5) == {
        "dist": "triangular",
        "low": 0.5,
        "mode": 1.0,
        "high": 3.5,
    }
    assert scale_value({"dist": "gamma", "shape": 2.5, "scale": 0.4}, 2.0)["scale"] == 0.8
    assert scale_value({"dist": "beta", "a": 2, "b": 5}, 2.0)["high"] == 2.0


def test_default_factors_of_the_default_scenario_are_the_corridor_districts_and_buffers():
    names = [f.name for f in default_factors(riskmc.default_scenario())]
    # The districts of the N-25 and N-40 corridors and the railway, not the Makran coast.
    for district in ("Chagai", "Nushki", "Quetta", "Mastung", "Kalat", "Khuzdar"):
        assert f"{district} attacks" in names
    assert "Gwadar attacks" not in names
    assert "Kech attacks" not in names
    assert "Reko Diq site buffer" in names
    assert "seizure days" in names


# ----------------------------------------------------------------------------- tornado


def test_tornado_ranking_is_stable_across_seeds():
    first, second = (tornado(TINY, replications=40, seed=s, workers=1) for s in (1, 2))
    # The three largest swings (attacks, site stand-down, blackout days) are well clear of
    # the fourth (about 19 days against 9 or less, with standard errors of 1.5-5 days).
    assert set(first["factor"][:3]) == set(second["factor"][:3])
    assert first["factor"][0] == second["factor"][0] == "Alpha attacks"
    for t in (first, second):
        top = t.set_index("factor")
        # Common random numbers: with the same attacks, more of them never lower the mean.
        assert top.loc["Alpha attacks", "high"] > top.loc["Alpha attacks", "base"]
        assert top.loc["Alpha attacks", "base"] > top.loc["Alpha attacks", "low"]
        assert top.loc["Mine site buffer", "swing"] < 0
        # A factor that cannot touch the tiny mine (it has no railway; its consumables only
        # matter after first production) changes nothing at all.
        assert top.loc["rail closure days", "swing"] == 0.0
        assert top.loc["Mine consumables buffer", "swing"] == 0.0
        assert list(t["rank"]) == list(range(1, len(t) + 1))
        assert (np.diff(t["swing"].abs().to_numpy()) <= 0).all()


def test_tornado_invalid_factor_names_the_factor_and_field():
    bad = Factor("road closure probability", ("hazard.closures.road.probability",), 0.5, 3.0)
    with pytest.raises(ScenarioError, match=r"road closure probability x3.*probability"):
        tornado(TINY, [bad], replications=2, seed=0, workers=1)


# ----------------------------------------------------------------------------- Sobol


def _ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def _ishigami_exact(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total indices in closed form (Ishigami & Homma 1990)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


def test_ishigami_indices_match_the_known_answer():
    s1, st = _ishigami_exact()
    # SALib's documented values (Saltelli et al. 2008):
    # S1 0.3139, 0.4424, 0; ST 0.5576, 0.4424, 0.2437.
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=1e-4)
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    got = sobol_indices(_ishigami, problem, 2048, seed=1)
    assert got.attrs["n_runs"] == 2048 * 5
    # The tolerance is the Monte Carlo error: twice the 95 % bootstrap half-width (about
    # four standard errors), which at N = 2048 is 0.04-0.13.
    assert (got["S1_conf"] < 0.05).all()
    assert (got["ST_conf"] < 0.07).all()
    assert (np.abs(got["S1"].to_numpy() - s1) <= 2 * got["S1_conf"].to_numpy()).all()
    assert (np.abs(got["ST"].to_numpy() - st) <= 2 * got["ST_conf"].to_numpy()).all()
    # The same seed gives the same indices and intervals; no global random state.
    again = sobol_indices(_ishigami, problem, 2048, seed=1)
    assert again.equals(got)


def test_sobol_indices_refuse_bad_sizes():
    problem = {"num_vars": 1, "names": ["x"], "bounds": [[0.0, 1.0]]}
    with pytest.raises(ValueError, match="power of 2"):
        sobol_indices(lambda x: x[:, 0], problem, 100)
    with pytest.raises(ValueError, match="one number per row"):
        sobol_indices(lambda x: x, problem, 8)


def test_scenario_sobol_on_tiny_puts_the_variance_on_the_attack_rate():
    doc = copy.deepcopy(read_document(TINY))
    doc["districts"][0]["attacks_per_year"] = {"dist": "uniform", "low": 6, "high": 42}
    # The price cannot change the delay: its indices must be exactly zero.
    doc["projects"][0]["costs"]["price_usd_per_t"] = {"dist": "uniform", "low": 8000, "high": 11000}
    scenario = scenario_from_dict(doc)
    assert uncertain_parameters(scenario) == [
        "districts[Alpha].attacks_per_year",
        "projects[Mine].costs.price_usd_per_t",
    ]
    s = scenario_sobol(scenario, n=16, replications=10, seed=3, workers=1)
    assert s.attrs["n_runs"] == 16 * 4
    assert s.loc["projects[Mine].costs.price_usd_per_t", "S1"] == 0.0
    assert s.loc["projects[Mine].costs.price_usd_per_t", "ST"] == 0.0
    # The one input that matters explains all of the variance: both indices are 1, within
    # their bootstrap interval (wide at N = 16: about +-0.4 to 0.6).
    attacks = s.loc["districts[Alpha].attacks_per_year"]
    assert abs(attacks["S1"] - 1.0) <= attacks["S1_conf"]
    assert abs(attacks["ST"] - 1.0) <= attacks["ST_conf"]
    assert attacks["ST"] > 0.5
