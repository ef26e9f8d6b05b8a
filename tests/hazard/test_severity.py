"""Known answers for the tail's hazard: fatalities per attack and escalation regimes."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskmc
from riskmc.hazard.severity import fatalities_cdf, stationary_shares, two_state_count_moments
from riskmc.scenario import read_document, resolve_document, scenario_from_dict, shipped_scenarios

from .conftest import Z, build, counts_per_replication, variance_se

YEAR = 365.25
LAW = {"dist": "lognormal", "median": 2.0, "sigma": 1.2}
TWO = {
    "states": [
        {"name": "calm", "mean_days": 540, "multiplier": 0.6},
        {"name": "offensive", "mean_days": 120, "multiplier": 2.5},
    ]
}


def test_fatalities_follow_the_rounded_law(quiet):
    quiet["districts"][0]["attacks_per_year"] = 200
    quiet["hazard"]["fatalities"] = LAW
    s = build(quiet)
    f = riskmc.sample_hazard(s, 400, seed=2).attacks["fatalities"].to_numpy()
    cdf = fatalities_cdf(s.hazard.fatalities)
    pmf = np.diff(np.concatenate([[0.0], cdf]))
    n = len(f)
    assert n > 300_000
    # the law's mean, from P(F = k), against the sample mean
    k = np.arange(len(cdf))
    mean = float((k * pmf).sum())
    sd = float(np.sqrt(((k - mean) ** 2 * pmf).sum()))
    assert abs(f.mean() - mean) < Z * sd / math.sqrt(n)
    # P(F <= k) for the first few k, and the quantiles
    for j in range(6):
        p = cdf[j]
        assert abs((f <= j).mean() - p) < Z * math.sqrt(p * (1 - p) / n)
    for q in (0.5, 0.9, 0.99):
        assert np.quantile(f, q, method="inverted_cdf") == np.searchsorted(cdf, q)
    # the rounded lognormal: P(F = 0) = P(X < 0.5)
    assert cdf[0] == pytest.approx(stats.norm.cdf(math.log(0.5 / 2.0) / 1.2), rel=1e-12)


def test_fatalities_overrides_and_fixed_stress(quiet):
    quiet["districts"][0]["attacks_per_year"] = 50
    quiet["districts"][0]["fatalities"] = 7
    quiet["hazard"]["fatalities"] = LAW
    quiet["stress"] = [
        {"kind": "attack", "district": "Alpha", "target": "site", "start": "2026-03-01"},
        {
            "kind": "attack",
            "district": "Alpha",
            "target": "site",
            "start": "2026-04-01",
            "fatalities": 12,
        },
    ]
    a = riskmc.sample_hazard(build(quiet), 50, seed=3).attacks
    stress = a[a["kind"] == "stress"]
    assert len(stress) == 100
    assert (stress["fatalities"][stress["day"] == 90.0] == 12).all()
    assert (a["fatalities"][a["day"] != 90.0] == 7).all()


def test_no_fatalities_law_gives_zero(quiet):
    quiet["districts"][0]["attacks_per_year"] = 50
    a = riskmc.sample_hazard(build(quiet), 20, seed=3).attacks
    assert len(a) > 0
    assert (a["fatalities"] == 0).all()


def test_fatalities_leave_every_other_draw_alone():
    doc = read_document(shipped_scenarios()["balochistan.yaml"])
    base = build(doc)
    doc = copy.deepcopy(doc)
    doc["hazard"]["fatalities"] = LAW
    doc["districts"][0]["fatalities"] = {"dist": "gamma", "shape": 0.5, "scale": 6.0}
    other = build(doc)
    old = ["replication", "day", "district", "target", "campaign", "kind", "mark"]
    h0 = riskmc.sample_hazard(base, 30, seed=9, pieces=True)
    h1 = riskmc.sample_hazard(other, 30, seed=9, pieces=True)
    pd.testing.assert_frame_equal(h0.attacks[old], h1.attacks[old])
    for name in ("closures", "blackouts", "campaigns", "closure_pieces"):
        pd.testing.assert_frame_equal(getattr(h0, name), getattr(h1, name))
    assert h1.attacks["fatalities"].sum() > 0


def _regime_doc(quiet, years=5.0, start="stationary", rate=24.0):
    quiet["districts"][0]["attacks_per_year"] = rate
    quiet["horizon_years"] = years
    quiet["hazard"]["regimes"] = {"start": start, **TWO}
    return quiet


def test_regimes_keep_the_long_run_mean_and_give_the_mmpp_variance(quiet):
    s = build(_regime_doc(quiet))
    reps = 4000
    n = counts_per_replication(riskmc.sample_hazard(s, reps, seed=4).attacks, reps)
    mean, var = two_state_count_moments(24 / YEAR, s.horizon_days, s.hazard.regimes)
    assert mean == pytest.approx(24 * 5)
    assert abs(n.mean() - mean) < Z * math.sqrt(var / reps)
    assert abs(n.var(ddof=1) - var) < Z * variance_se(n.astype(float))
    assert var > 5 * mean  # the check has teeth: a Poisson count would fail it


def test_regime_sojourns_are_exponential_with_their_means(quiet):
    s = build(_regime_doc(quiet, years=200))
    r = riskmc.sample_hazard(s, 40, seed=5).regimes
    shares = stationary_shares(s.hazard.regimes)
    assert shares == pytest.approx([540 / 660, 120 / 660])
    for state, mean in (("calm", 540.0), ("offensive", 120.0)):
        rows = r[(r["state"] == state) & (r["start"] < s.horizon_days - 20 * mean)]
        d = (rows["end"] - rows["start"]).to_numpy()
        assert len(d) > 1000
        assert stats.kstest(d, "expon", args=(0, mean)).pvalue > 1e-4
    # two states alternate, and the rows tile the horizon
    for _, g in r.groupby("replication"):
        assert (g["state"].to_numpy()[1:] != g["state"].to_numpy()[:-1]).all()
        assert np.allclose(g["start"].to_numpy()[1:], g["end"].to_numpy()[:-1])
        assert g["end"].iloc[-1] == s.horizon_days


def test_started_in_a_state_the_first_weeks_follow_the_transient_mean(quiet):
    s = build(_regime_doc(quiet, start="offensive"))
    reps = 6000
    a = riskmc.sample_hazard(s, reps, seed=6).attacks
    for weeks in (2, 4, 8):
        w = 7.0 * weeks
        n = counts_per_replication(a[a["day"] < w], reps)
        mean, _ = two_state_count_moments(24 / YEAR, w, s.hazard.regimes, start="offensive")
        assert abs(n.mean() - mean) < Z * n.std(ddof=1) / math.sqrt(reps)
        assert mean > 1.5 * 24 / YEAR * w  # well above the long-run mean


def test_three_states_and_transitions(quiet):
    quiet["districts"][0]["attacks_per_year"] = 24
    quiet["horizon_years"] = 100
    quiet["hazard"]["regimes"] = {
        "states": [
            {"name": "calm", "mean_days": 300, "multiplier": 0.5},
            {"name": "tense", "mean_days": 100, "multiplier": 1.5},
            {"name": "war", "mean_days": 50, "multiplier": 4.0},
        ],
        "transitions": [[0, 1, 0], [0.7, 0, 0.3], [0, 1, 0]],
    }
    s = build(quiet)
    reps = 300
    h = riskmc.sample_hazard(s, reps, seed=8)
    r = h.regimes
    nxt = r.groupby("replication")["state"].shift(-1)
    moves = pd.crosstab(r["state"], nxt, normalize="index")
    assert moves.loc["calm", "tense"] == 1.0
    assert moves.loc["war", "tense"] == 1.0
    assert abs(moves.loc["tense", "calm"] - 0.7) < 0.03
    time = (r["end"] - r["start"]).groupby(r["state"], observed=True).sum()
    share = (time / time.sum()).loc[["calm", "tense", "war"]].to_numpy()
    assert share == pytest.approx(stationary_shares(s.hazard.regimes), abs=0.01)
    n = counts_per_replication(h.attacks, reps)
    assert abs(n.mean() / 100 - 24) < 0.6  # long-run mean kept by the normalisation


def test_the_guide_tables_agree_with_the_kernel():
    from riskmc.hazard import attack_severity, severity

    cdf, guide = severity.fatalities_table(3.0)
    assert cdf.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert len(guide) == severity.GUIDE + 1
    # the kernel's inversion, run as Python, against a plain search of the CDF
    from riskmc.scenario.distributions import Lognormal

    cdf, guide = severity.fatalities_table(Lognormal(median=0.6, sigma=1.8))
    u = np.random.default_rng(1).random(20_000)
    u = np.concatenate([u, [0.0, cdf[0], cdf[3], np.nextafter(1.0, 0.0)]])
    fatal = attack_severity._fatal.py_func
    got = [fatal(x, cdf, guide, 0, 0, severity.GUIDE) for x in u]
    assert got == np.searchsorted(cdf, u, side="right").tolist()
    # the head, where a bracket holds a count or two, and the long tail
    assert (np.array(got) < 8).any()
    assert (np.array(got) >= 8).any()
    # a law of four entries: a fixed 3 (the CDF 0, 0, 0, 1)
    cdf3, guide3 = severity.fatalities_table(3.0)
    assert {fatal(x, cdf3, guide3, 0, 0, severity.GUIDE) for x in u} == {3}
    # a law stored after another in one array (lo > 0), as the kernel's are
    both = np.concatenate([cdf3, cdf])
    got2 = [fatal(x, both, guide, 4, 0, severity.GUIDE) for x in u[:2000]]
    assert got2 == got[:2000]


def test_joins_and_suspension_uniforms(quiet):
    quiet["districts"][0]["attacks_per_year"] = 30
    quiet["districts"].append(
        {
            "name": "Beta",
            "attacks_per_year": 30,
            "targets": {"road": 0.0, "rail": 0.0, "site": 0.0, "other": 1.0},
        }
    )
    quiet["network"]["places"].append({"name": "Town", "district": "Beta", "kind": "town"})
    quiet["network"]["segments"].append(
        {"name": "R2", "mode": "road", "from": "Mine", "to": "Town", "km": 50, "kmh": 40,
         "districts": ["Beta"]}
    )  # fmt: skip
    quiet["hazard"]["campaigns"].update(
        rate_per_year=2.0, join_probability={"default": 0.0, "Alpha": 1.0}
    )
    doc = quiet
    doc["projects"] = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"])["projects"])
    doc["projects"][0]["suspension"] = {"campaign": {"probability": 0.5}, "days": 30}
    h = riskmc.sample_hazard(build(doc), 200, seed=12)
    # Alpha (the site's district) joins every campaign, Beta none
    joins = h.joins
    assert len(joins) == len(h.campaigns) > 100
    assert (joins["district"] == "Alpha").all()
    assert (joins["day"].to_numpy() == h.campaigns["start"].to_numpy()).all()
    j = h.arrays["joins"]
    assert ((j["u_suspend"] > 0) & (j["u_suspend"] < 1)).all()
    # Alpha is watched: its attacks carry suspension uniforms; Beta's hold -1
    a = h.arrays["attacks"]
    alpha = a["district"] == 0
    assert ((a["u_suspend"][alpha] > 0) & (a["u_suspend"][alpha] < 1)).all()
    assert (a["u_suspend"][~alpha] == -1).all()
    assert (a["u_days"][~alpha] == -1).all()
    assert abs(a["u_suspend"][alpha].mean() - 0.5) < 4 * math.sqrt(1 / 12 / alpha.sum())


def test_watched_attacks_get_the_numbers_of_the_attack_table():
    """Deaths and suspension uniforms are drawn twice, from each attack's ordinal: in
    the kernel for the attacks of watched districts (the project models' table), and for
    every attack when the attack table is read. They must agree, field by field, on a
    scenario with a stress attack of fixed deaths and one drawn by its district's law."""
    doc = copy.deepcopy(resolve_document(shipped_scenarios()["balochistan.yaml"]))
    doc["stress"] = [
        {
            "kind": "attack",
            "district": "Chagai",
            "target": "site",
            "start": "2027-03-01",
            "fatalities": 12,
        },
        {"kind": "attack", "district": "Chagai", "target": "road", "start": "2027-06-01"},
        {"kind": "attack", "district": "Quetta", "target": "road", "start": "2027-09-01"},
    ]
    s = scenario_from_dict(doc)
    h = riskmc.sample_hazard(s, 150, seed=21, threads=2)
    table = h.arrays["attacks"]
    watched = h.arrays["watched"]
    chagai = [d.name for d in s.districts].index("Chagai")
    starts = np.searchsorted(table["replication"], watched["replication"])
    rows = table[starts + watched["attack"]]
    assert (rows["district"] == chagai).all()
    assert len(watched) == (table["district"] == chagai).sum() > 1000
    for name in ("fatalities", "u_suspend", "u_days"):
        np.testing.assert_array_equal(rows[name], watched[name])
    stress = rows[rows["kind"] == 3]
    assert len(stress) == 2 * 150
    assert (stress["fatalities"] == 12).sum() >= 150  # the fixed one, and any drawn 12
    # and the supply stage's view of one replication holds the same
    ev = h.replication(17)
    w = ev.watched
    here = watched["replication"] == 17
    np.testing.assert_array_equal(ev.attacks[w["attack"]]["day"], rows["day"][here])
    np.testing.assert_array_equal(w["fatalities"], watched["fatalities"][here])
