"""Compare the outcome tables of the two project-model engines (SPEC 3c).

Both engines must give the same outcomes for every replication: integer,
boolean, text and date columns identical, float columns within 1e-9 relative or
1e-6 absolute. :func:`assert_same_outcomes` checks that, and on a difference
names the scenario, the column, and the replication and project of the first
rows that differ, with both values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.engine.propagate import ChunkModel
from riskmc.scenario import Scenario

__all__ = ["ATOL", "ENGINE_PAIR", "RTOL", "assert_same_outcomes", "run_both", "same_floats"]

#: Float columns may differ by this much relative to the larger magnitude ...
RTOL = 1e-9
#: ... or by this much absolutely (SPEC 3c). A float32 column: by one float32 step.
ATOL = 1e-6
#: The reference engine first, then the one checked against it.
ENGINE_PAIR = ("simpy", "compiled")
#: Differing rows shown per column, and columns shown, in a failure message.
_ROWS_SHOWN = 3
_COLUMNS_SHOWN = 5


def run_both(
    scenario: Scenario, seed: int, first: int, stop: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcome rows of replications ``first .. stop - 1`` from each engine: (simpy, compiled).

    Each engine builds its own model and samples its own hazard, as a user's run would
    (with the default threads).
    """
    frames = []
    for engine in ENGINE_PAIR:
        model = ChunkModel(scenario, engine=engine)
        frame = model.run(seed=seed, first=first, stop=stop)
        if list(frame.columns) != model.columns:
            raise AssertionError(
                f"{scenario.name}: engine {engine!r} returned columns {list(frame.columns)}, "
                f"not its model's {model.columns}"
            )
        frames.append(frame)
    return frames[0], frames[1]


def same_floats(
    x: NDArray[np.float64], y: NDArray[np.float64], rtol: float = RTOL
) -> NDArray[np.bool_]:
    """Elementwise: equal (NaN to NaN, inf to inf of one sign), or within ``rtol`` or ATOL."""
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(x - y)
        close = (gap <= ATOL) | (gap <= rtol * np.maximum(np.abs(x), np.abs(y)))
    return np.asarray((x == y) | (np.isnan(x) & np.isnan(y)) | close, dtype=np.bool_)


def _same_values(x: pd.Series, y: pd.Series) -> NDArray[np.bool_]:
    """Elementwise: identical values, a missing value (None, NaN, NaT) equal only to another."""
    gone_x = pd.isna(x).to_numpy(dtype=np.bool_)
    gone_y = pd.isna(y).to_numpy(dtype=np.bool_)
    xs = x.to_numpy(dtype=object)
    ys = y.to_numpy(dtype=object)
    # type too: a pandas Timestamp is not the date it falls on, nor 1.0 the integer 1
    equal = np.array(
        [type(u) is type(v) and bool(u == v) for u, v in zip(xs, ys, strict=True)],
        dtype=np.bool_,
    )
    return (gone_x & gone_y) | (~gone_x & ~gone_y & equal)


def _plain(value: object) -> object:
    """A NumPy scalar as the Python one, so that a message shows ``3``, not ``np.int64(3)``."""
    return value.item() if isinstance(value, np.generic) else value


def _row_name(frame: pd.DataFrame, row: int) -> str:
    keys = [k for k in ("replication", "project") if k in frame.columns]
    return ", ".join([f"row {row}", *(f"{k} {_plain(frame[k].iloc[row])!r}" for k in keys)])


def assert_same_outcomes(
    a: pd.DataFrame,
    b: pd.DataFrame,
    label: str = "",
    *,
    names: tuple[str, str] = ENGINE_PAIR,
) -> None:
    """Raise AssertionError unless two outcome tables agree as SPEC 3c requires.

    Parameters
    ----------
    a, b : DataFrame
        Outcome rows of the same replications, one row per (replication, project),
        from the two engines.
    label : str
        What was run (scenario, seed, replications): the first words of a failure.
    names : (str, str)
        What ``a`` and ``b`` are called in the message.

    Checks, in order: the same columns in the same order, the same number of rows,
    the same (replication, project) in every row, the same dtype per column; then
    per column, integer, boolean, text and date values identical (a missing value
    equal only to a missing value) and float values within ``RTOL`` relative or
    ``ATOL`` absolute (NaN equal to NaN).
    """
    where = f"{label}: " if label else ""
    na, nb = names
    if list(a.columns) != list(b.columns):
        only_a = [c for c in a.columns if c not in b.columns]
        only_b = [c for c in b.columns if c not in a.columns]
        raise AssertionError(
            f"{where}the columns differ: only in {na} {only_a}, only in {nb} {only_b}"
            + ("" if only_a or only_b else f"; same names in another order: {list(b.columns)}")
        )
    if len(a) != len(b):
        raise AssertionError(f"{where}{na} has {len(a)} rows, {nb} {len(b)}")
    for key in ("replication", "project"):
        if key in a.columns:
            same = _same_values(a[key], b[key])
            if not same.all():
                row = int(np.flatnonzero(~same)[0])
                raise AssertionError(
                    f"{where}the rows are not in the same order: row {row} is "
                    f"({_row_name(a, row)}) in {na}, ({_row_name(b, row)}) in {nb}"
                )
    for column in a.columns:
        if a[column].dtype != b[column].dtype:
            raise AssertionError(
                f"{where}column {column!r} has dtype {a[column].dtype} in {na}, "
                f"{b[column].dtype} in {nb}"
            )
    problems = []
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_float_dtype(x.dtype):
            fx = x.to_numpy(dtype=np.float64, na_value=np.nan)
            fy = y.to_numpy(dtype=np.float64, na_value=np.nan)
            # a float32 column (the cover's years, the DSCR) rounds values within RTOL of
            # each other to neighbouring float32s at worst: one unit in the last place
            rtol = RTOL if x.dtype == np.float64 else 2.0 * float(np.finfo(np.float32).eps)
            same = same_floats(fx, fy, rtol)
        else:
            same = _same_values(x, y)
        bad = np.flatnonzero(~same)
        if bad.size == 0:
            continue
        shown = []
        for row in bad[:_ROWS_SHOWN]:
            u, v = _plain(x.iloc[row]), _plain(y.iloc[row])
            text = f"{_row_name(a, int(row))}: {na} {u!r}, {nb} {v!r}"
            if pd.api.types.is_float_dtype(x.dtype):
                text += f" (difference {float(v) - float(u):.3g})"  # type: ignore[arg-type]
            shown.append(text)
        more = f"; and {bad.size - _ROWS_SHOWN} more rows" if bad.size > _ROWS_SHOWN else ""
        problems.append(
            f"column {column!r} differs in {bad.size} of {len(a)} rows: " + "; ".join(shown) + more
        )
    if problems:
        extra = len(problems) - _COLUMNS_SHOWN
        tail = f"\n  and {extra} more columns" if extra > 0 else ""
        raise AssertionError(
            f"{where}{len(problems)} of {len(a.columns)} columns differ between {na} and {nb}:\n  "
            + "\n  ".join(problems[:_COLUMNS_SHOWN])
            + tail
        )
