"""The outcome table: its types, its memory a row, chunks copied in place, Parquet read back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskmc
from riskmc.engine import SimulationResult
from riskmc.engine.checkpoint import _write_parquet, read_manifest, run_key
from riskmc.engine.propagate import ChunkModel, outcome_schema, project_dtype
from riskmc.engine.table import (
    OutcomeTable,
    cover_year_columns,
    read_outcomes,
    sparse_cover_years,
    typed_outcomes,
)
from riskmc.scenario import shipped_scenarios


@pytest.fixture(scope="module")
def tiny():
    return riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])


@pytest.fixture(scope="module")
def default():
    return riskmc.default_scenario()


@pytest.fixture(scope="module")
def default_result(default):
    return riskmc.simulate(default, 12, seed=4, workers=1)


@pytest.fixture(scope="module")
def model(tiny):
    return ChunkModel(tiny)


def _check_types(outcomes: pd.DataFrame, scenario) -> None:
    names = [p.name for p in scenario.projects]
    # a chunk's columns but the covers' per-year ones (kept as the result's cover_years)
    assert list(outcomes.columns) == list(OutcomeTable(outcome_schema(scenario)).schema)
    assert not [c for c in outcomes.columns if c.endswith("_max_usd")]
    project = outcomes["project"].dtype
    assert isinstance(project, pd.CategoricalDtype)
    assert project.categories.tolist() == names  # the scenario's projects, in its order
    assert not project.ordered
    assert outcomes["first_production"].dtype == np.dtype("datetime64[ns]")
    assert outcomes["force_majeure"].dtype == np.bool_
    for column in ("replication", "attacks", "suspensions", "debt_shortfall_mask"):
        assert outcomes[column].dtype == np.int64, column
    # the cover's yearly columns and the DSCR are float32 (riskmc.engine.cover)
    small = [c for c in outcomes.columns if c.startswith("dscr_") or c.endswith("_max_usd")]
    small += [c for c in outcomes.columns if c.startswith("cover_") and "_y" in c]
    assert all(outcomes[c].dtype == np.float32 for c in small)
    small = set(small)
    assert (outcomes.dtypes == np.float64).sum() == len(outcomes.columns) - 10 - len(small)
    assert all(d != np.dtype(object) for d in outcomes.dtypes)


def test_the_outcome_table_has_categories_dates_and_numbers(default, default_result, tmp_path):
    o = default_result.outcomes
    _check_types(o, default)
    assert o["project"].tolist()[:4] == ["Reko Diq", "Saindak", "Reko Diq", "Saindak"]
    building = o[o["project"] == "Reko Diq"]["first_production"]
    assert building.notna().all()
    assert (building == building.dt.normalize()).all()  # a day, at midnight
    assert o.loc[o["project"] == "Saindak", "first_production"].isna().all()  # operating: NaT
    # the same types on every way the table is made or read back
    back = SimulationResult.from_parquet(default_result.to_parquet(tmp_path / "saved"))
    _check_types(back.outcomes, default)
    pooled = riskmc.simulate(default, 12, seed=4, workers=2, chunk_size=5, out=tmp_path / "run")
    _check_types(pooled.outcomes, default)
    pd.testing.assert_frame_equal(pooled.outcomes, o, check_exact=True)
    _check_types(SimulationResult.from_parquet(tmp_path / "run").outcomes, default)


def test_an_empty_table_has_the_types_too(tiny, tmp_path):
    r = riskmc.simulate(tiny, 0, seed=1, workers=1)
    assert len(r.outcomes) == 0
    _check_types(r.outcomes, tiny)
    back = SimulationResult.from_parquet(r.to_parquet(tmp_path / "empty"))
    pd.testing.assert_frame_equal(back.outcomes, r.outcomes, check_exact=True)


def test_memory_per_row_is_that_of_the_numbers(default_result):
    # 8 bytes a number or date (4 a float32), 1 a flag, 1 a project (its category's code):
    # no Python object per row. The categories and the index are counted once.
    o = default_result.outcomes
    usage = o.memory_usage(deep=True, index=False)
    four = sum(1 for c in o.columns if o[c].dtype == np.float32)
    eight = sum(1 for c in o.columns if c not in ("project", "force_majeure")) - four
    per_row = (usage.sum() - usage["project"]) / len(o)
    assert per_row == 8 * eight + 4 * four + 1
    assert usage["project"] <= len(o) + 500  # the codes, and the names once
    assert usage["first_production"] == 8 * len(o)


def test_rows_per_replication_do_not_change_the_memory_a_row(tiny):
    # the bound holds at any count: nothing grows with the rows but the arrays
    small = riskmc.simulate(tiny, 4, seed=1, workers=1).outcomes
    large = riskmc.simulate(tiny, 64, seed=1, workers=1).outcomes
    a = small.memory_usage(deep=True, index=False).drop("project").sum() / len(small)
    b = large.memory_usage(deep=True, index=False).drop("project").sum() / len(large)
    assert a == b


def test_chunks_in_any_order_make_the_table_of_one_chunk(model):
    whole = model.run(seed=3, first=0, stop=9)
    table = OutcomeTable(model.schema)
    table.reserve(9)
    for first, stop in [(6, 9), (0, 2), (2, 6)]:
        table.add(first, stop, model.run(seed=3, first=first, stop=stop))
    pd.testing.assert_frame_equal(table.frame(9), whole, check_exact=True)
    assert table.missing(9) == []
    picked = table.frame(4, ["project", "delay_days"])
    pd.testing.assert_frame_equal(picked, whole.loc[:3, ["project", "delay_days"]])


def test_the_frame_shares_the_tables_arrays(model):
    table = OutcomeTable(model.schema)
    table.add(0, 4, model.run(seed=3, first=0, stop=4))
    frame = table.frame(4)
    assert np.shares_memory(frame["delay_days"].to_numpy(), table._arrays["delay_days"])
    assert np.shares_memory(frame["project"].array.codes, table._arrays["project"])


def test_growing_keeps_the_rows_and_a_frame_in_use(model):
    table = OutcomeTable(model.schema)
    table.add(0, 3, model.run(seed=3, first=0, stop=3))
    before = table.frame(3).copy()
    table.reserve(40)  # in place: nothing uses the arrays
    held = table.frame(3)
    table.reserve(200)  # a frame uses them: a copy, the frame unchanged
    table.add(3, 5, model.run(seed=3, first=3, stop=5))
    pd.testing.assert_frame_equal(held, before, check_exact=True)
    pd.testing.assert_frame_equal(table.frame(3), before, check_exact=True)
    pd.testing.assert_frame_equal(
        table.frame(5), model.run(seed=3, first=0, stop=5), check_exact=True
    )
    table.trim(4)
    assert table.capacity == 4
    pd.testing.assert_frame_equal(table.frame(4), model.run(seed=3, first=0, stop=4))


def test_a_chunk_that_is_not_its_range_or_types_is_refused_unchanged(model, default):
    table = OutcomeTable(model.schema)
    rows = model.run(seed=3, first=0, stop=3)
    with pytest.raises(ValueError, match="not the range"):
        table.add(1, 4, rows)
    with pytest.raises(ValueError, match="rows, not"):
        table.add(0, 2, rows)
    with pytest.raises(ValueError, match="columns"):
        table.add(0, 3, rows.drop(columns="attacks"))
    with pytest.raises(ValueError, match="first_production"):
        table.add(0, 3, rows.assign(first_production=rows["first_production"].dt.date))
    with pytest.raises(ValueError, match="project"):
        table.add(0, 3, rows.assign(project=rows["project"].astype(str)))
    assert table.done == []
    # two projects: categories in another order (equal to pandas) are refused, and so are
    # rows of a replication out of the projects' order
    two = ChunkModel(default)
    table = OutcomeTable(two.schema)
    rows = two.run(seed=1, first=0, stop=2)
    turned = rows["project"].cat.reorder_categories(["Saindak", "Reko Diq"])
    assert turned.dtype == rows["project"].dtype
    with pytest.raises(ValueError, match="project"):
        table.add(0, 2, rows.assign(project=turned))
    with pytest.raises(ValueError, match="project order"):
        table.add(0, 2, rows.iloc[[1, 0, 3, 2]].reset_index(drop=True))
    with pytest.raises(ValueError, match="not in the table"):
        table.frame(2)
    table.add(0, 2, rows)
    pd.testing.assert_frame_equal(table.frame(2), rows[list(table.schema)], check_exact=True)
    with pytest.raises(ValueError, match="cover_pri_interruption_y3_usd: float64, not float32"):
        table.add(
            2, 3, two.run(seed=1, first=2, stop=3).astype({"cover_pri_interruption_y3_usd": float})
        )


def test_resume_reruns_a_chunk_of_other_types(tiny, tmp_path):
    # a chunk with this run's key but project as text (as format 5 wrote it) runs again
    out = tmp_path / "run"
    reference = riskmc.simulate(tiny, 12, seed=5, workers=1, chunk_size=4, out=out)
    manifest = read_manifest(out)
    chunk = out / "chunks" / "000000000004-000000000008.parquet"
    rows = pd.read_parquet(chunk)
    text = rows.assign(project=rows["project"].astype(object))
    key = run_key(manifest.scenario, manifest.seed, manifest.engine)
    _write_parquet(chunk, text, {b"riskmc.run": key.encode()})
    (out / "outcomes.parquet").unlink()
    again = riskmc.simulate(tiny, 12, seed=5, workers=1, chunk_size=4, out=out, resume=True)
    pd.testing.assert_frame_equal(again.outcomes, reference.outcomes, check_exact=True)
    assert read_manifest(out).done[-1] == (4, 8)  # run again, after the others were read


def test_read_outcomes_batch_by_batch_equals_reading_whole(default_result, tmp_path):
    o = default_result.outcomes
    path = tmp_path / "o.parquet"
    o.to_parquet(path, index=False, row_group_size=5)  # several row groups
    projects = project_dtype(default_result.scenario)
    back = read_outcomes(path, projects)
    pd.testing.assert_frame_equal(back, o, check_exact=True)
    pd.testing.assert_frame_equal(back, typed_outcomes(pd.read_parquet(path), projects))
    # pandas' default index, described: read batch by batch; another index: read whole
    o.to_parquet(path)
    pd.testing.assert_frame_equal(read_outcomes(path, projects), o, check_exact=True)
    o.iloc[3:9].to_parquet(path)
    pd.testing.assert_frame_equal(read_outcomes(path, projects), o.iloc[3:9], check_exact=True)
    o.set_index("replication").to_parquet(path)
    pd.testing.assert_frame_equal(
        read_outcomes(path, projects), o.set_index("replication"), check_exact=True
    )
    # a table of another layout (an object column) is read whole
    other = o.assign(note="x")
    other.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(read_outcomes(path, projects), other, check_exact=True)
    # a name that is not a project's: the column stays text
    renamed = o.assign(project=o["project"].astype(str).replace("Saindak", "Other"))
    renamed.to_parquet(path, index=False)
    assert read_outcomes(path, projects)["project"].tolist() == renamed["project"].tolist()


def _dense(years: pd.DataFrame, rows: pd.DataFrame, key: str, k: int, value: str) -> np.ndarray:
    """The per-year column of the wide ``rows`` rebuilt from the sparse ``years`` (0 where none)."""
    out = np.zeros(len(rows), np.float32)
    mine = years[(years["cover"] == key) & (years["year"] == k)]
    where = {
        (r, p): i for i, (r, p) in enumerate(zip(rows["replication"], rows["project"], strict=True))
    }
    for r, p, v in zip(mine["replication"], mine["project"], mine[value], strict=True):
        out[where[(r, p)]] = v
    return out


def test_the_covers_years_leave_the_table_as_a_sparse_table_of_the_same_values(
    default, default_result, tmp_path
):
    chunk = ChunkModel(default).run(seed=4, first=0, stop=12)  # the wide columns, as a worker
    years = cover_year_columns(chunk.columns)
    assert sorted(years) == ["pri_interruption", "pv_damage"]
    assert [len(v) for v in years.values()] == [10, 10]
    sparse = default_result.cover_years
    assert list(sparse.columns) == ["replication", "project", "cover", "year", "usd", "max_usd"]
    assert [str(d) for d in sparse.dtypes] == ["int64", "category", "category", "int16",
                                               "float32", "float32"]  # fmt: skip
    assert ((sparse["usd"] > 0) | (sparse["max_usd"] > 0)).all()  # only years that paid
    assert (sparse["max_usd"] <= sparse["usd"]).all()
    assert 0 < len(sparse) < 12 * 2 * 10
    for key, pairs in years.items():
        for k, (usd, peak) in enumerate(pairs, start=1):
            assert np.array_equal(_dense(sparse, chunk, key, k, "usd"), chunk[usd].to_numpy())
            assert np.array_equal(_dense(sparse, chunk, key, k, "max_usd"), chunk[peak].to_numpy())
    # in order, and the same by every way it is made or read back
    order = sparse.sort_values(["replication", "project", "cover", "year"], kind="stable")
    pd.testing.assert_frame_equal(order, sparse)
    back = SimulationResult.from_parquet(default_result.to_parquet(tmp_path / "saved"))
    pd.testing.assert_frame_equal(back.cover_years, sparse, check_exact=True)
    pooled = riskmc.simulate(default, 12, seed=4, workers=2, chunk_size=5, out=tmp_path / "run")
    pd.testing.assert_frame_equal(pooled.cover_years, sparse, check_exact=True)
    run = SimulationResult.from_parquet(tmp_path / "run")
    pd.testing.assert_frame_equal(run.cover_years, sparse, check_exact=True)
    # a table cut by trim keeps the years of its replications only
    table = OutcomeTable(outcome_schema(default))
    table.add(0, 12, chunk)
    table.trim(7)
    cut = table.cover_years(7)
    pd.testing.assert_frame_equal(cut, sparse[sparse["replication"] < 7].reset_index(drop=True))


def test_a_result_saved_with_the_per_year_columns_is_read_as_today(
    default, default_result, tmp_path
):
    # riskmc-result/2: the per-year columns in outcomes.parquet, no cover_years.parquet
    import json

    folder = default_result.to_parquet(tmp_path / "old")
    wide = ChunkModel(default).run(seed=4, first=0, stop=12)
    meta = {b"riskmc.result": json.dumps({"scenario": default.fingerprint(), "seed": 4}).encode()}
    _write_parquet(folder / "outcomes.parquet", wide, meta)
    (folder / "cover_years.parquet").unlink()
    doc = json.loads((folder / "result.json").read_text())
    (folder / "result.json").write_text(json.dumps(doc | {"format": "riskmc-result/2"}))
    back = SimulationResult.from_parquet(folder)
    pd.testing.assert_frame_equal(back.outcomes, default_result.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(back.cover_years, default_result.cover_years, check_exact=True)
    # today's format without its cover_years.parquet: named, not read as no payments
    today = default_result.to_parquet(tmp_path / "new")
    (today / "cover_years.parquet").unlink()
    with pytest.raises(ValueError, match=r"cover_years.parquet: no such file"):
        SimulationResult.from_parquet(today)


def test_sparse_cover_years_of_a_hand_made_chunk():
    projects = pd.CategoricalDtype(["a", "b"])
    rows = pd.DataFrame(
        {
            "replication": np.array([0, 0, 1, 1]),
            "project": pd.Categorical(["a", "b", "a", "b"], dtype=projects),
            "cover_c_y1_usd": np.array([0, 5, 0, 0], np.float32),
            "cover_c_y1_max_usd": np.array([0, 3, 0, 0], np.float32),
            "cover_c_y2_usd": np.array([7, 0, 0, 0], np.float32),
            "cover_c_y2_max_usd": np.array([7, 0, 0, 0], np.float32),
        }
    )
    got = sparse_cover_years(rows, cover_year_columns(rows.columns))
    assert got["replication"].tolist() == [0, 0]
    assert got["project"].tolist() == ["a", "b"]
    assert got["year"].tolist() == [2, 1]
    assert got["usd"].tolist() == [7.0, 5.0]
    assert got["max_usd"].tolist() == [7.0, 3.0]
