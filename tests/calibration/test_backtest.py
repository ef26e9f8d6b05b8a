"""riskmc backtest (SPEC 7): scores by hand, and the true model scoring best."""

from __future__ import annotations

import copy
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scoringrules as sr

from riskmc.calibration import write_synthetic_acled
from riskmc.calibration.backtest import SCORE_COLUMNS, backtest, sample_scores
from riskmc.scenario import read_document, scenario_from_dict, shipped_scenarios

Z = 4.0


def test_scores_of_a_small_sample_by_hand():
    draws = np.array([[0], [1], [2]])
    s = sample_scores(draws, np.array([1]), np.random.default_rng(0))
    # CRPS = E|X - y| - E|X - X'| / 2 = 2/3 - (8/9) / 2 = 2/9
    assert s["crps"][0] == pytest.approx(2 / 9)
    # one draw of three equals y: p = (1 + 1/2) / (3 + 1)
    assert s["log_score"][0] == pytest.approx(-math.log(1.5 / 4))
    # F(y - 1) = 1/3, F(y) = 2/3: the randomised PIT lies between
    assert 1 / 3 <= s["pit"][0] <= 2 / 3


def test_sample_crps_tends_to_the_poisson_closed_form():
    rng = np.random.default_rng(1)
    draws = rng.poisson(3.0, size=(100_000, 4))
    y = np.array([0, 2, 3, 9])
    s = sample_scores(draws, y, rng)
    exact = np.asarray(sr.crps_poisson(y.astype(float), 3.0))
    np.testing.assert_allclose(s["crps"], exact, rtol=0.01)
    # log score of the Poisson pmf, within the sample's error
    pmf = np.exp(-3.0) * 3.0**y / np.array([math.factorial(int(k)) for k in y])
    np.testing.assert_allclose(s["log_score"][:3], -np.log(pmf[:3]), atol=0.03)


def _scenario(process: str, n_d: int = 5, rate: float = 40.0, years: int = 12):
    doc = copy.deepcopy(read_document(shipped_scenarios()["tiny.yaml"]))
    doc["start_date"] = "2010-01-01"
    doc["horizon_years"] = years
    first = doc["districts"][0]
    doc["districts"] = [dict(first, name=f"D{i}", attacks_per_year=rate) for i in range(n_d)]
    doc["network"]["places"] = [dict(p, district="D0") for p in doc["network"]["places"]]
    doc["network"]["segments"][0]["districts"] = ["D0"]
    doc["projects"] = []
    if process == "hawkes":
        doc["hazard"].update(process="hawkes", branching_ratio=0.7, decay_days=20)
    return scenario_from_dict(doc)


@pytest.fixture(scope="module")
def hawkes_backtest(tmp_path_factory):
    sc = _scenario("hawkes")
    path = tmp_path_factory.mktemp("bt") / "hawkes.csv"
    write_synthetic_acled(sc, path, seed=2)
    return backtest(path, "acled", scenario=sc, origins=36, lead_months=1, replications=300)


def test_true_model_scores_best_on_hawkes_data(hawkes_backtest):
    s = hawkes_backtest.summary()
    d = s[s["kind"] == "districts"].set_index("model")
    assert d["crps"].idxmin() == "hawkes", d
    assert d["log_score"].idxmin() == "hawkes", d
    assert d.loc["baseline", "crps"] > d.loc["hawkes", "crps"]
    assert d.loc["poisson", "crps"] > d.loc["hawkes", "crps"]
    n = d.loc["hawkes", "n_forecasts"]
    se = math.sqrt(0.9 * 0.1 / n)
    assert abs(d.loc["hawkes", "coverage_90"] - 0.9) < Z * se, d
    _, p = hawkes_backtest.pit_test("hawkes")
    assert p > 1e-3
    # Poisson is too narrow for clustered counts: its PIT histogram is U-shaped.
    assert hawkes_backtest.pit_test("poisson")[1] < 1e-3


def test_scores_table_has_the_columns_of_spec_7(hawkes_backtest):
    t = hawkes_backtest.scores
    assert tuple(t.columns) == SCORE_COLUMNS
    assert set(t["model"]) == {"poisson", "negbin", "hawkes", "baseline"}
    assert set(t["scope"]) == {*hawkes_backtest.districts, "province"}
    assert (t["n_forecasts"] == 36).all()
    assert t["coverage_50"].between(0, 1).all()


