"""The outcome table of a run, filled in place as its chunks arrive, and read from Parquet.

A run's table has one row per (replication, project), in that order, so the
rows of replications ``first .. stop - 1`` sit at rows ``first * P .. stop * P
- 1`` (``P`` projects). :class:`OutcomeTable` holds one NumPy array per column,
sized for the replications asked for, and copies each chunk's rows to their
place as the chunk arrives, in any order; the chunk's own frame is then
dropped. The run's result is a frame over those arrays (no copy), so the
process holds the table once, never a list of chunks beside their
concatenation. A precision run that asks for more replications grows the
arrays in place (``realloc``) when nothing else uses them.

:func:`read_outcomes` reads a saved table back the same way: Parquet row
group by row group into arrays made for the whole table, instead of Arrow's
copy of the whole file beside pandas' copy of it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from riskmc.engine.outcomes import DATE_DTYPE

__all__ = [
    "OutcomeTable",
    "cover_year_columns",
    "empty_cover_years",
    "read_outcomes",
    "sparse_cover_years",
    "typed_outcomes",
]

Chunk = tuple[int, int]
ColumnType = np.dtype | pd.CategoricalDtype
#: Rows of a Parquet row group of a saved table.
ROW_GROUP = 65_536
#: Rows of a batch read back (:func:`read_outcomes`): converted on its own, it costs a few
#: times this many rows of memory beside the table (measured, 600,000 rows of the default
#: scenario: 1.12 times the table at its peak with 4,096 rows, 1.26 with 16,384, 1.6 with
#: 65,536).
BATCH = 4_096


#: A chunk's per-year cover column: ``cover_<key>_y<k>_usd`` or ``cover_<key>_y<k>_max_usd``.
_YEAR_COLUMN = re.compile(r"cover_(?P<key>.+)_y(?P<k>[0-9]+)_(?P<max>max_)?usd")


def cover_year_columns(columns: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """The per-year cover columns among ``columns``: per cover key, ``(usd, max_usd)`` by year.

    Examples
    --------
    >>> cover_year_columns(["npv", "cover_pri_y1_usd", "cover_pri_y1_max_usd"])
    {'pri': [('cover_pri_y1_usd', 'cover_pri_y1_max_usd')]}
    """
    names = set(columns)
    found: dict[str, dict[int, tuple[str, str]]] = {}
    for name in names:
        m = _YEAR_COLUMN.fullmatch(name)
        if m is None or m["max"]:
            continue
        key, k = m["key"], int(m["k"])
        peak = f"cover_{key}_y{k}_max_usd"
        if peak in names:
            found.setdefault(key, {})[k] = (name, peak)
    return {key: [years[k] for k in sorted(years)] for key, years in sorted(found.items())}


def empty_cover_years(projects: pd.CategoricalDtype, keys: Iterable[str] = ()) -> pd.DataFrame:
    """A sparse table of the covers' years with no row (every year's payments 0)."""
    return pd.DataFrame(
        {
            "replication": np.zeros(0, np.int64),
            "project": pd.Categorical([], dtype=projects),
            "cover": pd.Categorical([], dtype=pd.CategoricalDtype(list(keys))),
            "year": np.zeros(0, np.int16),
            "usd": np.zeros(0, np.float32),
            "max_usd": np.zeros(0, np.float32),
        }
    )


def sparse_cover_years(
    rows: pd.DataFrame, years: Mapping[str, Sequence[tuple[str, str]]]
) -> pd.DataFrame:
    """The rows of ``rows``' per-year cover columns whose year paid something, as a long table.

    One row per (replication, project, cover, year) with ``usd`` (the year's
    payments) or ``max_usd`` (its largest) above 0, in that order; the years of
    no payment are left out (their values are 0). ``years`` is
    :func:`cover_year_columns` of the rows' columns; ``year`` is 1-based.
    """
    projects = rows["project"].dtype
    assert isinstance(projects, pd.CategoricalDtype)
    keys = list(years)
    reps = rows["replication"].to_numpy()
    codes = np.asarray(rows["project"].array.codes)
    parts = []
    for j, key in enumerate(keys):
        usd = np.column_stack([rows[a].to_numpy(np.float32) for a, _ in years[key]])
        peak = np.column_stack([rows[b].to_numpy(np.float32) for _, b in years[key]])
        row, k = np.nonzero((usd != 0) | (peak != 0))  # row-major: by row, then year
        parts.append((row, np.full(len(row), j, np.int64), k, usd[row, k], peak[row, k]))
    if not parts:
        return empty_cover_years(projects, keys)
    row = np.concatenate([p[0] for p in parts])
    cover = np.concatenate([p[1] for p in parts])
    k = np.concatenate([p[2] for p in parts])
    order = np.lexsort((k, cover, row))
    row, cover, k = row[order], cover[order], k[order]
    return pd.DataFrame(
        {
            "replication": reps[row].astype(np.int64),
            "project": pd.Categorical.from_codes(codes[row], dtype=projects, validate=False),
            "cover": pd.Categorical.from_codes(
                cover, dtype=pd.CategoricalDtype(keys), validate=False
            ),
            "year": (k + 1).astype(np.int16),
            "usd": np.concatenate([p[3] for p in parts])[order],
            "max_usd": np.concatenate([p[4] for p in parts])[order],
        }
    )


def _storage(dtype: ColumnType) -> np.dtype:
    """The NumPy type a column is held in: a categorical's codes, else the column's own."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical([], dtype=dtype).codes.dtype
    return np.dtype(dtype)


