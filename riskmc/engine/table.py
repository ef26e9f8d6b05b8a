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
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from riskmc.engine.propagate import DATE_DTYPE

__all__ = ["OutcomeTable", "read_outcomes", "typed_outcomes"]

Chunk = tuple[int, int]
ColumnType = np.dtype | pd.CategoricalDtype
#: Rows of a Parquet row group of a saved table.
ROW_GROUP = 65_536
#: Rows of a batch read back (:func:`read_outcomes`): converted on its own, it costs a few
#: times this many rows of memory beside the table (measured, 600,000 rows of the default
#: scenario: 1.12 times the table at its peak with 4,096 rows, 1.26 with 16,384, 1.6 with
#: 65,536).
BATCH = 4_096


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
        The columns and their types (:func:`riskmc.engine.propagate.outcome_schema`);
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
        self.schema = dict(schema)
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
        if list(rows.columns) != list(self.schema):
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
        self.reserve(stop)
        a, b = first * per, stop * per
        for name, values in columns:
            self._arrays[name][a:b] = values
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