def test_poisson_data_poisson_is_calibrated(tmp_path):
    sc = _scenario("poisson", n_d=4)
    write_synthetic_acled(sc, tmp_path / "p.csv", seed=4)
    bt = backtest(tmp_path / "p.csv", "acled", scenario=sc, origins=24, lead_months=2,
                  replications=300)  # fmt: skip
    s = bt.summary()
    d = s[s["kind"] == "districts"].set_index("model")
    # The nested models fit n ~ 0 and k large: the same forecast, within noise.
    assert d.loc["poisson", "crps"] <= d["crps"].min() * 1.02
    n = d.loc["poisson", "n_forecasts"]
    assert abs(d.loc["poisson", "coverage_90"] - 0.9) < Z * math.sqrt(0.09 / n)
    assert bt.pit_test("poisson")[1] > 1e-3


CLI = [sys.executable, "-c", "from riskmc.cli import main; main()", "backtest"]


def test_cli_writes_the_csv_and_plots(tmp_path):
    path = tmp_path / "events.csv"
    write_synthetic_acled(_scenario("hawkes", n_d=2, years=3), path, seed=1)
    scen = tmp_path / "s.yaml"
    import yaml

    doc = _scenario("hawkes", n_d=2, years=3).model_dump(mode="json", by_alias=True)
    scen.write_text(yaml.safe_dump(doc))
    out = tmp_path / "scores.csv"
    run = [*CLI, str(path), "--scenario", str(scen), "--origins", "3", "--lead-months", "2"]
    done = subprocess.run([*run, "-n", "50", "--out", str(out)], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    t = pd.read_csv(out)
    assert tuple(t.columns) == SCORE_COLUMNS
    assert len(t) == 4 * 2 * 3  # models x leads x (2 districts + province)
    assert (tmp_path / "scores.fan.png").stat().st_size > 0
    assert (tmp_path / "scores.pit.png").stat().st_size > 0
    # again: riskmc's own files may be overwritten
    again = subprocess.run([*run, "-n", "50", "--out", str(out)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert again.returncode == 0, again.stderr
    # a file riskmc did not write is left alone
    mine = tmp_path / "mine.csv"
    mine.write_text("precious\n")
    refused = subprocess.run([*run, "-n", "50", "--out", str(mine)], capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert refused.returncode == 2
    assert mine.read_text() == "precious\n"


@pytest.mark.parametrize(
    ("content", "extra", "needle"),
    [
        (None, [], "no such file"),
        ("", [], "empty"),
        ("a,b\n1,2\n", [], "column"),
        (None, ["--format", "xml"], "--format"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, content, extra, needle):
    path = tmp_path / "events.csv"
    if content is not None:
        path.write_text(content)
    done = subprocess.run([*CLI, str(path), *extra], capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, done.stderr
    assert needle in lines[0]


def test_too_short_a_file_says_so(tmp_path):
    import yaml

    sc = _scenario("poisson", n_d=1, years=1)
    path = tmp_path / "events.csv"
    write_synthetic_acled(sc, path, seed=1)
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(sc.model_dump(mode="json", by_alias=True)))
    done = subprocess.run([*CLI, str(path), "--scenario", str(scen)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "too short for a backtest" in done.stderr, done.stderr


def test_hawkes_with_regimes_is_scored_where_regimes_are_fitted(tmp_path):
    # Five districts with two regimes (calm 60 days at x0.5, offensive 30 days at x2): at
    # every origin BIC chooses two states, and the forecast starts from the state filtered
    # at the origin.
    sc = _scenario("hawkes", years=10)
    doc = sc.model_dump(mode="json", by_alias=True)
    doc["hazard"].update(branching_ratio=0.3, decay_days=5.0)
    doc["hazard"]["regimes"] = {
        "states": [
            {"name": "calm", "mean_days": 60, "multiplier": 0.5},
            {"name": "offensive", "mean_days": 30, "multiplier": 2.0},
        ]
    }
    sc = scenario_from_dict(doc)
    write_synthetic_acled(sc, tmp_path / "r.csv", seed=3)
    bt = backtest(tmp_path / "r.csv", "acled", scenario=sc, origins=4, lead_months=1,
                  replications=200)  # fmt: skip
    assert set(bt.scores["model"]) == {"poisson", "negbin", "hawkes", "hawkes_regimes", "baseline"}
    f = bt.fits[bt.fits["model"] == "hawkes_regimes"].pivot(
        index="origin", columns="parameter", values="value"
    )
    assert (f["n_states"] == 2).all()
    assert f["multiplier_offensive"].between(1.4, 2.8).all()
    assert f["mean_days_calm"].between(30, 120).all()
    # the first state's law, filtered at each origin, to which the draws are dealt
    np.testing.assert_allclose(f["start_calm"] + f["start_offensive"], 1.0)
    # the plain fit takes the regimes for triggering; under regimes n comes back near 0.3
    hk = bt.fits[(bt.fits["model"] == "hawkes") & (bt.fits["parameter"] == "branching_ratio")]
    assert (f["branching_ratio"].to_numpy() < hk["value"].to_numpy()).all()
