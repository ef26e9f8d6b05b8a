"""The HTML report: its content against the result, and ``riskmc report`` on bad input."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from riskmc.analysis.curves import contingency
from riskmc.analysis.report import ReportError, build_report, load_results, write_report
from riskmc.cli import app
from riskmc.data import sources
from riskmc.engine import SimulationResult
from riskmc.engine.propagate import METRICS

runner = CliRunner()


def _cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each body cell of a table, row by row."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, flags=re.S)
    assert table is not None, table_id
    body = table.group(1).split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in rows]


@pytest.fixture(scope="module")
def report_html(default_result_dir) -> str:
    return build_report(SimulationResult.from_parquet(default_result_dir))


def test_report_holds_the_scenario_and_a_summary_row_per_project_and_metric(
    report_html, default_result_dir
):
    result = SimulationResult.from_parquet(default_result_dir)
    scenario = {r[0]: r[1] for r in _kv(report_html)}
    assert scenario["name"] == "balochistan"
    assert scenario["seed"] == "5"
    assert scenario["replications"] == "24"
    assert scenario["horizon"].startswith("10 years")
    assert "Reko Diq phase 1" in scenario["description"]
    rows = _cells(report_html, "summary")
    assert [(r[0], r[1]) for r in rows] == [
        (p, m) for p in ("Reko Diq", "Saindak") for m in METRICS
    ]
    # The P80 delay of Reko Diq, with its interval, as in result.summary().
    s = result.summary()
    p80 = s[
        (s["project"] == "Reko Diq") & (s["metric"] == "delay_days") & (s["statistic"] == "P80")
    ]
    value, low, high = p80[["value", "low", "high"]].to_numpy()[0]
    delay = next(r for r in rows if r[:2] == ["Reko Diq", "delay_days"])
    assert delay[2] == "days"
    # 24 replications do not bound P80 above: that end shows as infinite
    assert np.isinf(high)
    assert delay[5] == f"{value:,.1f} [{low:,.1f} - ∞]"
    capex = next(r for r in rows if r[:2] == ["Reko Diq", "capex_overrun_usd"])
    assert capex[2] == "million USD"


def _kv(html: str) -> list[tuple[str, str]]:
    block = re.search(r'<table class="kv">(.*?)</table>', html, flags=re.S)
    assert block is not None
    return re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", block.group(1))


def test_report_contingency_slip_and_joint_tables(report_html, default_result_dir):
    outcomes = SimulationResult.from_parquet(default_result_dir).outcomes
    cont = _cells(report_html, "contingency")
    expected = contingency(outcomes[outcomes["project"] == "Reko Diq"], ["delay_days"]).iloc[0]
    assert cont[0][:3] == ["Reko Diq", "delay_days", "days"]
    assert cont[0][3].startswith(f"{expected['contingency']:,.1f} [")
    slip = _cells(report_html, "slip")
    assert [r[0] for r in slip] == ["Reko Diq"] * 5  # Saindak operates: no row
    assert slip[-1][1].endswith("(plan + 365 d)")
    joint = _cells(report_html, "joint")
    assert joint[0][0] == "Reko Diq"


def test_report_cites_the_scenario_sources_and_embeds_every_plot(report_html):
    cited = dict(r for r in _cells(report_html, "cited"))
    # districts of the default scenario cite S51, Quetta's rate S28 in the file's comments only
    table = sources()
    assert cited["S51"] == table["S51"]
    assert "S25" in cited
    assert len(_cells(report_html, "sources")) == len(table)
    images = re.findall(r'<img src="([^"]+)"', report_html)
    assert len(images) >= 6
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # Self-contained: nothing is loaded from elsewhere.
    assert not re.search(r'(?:src|href)="(?!data:)', report_html)
    assert "<link" not in report_html
    assert "<script" not in report_html
    assert 'id="plot-district_map"' in report_html
    assert 'id="plot-drivers_reko_diq"' in report_html


def test_report_escapes_the_scenario_text(tiny_result, tmp_path):
    scenario = tiny_result.scenario.model_copy(update={"description": "<b>bold</b> & co"})
    html = build_report(SimulationResult(scenario, tiny_result.seed, tiny_result.outcomes))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    assert "<b>bold</b>" not in html


def test_cli_report_writes_the_file(default_result_dir, tmp_path):
    folder = tmp_path / "results"
    shutil.copytree(default_result_dir, folder)
    out = runner.invoke(app, ["report", str(folder)])
    assert out.exit_code == 0, out.output
    assert (folder / "report.html").is_file()
    assert str(folder / "report.html") in out.output
    other = tmp_path / "elsewhere.html"
    assert runner.invoke(app, ["report", str(folder), "-o", str(other)]).exit_code == 0
    assert '<table id="summary">' in other.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _bad(args: list[str]) -> str:
    """Run the command, expecting bad input: exit 2 and one line on standard error."""
    out = runner.invoke(app, args)
    assert out.exit_code == 2, out.output
    assert isinstance(out.exception, SystemExit)  # not an error raised from deep inside
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_cli_report_bad_input_is_one_line_and_exit_2(tmp_path, default_result_dir):
    missing = tmp_path / "missing"
    assert _bad(["report", str(missing)]) == (
        f"error: {missing}: no such folder (RESULTS_DIR must be a saved result)"
    )
    (tmp_path / "empty").mkdir()
    line = _bad(["report", str(tmp_path / "empty")])
    assert line.startswith(f"error: {tmp_path / 'empty'}: not a results folder")
    assert "result.json" in line
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert "not a folder" in _bad(["report", str(a_file)])
    broken = tmp_path / "broken"
    shutil.copytree(default_result_dir, broken)
    (broken / "outcomes.parquet").write_bytes(b"not parquet")
    assert _bad(["report", str(broken)]).startswith(f"error: {broken / 'outcomes.parquet'}:")
    assert "cannot be written" in _bad(
        ["report", str(default_result_dir), "-o", str(tmp_path / "no" / "r.html")]
    )


def test_load_results_refuses_a_result_json_of_another_format(tmp_path, default_result_dir):
    folder = tmp_path / "r"
    shutil.copytree(default_result_dir, folder)
    (folder / "result.json").write_text('{"format": "other"}')
    with pytest.raises(ReportError, match="format must be"):
        load_results(folder)
    with pytest.raises(ReportError, match="no such folder"):
        write_report(tmp_path / "nothing")


def test_report_of_a_result_is_deterministic(tiny_result, tmp_path):
    folder = tiny_result.to_parquet(tmp_path / "t")
    a = write_report(folder, tmp_path / "a.html").read_text()
    b = write_report(folder, tmp_path / "b.html").read_text()
    assert a == b
    assert Path(folder / "report.html").exists() is False


def test_report_shows_the_drivers_of_lost_output(report_html):
    rows = _cells(report_html, "drivers-lost-output-table")
    causes = [r for r in rows if r[0] == "Reko Diq" and r[1] == "cause"]
    names = {r[2] for r in causes}
    assert {"attack closure", "site attack"} <= names
    # the shares of the causes add up to 100 % (each shown to 0.1 %)
    total = sum(float(r[3].split("%")[0]) for r in causes)
    assert total == pytest.approx(100.0, abs=0.1 * len(causes))


def test_every_plot_has_the_caption_of_what_it_shows(report_html):
    # found by review: the lost-output plots were captioned as drivers of delay
    figures = re.findall(
        r'<figure id="plot-([^"]+)">.*?<figcaption>(.*?)</figcaption>', report_html, flags=re.S
    )
    captions = dict(figures)
    assert "lost_drivers_reko_diq" in captions
    assert "drivers_reko_diq" in captions
    for name, caption in captions.items():
        if "lost" in name:
            assert "lost output" in caption, (name, caption)
        elif name.startswith("drivers"):
            assert "delay" in caption, (name, caption)


def test_report_gives_the_debt_shortfall_probability_by_year(report_html, default_result_dir):
    # SPEC's lender view: the probability of a debt-service shortfall in a given year, from
    # Reko Diq's debt block (service from 2029), whole years of the horizon (2026-12-01 + 10 y)
    o = SimulationResult.from_parquet(default_result_dir).outcomes
    mask = o.loc[o["project"] == "Reko Diq", "debt_shortfall_mask"].to_numpy()
    rows = _cells(report_html, "shortfall")
    assert [r[:2] for r in rows] == [["Reko Diq", str(y)] for y in range(2029, 2036)]
    for r in rows:
        share = ((mask >> (int(r[1]) - 2029)) & 1).mean()
        assert r[2].startswith(f"{100 * share:.1f} %"), r


def test_report_gives_the_tail_with_the_shares_of_the_outcomes(report_html, default_result_dir):
    o = SimulationResult.from_parquet(default_result_dir).outcomes
    rows = _cells(report_html, "tail")
    reko = o[o["project"] == "Reko Diq"]
    events = [r[1] for r in rows if r[0] == "Reko Diq"]
    assert events == [
        "delay &gt; 90 d",
        "delay &gt; 180 d",
        "delay &gt; 365 d",
        "force majeure",
        "suspension",
    ]
    shares = [
        (reko["delay_days"] > 90).mean(),
        (reko["delay_days"] > 180).mean(),
        (reko["delay_days"] > 365).mean(),
        reko["force_majeure"].mean(),
        (reko["suspensions"] > 0).mean(),
    ]
    for r, share in zip([r for r in rows if r[0] == "Reko Diq"], shares, strict=True):
        assert r[2].startswith(f"{100 * share:.1f} %"), r
    # Saindak, an operating mine, has no delay rows
    assert [r[1] for r in rows if r[0] == "Saindak"] == ["force majeure", "suspension"]


def test_cli_report_into_a_path_through_a_file_is_one_line(tiny_result, tmp_path):
    folder = tiny_result.to_parquet(tmp_path / "r")
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    assert _bad(["report", str(folder), "-o", str(a_file / "r.html")]) == (
        f"error: {a_file / 'r.html'}: cannot be written (Not a directory)"
    )


@pytest.mark.parametrize(
    ("damage", "rule"),
    [
        ("drop", "column 'delay_days' missing"),
        ("text", "column 'delay_days' must hold numbers, not "),
        ("float_replication", "column 'replication' must hold integers, not float64"),
    ],
)
def test_cli_report_of_outcomes_without_a_column_or_of_the_wrong_type(
    tiny_result, tmp_path, damage, rule
):
    folder = tiny_result.to_parquet(tmp_path / "r")
    frame = tiny_result.outcomes.copy()
    if damage == "drop":
        frame = frame.drop(columns="delay_days")
    elif damage == "text":
        frame["delay_days"] = frame["delay_days"].astype(str)
    else:
        frame["replication"] = frame["replication"].astype(float)
    frame.to_parquet(folder / "outcomes.parquet")
    line = _bad(["report", str(folder)])
    assert line.startswith(f"error: {folder / 'outcomes.parquet'}: {rule}")


def test_load_results_names_a_missing_or_damaged_outcomes_file(tiny_result, tmp_path):
    folder = tiny_result.to_parquet(tmp_path / "r")
    outcomes = folder / "outcomes.parquet"
    outcomes.write_bytes(outcomes.read_bytes()[:200])
    with pytest.raises(ReportError, match=f"^{re.escape(str(outcomes))}: cannot be read"):
        load_results(folder)


def _edited(folder: Path, edit) -> Path:
    import pandas as pd

    frame = pd.read_parquet(folder / "outcomes.parquet")
    edit(frame).to_parquet(folder / "outcomes.parquet", index=False)
    return folder


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f.iloc[:-1], "replication 23 appears"),  # one project's row of 23 cut
        (lambda f: f[f["replication"] != 7], "replication 7 is missing; "),
        (lambda f: f.assign(replication=f["replication"] + 1), "replication 0 is missing; "),
        (lambda f: f.assign(replication=f["replication"] * 2), "replication 1 is missing; "),
        (
            lambda f: f.assign(**dict.fromkeys(METRICS, np.nan)),
            "every metric is missing in every row",
        ),
        # found by hand: an infinite delay was a traceback (OutOfBoundsTimedelta), the five
        # money and delay metrics missing were reported as a table of nan
        (
            lambda f: f.assign(delay_days=np.where(f["replication"] == 5, np.inf, f["delay_days"])),
            "column 'delay_days' is inf for replication 5, project ",
        ),
        (
            lambda f: f.assign(
                **dict.fromkeys(["delay_days", "capex_overrun_usd", "npv_loss_usd"], np.nan)
            ),
            "column 'delay_days' is nan for replication 0, project ",
        ),
    ],
)
def test_report_refuses_outcomes_that_disagree_with_result_json(
    tmp_path, default_result_dir, edit, message
):
    """Issue 24: ``riskmc report`` checks that the outcomes, result.json and the manifest
    agree (replications 0 .. n - 1, one row per project each, metrics not all missing)."""
    folder = tmp_path / "r"
    shutil.copytree(default_result_dir, folder)
    _edited(folder, edit)
    if message.startswith("replication 23"):
        # the last row removed: replication 23 has one project, another row duplicated
        import pandas as pd

        frame = pd.read_parquet(folder / "outcomes.parquet")
        frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
        frame.to_parquet(folder / "outcomes.parquet", index=False)
        message = "replication 0 appears twice for project"
    line = _bad(["report", str(folder)])
    assert line.startswith(f"error: {folder / 'outcomes.parquet'}: "), line
    assert message in line


def test_report_refuses_a_run_folder_of_two_runs_or_unfinished(tmp_path):
    import json

    from riskmc.engine import simulate
    from riskmc.scenario import load_scenario, shipped_scenarios

    tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    run = tmp_path / "run"
    simulate(tiny, 12, seed=3, workers=1, out=run)
    assert load_results(run).n_replications == 12
    # result.json of another seed copied in
    other = simulate(tiny, 12, seed=4, workers=1).to_parquet(tmp_path / "other")
    (run / "result.json").write_bytes((other / "result.json").read_bytes())
    with pytest.raises(
        ReportError, match=r"outcomes.parquet: the outcomes of seed 3, .* records seed 4"
    ):
        load_results(run)
    (run / "result.json").write_bytes((other / "result.json").read_bytes())
    doc = json.loads((other / "result.json").read_text())
    doc["seed"] = 3
    (run / "result.json").write_text(json.dumps(doc))
    assert load_results(run).seed == 3
    # outcomes of another seed copied in, result.json and the manifest left (found by hand:
    # reported as this run's; the outcomes now record their seed and scenario)
    kept = (run / "outcomes.parquet").read_bytes()
    (run / "outcomes.parquet").write_bytes((other / "outcomes.parquet").read_bytes())
    with pytest.raises(
        ReportError, match=r"the outcomes of seed 4, .* records seed 3, .* two runs"
    ):
        load_results(run)
    (run / "outcomes.parquet").write_bytes(kept)
    # a manifest edited by hand is refused as the run refuses it
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["seed"] = 9
    (run / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReportError, match="digest: does not match"):
        load_results(run)


def test_report_has_a_lender_and_an_insurer_page(report_html, default_result_dir):
    from riskmc.analysis.insurer import insurer_view
    from riskmc.analysis.lender import lender_view

    result = SimulationResult.from_parquet(default_result_dir)
    years = lender_view(result.scenario, result.outcomes).years
    dscr = _cells(report_html, "dscr")
    assert [r[:2] for r in dscr] == [
        [p, str(y)] for p, y in zip(years["project"], years["year"], strict=True)
    ]
    assert dscr[0][2] == "400.0"  # Reko Diq's service, M USD a year
    assert 'id="plot-dscr_reko_diq"' in report_html
    assert len(_cells(report_html, "grace")) == 1
    view = insurer_view(result.scenario, result.cover_years, result.n_replications)
    covers = _cells(report_html, "covers")
    assert [r[1] for r in covers] == ["pri_interruption", "pv_damage"]
    assert covers[0][-1] == "7.5"  # written: 1.5 % of 500 M USD
    assert len(_cells(report_html, "return_periods")) == len(view.return_periods) == 20
    assert "plot-aep_oep_reko_diq_pv_damage" in report_html
