"""What a notebook shows of a result, a comparison and a hazard sample (``_repr_html_``)."""

from __future__ import annotations

import copy
import re

import pytest

import riskmc
from riskmc.scenario import resolve_document, scenario_from_dict, shipped_scenarios


@pytest.fixture(scope="module")
def marked():
    """tiny, with markup in its name: a notebook must show it as text."""
    doc = copy.deepcopy(resolve_document(shipped_scenarios()["tiny.yaml"]))
    doc["name"] = "<b>tiny</b> & co"
    return scenario_from_dict(doc)


def test_a_result_shows_its_run_and_the_summary_values(marked):
    r = riskmc.simulate(marked, 30, seed=4, workers=1)
    page = r._repr_html_()
    assert "&lt;b&gt;tiny&lt;/b&gt; &amp; co" in page
    assert "<b>tiny</b>" not in page
    assert "30 replications, seed 4" in page
    s = r.summary()
    p90 = s[(s["metric"] == "delay_days") & (s["statistic"] == "P90")]["value"].iloc[0]
    assert f"{p90:,.4g}" in page
    npv = s[(s["metric"] == "npv_loss_usd") & (s["statistic"] == "mean")]["value"].iloc[0]
    assert f"{npv:,.0f}" in page  # large amounts in whole dollars, thousands separated
    assert page.split("<tbody>")[1].count("<tr>") == 4  # four metrics of the one project


def test_a_comparison_shows_the_mean_differences(marked):
    c = riskmc.compare([marked, marked], 12, seed=2, workers=1)
    page = c._repr_html_()
    assert "against &lt;b&gt;tiny&lt;/b&gt; &amp; co" in page
    assert "12 replications, seed 2" in page
    # the same scenario twice: every mean difference is exactly 0
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert cells
    assert set(cells) == {"0"}


def test_a_hazard_sample_shows_its_events_per_replication(marked):
    h = riskmc.sample_hazard(marked, 50, seed=3)
    page = h._repr_html_()
    assert "50 replications, seed 3" in page
    per = len(h.attacks) / 50
    assert f"<th>attacks</th><td>{len(h.attacks):,}</td><td>{per:,.2f}</td>" in page
    assert f"<th>closures</th><td>{len(h.closures):,}</td>" in page