def same_type(a: object, b: ColumnType) -> bool:
    """Whether a column's type is ``b``; categoricals must have the same categories in order.

    (Two unordered categorical types with the same categories in another order
    compare equal in pandas, but their codes do not mean the same names.)
    """
    if isinstance(b, pd.CategoricalDtype):
        return (
            isinstance(a, pd.CategoricalDtype)
            and a.ordered == b.ordered
            and a.categories.equals(b.categories)
            and a.categories.dtype == b.categories.dtype
        )
    return bool(a == b)


def _column(values: np.ndarray, dtype: ColumnType) -> object:
    """A column of a frame over ``values`` (no copy)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(values, dtype=dtype, validate=False)
    return values


class OutcomeTable:
    """A run's outcome rows, one array per column, chunks copied in at their place.

    Parameters
    ----------
    schema : mapping of str to dtype
        The columns and their types (:func:`riskmc.engine.outcomes.outcome_schema`);
        ``project`` is a categorical whose categories are the projects, in the
        order of a replication's rows.

    Examples
    --------
    >>> from riskmc.engine.propagate import ChunkModel
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> model = ChunkModel(load_scenario(shipped_scenarios()["tiny.yaml"]))
    >>> table = OutcomeTable(model.schema)
    >>> table.add(2, 4, model.run(seed=1, first=2, stop=4))
    >>> table.add(0, 2, model.run(seed=1, first=0, stop=2))
    >>> table.frame(4).equals(model.run(seed=1, first=0, stop=4))
    True
    """

    def __init__(self, schema: Mapping[str, ColumnType]) -> None:
        #: A chunk's columns, in order (the per-year cover columns included).
        self.chunk_columns = list(schema)
        #: The per-year cover columns of a chunk, kept as :meth:`cover_years`, not as columns.
        self.years = cover_year_columns(schema)
        held = {name for pair in self.years.values() for col in pair for name in col}
        #: The table's columns: a chunk's but the per-year cover columns.
        self.schema = {n: t for n, t in schema.items() if n not in held}
        projects = self.schema.get("project")
        if not isinstance(projects, pd.CategoricalDtype):
            raise ValueError("schema: 'project' must be a categorical of the project names")
        self.projects = projects
        #: Rows of a replication: one per project.
        self.per_replication = len(projects.categories)
        self._arrays = {name: np.empty(0, _storage(t)) for name, t in self.schema.items()}
        self._order = np.arange(self.per_replication, dtype=_storage(projects))
        #: Replications the arrays hold room for.
        self.capacity = 0
        #: ``(first, stop)`` of each chunk added, in the order they came.
        self.done: list[Chunk] = []
        #: Per chunk added, its years of cover payments (:func:`sparse_cover_years`).
        self._years: dict[Chunk, pd.DataFrame] = {}

    def reserve(self, replications: int) -> None:
        """Make room for replications ``0 .. replications - 1`` (the arrays never shrink)."""
        if replications <= self.capacity:
            return
        rows = replications * self.per_replication
        for name in list(self._arrays):
            values = self._arrays.pop(name)
            if len(values) == 0:
                values = np.empty(rows, values.dtype)  # pages are taken as rows are written
            else:
                try:  # in place: realloc moves no data (mremap), and no second copy is held
                    values.resize(rows, refcheck=True)
                except ValueError:  # a frame handed out still uses the array: a copy
                    grown = np.empty(rows, values.dtype)
                    grown[: len(values)] = values
                    values = grown
            self._arrays[name] = values
        self.capacity = replications

    def add(self, first: int, stop: int, rows: pd.DataFrame) -> None:
        """Copy the rows of replications ``first .. stop - 1`` to their place.

        Raises
        ------
        ValueError
            The rows are not those of the range, one per project in the
            projects' order, with the table's columns and types (the table is
            left unchanged).
        """
        per = self.per_replication
        if list(rows.columns) != self.chunk_columns:
            raise ValueError(f"chunk {first}-{stop}: its columns are not the table's")
        if len(rows) != (stop - first) * per:
            raise ValueError(f"chunk {first}-{stop}: {len(rows)} rows, not {(stop - first) * per}")
        columns = []
        for name, dtype in self.schema.items():
            column = rows[name]
            if not same_type(column.dtype, dtype):
                raise ValueError(f"chunk {first}-{stop}: {name}: {column.dtype}, not {dtype}")
            if isinstance(dtype, pd.CategoricalDtype):
                values = np.asarray(column.array.codes)
                if not np.array_equal(values, np.tile(self._order, stop - first)):
                    raise ValueError(f"chunk {first}-{stop}: {name}: rows not in project order")
            else:
                values = column.to_numpy()
            columns.append((name, values))
        expected = np.repeat(np.arange(first, stop, dtype=np.int64), per)
        if not np.array_equal(rows["replication"].to_numpy(), expected):
            raise ValueError(f"chunk {first}-{stop}: its replications are not the range")
        for name in (n for pair in self.years.values() for col in pair for n in col):
            if not same_type(rows[name].dtype, np.dtype(np.float32)):
                raise ValueError(f"chunk {first}-{stop}: {name}: {rows[name].dtype}, not float32")
        years = sparse_cover_years(rows, self.years) if self.years else None
        self.reserve(stop)
        a, b = first * per, stop * per
        for name, values in columns:
            self._arrays[name][a:b] = values
        if years is not None:
            self._years[(first, stop)] = years
        self.done.append((first, stop))

    def missing(self, replications: int) -> list[Chunk]:
        """Ranges of replications below ``replications`` that no chunk added covers."""
        gaps, at = [], 0
        for a, b in sorted(self.done):
            if a >= replications:
                break
            if a > at:
                gaps.append((at, a))
            at = max(at, b)
        if at < replications:
            gaps.append((at, replications))
        return gaps

    def frame(self, replications: int, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """The rows of replications ``0 .. replications - 1``: a frame over the arrays, no copy.

        ``columns`` (default: all) picks some. The frame shares the table's
        memory: the table must not be written below ``replications`` while
        it is in use (chunks are never added twice).
        """
        gaps = self.missing(replications)
        if gaps:
            raise ValueError(f"replications {gaps[0][0]}-{gaps[0][1] - 1}: not in the table")
        rows = replications * self.per_replication
        names = list(self.schema) if columns is None else list(columns)
        data = {n: _column(self._arrays[n][:rows], self.schema[n]) for n in names}
        return pd.DataFrame(data, copy=False)

    def cover_years(self, replications: int) -> pd.DataFrame:
        """The covers' years of payment of replications ``0 .. replications - 1``.

        The long table of :func:`sparse_cover_years`: one row per
        (replication, project, cover, year) whose payments are above 0, in
        that order; a year without a row paid nothing.
        """
        gaps = self.missing(replications)
        if gaps:
            raise ValueError(f"replications {gaps[0][0]}-{gaps[0][1] - 1}: not in the table")
        parts, at = [], 0
        for first, stop in sorted(self._years):
            if first >= replications:
                break
            part = self._years[(first, stop)]
            if stop > replications or first < at:  # beyond the end, or held already
                reps = part["replication"].to_numpy()
                part = part[(reps < replications) & (reps >= at)]
            parts.append(part)
            at = max(at, stop)
        if not parts:
            return empty_cover_years(self.projects, self.years)
        return pd.concat(parts, ignore_index=True)

    def trim(self, replications: int) -> None:
        """Give back the room above ``replications`` (chunks run beyond them on an earlier try)."""
        if replications >= self.capacity:
            return
        rows = replications * self.per_replication
        for name in list(self._arrays):
            values = self._arrays.pop(name)
            with contextlib.suppress(ValueError):  # in use: left as it is (never read above)
                values.resize(rows, refcheck=True)
            self._arrays[name] = values
        self.capacity = replications
        self.done = [(a, min(b, replications)) for a, b in self.done if a < replications]
        for (a, b), part in list(self._years.items()):
            del self._years[(a, b)]
            if a < replications:
                self._years[(a, min(b, replications))] = part[
                    part["replication"].to_numpy() < replications
                ]


def typed_outcomes(outcomes: pd.DataFrame, projects: pd.CategoricalDtype) -> pd.DataFrame:
    """An outcome table with the types of today's: ``project`` categorical, dates datetime64[ns].

    For a table saved by an earlier riskmc (``project`` as text,
    ``first_production`` as dates or None). A ``project`` column with a name
    that is not one of ``projects`` is left as it is; so is the table when it
    already has the types. Only the two columns are converted, one at a time.
    """
    out = outcomes
    if "project" in out.columns and not same_type(out["project"].dtype, projects):
        names = out["project"]
        if (names.isin(projects.categories) | names.isna()).all():
            out = out.assign(project=pd.Categorical(names, dtype=projects))
    if "first_production" in out.columns and not same_type(
        out["first_production"].dtype, DATE_DTYPE
    ):
        dates = pd.to_datetime(out["first_production"]).to_numpy().astype(DATE_DTYPE)
        out = out.assign(first_production=dates)
    return out


#: The columns types that :func:`read_outcomes` reads batch by batch into arrays (by the
#: pandas type recorded in the file); a table with another type is read whole.
_NUMPY_TYPES = frozenset(
    ["bool", "float64", "float32", "int64", "int32", "int16", "int8", "uint8", "uint16",
     "uint32", "uint64"]
)  # fmt: skip


def read_outcomes(path: str | Path, projects: pd.CategoricalDtype) -> pd.DataFrame:
    """An outcome table saved as Parquet, with today's types (:func:`typed_outcomes`).

    A table that pandas saved with NumPy types, a categorical or text
    ``project`` and dates in ``first_production`` (every table riskmc saves)
    is read batch by batch into one array per column: the process holds the
    table and one batch, not Arrow's copy of the file beside pandas'. Another
    table is read whole (:func:`pandas.read_parquet`).

    Raises
    ------
    OSError, ValueError
        The file cannot be read (missing, damaged, not Parquet).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as file:
        schema = file.schema_arrow
        meta = schema.pandas_metadata or {}
        recorded = {c.get("name"): c.get("numpy_type") for c in meta.get("columns", [])}
        types: dict[str, ColumnType] = {}
        for name in schema.names:
            if name == "project":
                types[name] = projects
            elif name == "first_production":
                types[name] = DATE_DTYPE
            elif recorded.get(name) in _NUMPY_TYPES:
                types[name] = np.dtype(str(recorded[name]))
            else:
                types = {}
                break
        n = file.metadata.num_rows
        # the index riskmc writes: none (or, from pandas' default, 0 .. n - 1 described)
        plain = all(
            isinstance(i, dict)
            and i.get("kind") == "range"
            and (i.get("start"), i.get("step")) == (0, 1)
            for i in meta.get("index_columns", [])
        )
        if not types or not plain:
            return typed_outcomes(pd.read_parquet(path), projects)  # not riskmc's layout
        arrays = {name: np.empty(n, _storage(t)) for name, t in types.items()}
        at = 0
        for batch in file.iter_batches(batch_size=BATCH, use_threads=False):
            part = typed_outcomes(batch.to_pandas(), projects)
            m = len(part)
            for name, t in types.items():
                column = part[name]
                if not same_type(column.dtype, t):  # a name not a project's, missing values
                    return typed_outcomes(pd.read_parquet(path), projects)
                values = column.array.codes if isinstance(t, pd.CategoricalDtype) else column
                arrays[name][at : at + m] = np.asarray(values)
            at += m
    pa.default_memory_pool().release_unused()  # the batches' memory, kept by Arrow's allocator
    if at != n:
        raise ValueError(f"{path}: {at} rows read, the file records {n}")
    data = {name: _column(arrays[name], t) for name, t in types.items()}
    return pd.DataFrame(data, copy=False)
